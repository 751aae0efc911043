/**
 * What a pipeline needs in its GitLab project, read from its includes of this catalog: one
 * credential per CI/CD variable the components read (a project access token, or a deploy key when
 * the include sets `ssh_key_variable`), the branch each one pushes, and the review agents. Pure.
 */
import type { Problem } from "../../generator/problems.ts";
import { DEFAULT_BRANCH_WRITERS, isPromotion, type ResolvedInclude } from "../resolve.ts";

/** How a credential authenticates. */
export type CredentialKind = "token" | "deploy-key";

/** One credential the pipeline reads from a CI/CD variable. */
export interface CredentialNeed {
  /** The CI/CD variable that holds it. */
  variable: string;
  kind: CredentialKind;
  /** The token's or deploy key's name in GitLab (`gitops-staging`), derived from the variable. */
  name: string;
  /** The protected branch it pushes; undefined when it pushes none (merge_request-mode bumps). */
  branch?: string;
  /** True for environment branches: it is the only credential allowed to push there. */
  exclusive: boolean;
  /** A token's scopes, least first. */
  scopes: string[];
  /** The includes that read it. */
  usedBy: string[];
}

/** A review agent the pipeline deploys through. */
export interface AgentNeed {
  /** As the `agent` input writes it: `path/to/agent-project:agent-name`. */
  agent: string;
  configProject: string;
  agentName: string;
  usedBy: string[];
}

/** Everything setup provides or checks. */
export interface SetupNeeds {
  credentials: CredentialNeed[];
  agents: AgentNeed[];
}

/** `GITOPS_STAGING_TOKEN` → `gitops-staging`: one name per variable, stable across runs. */
export function credentialName(variable: string): string {
  const core = variable
    .toLowerCase()
    .replace(/^gitops_/, "")
    .replace(/_(token|deploy_key|ssh_key|key)$/, "")
    .replace(/_+/g, "-");
  return `gitops-${core || "credential"}`;
}

const SCOPE_ORDER = ["api", "read_api", "read_user", "read_repository", "write_repository"];

function text(resolved: ResolvedInclude, input: string): string {
  const value = resolved.values[input];
  return typeof value === "string" ? value : "";
}

/** The pipeline's needs; problems for what setup cannot provide as written. */
export function setupNeeds(
  includes: readonly ResolvedInclude[],
  defaultBranch: string,
): { needs: SetupNeeds; problems: Problem[] } {
  const problems: Problem[] = [];
  const byVariable = new Map<string, CredentialNeed>();
  const add = (resolved: ResolvedInclude, input: string, need: Omit<CredentialNeed, "name" | "usedBy">) => {
    const existing = byVariable.get(need.variable);
    if (!existing) {
      byVariable.set(need.variable, { ...need, name: credentialName(need.variable), usedBy: [resolved.label] });
      return;
    }
    // A credential that pushes no protected branch (a merge request's) may also be one that pushes a shared one.
    const branchesAgree =
      existing.branch === need.branch ||
      (!existing.exclusive && (existing.branch === undefined || need.branch === undefined));
    if (existing.kind !== need.kind || !branchesAgree || existing.exclusive !== need.exclusive) {
      problems.push({
        path: [resolved.where, resolved.label, `input ${input}`],
        message: `${need.variable} is also read by ${existing.usedBy.join(", ")} for ${existing.branch ?? "merge requests"}, here for ${need.branch ?? "merge requests"}: one credential cannot be set up for both`,
        fix: "give each branch its own variable (npx gitops-components lint says which)",
      });
      return;
    }
    existing.branch ??= need.branch;
    existing.scopes = SCOPE_ORDER.filter((s) => existing.scopes.includes(s) || need.scopes.includes(s));
    // One include can read a variable through two inputs; it is named once.
    if (!existing.usedBy.includes(resolved.label)) existing.usedBy.push(resolved.label);
  };
  const branchOf = (resolved: ResolvedInclude, input: string): string | undefined => {
    const value = text(resolved, input).replace(/^\$\{?CI_DEFAULT_BRANCH\}?$/, defaultBranch);
    if (/\$/.test(value) || value === "") {
      problems.push({
        path: [resolved.where, resolved.label, `input ${input}`],
        message: "is not a branch name setup can protect (it holds a CI/CD variable)",
        value,
        fix: "write the branch name itself",
      });
      return undefined;
    }
    return value;
  };
  const agents = new Map<string, AgentNeed>();
  for (const resolved of includes) {
    const ssh = text(resolved, "ssh_key_variable");
    if (isPromotion(resolved)) {
      const branch = branchOf(resolved, "environment_branch");
      if (!branch) continue;
      if (ssh)
        add(resolved, "ssh_key_variable", { variable: ssh, kind: "deploy-key", branch, exclusive: true, scopes: [] });
      else
        add(resolved, "token_variable", {
          variable: text(resolved, "token_variable"),
          kind: "token",
          branch,
          exclusive: true,
          scopes: ["write_repository"],
        });
    } else if (DEFAULT_BRANCH_WRITERS[resolved.include.component]) {
      // update-manifests' bump and rollback's revert: commits on the default branch (or a merge request).
      const branch = branchOf(resolved, DEFAULT_BRANCH_WRITERS[resolved.include.component] as string);
      if (!branch) continue;
      const mergeRequest = text(resolved, "mode") === "merge_request";
      // read_user lets the job name the token's bot as the commit's author (unless author_name is set);
      // the rollback job reads the last promotion's deployment and report with read_api (the job token
      // may not read artifacts on every tier: README, Rolling back).
      const authorScopes = text(resolved, "author_name") === "" ? ["read_user"] : [];
      const readScopes = resolved.include.component === "rollback" ? ["read_api"] : [];
      if (ssh)
        add(resolved, "ssh_key_variable", {
          variable: ssh,
          kind: "deploy-key",
          ...(mergeRequest ? {} : { branch }),
          exclusive: false,
          scopes: [],
        });
      if (mergeRequest)
        add(resolved, "token_variable", {
          variable: text(resolved, "token_variable"),
          kind: "token",
          exclusive: false,
          scopes: ["api", "write_repository"],
        });
      else if (!ssh)
        add(resolved, "token_variable", {
          variable: text(resolved, "token_variable"),
          kind: "token",
          branch,
          exclusive: false,
          scopes: [...authorScopes, ...readScopes, "write_repository"],
        });
    }
    if ("agent" in resolved.spec.inputs) {
      const agent = text(resolved, "agent");
      const [configProject, agentName] = agent.split(":");
      if (!configProject || !agentName) continue; // lint reports the input's pattern
      const known = agents.get(agent);
      if (known && !known.usedBy.includes(resolved.label)) known.usedBy.push(resolved.label);
      else if (known) continue;
      else agents.set(agent, { agent, configProject, agentName, usedBy: [resolved.label] });
    }
  }
  return { needs: { credentials: [...byVariable.values()], agents: [...agents.values()] }, problems };
}
