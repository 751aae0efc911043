/**
 * The catalog's public surface — what a consumer's `include:` depends on: the components, their
 * inputs (type, default, options, regex) and the names of the jobs they add. Read from template
 * text, so a release tag's committed templates and freshly rendered ones are read the same way.
 * Pure: the release CLI does the git and file work.
 */
import { parseAllDocuments } from "yaml";
import type { InputType } from "./inputs.ts";
import { interpolate } from "./interpolate.ts";
import { showValue } from "./problems.ts";
import { largerBump, type Bump } from "./semver.ts";

/** What a consumer can rely on about one input. */
export interface InputSurface {
  type: InputType;
  /** Absent when the input is required. Version-stamped defaults hold {@link VERSION_TOKEN}. */
  default?: unknown;
  options?: unknown[];
  regex?: string;
}

/** What a consumer can rely on about one component. */
export interface ComponentSurface {
  inputs: Record<string, InputSurface>;
  /** Job names as a consumer's pipeline shows them (placeholders filled with their defaults), sorted. */
  jobs: string[];
}

/** Component name → surface. */
export type Surface = Record<string, ComponentSurface>;

/** One difference between two surfaces and the release it needs. */
export interface SurfaceChange {
  bump: Bump;
  /** `removed input promote-staging.dry_run`. */
  message: string;
}

/**
 * Stands for the catalog version inside defaults (`tools:1.4.2` → `tools:{catalog version}`): every
 * release moves the tools-image tag, and that is not a change of surface.
 */
export const VERSION_TOKEN = "{catalog version}";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Replaces the catalog version where a default pins it (`image:1.2.3`, `name@1.2.3`). */
function withoutVersion(value: unknown, version: string): unknown {
  if (typeof value === "string")
    return value.replace(new RegExp(`([:@])${escapeRegExp(version)}(?![\\w.-])`, "g"), `$1${VERSION_TOKEN}`);
  if (Array.isArray(value)) return value.map((item) => withoutVersion(item, version));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutVersion(v, version)]));
  return value;
}

/**
 * The surface of one component from its `template.yml` text; `version` is the catalog version the
 * template was generated at (its stamps are masked, see {@link VERSION_TOKEN}).
 */
export function componentSurface(templateText: string, version: string): ComponentSurface {
  const documents = parseAllDocuments(templateText);
  if (!Array.isArray(documents)) throw new Error("the template is empty");
  const broken = documents.flatMap((d) => d.errors);
  if (broken.length > 0) throw new Error(`the template is not valid YAML: ${broken.map((e) => e.message).join("; ")}`);
  const [first, second] = documents.map((d) => d.toJS() as unknown);
  const hasHeader = second !== undefined || (first !== null && typeof first === "object" && "spec" in first);
  const header = (hasHeader ? first : undefined) as
    | { spec?: { inputs?: Record<string, Record<string, unknown>> } }
    | undefined;
  const body = ((hasHeader ? second : first) ?? {}) as Record<string, unknown>;
  const inputs: Record<string, InputSurface> = {};
  const defaults: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(header?.spec?.inputs ?? {})) {
    const input: InputSurface = { type: (spec?.type as InputType | undefined) ?? "string" };
    if (spec && "default" in spec) {
      input.default = withoutVersion(spec.default, version);
      defaults[name] = spec.default;
    }
    if (Array.isArray(spec?.options)) input.options = spec.options.map((o) => withoutVersion(o, version));
    if (typeof spec?.regex === "string") input.regex = spec.regex;
    inputs[name] = input;
  }
  const jobs = Object.keys(body)
    .filter(isJobName)
    .map((key) => String(interpolate(key, defaults)))
    .sort();
  return { inputs, jobs };
}

/** The surface of a catalog from `{name, text}` of each component's template. */
export function catalogSurface(templates: Iterable<{ name: string; text: string }>, version: string): Surface {
  const surface: Surface = {};
  for (const { name, text } of templates) surface[name] = componentSurface(text, version);
  return surface;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const show = (values: unknown[]) => values.map((v) => showValue(v)).join(", ");

/** The changes of one input that stays. */
function inputChanges(at: string, before: InputSurface, after: InputSurface): SurfaceChange[] {
  const changes: SurfaceChange[] = [];
  if (before.type !== after.type)
    changes.push({ bump: "major", message: `changed the type of input ${at} from ${before.type} to ${after.type}` });
  const hadDefault = "default" in before;
  const hasDefault = "default" in after;
  if (hadDefault && !hasDefault)
    changes.push({ bump: "major", message: `input ${at} lost its default (now required)` });
  else if (!hadDefault && hasDefault)
    changes.push({ bump: "patch", message: `input ${at} got a default ${showValue(after.default)} (now optional)` });
  else if (hadDefault && !same(before.default, after.default))
    changes.push({
      bump: "patch",
      message: `changed the default of input ${at} from ${showValue(before.default)} to ${showValue(after.default)}`,
    });
  if (before.options && after.options) {
    const removed = before.options.filter((o) => !after.options?.some((n) => same(o, n)));
    const added = after.options.filter((o) => !before.options?.some((n) => same(o, n)));
    if (removed.length > 0)
      changes.push({ bump: "major", message: `narrowed the options of input ${at}: removed ${show(removed)}` });
    if (added.length > 0)
      changes.push({ bump: "minor", message: `widened the options of input ${at}: added ${show(added)}` });
  } else if (after.options)
    changes.push({ bump: "major", message: `restricted input ${at} to the options ${show(after.options)}` });
  else if (before.options) changes.push({ bump: "minor", message: `input ${at} is no longer restricted to options` });
  // A changed regex may reject a value the old one accepted; proving otherwise is not worth the risk.
  if (before.regex === undefined && after.regex !== undefined)
    changes.push({ bump: "major", message: `restricted input ${at} to the regex ${after.regex}` });
  else if (before.regex !== undefined && after.regex === undefined)
    changes.push({ bump: "minor", message: `input ${at} is no longer restricted by the regex ${before.regex}` });
  else if (before.regex !== after.regex)
    changes.push({ bump: "major", message: `changed the regex of input ${at} from ${before.regex} to ${after.regex}` });
  return changes;
}

/** The changes within one component that stays. */
function componentChanges(name: string, before: ComponentSurface, after: ComponentSurface): SurfaceChange[] {
  const changes: SurfaceChange[] = [];
  for (const [input, spec] of Object.entries(before.inputs)) {
    const now = after.inputs[input];
    if (!now) changes.push({ bump: "major", message: `removed input ${name}.${input}` });
    else changes.push(...inputChanges(`${name}.${input}`, spec, now));
  }
  for (const [input, spec] of Object.entries(after.inputs)) {
    if (input in before.inputs) continue;
    if ("default" in spec) changes.push({ bump: "minor", message: `added optional input ${name}.${input}` });
    else changes.push({ bump: "major", message: `added input ${name}.${input} without a default (required)` });
  }
  const gone = before.jobs.filter((j) => !after.jobs.includes(j));
  const added = after.jobs.filter((j) => !before.jobs.includes(j));
  // One job gone and one new is a rename: consumers' `needs:` and overrides name the old one.
  if (gone.length === 1 && added.length === 1)
    changes.push({ bump: "major", message: `renamed job ${name} › ${gone[0]} to ${added[0]}` });
  else {
    for (const job of gone) changes.push({ bump: "major", message: `removed job ${name} › ${job}` });
    // A new job runs in every consumer's pipeline: new behaviour, so at least minor.
    for (const job of added) changes.push({ bump: "minor", message: `added job ${name} › ${job}` });
  }
  return changes;
}

/** Every change from `before` to `after`, largest bump first, then in component order. */
export function diffSurfaces(before: Surface, after: Surface): SurfaceChange[] {
  const changes: SurfaceChange[] = [];
  for (const [name, surface] of Object.entries(before)) {
    const now = after[name];
    if (!now) changes.push({ bump: "major", message: `removed component ${name}` });
    else changes.push(...componentChanges(name, surface, now));
  }
  for (const name of Object.keys(after))
    if (!(name in before)) changes.push({ bump: "minor", message: `added component ${name}` });
  const rank: Record<Bump, number> = { major: 0, minor: 1, patch: 2 };
  // Array.prototype.sort is stable, so equal bumps keep component order.
  return changes.sort((a, b) => rank[a.bump] - rank[b.bump]);
}

/** The smallest release the changes allow: the largest bump any change needs (`patch` for none). */
export function requiredBump(changes: readonly SurfaceChange[]): Bump {
  return changes.reduce<Bump>((bump, change) => largerBump(bump, change.bump), "patch");
}

/** Top-level keys that are keywords, not jobs (doc/ci/yaml: global keywords; `spec` heads a component). */
const GLOBAL_KEYWORDS = new Set([
  "default",
  "include",
  "stages",
  "variables",
  "workflow",
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
  "spec",
]);

/** Is this top-level key of a pipeline a job a consumer sees by name (not a global keyword, not a hidden `.job`)? */
export function isJobName(key: string): boolean {
  return !GLOBAL_KEYWORDS.has(key) && !key.startsWith(".");
}
