/**
 * The whole catalog: load every component module, render, validate, and compute the files the
 * repository should hold (templates and the README's generated tables). Pure planning; writing
 * is the CLI's job.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Component, ComponentModule } from "./component.ts";
import { renderScriptContract, scriptContracts } from "./contract.ts";
import { GITLAB_JOB_TYPES_FILE, GITLAB_SCHEMA_FILE, gitlabJobTypes } from "./gitlab-job-types.ts";
import type { Catalog, CatalogConfig } from "./config.ts";
import { EDITOR_SCHEMA_FILE, editorSchema } from "./editor-schema.ts";
import { parseConfig } from "./parse-config.ts";
import { GenerationFailed, type Problem } from "./problems.ts";
import { updateReadme } from "./readme.ts";
import { pipelineProblems, renderPipeline, type PipelineModule, type RenderedPipeline } from "./pipeline.ts";
import { updateSizeTable } from "./size-table.ts";
import { renderComponent, type RenderedTemplate } from "./template.ts";
import type { ScriptBundle } from "./script.ts";
import { catalogProblems, LIMITS, templateProblems } from "./validate.ts";

/** Where and how to generate. */
export interface GenerateOptions {
  /** Repository root (absolute). */
  root: string;
  /** Override the configuration (default: `<root>/gitops.config.ts`). */
  config?: CatalogConfig;
  /** Override the version (default: `<root>/package.json`). */
  version?: string;
  /** Override GitLab's components-per-project limit (benchmarks of larger synthetic catalogs). */
  componentLimit?: number;
  /** Generate only these components (development); the README is then left alone. */
  only?: string[];
  /** Where bundles are cached between runs (default: `$GITOPS_CACHE_DIR`, see generator/cache.ts); a fresh directory gives a cold build. */
  cacheDir?: string;
  /**
   * Write each stale script contract (`<script>.contract.ts`, generator/contract.ts) before the
   * scripts that import it are bundled, so one run gives templates built from the new contract.
   */
  writeContracts?: boolean;
}

/** The generated catalog: every file's wanted content, and the component names. */
export interface GeneratedCatalog {
  templates: RenderedTemplate[];
  /** Repository-relative path → content, for every file the generator owns. */
  files: Map<string, string>;
}

/** Reads the catalog version from `package.json`. */
export function readVersion(root: string): string {
  return (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
}

/** Loads `<root>/gitops.config.ts` and checks it (generator/parse-config.ts); throws {@link GenerationFailed} with every problem. */
export async function loadConfig(root: string): Promise<CatalogConfig> {
  const file = path.join(root, "gitops.config.ts");
  if (!existsSync(file))
    throw new GenerationFailed([
      {
        path: ["gitops.config.ts"],
        message: `does not exist in ${root}`,
        fix: "create it with export default defineConfig({...}) (see the repository's own)",
      },
    ]);
  let module: { default: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default: unknown };
  } catch (error) {
    // A file that does not even load is one more problem to report, never a bare stack.
    const message = `cannot be loaded: ${(error as Error).message}`;
    throw new GenerationFailed([
      { path: ["gitops.config.ts"], message, fix: "fix the file so it loads (the message says what failed)" },
    ]);
  }
  return checkedConfig(module.default);
}

function checkedConfig(raw: unknown): CatalogConfig {
  const { config, problems } = parseConfig(raw);
  if (!config) throw new GenerationFailed(problems);
  return config;
}

/** The component modules under `<root>/components/<name>/component.ts`, in name order. */
export async function loadComponentModules(root: string): Promise<ComponentModule[]> {
  const dir = path.join(root, "components");
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "component.ts")))
    .map((d) => d.name)
    .sort();
  return Promise.all(
    names.map(
      async (name) =>
        ((await import(pathToFileURL(path.join(dir, name, "component.ts")).href)) as { default: ComponentModule })
          .default,
    ),
  );
}

/** Renders and validates the catalog; throws {@link GenerationFailed} with every problem found. */
export async function generateCatalog(options: GenerateOptions): Promise<GeneratedCatalog> {
  const { root } = options;
  const catalog: Catalog = {
    version: options.version ?? readVersion(root),
    config: options.config ? checkedConfig(options.config) : await loadConfig(root),
  };
  const all = await loadComponentModules(root);
  const unknown = (options.only ?? []).filter((name) => !all.some((m) => m.name === name));
  if (unknown.length > 0)
    throw new GenerationFailed([
      {
        path: ["catalog"],
        message: `no component named ${unknown.join(", ")}`,
        fix: `choose from ${all.map((m) => m.name).join(", ")}`,
      },
    ]);
  const modules = options.only ? all.filter((m) => options.only?.includes(m.name)) : all;
  const problems: Problem[] = [];
  const bundles = new Map<string, Promise<ScriptBundle>>();
  const templates: RenderedTemplate[] = [];
  const built: Array<{ module: ComponentModule; component?: Component; error?: unknown }> = modules.map((module) => {
    try {
      return { module, component: module.build(catalog) };
    } catch (error) {
      return { module, error };
    }
  });
  const contractFiles = new Map<string, string>();
  if (!options.only) {
    const components = built.flatMap((b) => (b.component ? [b.component] : []));
    const { contracts, problems: contractProblems } = await scriptContracts(components, root);
    problems.push(...contractProblems);
    // A script that reads no input and writes no output has no contract file to import.
    for (const contract of contracts.filter((c) => c.inputs.size > 0 || c.outputs)) {
      const { file, text } = renderScriptContract(contract);
      contractFiles.set(file, text);
      const target = path.join(root, file);
      const stale = !existsSync(target) || readFileSync(target, "utf8") !== text;
      if (options.writeContracts && stale) writeFileSync(target, text);
    }
  }
  for (const { module, component, error: buildError } of built) {
    try {
      if (!component) throw buildError;
      const context = { root, version: catalog.version, bundles, cacheDir: options.cacheDir };
      templates.push(await renderComponent(component, context));
    } catch (error) {
      const where = path.relative(root, new URL(module.source).pathname);
      problems.push({
        path: [where],
        message: `cannot render: ${(error as Error).message}`,
        fix: "fix the component module (the message says what failed)",
      });
    }
  }
  if (!options.only) problems.push(...catalogProblems(templates, options.componentLimit ?? LIMITS.components));
  for (const t of templates) problems.push(...templateProblems(t));
  const pipeline = options.only ? undefined : await renderOwnPipeline(root, catalog, templates, problems);
  if (problems.length > 0) throw new GenerationFailed(problems);
  const files = new Map<string, string>(contractFiles);
  for (const t of templates) files.set(t.file, t.text);
  if (pipeline) files.set(pipeline.file, pipeline.text);
  // The job keyword types, where the catalog carries GitLab's schema (this repository).
  if (!options.only && existsSync(path.join(root, GITLAB_SCHEMA_FILE)))
    files.set(GITLAB_JOB_TYPES_FILE, await gitlabJobTypes(root));
  // Like the README, the editor schema is kept where the catalog has a place for it.
  if (!options.only && existsSync(path.join(root, path.dirname(EDITOR_SCHEMA_FILE))))
    files.set(
      EDITOR_SCHEMA_FILE,
      editorSchema(
        templates.map((t) => ({ name: t.component.name, text: t.text })),
        catalog,
      ),
    );
  const readmePath = path.join(root, "README.md");
  if (existsSync(readmePath) && !options.only)
    files.set(
      "README.md",
      updateSizeTable(updateReadme(readFileSync(readmePath, "utf8"), templates, catalog), templates),
    );
  return { templates, files };
}

/** The library's own pipeline file, generated from `ci/pipeline.ts`. */
export const OWN_PIPELINE = { source: "ci/pipeline.ts", file: ".gitlab-ci.yml" } as const;

/** Renders and validates `<root>/ci/pipeline.ts` when the catalog has one; its problems join `problems`. */
async function renderOwnPipeline(
  root: string,
  catalog: Catalog,
  templates: RenderedTemplate[],
  problems: Problem[],
): Promise<RenderedPipeline | undefined> {
  const source = path.join(root, OWN_PIPELINE.source);
  if (!existsSync(source)) return undefined;
  const components = templates.map((t) => t.component);
  try {
    const module = ((await import(pathToFileURL(source).href)) as { default: PipelineModule }).default;
    const rendered = renderPipeline(module.build(catalog, components), {
      root,
      source: module.source,
      version: catalog.version,
      file: OWN_PIPELINE.file,
    });
    problems.push(...pipelineProblems(rendered, components));
    return rendered;
  } catch (error) {
    problems.push({
      path: [OWN_PIPELINE.source],
      message: `cannot render: ${(error as Error).message}`,
      fix: "fix the pipeline module (the message says what failed)",
    });
    return undefined;
  }
}

/** Template files present under `templates/` that the catalog no longer generates. */
export function orphanTemplates(root: string, wanted: Map<string, string>): string[] {
  const dir = path.join(root, "templates");
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      for (const file of readdirSync(path.join(dir, entry.name))) found.push(`templates/${entry.name}/${file}`);
    } else found.push(`templates/${entry.name}`);
  }
  return found.filter((file) => !wanted.has(file)).sort();
}

/** Writes `files` (repository-relative path → content) under `root` and removes `orphans`, with their emptied directories. */
export function writeGeneratedFiles(root: string, files: Iterable<[string, string]>, orphans: readonly string[]): void {
  for (const [file, content] of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  for (const file of orphans) {
    rmSync(path.join(root, file));
    const dir = path.dirname(path.join(root, file));
    if (dir !== path.join(root, "templates") && readdirSync(dir).length === 0) rmdirSync(dir);
  }
}
