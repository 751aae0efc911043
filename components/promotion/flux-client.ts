/**
 * Reads one Flux Kustomization through a GitLab agent's kube context: a single
 * `kubectl get -o json` per call, so the job needs only `get` on kustomizations (README, "Verified
 * deployments"), and a failure says which input to fix.
 */
import { InfrastructureError, InputError, JobError } from "../../runtime/errors.ts";
import { describeFailure, run, type CommandResult } from "../../runtime/exec.ts";
import { describeResource, type FluxResource, type Kustomization } from "./flux.ts";

/** The resource, pinned to the API version whose fields `flux.ts` reads (v1: Flux 2.0 and later). */
export const KUSTOMIZATION_RESOURCE = "kustomizations.v1.kustomize.toolkit.fluxcd.io";

/** A failure that may pass (the agent or the cluster could not be reached): a wait tries again. */
export class UnreachableClusterError extends InfrastructureError {}

/** kubectl bound to one agent context, reading Kustomizations; `inputs` name the context's and the object's inputs. */
export class FluxClient {
  constructor(
    readonly context: string,
    readonly inputs: { agent: string; resource: string },
  ) {}

  /** The Kustomization as the cluster serves it now. */
  async read(resource: FluxResource): Promise<Kustomization> {
    // A hung connection through the agent must not outlast the job's own timeout.
    const args = [
      "--context",
      this.context,
      "--request-timeout=30s",
      "get",
      KUSTOMIZATION_RESOURCE,
      resource.name,
      "--namespace",
      resource.namespace,
      "--output",
      "json",
    ];
    let result: CommandResult;
    try {
      result = await run("kubectl", args);
    } catch (e) {
      throw new InfrastructureError(
        `cannot run kubectl: ${(e as Error).message}`,
        "run the job in the catalog's tools image, or an image with kubectl on PATH",
      );
    }
    if (result.code !== 0) throw this.failure(args, result, resource);
    try {
      return JSON.parse(result.stdout) as Kustomization;
    } catch {
      throw new JobError(
        `kubectl printed no JSON for ${describeResource(resource)}`,
        "check the kubectl in the job's image",
      );
    }
  }

  private failure(args: readonly string[], result: CommandResult, resource: FluxResource): JobError {
    const said = `${result.stderr}\n${result.stdout}`;
    const { agent, resource: resourceInput } = this.inputs;
    if (/context "[^"]*" does not exist|context was not found/i.test(said))
      return new InputError(
        agent,
        this.context,
        "this job's KUBECONFIG has no such context",
        `set ${agent} to path/to/agent-project:agent-name of an agent whose config.yaml authorizes this project (and this job's environment) under ci_access`,
      );
    if (/\(NotFound\)/.test(said))
      return new InputError(
        resourceInput,
        describeResource(resource),
        `no such Kustomization in the cluster of ${this.context}`,
        `set ${resourceInput} to the namespace/name of the Kustomization that applies the environment branch`,
      );
    if (/forbidden|Unauthorized/i.test(said))
      return new InfrastructureError(
        describeFailure("kubectl", args, result),
        `let this job get kustomizations.kustomize.toolkit.fluxcd.io in namespace ${resource.namespace} (README, "Verified deployments")`,
      );
    if (
      /connection refused|no such host|i\/o timeout|Unable to connect|handshake timeout|currently unable|Client\.Timeout|deadline exceeded|EOF/i.test(
        said,
      )
    )
      return new UnreachableClusterError(
        describeFailure("kubectl", args, result),
        `check that the agent ${this.context} is connected, then retry the job`,
      );
    return new JobError(
      describeFailure("kubectl", args, result),
      "read kubectl's message above (a cluster without Flux 2 serves no kustomize.toolkit.fluxcd.io/v1)",
    );
  }
}
