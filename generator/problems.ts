/**
 * Generation problems: every one is collected with its path, the value found and the fix, and
 * all are reported together.
 */

/** One thing wrong with a component. */
export interface Problem {
  /** Where: component, then job, then keyword path (`promote-staging › promote › environment.on_stop`). */
  path: string[];
  /** What is wrong. */
  message: string;
  /** The offending value, when there is one. */
  value?: unknown;
  /** What to do about it. */
  fix: string;
}

/** The separator between path segments in messages. */
export const PATH_SEPARATOR = " › ";

/** Shows a value in a message: JSON, cut to a readable length. */
export function showValue(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** One problem as a line: `path: message (got value). Fix: fix`. */
export function formatProblem(problem: Problem): string {
  const got = problem.value === undefined ? "" : ` (got ${showValue(problem.value)})`;
  return `${problem.path.join(PATH_SEPARATOR)}: ${problem.message}${got}. Fix: ${problem.fix}`;
}

/** Thrown when generation found problems; carries every one of them. */
export class GenerationFailed extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? "" : "s"} found:\n${problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`,
    );
    this.name = "GenerationFailed";
  }
}

/** A keyword path inside a job, as written in messages (`environment.on_stop`, `rules[0].if`). */
export function keywordPath(segments: readonly (string | number)[]): string {
  return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}
