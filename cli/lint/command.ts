/**
 * `gitops-components lint [<.gitlab-ci.yml>]`: prints every problem (where, what, the fix) and
 * exits 1 when there is one.
 */
import path from "node:path";
import { formatProblem } from "../../generator/problems.ts";
import { readPipeline, UnreadablePipeline } from "../consumer-pipeline.ts";
import type { CliIo } from "../io.ts";
import { EXIT } from "../io.ts";
import { lintPipeline } from "./lint.ts";

/** Runs lint on `file` (relative to the working directory); `given` is false when it is the default. */
export async function lintCommand(file: string, io: CliIo, given = true): Promise<number> {
  const catalog = await io.catalog();
  // Run through npx in the catalog's clone, the default is the catalog's own pipeline: say which file it is.
  if (!given)
    io.out(
      `lint: no file given, so linting ${path.resolve(io.cwd, file)} (usage: npx gitops-components lint [<.gitlab-ci.yml>])\n`,
    );
  let pipeline;
  try {
    pipeline = readPipeline(path.resolve(io.cwd, file));
  } catch (error) {
    if (!(error instanceof UnreadablePipeline)) throw error;
    for (const problem of error.problems)
      io.err(
        `${formatProblem({ ...problem, path: problem.path.map((p) => p.replace(path.resolve(io.cwd, file), file)) })}\n`,
      );
    return EXIT.problems;
  }
  pipeline = { ...pipeline, file };
  const result = lintPipeline(pipeline, catalog.catalogProject, catalog.versions);
  for (const note of result.notes) io.out(`note: ${note}\n`);
  for (const problem of result.problems) io.out(`${formatProblem(problem)}\n`);
  const checked = `${result.includes.length} include(s) of ${catalog.catalogProject}`;
  if (result.problems.length === 0) {
    io.out(`lint: ${file}: ${checked} checked, no problems\n`);
    return EXIT.ok;
  }
  io.err(`lint: ${file}: ${result.problems.length} problem(s) in ${checked}\n`);
  return EXIT.problems;
}
