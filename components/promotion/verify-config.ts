/**
 * The verified-deployment part of the promotion job's configuration (README, "Verified
 * deployments"): the reconcile wait (`verify_agent`, `flux_resource`, `verify_timeout`), the
 * production gate (`staging_agent`, `staging_flux_resource`, `staging_soak`) and deploy freezes
 * (`respect_deploy_freeze`, GitLab's `CI_DEPLOY_FREEZE`). Every input is optional; unset, the job
 * behaves as it did without them. Read once, with `readConfig`, and every problem names its input.
 */
import { InputError } from "../../runtime/errors.ts";
import { parseDuration, parseFluxResource, type FluxResource } from "./flux.ts";

/** The verification inputs as the job read them (promote.contract.ts; the gate's only in production). */
export interface VerificationInputs {
  verify_agent: string;
  flux_resource: string;
  verify_timeout: string;
  respect_deploy_freeze: boolean;
  staging_agent?: string;
  staging_flux_resource?: string;
  staging_soak?: string;
}

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

function resourceInput(
  text: string,
  input: "flux_resource" | "staging_flux_resource",
  agentInputName: string,
  agent: string,
): FluxResource | undefined {
  if (agent === "") {
    if (text !== "")
      throw new InputError(
        input,
        text,
        `is set, but ${agentInputName} is empty`,
        `set ${agentInputName} too, or leave ${input} empty`,
      );
    return undefined;
  }
  const resource = parseFluxResource(text);
  if (!resource)
    throw new InputError(
      input,
      text,
      `is not namespace/name${text === "" ? `, but ${agentInputName} is set` : ""}`,
      `set ${input} to the Flux Kustomization that applies the environment branch, such as flux-system/app-staging`,
    );
  return resource;
}

function durationInput(
  value: string,
  input: "verify_timeout" | "staging_soak",
  fallback: string,
): { ms: number; text: string } {
  const text = value || fallback;
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new InputError(input, text, "is not a duration", `set ${input} to a duration such as 90s, 10m or 1h30m`);
  return { ms, text };
}

/** Checks the verification inputs together (each alone was checked by its parser). */
export function readVerification(
  inputs: VerificationInputs,
  env: Record<string, string | undefined>,
): VerificationConfig {
  const freeze = { frozen: (env.CI_DEPLOY_FREEZE ?? "") !== "", respect: inputs.respect_deploy_freeze };
  const config: VerificationConfig = { freeze };

  const verifyAgent = inputs.verify_agent;
  const resource = resourceInput(inputs.flux_resource, "flux_resource", "verify_agent", verifyAgent);
  if (resource) {
    const timeout = durationInput(inputs.verify_timeout, "verify_timeout", "10m");
    if (timeout.ms <= 0)
      throw new InputError(
        "verify_timeout",
        timeout.text,
        "must be longer than 0",
        "set verify_timeout to a duration such as 10m",
      );
    config.wait = { agent: verifyAgent, resource, timeoutMs: timeout.ms, timeout: timeout.text };
  }

  const stagingAgent = inputs.staging_agent ?? "";
  const stagingResource = resourceInput(
    inputs.staging_flux_resource ?? "",
    "staging_flux_resource",
    "staging_agent",
    stagingAgent,
  );
  const soak = durationInput(inputs.staging_soak ?? "", "staging_soak", "0s");
  if (stagingResource)
    config.gate = { agent: stagingAgent, resource: stagingResource, soakMs: soak.ms, soak: soak.text };
  else if (soak.ms > 0)
    throw new InputError(
      "staging_soak",
      soak.text,
      "is read from staging's Flux, but staging_agent is empty",
      "set staging_agent and staging_flux_resource, or staging_soak: 0",
    );
  return config;
}
