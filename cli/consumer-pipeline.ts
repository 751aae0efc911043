/**
 * A consumer's `.gitlab-ci.yml`, read the way GitLab reads it (YAML 1.1, libyaml: `yes` and `on`
 * are booleans, `1.10` a number), with the line of every value kept for messages, and its
 * `include:` entries that name a component.
 */
import { readFileSync } from "node:fs";
import { isScalar, LineCounter, parseDocument, type Document } from "yaml";
import type { Problem } from "../generator/problems.ts";

/** A parsed pipeline file. */
export interface ConsumerPipeline {
  /** The file as given on the command line. */
  file: string;
  /** The whole file as data (aliases and merge keys resolved). */
  data: Record<string, unknown>;
  /** The 1-based line of the value at `path`, when it is in the file. */
  lineOf(path: readonly (string | number)[]): number | undefined;
  /** The text of the scalar at `path` as written in the file (`1.10`, not the number 1.1), when it is there. */
  sourceOf(path: readonly (string | number)[]): string | undefined;
}

/** The file could not be read or parsed: every reason, with its line. */
export class UnreadablePipeline extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => p.message).join("; "));
    this.name = "UnreadablePipeline";
  }
}

/** Parses pipeline text; `file` names it in messages. */
export function parsePipeline(file: string, text: string): ConsumerPipeline {
  const lineCounter = new LineCounter();
  // GitLab parses with libyaml (YAML 1.1, merge keys on); duplicate keys are an error here, not in
  // GitLab, which keeps the last one and so drops the first `include:` or job without a word.
  const doc: Document = parseDocument(text, { version: "1.1", merge: true, lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new UnreadablePipeline(
      doc.errors.map((e) => {
        const line = lineCounter.linePos(e.pos[0]).line;
        const duplicate = e.code === "DUPLICATE_KEY";
        return {
          path: [`${file}:${line}`],
          message: duplicate
            ? "a key appears twice in one mapping; GitLab keeps only the last one and drops the first without a word"
            : `not valid YAML: ${e.message.split("\n")[0]}`,
          fix: duplicate
            ? "merge the two entries into one (one include: list, one job of each name)"
            : "fix the YAML at that line",
        };
      }),
    );
  }
  const data = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw new UnreadablePipeline([
      {
        path: [file],
        message: "is not a mapping of keywords and jobs",
        fix: "write the pipeline as a YAML mapping (stages:, include:, jobs)",
      },
    ]);
  return {
    file,
    data: data as Record<string, unknown>,
    lineOf(path) {
      const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    },
    sourceOf(path) {
      // A scalar's range starts at its first character and its second entry is where its value
      // ends, so the slice is exactly what the user typed (quotes included, when quoted).
      const node = doc.getIn(path, true);
      return isScalar(node) && node.range ? text.slice(node.range[0], node.range[1]) : undefined;
    },
  };
}

/** Reads and parses a pipeline file. */
export function readPipeline(file: string): ConsumerPipeline {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UnreadablePipeline([
      {
        path: [file],
        message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        fix: "give the path of your project's .gitlab-ci.yml",
      },
    ]);
  }
  return parsePipeline(file, text);
}

/** One `include:` entry that names a component (`component: <fqdn>/<project path>/<name>@<version>`). */
export interface ComponentInclude {
  /** Its position in the include list (0 when `include:` is a single entry). */
  index: number;
  /** The path of the entry in the file, for {@link ConsumerPipeline.lineOf}. */
  path: (string | number)[];
  /** The reference as written. */
  reference: string;
  /** The project path between the host and the component name (`platform/gitops-components`). */
  project: string;
  /** The component name. */
  component: string;
  /** What follows `@`. */
  version: string;
  /** The inputs as written (empty when none). */
  inputs: Record<string, unknown>;
}

/** `<host>/<project path>/<name>@<version>`: GitLab's component reference (lib/gitlab/ci/components/instance_path.rb). */
const COMPONENT_REFERENCE = /^([^/@\s]+)\/((?:[^/@\s]+\/)*[^/@\s]+)\/([^/@\s]+)@(\S+)$/;

/** Every component include of the pipeline, in file order. */
export function componentIncludes(pipeline: ConsumerPipeline): ComponentInclude[] {
  const raw = pipeline.data.include;
  const entries: Array<[unknown, (string | number)[], number]> = Array.isArray(raw)
    ? raw.map((entry, i) => [entry, ["include", i], i])
    : raw === undefined
      ? []
      : [[raw, ["include"], 0]];
  const found: ComponentInclude[] = [];
  for (const [entry, at, index] of entries) {
    if (entry === null || typeof entry !== "object" || typeof (entry as { component?: unknown }).component !== "string")
      continue;
    const reference = (entry as { component: string }).component;
    const match = COMPONENT_REFERENCE.exec(reference);
    const inputs = (entry as { inputs?: unknown }).inputs;
    found.push({
      index,
      path: at,
      reference,
      project: match?.[2] ?? "",
      component: match?.[3] ?? "",
      version: match?.[4] ?? "",
      inputs:
        inputs !== null && typeof inputs === "object" && !Array.isArray(inputs)
          ? (inputs as Record<string, unknown>)
          : {},
    });
  }
  return found;
}
