/**
 * The verified-deployment part of the promotion job's configuration (README, "Verified
 * deployments"): the reconcile wait (`verify_agent`, `flux_resource`, `verify_timeout`), the
 * production gate (`staging_agent`, `staging_flux_resource`, `staging_soak`) and deploy freezes
 * (`respect_deploy_freeze`, GitLab's `CI_DEPLOY_FREEZE`). Every input is optional; unset, the job
 * behaves as it did without them. Read once, with `readConfig`, and every problem names its input.
 */
import { booleanInput, optionalInput } from "../../runtime/env.ts";
import { InputError } from "../../runtime/errors.ts";
import { parseDuration, parseFluxResource, type FluxResource } from "./flux.ts";

/** The job variables that carry these inputs (components/promotion/verify-inputs.ts sets them). */
export const VERIFY_VARIABLES = {
  verify_agent: "GITOPS_VERIFY_AGENT",
  flux_resource: "GITOPS_FLUX_RESOURCE",
  verify_timeout: "GITOPS_VERIFY_TIMEOUT",
  staging_agent: "GITOPS_STAGING_AGENT",
  staging_flux_resource: "GITOPS_STAGING_FLUX_RESOURCE",
  staging_soak: "GITOPS_STAGING_SOAK",
  respect_deploy_freeze: "GITOPS_RESPECT_DEPLOY_FREEZE",
} as const;

/** One Kustomization to read, through one agent. */
export interface FluxTarget {
  agent: string;
  resource: FluxResource;
}

/** What the job verifies. */
export interface VerificationConfig {
  /** GitLab set `CI_DEPLOY_FREEZE`, and whether the job respects it. */
  freeze: { frozen: boolean; respect: boolean };
  /** After the push: wait until Flux applied the commit. Absent without `verify_agent`. */
  wait?: FluxTarget & { timeoutMs: number; timeout: string };
  /** Before the push (production): staging applied the commit and soaked. Absent without `staging_agent`. */
  gate?: FluxTarget & { soakMs: number; soak: string };
}

type Env = Record<string, string | undefined>;

/** An agent context: `path/to/agent-project:agent-name`. */
const AGENT = /^[^\s:]+:[^\s:]+$/;

function agentInput(env: Env, input: "verify_agent" | "staging_agent"): string {
  const agent = optionalInput(env, VERIFY_VARIABLES[input]).trim();
  if (agent !== "" && !AGENT.test(agent)) throw new InputError(input, agent, "is not an agent context", `set ${input} to path/to/agent-project:agent-name`);
  return agent;
}

function resourceInput(env: Env, input: "flux_resource" | "staging_flux_resource", agentInputName: string, agent: string): FluxResource | undefined {
  const text = optionalInput(env, VERIFY_VARIABLES[input]).trim();
  if (agent === "") {
    if (text !== "") throw new InputError(input, text, `is set, but ${agentInputName} is empty`, `set ${agentInputName} too, or leave ${input} empty`);
    return undefined;
  }
  const resource = parseFluxResource(text);
  if (!resource) throw new InputError(input, text, `is not namespace/name${text === "" ? `, but ${agentInputName} is set` : ""}`, `set ${input} to the Flux Kustomization that applies the environment branch, such as flux-system/app-staging`);
  return resource;
}

function durationInput(env: Env, input: "verify_timeout" | "staging_soak", fallback: string): { ms: number; text: string } {
  const text = optionalInput(env, VERIFY_VARIABLES[input]).trim() || fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new InputError(input, text, "is not a duration", `set ${input} to a duration such as 90s, 10m or 1h30m`);
  return { ms, text };
}

/** Reads and checks the verification inputs. */
export function readVerification(env: Env): VerificationConfig {
  const freeze = { frozen: (env.CI_DEPLOY_FREEZE ?? "") !== "", respect: booleanInput(env, VERIFY_VARIABLES.respect_deploy_freeze, "respect_deploy_freeze", false) };
  const config: VerificationConfig = { freeze };

  const verifyAgent = agentInput(env, "verify_agent");
  const resource = resourceInput(env, "flux_resource", "verify_agent", verifyAgent);
  if (resource) {
    const timeout = durationInput(env, "verify_timeout", "10m");
    if (timeout.ms <= 0) throw new InputError("verify_timeout", timeout.text, "must be longer than 0", "set verify_timeout to a duration such as 10m");
    config.wait = { agent: verifyAgent, resource, timeoutMs: timeout.ms, timeout: timeout.text };
  }

  const stagingAgent = agentInput(env, "staging_agent");
  const stagingResource = resourceInput(env, "staging_flux_resource", "staging_agent", stagingAgent);
  const soak = durationInput(env, "staging_soak", "0s");
  if (stagingResource) config.gate = { agent: stagingAgent, resource: stagingResource, soakMs: soak.ms, soak: soak.text };
  else if (soak.ms > 0) throw new InputError("staging_soak", soak.text, "is read from staging's Flux, but staging_agent is empty", "set staging_agent and staging_flux_resource, or staging_soak: 0");
  return config;
}
