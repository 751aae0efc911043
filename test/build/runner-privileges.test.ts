/**
 * buildah on a runner whose containers may not create namespaces (the Docker executor's default
 * seccomp and AppArmor profiles): the build job names the runner setting that fixes it. The
 * refusal cannot be provoked here (this machine lets buildah unshare), so the classifier is fed
 * buildah's real words, and the job as it ships runs against stand-in `buildah` and `skopeo`
 * commands that answer with them.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isNamespaceRefused, RUNNER_PRIVILEGES_FIX } from "../../runtime/buildah-privileges.ts";
import { runTemplateJob } from "../../harness/templates.ts";

/** buildah 1.29+ in a Docker container with the default seccomp profile (containers/buildah#4563, #5198). */
const UNSHARE_REFUSED = [
  "Error during unshare(CLONE_NEWUSER): Operation not permitted",
  'time="2023-11-28T04:00:27Z" level=error msg="parsing PID \\"\\": strconv.Atoi: parsing \\"\\": invalid syntax"',
  'time="2023-11-28T04:00:27Z" level=error msg="(Unable to determine exit status)"',
].join("\n");

/** buildah before 1.29 said it the same way, with its older log prefix (containers/buildah#1901). */
const UNSHARE_REFUSED_OLD =
  'Error during unshare(CLONE_NEWUSER): Operation not permitted\nERRO[0000] error parsing PID "": strconv.Atoi: parsing "": invalid syntax\nERRO[0000] (unable to determine exit status)';

describe("buildah refused namespaces by the runner", () => {
  const scratch: string[] = [];
  afterAll(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    { said: "buildah 1.29+", output: UNSHARE_REFUSED, refused: true },
    { said: "buildah before 1.29", output: UNSHARE_REFUSED_OLD, refused: true },
    {
      said: "a mount namespace refused to chroot isolation",
      output: "error running subprocess: creating mount namespace before pivot: operation not permitted",
      refused: true,
    },
    {
      said: "a registry refusing credentials",
      output: 'Error: logging into "registry.example.com": invalid username/password',
      refused: false,
    },
    { said: "a failing RUN step", output: 'error building at STEP "RUN make": exit status 2', refused: false },
  ])("tells $said apart ($refused)", ({ output, refused }) => {
    expect(isNamespaceRefused(output)).toBe(refused);
  });

  /** A project whose PATH starts with stand-in buildah and skopeo commands (shell scripts). */
  function project(buildah: string, skopeo = 'echo "manifest unknown" >&2; exit 1'): { dir: string; path: string } {
    const dir = mkdtempSync(path.join(tmpdir(), "gitops-build-privileges-"));
    scratch.push(dir);
    const bin = path.join(dir, ".bin");
    mkdirSync(bin);
    for (const [tool, body] of Object.entries({ buildah, skopeo })) {
      writeFileSync(path.join(bin, tool), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(bin, tool), 0o755);
    }
    mkdirSync(path.join(dir, "app"));
    writeFileSync(path.join(dir, "app", "Dockerfile"), "FROM scratch\n");
    return { dir, path: `${bin}:${process.env.PATH}` };
  }

  const run = (p: { dir: string; path: string }) =>
    runTemplateJob({
      component: "build",
      cwd: p.dir,
      inputs: { context: "app", image_name: "registry.example.com/group/app" },
      env: {
        PATH: p.path,
        CI_PROJECT_DIR: p.dir,
        CI_COMMIT_SHA: "1f0c3a5b7d9e2f4a6c8b0d1e3f5a7b9c2d4e6f80",
        CI_REGISTRY_USER: "ci",
        CI_REGISTRY_PASSWORD: "registry-secret-password",
      },
    });

  it("names the runner setting when buildah cannot even log in (buildah 1.29+ re-executes every command in a user namespace)", async () => {
    const job = await run(project(`cat >&2 <<'EOF'\n${UNSHARE_REFUSED}\nEOF\nexit 125`));
    expect(job.code).toBe(5);
    expect(job.output).toContain(
      "ERROR: cannot log in to registry.example.com: the runner's container may not create the namespaces buildah needs (Error during unshare(CLONE_NEWUSER): Operation not permitted)",
    );
    expect(job.output).toContain(`Fix: ${RUNNER_PRIVILEGES_FIX}`);
    expect(job.output).toContain('security_opt = ["seccomp:unconfined", "apparmor:unconfined"]');
    expect(job.output).not.toContain("registry-secret-password");
  });

  it("names the runner setting when the build itself is refused a namespace", async () => {
    const buildah = `case "$1" in login) exit 0;; build) cat >&2 <<'EOF'\n${UNSHARE_REFUSED}\nEOF\nexit 125;; esac\nexit 1`;
    const job = await run(project(buildah));
    expect(job.code).toBe(5);
    expect(job.output).toContain(
      "ERROR: buildah could not build app/Dockerfile: the runner's container may not create the namespaces buildah needs (Error during unshare(CLONE_NEWUSER): Operation not permitted)",
    );
    expect(job.output).toContain(
      "Fix: run the job on a runner that lets buildah create namespaces: with the Docker executor, set privileged = true",
    );
  });
});
