/**
 * `kubectl` against the review cluster, always through the agent's context (GitLab's agent puts one
 * context per authorized agent into the job's `KUBECONFIG`), always with argument arrays.
 */
import { InfrastructureError, InputError, JobError } from "../../runtime/errors.ts";
import { remoteFailure } from "../../runtime/remote-failure.ts";
import { describeFailure, run, type CommandResult } from "../../runtime/exec.ts";

/** kubectl bound to one context. */
export class Kubectl {
  constructor(readonly context: string) {}

  /** Runs kubectl; resolves whatever the exit code. A missing kubectl is an infrastructure failure. */
  async exec(args: readonly string[], input?: string): Promise<CommandResult> {
    try {
      return await run("kubectl", ["--context", this.context, ...args], { input });
    } catch (e) {
      throw new InfrastructureError(
        `cannot run kubectl: ${(e as Error).message}`,
        "run the job in the catalog's tools image, or an image with kubectl on PATH",
      );
    }
  }

  /** Runs kubectl and returns stdout; a failure throws with kubectl's words and a fix for the usual causes. */
  async run(args: readonly string[], input?: string): Promise<string> {
    const result = await this.exec(args, input);
    if (result.code !== 0) throw this.failure(args, result);
    return result.stdout;
  }

  /** The error for a failed kubectl command. */
  failure(args: readonly string[], result: CommandResult): JobError {
    const said = `${result.stderr}\n${result.stdout}`;
    // GitLab puts a context into KUBECONFIG only for agents whose ci_access authorizes this project,
    // and honours ci_access only for projects and groups under the agent configuration project's
    // top-level group (doc/user/clusters/agent/ci_cd_workflow.md; lifted on self-managed by the
    // organization_cluster_agent_authorization_enabled setting, gitlab-org/gitlab!190769).
    if (/context "[^"]*" does not exist|context was not found/i.test(said))
      return new InputError(
        "agent",
        this.context,
        "this job's KUBECONFIG has no such context (GitLab adds one per agent that authorizes this project)",
        "most often this project is not under the same top-level group as the agent's configuration project: GitLab ignores ci_access entries outside that group, unless an administrator of a self-managed instance enables instance level authorization (Admin > Settings > General > GitLab agent for Kubernetes). Also check the agent path (path/to/agent-project:agent-name) and that the agent's config.yaml lists this project or its group under ci_access, for environments review/*",
      );
    // The agent's context carries the job's own credential (GitLab writes it into KUBECONFIG); the
    // agent's ci_access and RBAC decide what it may do.
    const kind =
      /connection refused|no such host|i\/o timeout|Unable to connect to the server|TLS handshake timeout|the server is currently unable/i.test(
        said,
      )
        ? "unreachable"
        : /Unauthorized|must be logged in|provide credentials/i.test(said)
          ? "authentication"
          : /forbidden/i.test(said)
            ? "permission"
            : undefined;
    if (kind)
      return remoteFailure(kind, describeFailure("kubectl", args, result), {
        action: `kubectl ${args[0]} through the agent`,
        remote: { input: "agent", value: this.context },
        credential: {
          description: "this job's credential for the agent",
          input: "agent",
          needs:
            "job of a project the agent's config.yaml authorizes under ci_access (environments review/*), with RBAC for the review namespace",
        },
      });
    return new JobError(describeFailure("kubectl", args, result), "read kubectl's message above");
  }
}
