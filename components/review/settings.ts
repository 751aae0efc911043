/**
 * Reading the review jobs' inputs and predefined variables from the environment, each checked with
 * an error that names the input, the value and the fix.
 */
import { InputError } from "../../runtime/errors.ts";
import { optionalInput, requireInput } from "../../runtime/env.ts";
import { VARIABLES } from "./contract.ts";
import { isDnsLabel, isDnsSubdomain, PREFIX_MAX, refSlug, type ReviewTarget } from "./names.ts";

type Env = Record<string, string | undefined>;

/** A Go duration as `kubectl --timeout` takes it (`5m`, `90s`, `1h30m`). */
export const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** The merge request this pipeline runs for, from GitLab's predefined variables. */
export function readTarget(env: Env): ReviewTarget {
  const refName = env.CI_COMMIT_REF_NAME;
  if (!refName) throw new InputError("CI_COMMIT_REF_NAME", refName, "is not set", "run the job in a GitLab merge-request pipeline (GitLab sets CI_COMMIT_REF_NAME)");
  const iid = env.CI_MERGE_REQUEST_IID || undefined;
  if (iid !== undefined && !/^\d+$/.test(iid)) throw new InputError("CI_MERGE_REQUEST_IID", iid, "is not a number", "do not override CI_MERGE_REQUEST_IID; GitLab sets it in merge-request pipelines");
  // GitLab always sets the slug; computing it the same way keeps the names stable if it is missing.
  const slug = env.CI_COMMIT_REF_SLUG || refSlug(refName);
  if (slug !== "" && !isDnsLabel(slug)) throw new InputError("CI_COMMIT_REF_SLUG", slug, "is not a DNS label", "do not override CI_COMMIT_REF_SLUG; GitLab sets it");
  return { refName, refSlug: slug, mergeRequestIid: iid, projectId: env.CI_PROJECT_ID || undefined };
}

/** `agent`: the kube context GitLab's agent adds to `KUBECONFIG` (`path/to/agent-project:agent-name`). */
export function readAgent(env: Env): string {
  const agent = requireInput(env, VARIABLES.agent, "agent", "set agent to the review cluster's agent, as path/to/agent-project:agent-name");
  if (!/^[^\s:]+:[^\s:]+$/.test(agent)) throw new InputError("agent", agent, "is not an agent context", "set agent to path/to/agent-project:agent-name, for example platform/gitops-agents:review");
  return agent;
}

/** `namespace_prefix`: lowercase letters, digits and `-`, starting with a letter, at most 20 characters. */
export function readNamespacePrefix(env: Env): string {
  const prefix = optionalInput(env, VARIABLES.namespace_prefix);
  if (prefix.length > PREFIX_MAX || !/^([a-z][-a-z0-9]*)?$/.test(prefix))
    throw new InputError("namespace_prefix", prefix, `must be at most ${PREFIX_MAX} lowercase letters, digits and -, starting with a letter`, "set namespace_prefix to something like review-");
  return prefix;
}

/** `rollout_timeout`: a duration kubectl understands. */
export function readTimeout(env: Env): string {
  const timeout = requireInput(env, VARIABLES.rollout_timeout, "rollout_timeout", "set rollout_timeout to a duration such as 5m");
  if (!DURATION.test(timeout)) throw new InputError("rollout_timeout", timeout, "is not a duration", "set rollout_timeout to a number with a unit: 90s, 5m, 1h");
  return timeout;
}

/** `domain`: the review apps' parent domain. */
export function readDomain(env: Env): string {
  const domain = requireInput(env, VARIABLES.domain, "domain", "set domain to the review cluster's wildcard domain, such as review.example.com");
  if (!isDnsSubdomain(domain) || !domain.includes(".")) throw new InputError("domain", domain, "is not a DNS domain", "set domain to lowercase labels joined by dots, such as review.example.com");
  return domain;
}
