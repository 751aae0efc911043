/**
 * A whole pipeline document (`.gitlab-ci.yml`) from typed jobs: the library's own pipeline is
 * declared in TypeScript (`ci/pipeline.ts`), rendered in a fixed order with a banner, and
 * validated like the templates — GitLab's schema, plus the checks the schema cannot make
 * (stages, needs, and the inputs of this catalog's own components included for self-test).
 */
import { stringify } from "yaml";
import type { Component } from "./component.ts";
import type { Catalog } from "./config.ts";
import { hasInputType, inputType, isInputRef, isOption } from "./inputs.ts";
import type { Job, Rule } from "./job.ts";
import { showValue, type Problem } from "./problems.ts";
import { schemaProblems } from "./schema.ts";
import { banner, renderJobs, sourcePath, YAML_OPTIONS } from "./template.ts";
import { yamlFileProblems } from "./yaml-file.ts";

/** One `include:` entry (the forms the library's pipeline uses). */
export type PipelineInclude = { component: string; inputs?: Record<string, unknown> } | { local: string };

/** A pipeline: global keywords and jobs, each spelled as GitLab spells it. */
export interface Pipeline {
  /** `workflow:` — which pipelines run at all. */
  workflow?: { name?: string; rules: Rule[] };
  stages: string[];
  include?: PipelineInclude[];
  /** Jobs in the order they are written. */
  jobs: Array<{ name: string; job: Job }>;
  /** Comment lines written under the banner (what the file deliberately leaves out, and why). */
  notes?: string[];
}

/** A pipeline source module's default export. */
export interface PipelineModule {
  readonly source: string;
  build(catalog: Catalog, components: readonly Component[]): Pipeline;
}

/** Declares a pipeline; `source` is the declaring module's `import.meta.url` (the banner names it). */
export function definePipeline(
  source: string,
  build: (catalog: Catalog, components: readonly Component[]) => Pipeline,
): PipelineModule {
  return Object.freeze({ source, build });
}

/** A rendered pipeline: the document as data and the file text. */
export interface RenderedPipeline {
  file: string;
  pipeline: Pipeline;
  document: Record<string, unknown>;
  text: string;
}

/** Renders `pipeline` to `file` (repository-relative): banner, notes, workflow, stages, include, jobs. */
export function renderPipeline(
  pipeline: Pipeline,
  options: { root: string; source: string; version: string; file: string },
): RenderedPipeline {
  const document: Record<string, unknown> = {};
  if (pipeline.workflow) document.workflow = pipeline.workflow;
  document.stages = pipeline.stages;
  if (pipeline.include?.length) document.include = pipeline.include;
  const { jobs } = renderJobs(pipeline.jobs, new Map());
  Object.assign(document, jobs);
  const notes = (pipeline.notes ?? []).map((line) => `# ${line}`.trimEnd()).join("\n");
  const text = `${banner(sourcePath(options.root, options.source), options.version)}${notes ? `${notes}\n` : ""}${stringify(document, YAML_OPTIONS)}`;
  return { file: options.file, pipeline, document, text };
}

/** The component name of an include of this catalog's own components at `$CI_PROJECT_PATH`. */
export function ownComponentName(reference: string): string | undefined {
  return /^\$CI_SERVER_FQDN\/\$CI_PROJECT_PATH\/([\w-]+)@/.exec(reference)?.[1];
}

/** Every problem of a rendered pipeline; `components` are the catalog's, for self-test includes. */
export function pipelineProblems(rendered: RenderedPipeline, components: readonly Component[]): Problem[] {
  const where = rendered.file;
  const { pipeline } = rendered;
  const problems: Problem[] = [...schemaProblems(rendered.document, [where], "the pipeline")];
  problems.push(...yamlFileProblems(where, rendered.text));
  const names = new Set<string>();
  const stages = new Set(pipeline.stages);
  for (const { name, job } of pipeline.jobs) {
    if (names.has(name))
      problems.push({ path: [where, name], message: "two jobs have this name", fix: "give each job its own name" });
    names.add(name);
    if (typeof job.stage === "string" && !stages.has(job.stage))
      problems.push({
        path: [where, name, "stage"],
        message: "the stage is not in stages:",
        value: job.stage,
        fix: `use one of ${pipeline.stages.join(", ")} or add it to stages`,
      });
  }
  for (const { name, job } of pipeline.jobs) {
    const needs = Array.isArray(job.needs) ? job.needs : [];
    needs.forEach((need, i) => {
      // An input or a nested list (an array input, `!reference`) names no job this check can see.
      if (isInputRef(need) || Array.isArray(need)) return;
      const target = typeof need === "string" ? need : String(need.job);
      const optional = typeof need === "object" && "optional" in need && need.optional === true;
      if (!names.has(target) && !optional)
        problems.push({
          path: [where, name, `needs[${i}]`],
          message: "points at a job that does not exist in this pipeline",
          value: target,
          fix: `name one of: ${[...names].join(", ")}`,
        });
    });
  }
  (pipeline.include ?? []).forEach((include, i) => {
    if (!("component" in include)) return;
    const at = [where, `include[${i}]`];
    const name = ownComponentName(include.component);
    if (!name) return;
    const component = components.find((c) => c.name === name);
    if (!component) {
      problems.push({
        path: at,
        message: "includes a component this catalog does not have",
        value: include.component,
        fix: `include one of: ${components.map((c) => c.name).join(", ")}`,
      });
      return;
    }
    const given = include.inputs ?? {};
    for (const [input, value] of Object.entries(given)) {
      const spec = component.inputs[input];
      if (!spec)
        problems.push({
          path: [...at, `inputs.${input}`],
          message: `component ${name} has no input "${input}" (GitLab refuses the pipeline)`,
          fix: `pass only its inputs: ${Object.keys(component.inputs).join(", ")}`,
        });
      else if (!hasInputType(inputType(spec), value))
        problems.push({
          path: [...at, `inputs.${input}`],
          message: `the value is not a ${inputType(spec)}`,
          value,
          fix: `give a ${inputType(spec)}`,
        });
      else if (!isOption(spec, value))
        problems.push({
          path: [...at, `inputs.${input}`],
          message: `the value is not one of the options ${showValue(spec.options)}`,
          value,
          fix: "choose one of the options",
        });
    }
    for (const [input, spec] of Object.entries(component.inputs))
      if (spec.default === undefined && !(input in given))
        problems.push({
          path: [...at, `inputs.${input}`],
          message: `component ${name} requires input "${input}" and the include does not give it`,
          fix: "give it a value",
        });
    const stage = given.stage ?? component.inputs.stage?.default;
    if (typeof stage === "string" && !stages.has(stage))
      problems.push({
        path: [...at, "inputs.stage"],
        message: "the included component's stage is not in stages:",
        value: stage,
        fix: `pass a stage from ${pipeline.stages.join(", ")}`,
      });
  });
  return problems;
}
