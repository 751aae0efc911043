/**
 * `gitops.config.ts` checked before anything is generated from it: a catalog project path GitLab
 * accepts, a registry host, a tools image reference that the derived name makes valid, a review
 * agent written as GitLab's kube context names it, and three distinct, valid environment branch
 * names. Every problem is collected, with the key, the value and the fix; `npm run generate` stops
 * on them instead of publishing templates that fail in a production pipeline.
 */
import { branchNameProblem } from "../runtime/branch-name.ts";
import { INSTANCE_REGISTRY, toolsImageRepository, type CatalogConfig } from "./config.ts";
import type { Problem } from "./problems.ts";

const KEYS = ["catalogProject", "registry", "reviewAgent", "environmentBranches"] as const;
const BRANCH_KEYS = ["staging", "production", "review"] as const;

/**
 * A segment of a GitLab project or namespace path (lib/gitlab/path_regex.rb `PATH_REGEX_STR`,
 * without the `.git` and `.atom` endings GitLab refuses).
 */
const PATH_SEGMENT = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
/** A registry host, optionally with a port: DNS labels or an IPv4 address, no scheme, no path. */
const REGISTRY = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::\d{1,5})?$/;
/** A repository path component in an image name (distribution/reference's grammar). */
const IMAGE_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A GitLab agent's name (lib/gitlab/regex.rb `cluster_agent_name_regex`). */
const AGENT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function projectPathProblem(path: string): string | undefined {
  const segments = path.split("/");
  if (segments.length < 2) return "needs a group (or user) and a project: group/project";
  const bad = segments.find((s) => !PATH_SEGMENT.test(s) || /\.(git|atom)$/.test(s));
  return bad === undefined
    ? undefined
    : `has the segment ${JSON.stringify(bad)}, which GitLab does not accept in a path (letters, digits, _ . -, not starting with -, not ending in .git or .atom)`;
}

/** Checks a configuration; `config` is set only when there is no problem. */
export function parseConfig(
  raw: unknown,
  source = "gitops.config.ts",
): { config?: CatalogConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const at = (...keys: string[]) => [source, ...keys];
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    return {
      problems: [
        {
          path: at(),
          message: "does not export a configuration object",
          value: raw,
          fix: "export default defineConfig({ catalogProject, reviewAgent, environmentBranches })",
        },
      ],
    };
  const c = raw as Record<string, unknown>;
  for (const key of Object.keys(c).filter((k) => !(KEYS as readonly string[]).includes(k)))
    problems.push({ path: at(key), message: "is not a configuration key", fix: `use only ${KEYS.join(", ")}` });

  const project = c.catalogProject;
  if (typeof project !== "string")
    problems.push({
      path: at("catalogProject"),
      message: "must be the catalog project's path",
      value: project,
      fix: 'set catalogProject: "group/gitops-components"',
    });
  else {
    const wrong = projectPathProblem(project);
    if (wrong)
      problems.push({
        path: at("catalogProject"),
        message: wrong,
        value: project,
        fix: "write the project's full path as GitLab shows it, such as platform/gitops-components",
      });
  }

  const registry = c.registry;
  if (
    registry !== undefined &&
    registry !== INSTANCE_REGISTRY &&
    (typeof registry !== "string" || !REGISTRY.test(registry))
  )
    problems.push({
      path: at("registry"),
      message: "is not a registry host[:port]",
      value: registry,
      fix: `write the host and port only, in lower case, such as registry.example.com or registry.example.com:5050 (no https://, no path), or leave registry out for ${INSTANCE_REGISTRY}`,
    });

  // The tools image every component defaults to is derived from both: it must be a valid reference.
  if (typeof project === "string" && !projectPathProblem(project) && problems.every((p) => p.path[1] !== "registry")) {
    const repository = toolsImageRepository({
      catalogProject: project,
      registry: registry as string | undefined,
    } as CatalogConfig);
    const badComponent = project
      .toLowerCase()
      .split("/")
      .find((segment) => !IMAGE_COMPONENT.test(segment));
    if (badComponent !== undefined)
      problems.push({
        path: at("catalogProject"),
        message: `makes the tools image ${repository}, which is not a valid image name (its path segment ${JSON.stringify(badComponent)} is not lower-case letters and digits joined by . _ __ or -)`,
        value: project,
        fix: "rename the catalog project's path so each segment starts and ends with a letter or digit (GitLab's registry refuses such a project path too)",
      });
  }

  const agent = c.reviewAgent;
  const [agentProject, agentName, ...extra] = typeof agent === "string" ? agent.split(":") : [];
  if (
    typeof agent !== "string" ||
    extra.length > 0 ||
    !agentProject ||
    !agentName ||
    projectPathProblem(agentProject) ||
    !AGENT_NAME.test(agentName)
  )
    problems.push({
      path: at("reviewAgent"),
      message: "is not an agent as GitLab names its kube context: <agent configuration project path>:<agent name>",
      value: agent,
      fix: "write it as path/to/agent-project:agent-name, such as platform/gitops-agents:review (the agent name: lower-case letters, digits and -, not starting or ending with -)",
    });

  const branches = c.environmentBranches;
  if (branches === null || typeof branches !== "object" || Array.isArray(branches))
    problems.push({
      path: at("environmentBranches"),
      message: "must name the staging, production and review branches",
      value: branches,
      fix: 'set environmentBranches: { staging: "_gitlab/agents/staging", production: "_gitlab/agents/production", review: "_gitlab/agents/review" }',
    });
  else {
    const b = branches as Record<string, unknown>;
    for (const key of Object.keys(b).filter((k) => !(BRANCH_KEYS as readonly string[]).includes(k)))
      problems.push({
        path: at("environmentBranches", key),
        message: "is not an environment",
        fix: `use only ${BRANCH_KEYS.join(", ")}`,
      });
    const seen = new Map<string, string>();
    for (const key of BRANCH_KEYS) {
      const name = b[key];
      if (typeof name !== "string" || branchNameProblem(name) !== undefined) {
        problems.push({
          path: at("environmentBranches", key),
          message: "is not a valid branch name",
          value: name,
          fix: `write a branch name such as _gitlab/agents/${key} (no spaces, no ~ ^ : ? * [ \\, no .., not ending in / . or .lock)`,
        });
        continue;
      }
      const other = seen.get(name);
      if (other)
        problems.push({
          path: at("environmentBranches", key),
          message: `is the same branch as ${other}: two environments would sync from one branch`,
          value: name,
          fix: `give ${key} its own branch, such as _gitlab/agents/${key}`,
        });
      seen.set(name, key);
    }
  }
  return problems.length === 0 ? { config: raw as CatalogConfig, problems } : { problems };
}
