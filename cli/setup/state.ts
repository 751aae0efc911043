/**
 * What the GitLab project and instance hold now, read once before planning: version and edition,
 * tier (as far as the token may know it), protected branches, active project access tokens,
 * variables, deploy keys and the review agents' configuration files. Read-only.
 */
import type { AccessToken, DeployKey, ProjectInfo, ProtectedBranch, SetupApi, Variable } from "./gitlab-api.ts";
import { statusOf } from "./gitlab-api.ts";
import type { AgentNeed } from "./needs.ts";

/** A GitLab subscription tier. */
export type Tier = "free" | "premium" | "ultimate";

/** The instance. */
export interface Instance {
  url: string;
  /** `18.1.1-ee`. */
  version: string;
  /** An Enterprise Edition build (`GET /metadata` `enterprise`). */
  enterprise: boolean;
  /** GitLab.com, where project access tokens need Premium. */
  dotCom: boolean;
}

/** The tier, and how it was learnt; `tier` undefined when the token cannot tell. */
export interface TierKnowledge {
  tier?: Tier;
  how: string;
}

/** The project's current set-up. */
export interface ProjectState {
  project: ProjectInfo;
  protectedBranches: ProtectedBranch[];
  /** Active, unrevoked project access tokens. */
  tokens: AccessToken[];
  variables: Variable[];
  deployKeys: DeployKey[];
  /** Each agent's `config.yaml` text; undefined when it does not exist or cannot be read. */
  agentConfigs: Map<string, string | undefined>;
}

/** `major.minor` of a version string such as `18.1.1-ee`, compared as numbers. */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  return Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor);
}

/** GitLab.com's and licenses' plan names, old and new, as tiers (`default` is a namespace without a plan). */
function tierOfPlan(plan: string): Tier | undefined {
  const name = plan.toLowerCase().replace(/_trial$/, "");
  if (["free", "default", "core", "ce"].includes(name)) return "free";
  if (["premium", "silver", "bronze", "starter"].includes(name)) return "premium";
  if (["ultimate", "gold"].includes(name)) return "ultimate";
  return undefined;
}

/** The instance's version and edition. */
export async function readInstance(api: SetupApi, url: string): Promise<Instance> {
  const metadata = await api.metadata();
  return {
    url,
    version: metadata.version,
    enterprise: metadata.enterprise === true,
    dotCom: /^https:\/\/gitlab\.com\/?$/.test(url),
  };
}

/**
 * The tier: `--tier` if given; Free for a Community Edition build; on GitLab.com the top-level
 * namespace's plan (doc/api/namespaces.md, shown to its maintainers and owners); elsewhere the
 * license's plan (doc/api/license.md, administrators only). Otherwise unknown.
 */
export async function readTier(
  api: SetupApi,
  instance: Instance,
  project: ProjectInfo,
  stated?: Tier,
): Promise<TierKnowledge> {
  if (stated) return { tier: stated, how: "--tier" };
  if (!instance.enterprise) return { tier: "free", how: "a Community Edition build (GET /metadata: enterprise false)" };
  if (instance.dotCom) {
    const topLevel = project.namespace.full_path.split("/")[0] as string;
    const plan = await api.namespacePlan(topLevel).catch(() => undefined);
    const tier = plan ? tierOfPlan(plan) : undefined;
    return tier
      ? { tier, how: `the plan of ${topLevel} (GET /namespaces: ${plan})` }
      : {
          how: `GitLab.com did not show the plan of ${topLevel} to this token (only its maintainers and owners see it)`,
        };
  }
  const plan = await api.licensePlan();
  if (plan === null) return { tier: "free", how: "no license on this Enterprise Edition instance (GET /license)" };
  const tier = plan ? tierOfPlan(plan) : undefined;
  return tier
    ? { tier, how: `the instance's license (GET /license: ${plan})` }
    : { how: "GET /license needs an administrator's token" };
}

/** Reads the project's state. */
export async function readProjectState(
  api: SetupApi,
  project: ProjectInfo,
  agents: readonly AgentNeed[],
): Promise<ProjectState> {
  const [protectedBranches, tokens, variables, deployKeys] = await Promise.all([
    api.protectedBranches(project.id),
    api.accessTokens(project.id),
    api.variables(project.id),
    api.deployKeys(project.id),
  ]);
  const agentConfigs = new Map<string, string | undefined>();
  for (const agent of agents) {
    // HEAD: the agent project's default branch, whose config the agent reads.
    const text = await api
      .fileText(agent.configProject, `.gitlab/agents/${agent.agentName}/config.yaml`, "HEAD")
      .catch((error: unknown) => {
        if (statusOf(error) !== undefined) return undefined;
        throw error;
      });
    agentConfigs.set(agent.agent, text);
  }
  return {
    project,
    protectedBranches,
    tokens: tokens.filter((t) => t.active && !t.revoked),
    variables,
    deployKeys,
    agentConfigs,
  };
}
