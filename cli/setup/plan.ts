/**
 * The set-up plan, pure: from what the pipeline needs and what the project holds, the steps that
 * make them agree, what is already right, and what the tier forbids (with the fallback the README's
 * tier table documents). Nothing here talks to GitLab; {@link ./apply.ts} carries the steps out.
 */
import { parse } from "yaml";
import type { Problem } from "../../generator/problems.ts";
import {
  describeRule,
  grantsOthers,
  isExclusive,
  letsPush,
  lowestPushRole,
  ruleMatches,
  type Subject,
} from "./branch-rules.ts";
import { ACCESS, type AccessToken, type DeployKey, type ProtectedBranch, type Variable } from "./gitlab-api.ts";
import type { AgentNeed, CredentialNeed, SetupNeeds } from "./needs.ts";
import { versionAtLeast, type Instance, type ProjectState, type TierKnowledge } from "./state.ts";

/** One change to make. */
export type Action =
  | { kind: "create-token"; variable: string; name: string; scopes: string[]; accessLevel: number; expiresAt: string }
  | { kind: "rotate-token"; variable: string; tokenId: number; name: string; expiresAt: string }
  | { kind: "revoke-token"; tokenId: number; name: string }
  | { kind: "create-deploy-key"; variable: string; title: string }
  | { kind: "remove-deploy-key"; keyId: number; title: string }
  | { kind: "store-variable"; variable: string; create: boolean; file: boolean; masked: boolean; hidden: boolean }
  | { kind: "protect-branch"; variable: string; branch: string }
  | { kind: "restrict-branch"; variable: string; branch: string; rule: ProtectedBranch }
  | { kind: "allow-push"; variable: string; branch: string; rule: ProtectedBranch };

/** One line of the plan: a change to make, or a fact that is already right. */
export interface Step {
  /** When it runs: 0 the credential, 1 the branch rule, 2 the variable, 3 what it replaces. */
  phase: 0 | 1 | 2 | 3;
  status: "create" | "change" | "remove" | "ok";
  text: string;
  action?: Action;
}

/** The plan for one credential. */
export interface CredentialPlan {
  need: CredentialNeed;
  steps: Step[];
  /** The credential's user or deploy key, when it exists already and is kept (rotation keeps the bot). */
  subject?: Subject;
  /** The id of the token or deploy key that is kept, for the variable's description. */
  existingId?: number;
  /** What stops this credential from being set up, with the fix. */
  blockers: Problem[];
}

/** An agent's configuration: already authorizing the project, or the snippet to add. */
export interface AgentPlan {
  need: AgentNeed;
  file: string;
  authorized: boolean;
  snippet: string;
  notes: string[];
}

/** The whole plan. */
export interface SetupPlan {
  credentials: CredentialPlan[];
  agents: AgentPlan[];
  notes: string[];
}

/** What planning looks at. */
export interface PlanInput {
  needs: SetupNeeds;
  state: ProjectState;
  instance: Instance;
  tier: TierKnowledge;
  /** Expiry of new or rotated tokens (`YYYY-MM-DD`). */
  expiresAt: string;
}

/** `Developer`, `Maintainer`. */
export function roleName(level: number): string {
  return level >= ACCESS.maintainer ? "Maintainer" : level >= ACCESS.developer ? "Developer" : `access level ${level}`;
}

/** The variable description that ties a variable to the credential it holds; setup reads it back. */
export function variableDescription(need: CredentialNeed, id: number): string {
  const what = need.kind === "token" ? "project access token" : "deploy key";
  return `gitops-components setup: ${what} ${need.name} (id ${id})${need.branch ? ` for ${need.branch}` : ""}. Rotate with npx gitops-components setup rotate.`;
}

function holds(variable: Variable | undefined, need: CredentialNeed, id: number | undefined): string | undefined {
  if (!variable) return "does not exist";
  if (id === undefined || !(variable.description ?? "").includes(`(id ${id})`))
    return "holds no credential setup knows";
  if (!variable.protected) return "is not protected";
  if (need.kind === "token" && !variable.masked) return "is not masked";
  if ((need.kind === "deploy-key") !== (variable.variable_type === "file"))
    return `is of type ${variable.variable_type}`;
  return undefined;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function tokenPlan(
  need: CredentialNeed,
  input: PlanInput,
  plan: CredentialPlan,
  accessLevel: number,
): number | undefined {
  const { state, expiresAt } = input;
  const candidates = state.tokens.filter((t) => t.name === need.name).sort((a, b) => b.id - a.id);
  const token: AccessToken | undefined = candidates[0];
  const fits = token && need.scopes.every((s) => token.scopes.includes(s)) && token.access_level >= accessLevel;
  const variable = state.variables.find((v) => v.key === need.variable && v.environment_scope === "*");
  const hidden = versionAtLeast(input.instance.version, 17, 4);
  const store = (why: string): Step => ({
    phase: 2,
    status: variable ? "change" : "create",
    text: `${variable ? "store the new value in" : "create"} CI/CD variable ${need.variable} (protected, masked${hidden && !variable ? " and hidden" : ""})${variable ? `: it ${why}` : ""}`,
    action: {
      kind: "store-variable",
      variable: need.variable,
      create: !variable,
      file: false,
      masked: true,
      hidden: hidden && !variable,
    },
  });
  if (token && fits) {
    plan.subject = { user_id: token.user_id };
    plan.existingId = token.id;
    plan.steps.push({
      phase: 0,
      status: "ok",
      text: `project access token ${need.name} (id ${token.id}, ${token.scopes.join(", ")}, ${roleName(token.access_level)}, expires ${token.expires_at ?? "never"})`,
    });
    const wrong = holds(variable, need, token.id);
    if (!wrong) {
      plan.steps.push({
        phase: 2,
        status: "ok",
        text: `CI/CD variable ${need.variable} holds it (protected, masked${variable?.hidden ? ", hidden" : ""})`,
      });
      return token.id;
    }
    // Its value is shown only when it is created or rotated: rotating is the one way to store it again.
    plan.steps.push({
      phase: 0,
      status: "change",
      text: `rotate project access token ${need.name} (id ${token.id}; expires ${expiresAt}), since its value is not stored anywhere setup can read`,
      action: { kind: "rotate-token", variable: need.variable, tokenId: token.id, name: need.name, expiresAt },
    });
    plan.steps.push(store(wrong));
    return token.id;
  }
  plan.steps.push({
    phase: 0,
    status: "create",
    text: `create project access token ${need.name} (${need.scopes.join(", ")}; role ${roleName(accessLevel)}; expires ${expiresAt})${token ? `, replacing id ${token.id}, which lacks ${need.scopes.filter((s) => !token.scopes.includes(s)).join(", ") || `the ${roleName(accessLevel)} role`}` : ""}`,
    action: {
      kind: "create-token",
      variable: need.variable,
      name: need.name,
      scopes: need.scopes,
      accessLevel,
      expiresAt,
    },
  });
  plan.steps.push(store(variable ? "will hold the new token" : ""));
  return undefined;
}

function deployKeyPlan(need: CredentialNeed, input: PlanInput, plan: CredentialPlan): void {
  const key: DeployKey | undefined = input.state.deployKeys
    .filter((k) => k.title === need.name && k.can_push)
    .sort((a, b) => b.id - a.id)[0];
  const variable = input.state.variables.find((v) => v.key === need.variable && v.environment_scope === "*");
  const wrong = holds(variable, need, key?.id);
  if (key && !wrong) {
    plan.subject = { deploy_key_id: key.id };
    plan.existingId = key.id;
    plan.steps.push(
      { phase: 0, status: "ok", text: `deploy key ${need.name} (id ${key.id}, write access)` },
      { phase: 2, status: "ok", text: `CI/CD variable ${need.variable} (type File, protected) holds its private key` },
    );
    return;
  }
  // A private key is never shown again, so a key whose variable is lost is replaced.
  plan.steps.push({
    phase: 0,
    status: "create",
    text: `create deploy key ${need.name} with write access (a new ed25519 key pair; the key acts as the user of GITLAB_TOKEN)`,
    action: { kind: "create-deploy-key", variable: need.variable, title: need.name },
  });
  plan.steps.push({
    phase: 2,
    status: variable ? "change" : "create",
    text: `${variable ? "store the new private key in" : "create"} CI/CD variable ${need.variable} (type File, protected; a multi-line key cannot be masked)${variable ? `: it ${wrong}` : ""}`,
    action: {
      kind: "store-variable",
      variable: need.variable,
      create: !variable,
      file: true,
      masked: false,
      hidden: false,
    },
  });
  if (key)
    plan.steps.push({
      phase: 3,
      status: "remove",
      text: `remove deploy key ${need.name} (id ${key.id}), replaced: its private key is stored nowhere`,
      action: { kind: "remove-deploy-key", keyId: key.id, title: need.name },
    });
}

function who(need: CredentialNeed): string {
  return need.kind === "token" ? `${need.name}'s bot` : `deploy key ${need.name}`;
}

function exclusiveBranchPlan(need: CredentialNeed & { branch: string }, input: PlanInput, plan: CredentialPlan): void {
  const rules = input.state.protectedBranches;
  for (const other of rules.filter(
    (r) => r.name !== need.branch && ruleMatches(r.name, need.branch) && grantsOthers(r, plan.subject),
  ))
    plan.blockers.push({
      path: [need.branch],
      message: `the protected branch rule ${other.name} also matches it (${describeRule(other)}); the most permissive matching rule wins, so that rule's people could still move the environment`,
      fix: `narrow ${other.name} so it does not match ${need.branch}, or make it push: No one, merge: No one (Settings > Repository > Protected branches)`,
    });
  const rule = rules.find((r) => r.name === need.branch);
  const wanted = `push: ${who(need)} only; merge: no one; force push: off`;
  if (!rule)
    plan.steps.push({
      phase: 1,
      status: "create",
      text: `protect ${need.branch} (${wanted})`,
      action: { kind: "protect-branch", variable: need.variable, branch: need.branch },
    });
  else if (isExclusive(rule, plan.subject))
    plan.steps.push({ phase: 1, status: "ok", text: `${need.branch} is protected (${wanted})` });
  else
    plan.steps.push({
      phase: 1,
      status: "change",
      text: `restrict ${need.branch} to ${wanted} (now ${describeRule(rule)})`,
      action: { kind: "restrict-branch", variable: need.variable, branch: need.branch, rule },
    });
}

function sharedBranchPlan(
  need: CredentialNeed & { branch: string },
  input: PlanInput,
  plan: CredentialPlan,
  accessLevel: number | undefined,
): void {
  const matching = input.state.protectedBranches.filter((r) => ruleMatches(r.name, need.branch));
  if (matching.length === 0) {
    // The credential is stored as a protected variable, and GitLab gives protected variables only to
    // pipelines of protected branches and tags (https://docs.gitlab.com/ci/variables/#protect-a-cicd-variable;
    // README: Quick start, step 4): unprotected, the branch's pipelines never receive it.
    plan.blockers.push({
      path: [need.branch],
      message: `is not protected, but ${need.variable} (read by ${need.usedBy.join(", ")} in ${need.branch}'s pipelines) is stored as a protected variable, which GitLab gives only to pipelines of protected branches: the job on ${need.branch} would run without it`,
      fix: `protect ${need.branch} (Settings > Repository > Protected branches; GitLab's default: push and merge Maintainers, force push off), then run setup again: it lets ${who(need)} push there`,
    });
    return;
  }
  if (matching.some((r) => letsPush(r, plan.subject, accessLevel))) {
    plan.steps.push({
      phase: 1,
      status: "ok",
      text: `${who(need)} may push to ${need.branch} (${matching.map((r) => `${r.name}: ${describeRule(r)}`).join("; ")})`,
    });
    return;
  }
  const exact = matching.find((r) => r.name === need.branch);
  if (!exact) {
    plan.blockers.push({
      path: [need.branch],
      message: `only wildcard rules protect it (${matching.map((r) => r.name).join(", ")}), and none lets ${who(need)} push`,
      fix: `protect ${need.branch} by name and let ${who(need)} push there, or use update-manifests' mode: merge_request`,
    });
    return;
  }
  plan.steps.push({
    phase: 1,
    status: "change",
    text: `let ${who(need)} push to ${need.branch}, keeping its rule (now ${describeRule(exact)})`,
    action: { kind: "allow-push", variable: need.variable, branch: need.branch, rule: exact },
  });
}

/** The role a token needs: Developer, or on Free the lowest role the shared branch's rule lets push. */
function tokenRole(need: CredentialNeed, input: PlanInput, plan: CredentialPlan): number {
  if (need.exclusive || !need.branch || input.tier.tier !== "free") return ACCESS.developer;
  const rule = input.state.protectedBranches.find((r) => r.name === need.branch);
  if (!rule) return ACCESS.developer;
  const lowest = lowestPushRole(rule);
  if (lowest === undefined)
    plan.blockers.push({
      path: [need.branch],
      message: `its rule lets no role push (${describeRule(rule)}), and on Free a rule names roles only, so no token can push there`,
      fix: `let Maintainers push to ${need.branch}, or use a deploy key (ssh_key_variable) or mode: merge_request in update-manifests`,
    });
  return Math.max(ACCESS.developer, lowest ?? ACCESS.developer);
}

/** What the tier forbids for this credential, with the documented fallback (README: Requirements, Tiers). */
function tierBlockers(need: CredentialNeed, input: PlanInput): Problem[] {
  const { tier, instance } = input;
  const problems: Problem[] = [];
  const at = need.usedBy.join(", ");
  if (need.kind === "token" && instance.dotCom && tier.tier === "free")
    problems.push({
      path: [need.variable],
      message: `read by ${at}: GitLab.com offers project access tokens with Premium and Ultimate only (tier: ${tier.how})`,
      fix: need.branch
        ? `push with a deploy key instead: give ${at} ssh_key_variable: ${need.variable.replace(/_TOKEN$/, "")}_DEPLOY_KEY and ssh_known_hosts, then run setup again`
        : "use update-manifests' mode: commit with ssh_key_variable (a merge request needs a token)",
    });
  else if (need.kind === "token" && need.exclusive && tier.tier === "free")
    problems.push({
      path: [need.variable],
      message: `read by ${at} to push ${need.branch}: on Free, a protected branch names roles, not a single token's bot (tier: ${tier.how}), and a role would let every Maintainer and every such token push there`,
      fix: `push with a deploy key (the Free fallback, README: Requirements): give ${at} ssh_key_variable: ${need.variable.replace(/_TOKEN$/, "")}_DEPLOY_KEY and ssh_known_hosts, then run setup again; it creates the key`,
    });
  return problems;
}

/** Does an agent's config.yaml list `project` under both ci_access and user_access (doc/user/clusters/agent/ci_cd_workflow.md, user_access.md)? */
export function authorizes(configText: string | undefined, project: string): boolean {
  if (!configText) return false;
  let config: unknown;
  try {
    config = parse(configText);
  } catch {
    return false;
  }
  const lists = (section: string) =>
    ((config as Record<string, { projects?: unknown }> | null)?.[section]?.projects ?? []) as unknown[];
  const names = (section: string) =>
    Array.isArray(lists(section)) && lists(section).some((p) => (p as { id?: unknown } | null)?.id === project);
  return names("ci_access") && names("user_access");
}

function agentPlan(need: AgentNeed, state: ProjectState): AgentPlan {
  const project = state.project.path_with_namespace;
  const file = `.gitlab/agents/${need.agentName}/config.yaml in ${need.configProject}`;
  const authorized = authorizes(state.agentConfigs.get(need.agent), project);
  const notes: string[] = [];
  if (need.configProject.split("/")[0] !== project.split("/")[0])
    notes.push(
      `${need.configProject} is not under ${project.split("/")[0]}: GitLab honours ci_access and user_access only for projects under the agent configuration project's top-level group, unless an administrator enables instance level authorization`,
    );
  const snippet = [
    "ci_access:",
    "  projects:",
    `    - id: ${project}`,
    '      environments: ["review/*"]',
    "user_access:",
    "  access_as:",
    "    agent: {}",
    "  projects:",
    `    - id: ${project}`,
  ].join("\n");
  return { need, file, authorized, snippet, notes };
}

/** Plans the set-up. */
export function planSetup(input: PlanInput): SetupPlan {
  const notes: string[] = [];
  if (!input.tier.tier)
    notes.push(
      `The tier is unknown (${input.tier.how}). Planning Premium's per-token push rules; if GitLab refuses them, apply stops there and undoes that credential. Pass --tier free or --tier premium to say which.`,
    );
  if (!input.instance.enterprise) notes.push("Community Edition: protected branches take roles and deploy keys only.");
  // Environment branches first: a refusal of the tier shows there before anything else is made.
  const ordered = [
    ...input.needs.credentials.filter((c) => c.exclusive),
    ...input.needs.credentials.filter((c) => !c.exclusive),
  ];
  const credentials = ordered.map((need): CredentialPlan => {
    const plan: CredentialPlan = { need, steps: [], blockers: tierBlockers(need, input) };
    if (plan.blockers.length > 0) return plan;
    const accessLevel = need.kind === "token" ? tokenRole(need, input, plan) : undefined;
    if (need.kind === "token") tokenPlan(need, input, plan, accessLevel as number);
    else deployKeyPlan(need, input, plan);
    if (need.branch) {
      if (need.exclusive) exclusiveBranchPlan({ ...need, branch: need.branch }, input, plan);
      else sharedBranchPlan({ ...need, branch: need.branch }, input, plan, accessLevel);
    }
    if (need.kind === "deploy-key" && need.branch && !versionAtLeast(input.instance.version, 17, 5))
      notes.push(
        `GitLab ${input.instance.version} takes no deploy key in the protected branches API (17.5 added it): choose deploy key ${need.name} under Allowed to push and merge of ${need.branch} by hand after apply`,
      );
    return plan;
  });
  // Steps in the order apply runs them: credential, branch rule, variable, then what they replace.
  for (const plan of credentials) plan.steps.sort((a, b) => a.phase - b.phase);
  return { credentials, agents: input.needs.agents.map((need) => agentPlan(need, input.state)), notes };
}

/** How many steps of each kind a plan has. */
export function planCounts(plan: SetupPlan): { changes: number; ok: number; blockers: number } {
  const steps = plan.credentials.flatMap((c) => c.steps);
  return {
    changes: steps.filter((s) => s.action).length,
    ok: steps.filter((s) => !s.action).length,
    blockers: plan.credentials.reduce((n, c) => n + c.blockers.length, 0),
  };
}

/** The plan as text. */
export function renderPlan(plan: SetupPlan): string {
  const mark = { create: "+", change: "~", remove: "-", ok: "=" } as const;
  const lines: string[] = [];
  for (const c of plan.credentials) {
    lines.push(
      "",
      `${c.need.branch ?? "merge requests"} <- ${c.need.variable} (${c.need.kind === "token" ? "project access token" : "deploy key"}; read by ${c.need.usedBy.join(", ")})`,
    );
    for (const step of c.steps) lines.push(`  ${mark[step.status]} ${step.text}`);
    for (const b of c.blockers) lines.push(`  ! ${b.message}.`, `    Fix: ${b.fix}`);
  }
  for (const a of plan.agents) {
    lines.push("", `agent ${a.need.agent} (read by ${a.need.usedBy.join(", ")})`);
    if (a.authorized) lines.push(`  = ${a.file} authorizes the project under ci_access and user_access`);
    else
      lines.push(
        `  > add to ${a.file} (setup does not write another project's files):`,
        ...a.snippet.split("\n").map((l) => `      ${l}`),
      );
    for (const note of a.notes) lines.push(`  note: ${note}`);
  }
  for (const note of plan.notes) lines.push("", `note: ${note}`);
  const counts = planCounts(plan);
  lines.push(
    "",
    `${plural(counts.changes, "change")} to make, ${counts.ok} already right${counts.blockers ? `, ${plural(counts.blockers, "blocker")}` : ""}.`,
  );
  return `${lines.join("\n").replace(/^\n/, "")}\n`;
}

/** Rotation: the tokens of the pipeline that expire within `withinDays`. Pure. */
export function planRotation(
  needs: SetupNeeds,
  state: ProjectState,
  today: string,
  withinDays: number,
  expiresAt: string,
): SetupPlan {
  const limit = new Date(`${today}T00:00:00Z`);
  limit.setUTCDate(limit.getUTCDate() + withinDays);
  const due = limit.toISOString().slice(0, 10);
  const credentials = needs.credentials
    .filter((need) => need.kind === "token")
    .map((need): CredentialPlan => {
      const plan: CredentialPlan = { need, steps: [], blockers: [] };
      const token = state.tokens.filter((t) => t.name === need.name).sort((a, b) => b.id - a.id)[0];
      const variable = state.variables.find((v) => v.key === need.variable && v.environment_scope === "*");
      if (!token) {
        plan.blockers.push({
          path: [need.variable],
          message: `no active project access token ${need.name}`,
          fix: "run npx gitops-components setup --apply to create it",
        });
        return plan;
      }
      if (token.expires_at !== null && token.expires_at <= due) {
        plan.steps.push(
          {
            phase: 0,
            status: "change",
            text: `rotate project access token ${need.name} (id ${token.id}, expires ${token.expires_at}; the new one expires ${expiresAt})`,
            action: { kind: "rotate-token", variable: need.variable, tokenId: token.id, name: need.name, expiresAt },
          },
          {
            phase: 2,
            status: variable ? "change" : "create",
            text: `store the new value in CI/CD variable ${need.variable}`,
            action: {
              kind: "store-variable",
              variable: need.variable,
              create: !variable,
              file: false,
              masked: true,
              hidden: false,
            },
          },
        );
      } else
        plan.steps.push({
          phase: 0,
          status: "ok",
          text: `project access token ${need.name} (id ${token.id}) expires ${token.expires_at ?? "never"}, after ${due}`,
        });
      return plan;
    });
  return { credentials, agents: [], notes: [] };
}
