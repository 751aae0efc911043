/**
 * A consumer pipeline's includes of this catalog, resolved the way GitLab includes a component:
 * the pinned version's `spec:inputs`, the given inputs over the defaults, and the template's jobs
 * with their placeholders interpolated (generator/interpolate.ts follows GitLab's rules).
 */
import { interpolate } from "../generator/interpolate.ts";
import type { Problem } from "../generator/problems.ts";
import type { CatalogVersions, ComponentSpec } from "./catalog-specs.ts";
import { componentIncludes, type ComponentInclude, type ConsumerPipeline } from "./consumer-pipeline.ts";
import { closest } from "./did-you-mean.ts";

/** One include of this catalog, resolved. */
export interface ResolvedInclude {
  include: ComponentInclude;
  spec: ComponentSpec;
  /** The version whose spec was used (the pin's, or this checkout's when no tag has the pin). */
  specVersion: string;
  /** Every input's value: given, else the default; a required input not given is absent. */
  values: Record<string, unknown>;
  /** The template's jobs with the values interpolated, before the consumer's own keys are merged in. */
  jobs: Record<string, Record<string, unknown>>;
  /** `include[3] promote-staging@0.1.0`: how messages name it. */
  label: string;
  /** `.gitlab-ci.yml:23`: where it is. */
  where: string;
}

/**
 * The components that fast-forward their `environment_branch` (promotions). rollback and
 * preview-production name an environment branch too, but only read it.
 */
export const PROMOTION_COMPONENTS: ReadonlySet<string> = new Set(["promote-staging", "manual-production"]);

/** The components that commit to the default branch, and the input that names that branch (update-manifests' bump, rollback's revert). */
export const DEFAULT_BRANCH_WRITERS: Readonly<Record<string, "branch" | "source_branch">> = {
  "update-manifests": "branch",
  rollback: "source_branch",
};

/** Does this include fast-forward an environment branch? */
export function isPromotion(resolved: ResolvedInclude): boolean {
  return PROMOTION_COMPONENTS.has(resolved.include.component);
}

/** The includes of this catalog, and what could not be resolved. */
export interface Resolution {
  includes: ResolvedInclude[];
  problems: Problem[];
  notes: string[];
}

/** Where a component include is, as `file:line`. */
export function includeLocation(
  pipeline: ConsumerPipeline,
  include: ComponentInclude,
  ...under: (string | number)[]
): string {
  const line = pipeline.lineOf([...include.path, ...under]) ?? pipeline.lineOf(include.path);
  return line === undefined ? pipeline.file : `${pipeline.file}:${line}`;
}

/** Resolves every include of `catalogProject`'s components. */
export function resolveIncludes(
  pipeline: ConsumerPipeline,
  catalogProject: string,
  versions: CatalogVersions,
): Resolution {
  const includes: ResolvedInclude[] = [];
  const problems: Problem[] = [];
  const notes: string[] = [];
  const current = versions.current();
  const ourName = catalogProject.split("/").pop() as string;
  for (const include of componentIncludes(pipeline)) {
    const label = `include[${include.index}] ${include.component || include.reference}@${include.version}`;
    const where = includeLocation(pipeline, include, "component");
    if (include.project !== catalogProject) {
      // Someone else's catalog, unless it looks like this one under another path (a fork's path).
      if (include.project.split("/").pop() === ourName && current.components.has(include.component))
        problems.push({
          path: [where, label],
          message: `names the catalog project ${include.project}, but this catalog is published as ${catalogProject} (gitops.config.ts catalogProject)`,
          value: include.reference,
          fix: `write component: $CI_SERVER_FQDN/${catalogProject}/${include.component}@${include.version || versions.version}, or set catalogProject in gitops.config.ts to the project you publish`,
        });
      continue;
    }
    const pinned = versions.at(include.version);
    const specs = pinned ?? current;
    if (!pinned && /^\d+\.\d+\.\d+/.test(include.version))
      notes.push(
        `${where}: ${label}: no release tag ${include.version} in this checkout; checked against ${current.source}`,
      );
    const spec = specs.components.get(include.component);
    if (!spec) {
      const suggestion = closest(include.component, [...specs.components.keys()]);
      problems.push({
        path: [where, label],
        message: `${catalogProject} has no component ${include.component}`,
        value: include.reference,
        fix: suggestion
          ? `did you mean ${suggestion}? The components are ${[...specs.components.keys()].join(", ")}`
          : `choose one of ${[...specs.components.keys()].join(", ")}`,
      });
      continue;
    }
    const values: Record<string, unknown> = {};
    for (const [name, declared] of Object.entries(spec.inputs))
      if ("default" in declared) values[name] = declared.default;
    for (const [name, value] of Object.entries(include.inputs))
      if (Object.hasOwn(spec.inputs, name)) values[name] = value;
    const jobs = interpolate(spec.jobs, values) as Record<string, Record<string, unknown>>;
    includes.push({ include, spec, specVersion: specs.version, values, jobs, label, where });
  }
  return { includes, problems, notes };
}
