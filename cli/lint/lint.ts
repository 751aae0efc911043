/**
 * `lint`: every check on a consumer pipeline, with its problems in file order. Pure apart from
 * reading the catalog's templates (and release tags) through {@link CatalogVersions}.
 */
import type { Problem } from "../../generator/problems.ts";
import type { CatalogVersions } from "../catalog-specs.ts";
import type { ConsumerPipeline } from "../consumer-pipeline.ts";
import { jobGraph } from "../job-graph.ts";
import { resolveIncludes, type ResolvedInclude } from "../resolve.ts";
import type { LintCheck, LintContext } from "./context.ts";
import { checkCredentials, checkImageNames, checkPromotionChain } from "./credential-checks.ts";
import { checkBumpMarker, checkDefaultBranchRules, checkGuardsKept } from "./guard-checks.ts";
import { checkInputs } from "./input-checks.ts";
import { checkProducers, checkStagesAndNeeds } from "./order-checks.ts";
import { checkPins } from "./pin-checks.ts";

/** Every check, in the order a reader would fix things. */
export const CHECKS: readonly LintCheck[] = [
  checkPins,
  checkInputs,
  checkStagesAndNeeds,
  checkProducers,
  checkGuardsKept,
  checkBumpMarker,
  checkDefaultBranchRules,
  checkPromotionChain,
  checkCredentials,
  checkImageNames,
];

/** What lint found. */
export interface LintResult {
  problems: Problem[];
  /** Facts worth knowing that are not problems (a pin checked against another version's specs). */
  notes: string[];
  /** The includes of this catalog that were checked. */
  includes: ResolvedInclude[];
}

function lineOf(problem: Problem): number {
  return Number(/:(\d+)$/.exec(problem.path[0] ?? "")?.[1] ?? 0);
}

/** Lints a parsed pipeline against this catalog. */
export function lintPipeline(
  pipeline: ConsumerPipeline,
  catalogProject: string,
  versions: CatalogVersions,
): LintResult {
  const resolution = resolveIncludes(pipeline, catalogProject, versions);
  const problems = [...resolution.problems];
  if (resolution.includes.length === 0 && problems.length === 0)
    problems.push({
      path: [pipeline.file],
      message: `includes no component of ${catalogProject}, so there is nothing to check (is it your application's pipeline?)`,
      fix: `to lint your application's pipeline, pass its file: npx gitops-components lint path/to/app/.gitlab-ci.yml; to use the catalog in this one, include its components as component: $CI_SERVER_FQDN/${catalogProject}/<name>@${versions.version} (README: Quick start)`,
    });
  const context: LintContext = {
    pipeline,
    catalogProject,
    version: versions.version,
    versions,
    includes: resolution.includes,
    graph: jobGraph(pipeline, resolution.includes),
  };
  for (const check of CHECKS) problems.push(...check(context));
  const notes = [...resolution.notes];
  if (context.graph.otherIncludes > 0)
    notes.push(
      `${pipeline.file} includes ${context.graph.otherIncludes} other file(s) lint does not read: needs naming their jobs${context.graph.declaredStages ? "" : " and stages they declare"} are not judged`,
    );
  // Stable: file order, then the order of the checks.
  const ordered = problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => lineOf(a.problem) - lineOf(b.problem) || a.index - b.index);
  return { problems: ordered.map((o) => o.problem), notes, includes: resolution.includes };
}
