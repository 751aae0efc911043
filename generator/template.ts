/**
 * Rendering: a component becomes `templates/<name>/template.yml` — a banner, the `spec:` header
 * document, `---`, the jobs. Key order and formatting are fixed, so the same input gives the
 * same bytes.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { version as esbuildVersion } from "esbuild";
import { stringify } from "yaml";
import type { Component } from "./component.ts";
import { inputType, isInputRef, type InputSpec } from "./inputs.ts";
import { JOB_KEY_ORDER, type Job, type JobDefinition } from "./job.ts";
import {
  bundleScript,
  embedScript,
  isNodeScript,
  type EmbeddedFile,
  type NodeScript,
  type ScriptBundle,
} from "./script.ts";

/** What rendering needs to know about the catalog around a component. */
export interface RenderContext {
  /** The repository root (absolute). */
  root: string;
  /** The catalog version (package.json). */
  version: string;
  /** Bundled scripts by entry, shared across components of one run. */
  bundles: Map<string, Promise<ScriptBundle>>;
  /** Where bundles are cached between runs (default: generator/cache.ts `cacheDir()`). */
  cacheDir?: string;
}

/** A rendered component: the two documents as data and the file text. */
export interface RenderedTemplate {
  component: Component;
  /** `templates/<name>/template.yml`, repository-relative. */
  file: string;
  /** The header document (`spec: inputs: …`). */
  header: { spec: { inputs?: Record<string, unknown> } };
  /** The body document: job name → keywords, placeholders not interpolated. */
  body: Record<string, Record<string, unknown>>;
  /** The files embedded in its jobs: for each script (by file name), the file it runs, then the modules it imports. */
  scripts: TemplateScript[];
  text: string;
}

/** A file embedded in a template: where it comes from and what the job writes. */
export interface TemplateScript extends EmbeddedFile {
  /** The TypeScript entry it was bundled from, repository-relative. */
  entry: string;
  /** The file the job runs (this file itself, or the script that imports this module). */
  main: string;
}

/** How every generated YAML file is written: no line folding, two-space indents, plain scalars where YAML allows. */
export const YAML_OPTIONS = {
  version: "1.1",
  lineWidth: 0,
  indent: 2,
  indentSeq: true,
  defaultStringType: "PLAIN",
  defaultKeyType: "PLAIN",
  aliasDuplicateObjects: false,
} as const;

/** The repository-relative path of a component's source module. */
export function sourcePath(root: string, source: string): string {
  const file = source.startsWith("file:") ? fileURLToPath(source) : source;
  return path.relative(root, path.resolve(root, file)).split(path.sep).join("/");
}

/** The `spec:inputs` entry for one input: type always written, keys in a fixed order. */
function renderInput(spec: InputSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { type: inputType(spec), description: spec.description };
  if (spec.default !== undefined) out.default = spec.default;
  if (spec.options !== undefined) out.options = [...spec.options];
  if (spec.regex !== undefined) out.regex = spec.regex;
  return out;
}

/** Replaces input references and scripts in a keyword value with what the YAML holds. */
function plain(value: unknown, scripts: Map<NodeScript, string>): unknown {
  if (isInputRef(value)) return String(value);
  if (isNodeScript(value)) return scripts.get(value);
  if (Array.isArray(value)) return value.map((item) => plain(item, scripts));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = plain(item, scripts);
    return out;
  }
  return value;
}

/**
 * A job's keywords in the canonical order. A key GitLab's schema does not know (only a cast can
 * pass one) is written after them, by name, never dropped: the schema check then reports it.
 */
function orderJob(job: Job, scripts: Map<NodeScript, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of JOB_KEY_ORDER) if (job[key] !== undefined) out[key] = plain(job[key], scripts);
  const known = new Set<string>(JOB_KEY_ORDER);
  const unknown = job as Record<string, unknown>;
  for (const key of Object.keys(job).sort())
    if (!known.has(key) && unknown[key] !== undefined) out[key] = plain(unknown[key], scripts);
  return out;
}

/** Bundles (once per run) and embeds every TypeScript script the component's jobs name. */
async function embedScripts(
  component: Component,
  ctx: RenderContext,
): Promise<{ byScript: Map<NodeScript, string>; scripts: TemplateScript[] }> {
  const byScript = new Map<NodeScript, string>();
  const files = new Map<string, TemplateScript>();
  const embedded = await Promise.all(
    component.jobs.map(async ({ job }) => {
      if (!isNodeScript(job.script)) return undefined;
      const entry = job.script.entry;
      if (!ctx.bundles.has(entry)) ctx.bundles.set(entry, bundleScript(ctx.root, entry, ctx.cacheDir));
      return { node: job.script, entry, ...embedScript(await (ctx.bundles.get(entry) as Promise<ScriptBundle>)) };
    }),
  );
  for (const script of embedded) {
    if (!script) continue;
    for (const file of script.files) {
      const other = files.get(file.file);
      if (other && other.entry !== script.entry)
        throw new Error(
          `two scripts would both write ${file.file} (${other.entry}, ${script.entry}): rename one entry file`,
        );
      files.set(file.file, { ...file, entry: script.entry, main: script.main });
    }
    byScript.set(script.node, script.script);
  }
  // By script, the file it runs first: the banner lists them so, and `sha256sum -c` checks them in that order.
  const key = (s: TemplateScript) => `${s.main}\0${s.file === s.main ? "" : s.file}`;
  return { byScript, scripts: [...files.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)) };
}

/**
 * Jobs as YAML data, by name, each in the canonical key order. A duplicate name would silently
 * overwrite; the semantic checks report it, so the first is kept.
 */
export function renderJobs(
  jobs: readonly JobDefinition[],
  scripts: Map<NodeScript, string>,
): { jobs: Record<string, Record<string, unknown>> } {
  const rendered: Record<string, Record<string, unknown>> = {};
  for (const { name, job } of jobs) {
    const jobName = String(name);
    if (!Object.hasOwn(rendered, jobName)) rendered[jobName] = orderJob(job, scripts);
  }
  return { jobs: rendered };
}

/**
 * The banner: what generated the file, from which source, at which catalog version; then, for each
 * embedded script, its TypeScript entry, the esbuild version that bundled it, how many modules it
 * loads beside it, and the sha256 of every file in `sha256sum` format (`# sha256: <hex>  <file>`),
 * so `sed -n 's/^# sha256: //p' template.yml | sha256sum -c` checks the files extracted as the job
 * writes them (README, "Check the scripts you run").
 */
export function banner(source: string, version: string, scripts: readonly TemplateScript[] = []): string {
  let text =
    `# Generated by gitops-components ${version} from ${source}. Do not edit: change the TypeScript\n` +
    `# source and run \`npm run generate\`.\n`;
  for (const s of scripts) {
    if (s.file === s.main) {
      const modules = scripts.filter((m) => m.main === s.main && m.file !== s.main).length;
      const loads =
        modules === 0
          ? ""
          : ` (and ${modules} module${modules === 1 ? "" : "s"} it imports, ${s.main.replace(/\.mjs$/, "")}.*.mjs)`;
      text += `# Embedded script ${s.file}${loads}: ${s.entry} bundled by esbuild ${esbuildVersion}\n`;
    }
    text += `# sha256: ${s.sha256}  ${s.file}\n`;
  }
  return text;
}

/** Renders one component. */
export async function renderComponent(component: Component, ctx: RenderContext): Promise<RenderedTemplate> {
  const { byScript, scripts } = await embedScripts(component, ctx);
  const inputs: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(component.inputs)) inputs[name] = renderInput(spec);
  const header = { spec: Object.keys(inputs).length > 0 ? { inputs } : {} };
  const { jobs: body } = renderJobs(component.jobs, byScript);
  const source = sourcePath(ctx.root, component.source);
  const text = `${banner(source, ctx.version, scripts)}${stringify(header, YAML_OPTIONS)}---\n${stringify(body, YAML_OPTIONS)}`;
  return { component, file: `templates/${component.name}/template.yml`, header, body, scripts, text };
}
