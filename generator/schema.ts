/**
 * GitLab's official CI JSON schema (vendored from gitlab-ci-local, see schema/PROVENANCE.md),
 * compiled once with ajv. Where the schema is stricter than GitLab, the fix is listed below,
 * explained and applied at load time — never a blanket off switch.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { keywordPath, type Problem } from "./problems.ts";

const require = createRequire(import.meta.url);
type Schema = { definitions: Record<string, { patternProperties?: Record<string, { oneOf?: unknown[] }> }> };

/**
 * Known schema bugs, each fixed narrowly.
 *
 * 1. `configInputs` ties `default` to `type` with `if: {properties: {type: {enum: [...]}}}`. For an
 *    input without `type` every `if` passes vacuously, so a default would have to be a string, a
 *    number, a boolean and an array at once; GitLab accepts it (type defaults to string). Each
 *    `if` gets `required: ["type"]`. (We always write `type`, but templates from elsewhere may not.)
 */
function applySchemaFixes(schema: Schema): Schema {
  const inputs = schema.definitions.configInputs?.patternProperties?.[".*"]?.oneOf?.[0] as { allOf?: Array<{ allOf?: Array<{ if?: { required?: string[] } }> }> } | undefined;
  for (const part of inputs?.allOf ?? []) for (const rule of part.allOf ?? []) if (rule.if) rule.if.required = ["type"];
  return schema;
}

let compiled: ValidateFunction | undefined;

/** The compiled validator for a whole `.gitlab-ci.yml` document (header or body). */
export function ciValidator(): ValidateFunction {
  if (compiled) return compiled;
  const Ajv = require("ajv") as typeof import("ajv").default;
  const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;
  const schema = applySchemaFixes(JSON.parse(readFileSync(new URL("./schema/gitlab-ci.json", import.meta.url), "utf8")) as Schema);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  compiled = ajv.compile(schema);
  return compiled;
}

/** Turns an ajv instance path (`/promote/environment/on_stop`) into path segments. */
function segments(instancePath: string): (string | number)[] {
  return instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(doc: unknown, path: (string | number)[]): unknown {
  let at = doc;
  for (const s of path) at = (at as Record<string | number, unknown> | undefined)?.[s];
  return at;
}

/**
 * ajv reports every branch of a `oneOf`/`anyOf`; keep the deepest errors per location, which are
 * the ones that name the actual mistake, and drop the "must match a schema in oneOf" summaries.
 */
function relevant(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => !["oneOf", "anyOf", "if", "not"].includes(e.keyword));
  const chosen = specific.length > 0 ? specific : errors;
  // An error with a deeper error beneath it is a failed alternative (`type: null`), not the cause.
  const deepest = chosen.filter((e) => !chosen.some((o) => o !== e && o.instancePath.startsWith(`${e.instancePath}/`)));
  const seen = new Set<string>();
  return deepest.filter((e) => {
    const key = `${e.instancePath}|${e.message}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(e: ErrorObject): string {
  if (e.keyword === "additionalProperties") return `unknown keyword "${(e.params as { additionalProperty: string }).additionalProperty}" (GitLab's CI schema: must NOT have additional properties)`;
  if (e.keyword === "enum") return `GitLab's CI schema: ${e.message} ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  return `GitLab's CI schema: ${e.message}`;
}

/**
 * Validates one document against GitLab's schema. `where` prefixes each problem's path;
 * `jobPath` maps a top-level key of the document to its place in messages (a job name).
 */
export function schemaProblems(doc: unknown, where: string[], context: string): Problem[] {
  const validate = ciValidator();
  if (validate(doc)) return [];
  return relevant(validate.errors ?? []).map((e) => {
    const path = segments(e.instancePath);
    const [top, ...rest] = path;
    const problemPath = top === undefined ? [...where] : [...where, String(top), ...(rest.length ? [keywordPath(rest)] : [])];
    const value = e.keyword === "additionalProperties" ? undefined : valueAt(doc, path);
    return {
      path: problemPath,
      message: `${describe(e)} (${context})`,
      value,
      fix: "write the keyword and value as GitLab documents them (https://docs.gitlab.com/ci/yaml/); for a keyword the typed model lacks, use the job's `keywords` escape hatch",
    };
  });
}
