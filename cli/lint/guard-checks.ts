/**
 * The bump guards. Each component renders its guards (`when: never` rules for a bump commit, its
 * merge and its merge request) before the `rules` input, so the input cannot drop them
 * (components/common.ts guardedRules). Three things still can:
 *
 * - a job of the same name in the consumer's file with its own `rules:` replaces the whole list,
 *   guards included (GitLab merges the local job over the included one, and arrays are replaced):
 *   the bump commit's pipeline then builds, bumps or promotes again;
 * - update-manifests' `commit_message` without the marker in its first line: the guards look for
 *   the marker, so they would not recognise the bump (the job refuses such a message when it runs);
 * - a `rules` input rule without `if:` for a component made for default-branch pipelines: the job
 *   then also runs in merge-request, tag and other branch pipelines, where it refuses the commit and
 *   fails (it never deploys there: the scripts check the commit is on the default branch).
 */
import type { Problem } from "../../generator/problems.ts";
import { BUMP_MARKER } from "../../runtime/bump-trailers.ts";
import { inputPath, jobNames, stringValue, yamlInline, type LintCheck } from "./context.ts";

function isRule(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The guards of an included job: the rules before the `rules` input (the nested list). */
function guardsOf(rules: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(rules)) return [];
  const input = rules.findIndex((rule) => Array.isArray(rule));
  return (input < 0 ? [] : rules.slice(0, input)).filter(isRule).filter((rule) => rule.when === "never");
}

/** Consumer jobs that replace an included job's rules, guards and all. */
export const checkGuardsKept: LintCheck = (context) => {
  const problems: Problem[] = [];
  for (const resolved of context.includes) {
    for (const name of jobNames(resolved)) {
      const job = context.graph.jobs.get(name);
      const guards = guardsOf(resolved.jobs[name]?.rules);
      if (!job || job.from !== resolved || !job.overridden.includes("rules") || guards.length === 0) continue;
      const line = context.pipeline.lineOf([name, "rules"]);
      problems.push({
        path: [line === undefined ? context.pipeline.file : `${context.pipeline.file}:${line}`, `job ${name}`, "rules"],
        message: `replaces all rules of ${resolved.label}'s job ${name}, including its ${guards.length} guard(s) (if: ${guards.map((g) => String(g.if)).join("; if: ")}): the pipelines of its own bump commits would run it again`,
        fix: `remove rules: from your ${name} job and give the same list to the include's rules input; the component keeps its guards in front of it`,
      });
    }
  }
  return problems;
};

/** update-manifests' commit_message keeps the marker in its first line. */
export const checkBumpMarker: LintCheck = (context) =>
  context.includes
    .filter((r) => "commit_message" in r.spec.inputs && Object.hasOwn(r.include.inputs, "commit_message"))
    .filter((r) => !(stringValue(r, "commit_message").split("\n")[0] ?? "").includes(BUMP_MARKER))
    .map((r) => ({
      path: inputPath(context, r, "commit_message"),
      message: `its first line does not contain ${BUMP_MARKER}: the guards would not recognise the bump commit, whose pipeline would build and bump again (the job refuses to commit it)`,
      value: stringValue(r, "commit_message"),
      fix: `put ${BUMP_MARKER} in the first line, for example "chore(manifests): deploy {image} ${BUMP_MARKER}"`,
    }));

/** A rule without `if:` given to a component whose own rules all limit it to the default branch. */
export const checkDefaultBranchRules: LintCheck = (context) => {
  const problems: Problem[] = [];
  for (const resolved of context.includes) {
    const declared = resolved.spec.inputs.rules;
    const given = resolved.include.inputs.rules;
    if (!declared || !Array.isArray(declared.default) || !Array.isArray(given)) continue;
    const defaultBranchOnly =
      declared.default.length > 0 &&
      declared.default.every(
        (rule) => isRule(rule) && typeof rule.if === "string" && rule.if.includes("$CI_DEFAULT_BRANCH"),
      );
    if (!defaultBranchOnly) continue;
    given.forEach((rule, index) => {
      if (!isRule(rule) || rule.if !== undefined || rule.when === "never") return;
      problems.push({
        path: inputPath(context, resolved, "rules").map((segment, i) => (i === 2 ? `${segment}[${index}]` : segment)),
        message: `has no if:, so the job also runs in merge-request, tag and other branch pipelines, where it refuses the commit (not on the default branch) and fails`,
        value: rule,
        fix: `add if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH to the rule, as the default does (${yamlInline(declared.default)})`,
      });
    });
  }
  return problems;
};
