/**
 * `kubectl` against the review cluster, always through the agent's context (GitLab's agent puts one
 * context per authorized agent into the job's `KUBECONFIG`), always with argument arrays.
 */
import { InfrastructureError, InputError, JobError } from "../../runtime/errors.ts";
import { describeFailure, run, type CommandResult } from "../../runtime/exec.ts";

/** kubectl bound to one context. */
export class Kubectl {
  constructor(readonly context: string) {}

  /** Runs kubectl; resolves whatever the exit code. A missing kubectl is an infrastructure failure. */
  async exec(args: readonly string[], input?: string): Promise<CommandResult> {
    try {
      return await run("kubectl", ["--context", this.context, ...args], { input });
    } catch (e) {
      throw new InfrastructureError(`cannot run kubectl: ${(e as Error).message}`, "run the job in the catalog's tools image, or an image with kubectl on PATH");
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
    if (/context "[^"]*" does not exist|context was not found/i.test(said))
      return new InputError(
        "agent",
        this.context,
        "this job's KUBECONFIG has no such context",
        "check the agent path (path/to/agent-project:agent-name) and that the agent's config.yaml ci_access authorizes this project for environments review/*",
      );
    if (/connection refused|no such host|i\/o timeout|Unable to connect to the server|TLS handshake timeout|the server is currently unable/i.test(said))
      return new InfrastructureError(describeFailure("kubectl", args, result), "the review cluster could not be reached through the agent: check that the agent is connected, then retry the job");
    if (/forbidden|Unauthorized/i.test(said))
      return new InfrastructureError(describeFailure("kubectl", args, result), "the agent refused this job: check the agent's ci_access (projects, environments review/*) and its RBAC");
    return new JobError(describeFailure("kubectl", args, result), "read kubectl's message above");
  }
}
