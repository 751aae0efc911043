/**
 * GitLab's official CI JSON schema (vendored from gitlab-ci-local, see schema/PROVENANCE.md),
 * compiled once with ajv. Where the schema is stricter than GitLab, the fix is listed below,
 * explained and applied at load time — never a blanket off switch.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import { cacheDir } from "./cache.ts";
import { keywordPath, type Problem } from "./problems.ts";

const require = createRequire(import.meta.url);
/** The parts of GitLab's schema the fixes below touch. */
export type Schema = { definitions: Record<string, { patternProperties?: Record<string, { oneOf?: unknown[] }> }> };

/**
 * Known schema bugs, each fixed narrowly.
 *
 * 1. `configInputs` ties `default` to `type` with `if: {properties: {type: {enum: [...]}}}`. For an
 *    input without `type` every `if` passes vacuously, so a default would have to be a string, a
 *    number, a boolean and an array at once; GitLab accepts it (type defaults to string). Each
 *    `if` gets `required: ["type"]`. (We always write `type`, but templates from elsewhere may not.)
 * 2. `environment:url` must match `^(https?://.+|\$[A-Za-z]+)` and `format: uri`, so an empty URL
 *    is refused; GitLab accepts it (`Environment#nullify_external_url` turns a blank URL into none),
 *    which lets an optional `environment_url` input default to "". Only `""` is added.
 * 3. The same `url` pattern admits a variable (`\$[A-Za-z]+`), but `format: uri` then refuses it;
 *    GitLab documents `url: $DYNAMIC_ENVIRONMENT_URL` read from the job's dotenv report
 *    (doc/ci/environments/_index.md, "Set a dynamic environment URL"). A value that is exactly one
 *    variable reference is added.
 * 4. `rules` and `needs` items may be lists of rules and needs: GitLab flattens nested lists in
 *    both (lib/gitlab/ci/config/entry/rules.rb: `[@config].flatten`; entry/needs.rb: `[@config].flatten`),
 *    which is how an `array` input placed as one item (components/common.ts `guardedRules`) and
 *    `- !reference [.x, rules]` work. The schema admits only `!reference`'s list of strings there;
 *    a list of the items themselves is added.
 */
export function applySchemaFixes(schema: Schema): Schema {
  const inputs = schema.definitions.configInputs?.patternProperties?.[".*"]?.oneOf?.[0] as
    | { allOf?: Array<{ allOf?: Array<{ if?: { required?: string[] } }> }> }
    | undefined;
  for (const part of inputs?.allOf ?? []) for (const rule of part.allOf ?? []) if (rule.if) rule.if.required = ["type"];
  const environment = (
    schema.definitions as Record<
      string,
      { properties?: Record<string, { oneOf?: Array<{ properties?: Record<string, unknown> }> }> }
    >
  ).job_template?.properties?.environment?.oneOf?.[1];
  if (environment?.properties?.url)
    environment.properties.url = {
      anyOf: [
        { const: "" },
        { type: "string", pattern: "^\\$(\\{[A-Za-z_][A-Za-z0-9_]*\\}|[A-Za-z_][A-Za-z0-9_]*)$" },
        environment.properties.url,
      ],
    };
  const definitions = schema.definitions as Record<
    string,
    { items?: unknown; properties?: Record<string, { items?: unknown }> }
  >;
  const nested = (holder: { items?: unknown } | undefined) => {
    if (holder?.items) holder.items = { anyOf: [holder.items, { type: "array", items: holder.items }] };
  };
  nested(definitions.rules);
  nested(definitions.job_template?.properties?.needs);
  return schema;
}

let compiled: ValidateFunction | undefined;

/** What the compiled validator is built from: the schema, the code that builds it (this module: `applySchemaFixes`, the ajv options) and the versions of ajv and ajv-formats. */
export interface ValidatorSources {
  schema: string;
  builder: string;
  versions: string[];
}

/** The sources of the validator this module compiles. */
export function validatorSources(): ValidatorSources {
  const version = (name: string) => `${name}@${(require(`${name}/package.json`) as { version: string }).version}`;
  return {
    schema: readFileSync(new URL("./schema/gitlab-ci.json", import.meta.url), "utf8"),
    builder: readFileSync(fileURLToPath(import.meta.url), "utf8"),
    versions: [version("ajv"), version("ajv-formats")],
  };
}

/** The cache key of a compiled validator: a hash of everything it is built from, so any edit to them builds a new one. */
export function validatorKey(sources: ValidatorSources): string {
  return createHash("sha256")
    .update([sources.schema, sources.builder, ...sources.versions].join("\0"))
    .digest("hex")
    .slice(0, 16);
}

/**
 * The compiled validator for a whole `.gitlab-ci.yml` document (header or body).
 *
 * Compiling GitLab's schema takes ajv about 0.4 s, most of a generator run; so the compiled
 * validator's code (ajv "standalone" output) is cached in the generator's cache directory
 * (generator/cache.ts), keyed by {@link validatorKey}. The cache only saves time: a missing or
 * foreign cache file is simply rebuilt.
 */
export function ciValidator(): ValidateFunction {
  if (compiled) return compiled;
  const sources = validatorSources();
  const cacheFile = path.join(cacheDir(), `ci-schema-${validatorKey(sources)}.cjs`);
  if (existsSync(cacheFile)) {
    try {
      compiled = loadStandalone(readFileSync(cacheFile, "utf8"));
      return compiled;
    } catch {
      // A broken cache file is rebuilt below.
    }
  }
  const Ajv = require("ajv") as typeof import("ajv").default;
  const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;
  const standalone = require("ajv/dist/standalone") as typeof import("ajv/dist/standalone").default;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, code: { source: true } });
  addFormats(ajv);
  compiled = ajv.compile(applySchemaFixes(JSON.parse(sources.schema) as Schema));
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, standalone(ajv, compiled));
    renameSync(temporary, cacheFile);
  } catch {
    // No writable cache (read-only checkout): every run compiles, which is only slower.
  }
  return compiled;
}

/**
 * Runs ajv's standalone (CommonJS) validator code with this module's `require`, so its imports of
 * ajv's runtime resolve from the generator's `node_modules` wherever the cache directory is.
 */
function loadStandalone(code: string): ValidateFunction {
  const module = { exports: {} as unknown };
  new Function("module", "exports", "require", code)(module, module.exports, require);
  return module.exports as ValidateFunction;
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
  // A type error with a deeper error beneath it is a failed alternative (`type: null`), not the cause.
  const deepest = chosen.filter(
    (e) => e.keyword !== "type" || !chosen.some((o) => o !== e && o.instancePath.startsWith(`${e.instancePath}/`)),
  );
  // Alternatives of one value (`must be boolean`, `must be object`) read best as one line.
  const types = new Map<string, string[]>();
  for (const e of deepest)
    if (e.keyword === "type")
      types.set(e.instancePath, [...(types.get(e.instancePath) ?? []), String((e.params as { type: string }).type)]);
  const merged = deepest.map((e) =>
    e.keyword === "type"
      ? { ...e, message: `must be ${[...new Set(types.get(e.instancePath))].join(" or ").replace(/,/g, " or ")}` }
      : e,
  );
  const seen = new Set<string>();
  return merged.filter((e) => {
    const key =
      e.keyword === "type" ? `${e.instancePath}|type` : `${e.instancePath}|${e.message}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(e: ErrorObject): string {
  if (e.keyword === "additionalProperties")
    return "unknown keyword (GitLab's CI schema: must NOT have additional properties)";
  if (e.keyword === "enum")
    return `GitLab's CI schema: ${e.message} ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  return `GitLab's CI schema: ${e.message}`;
}

/** The fix for a schema problem: GitLab's documentation (every keyword of its schema is typed in generator/job.ts). */
export const SCHEMA_FIX = "write the keyword and value as GitLab documents them (https://docs.gitlab.com/ci/yaml/)";

/**
 * Validates one document against GitLab's schema. `where` prefixes each problem's path (the
 * component); the document's top-level key (a job name, or `spec`) comes next, then the keyword path.
 */
export function schemaProblems(doc: unknown, where: string[], context: string): Problem[] {
  const validate = ciValidator();
  if (validate(doc)) return [];
  return relevant(validate.errors ?? []).map((e) => {
    const path = segments(e.instancePath);
    const extra =
      e.keyword === "additionalProperties" ? [(e.params as { additionalProperty: string }).additionalProperty] : [];
    const [top, ...rest] = [...path, ...extra];
    const problemPath =
      top === undefined ? [...where] : [...where, String(top), ...(rest.length ? [keywordPath(rest)] : [])];
    const value = e.keyword === "additionalProperties" ? undefined : valueAt(doc, path);
    return {
      path: problemPath,
      message: `${describe(e)} (${context})`,
      value,
      fix: SCHEMA_FIX,
    };
  });
}
