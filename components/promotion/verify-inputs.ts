/**
 * The verified-deployment inputs of the promotion components (README, "Verified deployments"),
 * each with the job variable that carries it to the script (verify-config.ts checks them together).
 * All optional: with `verify_agent` and `staging_agent` empty the job does what it did without them.
 */
import { call } from "../../generator/inputs.ts";
import { boolean, matching, trimmedText } from "../../runtime/input-parsers.ts";

/** A Go duration, as kubectl and Flux write them, or 0. */
const DURATION_REGEX = "^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$";
const AGENT_REGEX = "^([^\\s:]+:[^\\s:]+)?$";

/** An agent context or nothing: what the job checks after the runner expanded the value. */
function agentParser(input: string) {
  return call(matching, [AGENT_REGEX, "is not an agent context", `set ${input} to path/to/agent-project:agent-name`]);
}
const RESOURCE_REGEX = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$";

/** The reconcile wait and the freeze rule, for both environments; `respectFreeze` is the default. */
export function verifyInputs<const Respect extends boolean>(environment: string, respectFreeze: Respect) {
  return {
    verify_agent: {
      type: "string",
      description: `The GitLab agent of the ${environment} cluster, as its kube context (path/to/agent-project:agent-name). When set, the job waits after the push until the Flux Kustomization flux_resource reports the promoted commit (or a later one) applied and Ready, so GitLab's deployment turns green only then; it fails with Flux's own reason and message (such as HealthCheckFailed: timeout waiting for: [Deployment/apps/app status: 'InProgress']) when Flux reports a failure, and with Flux's last status after verify_timeout. The agent needs read access only (README: Verified deployments). Empty: no wait.`,
      default: "",
      regex: AGENT_REGEX,
      variable: "GITOPS_VERIFY_AGENT",
      parse: agentParser("verify_agent"),
    },
    flux_resource: {
      type: "string",
      description: `With verify_agent: the Flux Kustomization (kustomize.toolkit.fluxcd.io/v1) that applies environment_branch, as namespace/name, such as flux-system/app-${environment}. A name the cluster lacks fails the job naming this input.`,
      default: "",
      regex: RESOURCE_REGEX,
      variable: "GITOPS_FLUX_RESOURCE",
      parse: trimmedText,
    },
    verify_timeout: {
      type: "string",
      description:
        "With verify_agent: how long to wait for Flux, as a duration such as 10m or 1h. Flux notices a push within its GitRepository's spec.interval (sooner with a webhook receiver), then applies and runs its health checks. On timeout the job fails with Flux's last status; the branch keeps the commit, so retrying the job only waits again.",
      default: "10m",
      regex: DURATION_REGEX,
      variable: "GITOPS_VERIFY_TIMEOUT",
      parse: trimmedText,
    },
    respect_deploy_freeze: {
      type: "boolean",
      description: `Refuse to promote during a GitLab deploy freeze (Settings > CI/CD > Deploy freezes; GitLab then sets CI_DEPLOY_FREEZE): the job fails at once, saying so, and pushes nothing, so GitLab records a failed, not a successful, deployment. A dry run still runs. Default for ${environment}: ${respectFreeze}.`,
      default: respectFreeze,
      variable: "GITOPS_RESPECT_DEPLOY_FREEZE",
      parse: call(boolean, false),
    },
  } as const;
}

/** The production gate on staging's Flux (manual-production only). */
export function stagingGateInputs() {
  return {
    staging_agent: {
      type: "string",
      description:
        "The GitLab agent of the staging cluster, as its kube context. When set, production is refused (nothing pushed) unless staging's Flux Kustomization staging_flux_resource has applied the commit (or a later one), is not suspended, stalled or failing, and has run it for staging_soak; the message names staging's state and how much soak time is left. The agent must authorize this project for the production job too, with read access only (README: Verified deployments). Empty: no gate.",
      default: "",
      regex: AGENT_REGEX,
      variable: "GITOPS_STAGING_AGENT",
      parse: agentParser("staging_agent"),
    },
    staging_flux_resource: {
      type: "string",
      description:
        "With staging_agent: staging's Flux Kustomization, as namespace/name, such as flux-system/app-staging.",
      default: "",
      regex: RESOURCE_REGEX,
      variable: "GITOPS_STAGING_FLUX_RESOURCE",
      parse: trimmedText,
    },
    staging_soak: {
      type: "string",
      description:
        "With staging_agent: how long staging must have run the commit successfully before production may receive it, as a duration such as 30m or 24h; 0 checks only that staging applied it and is healthy. Read from the Kustomization's status.history, which Flux records from v2.7.0: with an older Flux, a soak above 0 refuses and says so.",
      default: "0",
      regex: DURATION_REGEX,
      variable: "GITOPS_STAGING_SOAK",
      parse: trimmedText,
    },
  } as const;
}
