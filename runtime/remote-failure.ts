/**
 * Every failure of a remote (git server, registry, GitLab API, cluster) in the user's terms: the
 * class of failure, the input or variable that names the remote or the credential, and the fix.
 * A private project answers "not found" to a credential that may not see it, so not-found names
 * both. Each tool's words are classified next to the tool (runtime/git.ts, runtime/registry.ts, an HTTP
 * status); the message is made here, once, for every job.
 *
 * GitLab's own words, which the git classifier matches: lib/gitlab/git_access.rb ("The project you
 * were looking for could not be found", "You are not allowed to push code to this project.",
 * "You are not allowed to download code from this project."), lib/gitlab/checks/branch_check.rb
 * ("You are not allowed to push code to protected branches on this project.", "You are not allowed
 * to force push code to a protected branch on this project.").
 */
import { InfrastructureError, JobError } from "./errors.ts";

/** How a remote call failed. */
export type RemoteFailureKind =
  | "not-found"
  | "authentication"
  | "permission"
  | "protected-branch"
  | "unreachable"
  | "host-key"
  | "tls"
  | "other";

/** The parties of a remote call, as the user configured them. */
export interface RemoteParty {
  /** What the job was doing: `fetching main`, `cannot log in to registry.example.com`. */
  action: string;
  /** The input (or predefined variable) that names the remote, and its value. */
  remote: { input: string; value: string };
  /** The credential: how messages name it (`the token in GITOPS_STAGING_TOKEN`), the input naming it, and what it must be (`project access token with the write_repository scope`). */
  credential: { description: string; input: string; needs: string };
  /** The branch being pushed (for a protected-branch refusal). */
  branch?: { input: string; value: string };
}

/** The error for a failed remote call: names the input or variable to change, and how. */
export function remoteFailure(
  kind: RemoteFailureKind,
  detail: string,
  { action, remote, credential: c, branch }: RemoteParty,
): JobError {
  const where = `${remote.input} (${remote.value})`;
  const check = `check ${c.input}: ${c.description} must be`;
  const [message, fix] =
    kind === "not-found"
      ? [
          `${where} names nothing ${c.description} can see`,
          `check ${remote.input}, and that ${c.description} may see it`,
        ]
      : kind === "authentication"
        ? [`the server refused ${c.description}`, `${check} valid and unexpired, a ${c.needs}`]
        : kind === "permission"
          ? [`${c.description} is not allowed to do this at ${where}`, `${check} a ${c.needs}`]
          : kind === "protected-branch"
            ? [
                `${branch?.input} ${branch?.value} is protected and ${c.description} may not push to it`,
                `let ${c.description} push: choose its user or deploy key under "Allowed to push and merge" of ${branch?.value} (Settings > Repository > Protected branches)`,
              ]
            : kind === "unreachable"
              ? [`${where} could not be reached`, `check ${remote.input} and that the server is up, then retry the job`]
              : kind === "host-key"
                ? [
                    `the SSH host key of ${where} is not one of ssh_known_hosts`,
                    "check ssh_known_hosts against the fingerprints your GitLab instance publishes (Help > SSH host keys fingerprints)",
                  ]
                : kind === "tls"
                  ? [
                      `TLS with ${where} failed`,
                      "for plain HTTP or an untrusted certificate, set tls_verify: false (or add its CA to the job image)",
                    ]
                  : ["failed", `read the message above; check ${remote.input} and ${c.input}`];
  // Nothing found, or git's own words: a human checks the input. Anything else is the server's side.
  return kind === "not-found" || kind === "other"
    ? new JobError(`${action}: ${message} (${detail})`, fix)
    : new InfrastructureError(`${action}: ${message} (${detail})`, fix);
}

/** The failure class of an HTTP status from an API. */
export function httpFailureKind(status: number): RemoteFailureKind {
  if (status === 401) return "authentication";
  if (status === 403) return "permission";
  if (status === 404) return "not-found";
  return status >= 500 ? "unreachable" : "other";
}
