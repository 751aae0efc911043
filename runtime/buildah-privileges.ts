/**
 * buildah on a runner that refuses it namespaces. buildah builds without a daemon, but it still
 * needs a user namespace (since 1.29 nearly every command re-executes itself in one when it lacks
 * CAP_SYS_ADMIN, containers/buildah#4563) or a mount namespace (chroot isolation of RUN steps).
 * The Docker executor's default seccomp and AppArmor profiles refuse `unshare()` to a container
 * without CAP_SYS_ADMIN (gitlab-org/gitlab-runner#38957), so buildah fails with words that name
 * a syscall, not the runner setting that fixes it. This names the setting.
 */
import { InfrastructureError } from "./errors.ts";

/**
 * buildah's words when the kernel refused it a namespace: `Error during unshare(CLONE_NEWUSER):
 * Operation not permitted` (containers/buildah#1901, #4563, #5198), and the same refusal for the
 * other namespaces and mounts chroot isolation sets up.
 */
const NAMESPACE_REFUSED =
  /unshare\([A-Z_|]*\): (operation not permitted|permission denied)|(creating|create|new) (user|mount) namespace[^\n]*(operation not permitted|permission denied)/i;

/** The runner settings that give buildah its namespaces (the fix every such failure gets). */
export const RUNNER_PRIVILEGES_FIX =
  'run the job on a runner that lets buildah create namespaces: with the Docker executor, set privileged = true, or security_opt = ["seccomp:unconfined", "apparmor:unconfined"], under [runners.docker] in the runner\'s config.toml (gitlab-org/gitlab-runner#38957), and give that runner a tag to pick it with; with the Kubernetes executor, the same privileges in the build pod\'s security context';

/** Did buildah fail because the runner's container may not create namespaces? */
export function isNamespaceRefused(output: string): boolean {
  return NAMESPACE_REFUSED.test(output);
}

/** The error for `what` failing that way; `output` is buildah's stderr, quoted by its telling line. */
export function namespaceRefusedError(what: string, output: string): InfrastructureError {
  const line =
    output
      .split("\n")
      .find((l) => NAMESPACE_REFUSED.test(l))
      ?.trim() ?? "";
  return new InfrastructureError(
    `${what}: the runner's container may not create the namespaces buildah needs (${line})`,
    RUNNER_PRIVILEGES_FIX,
  );
}
