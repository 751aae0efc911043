/**
 * Validation of rendered templates: GitLab's schema (header, and the body interpolated with
 * defaults and with sample values), the semantics the schema cannot see, and GitLab's limits.
 * Every problem is collected; nothing stops at the first.
 */
import { budgetProblems } from "./budget.ts";
import { hasInputType, inputType, isOption, type InputSpec } from "./inputs.ts";
import { interpolate, referencedInputs, walkStrings, wholePlaceholder } from "./interpolate.ts";
import { keywordPath, type Problem } from "./problems.ts";
import { SCHEMA_FIX, schemaProblems } from "./schema.ts";
import type { RenderedTemplate } from "./template.ts";
import { yamlFileProblems } from "./yaml-file.ts";

/** GitLab's documented limits. */
export const LIMITS = {
  /** `spec:inputs:description` (schema `maxLength`). */
  descriptionLength: 1024,
  /** `spec:inputs:options`. */
  options: 50,
  /**
   * Components per catalog project: `Ci::Catalog::ComponentsProject::COMPONENTS_LIMIT`
   * (app/models/ci/catalog/components_project.rb). It is 30 from GitLab 16.9 and 100 in current
   * GitLab (gitlab-org/gitlab#569158); a catalog must publish on every version of its floor, so
   * the generator keeps to 30 (`componentLimit` raises it for a catalog whose instances all allow 100).
   */
  components: 30,
} as const;

const INPUT_NAME = /^[a-z][a-z0-9_]*$/;
const COMPONENT_NAME = /^[A-Za-z0-9_-]+$/;
const SCRIPT_KEYS = ["script", "before_script", "after_script"] as const;

/** A value that exercises an input in the "sample values" pass. */
export function sampleValue(spec: InputSpec): unknown {
  if (spec.example !== undefined) return spec.example;
  const type = inputType(spec);
  const options = spec.options as readonly unknown[] | undefined;
  if (options && options.length > 0) return options[options.length - 1];
  switch (type) {
    case "boolean":
      return spec.default === undefined ? true : !spec.default;
    case "number":
      return typeof spec.default === "number" ? spec.default + 1 : 1;
    case "array":
      return spec.default ?? [];
    case "string":
      return spec.regex !== undefined || spec.default === undefined ? (spec.default ?? "sample") : "sample-value";
  }
}

function compileRegex(regex: string): RegExp | undefined {
  try {
    return new RegExp(regex, "u");
  } catch {
    return undefined;
  }
}

/** Problems with the `spec:inputs` declarations themselves. */
function inputProblems(t: RenderedTemplate): Problem[] {
  const problems: Problem[] = [];
  const name = t.component.name;
  for (const [input, spec] of Object.entries(t.component.inputs)) {
    const at = (key?: string) => [name, "spec", key ? `inputs.${input}.${key}` : `inputs.${input}`];
    const type = inputType(spec);
    const options = spec.options as readonly unknown[] | undefined;
    if (!INPUT_NAME.test(input))
      problems.push({
        path: at(),
        message: "input names are snake_case",
        value: input,
        fix: `rename it, for example to ${JSON.stringify(input.replace(/[^A-Za-z0-9]+/g, "_").toLowerCase())}`,
      });
    if (!spec.description?.trim())
      problems.push({
        path: at("description"),
        message: "every input needs a description (the catalog shows it)",
        value: spec.description,
        fix: "say what the input does and what its default means",
      });
    else if (spec.description.length > LIMITS.descriptionLength)
      problems.push({
        path: at("description"),
        message: `a description is at most ${LIMITS.descriptionLength} characters; this one has ${spec.description.length}`,
        fix: "shorten it and move detail to the README",
      });
    if (options) {
      if (type === "boolean")
        problems.push({
          path: at("options"),
          message: "GitLab does not allow options on a boolean input",
          value: options,
          fix: "remove options; a boolean already has two values",
        });
      if (options.length > LIMITS.options)
        problems.push({
          path: at("options"),
          message: `at most ${LIMITS.options} options are allowed; this input has ${options.length}`,
          fix: "use a regex instead of listing every value",
        });
      for (const option of options)
        if (!hasInputType(type, option))
          problems.push({
            path: at("options"),
            message: `an option is not a ${type}`,
            value: option,
            fix: `make every option a ${type}`,
          });
    }
    let pattern: RegExp | undefined;
    if (spec.regex !== undefined) {
      if (type !== "string")
        problems.push({
          path: at("regex"),
          message: `regex applies only to string inputs, and this one is ${type}`,
          value: spec.regex,
          fix: "remove the regex or make the input a string",
        });
      pattern = compileRegex(spec.regex);
      if (!pattern)
        problems.push({
          path: at("regex"),
          message: "the regex does not compile",
          value: spec.regex,
          fix: "write an RE2 pattern without /…/ delimiters",
        });
    }
    const check = (key: "default" | "example", value: unknown) => {
      if (value === undefined) return;
      if (!hasInputType(type, value))
        problems.push({
          path: at(key),
          message: `the ${key} is not a ${type}`,
          value,
          fix: `give a ${type} ${key}, or change the input's type`,
        });
      else if (!isOption(spec, value))
        problems.push({
          path: at(key),
          message: `the ${key} is not one of the options ${JSON.stringify(options)}`,
          value,
          fix: `make the ${key} one of the options, or add it to them`,
        });
      else if (pattern && typeof value === "string" && !(key === "default" && value === "") && !pattern.test(value))
        problems.push({
          path: at(key),
          message: `the ${key} does not match the regex ${spec.regex}`,
          value,
          fix: `change the ${key} or the regex so they agree`,
        });
    };
    check("default", spec.default);
    check("example", spec.example);
  }
  return problems;
}

/** Placeholders that name no declared input, declared inputs nobody uses, inputs in scripts or quoted in rules:if. */
function placeholderProblems(t: RenderedTemplate): Problem[] {
  const problems: Problem[] = [];
  const name = t.component.name;
  const declared = new Set(Object.keys(t.component.inputs));
  const used = new Set<string>();
  for (const [jobName, job] of Object.entries(t.body)) {
    for (const input of referencedInputs(jobName)) used.add(input);
    walkStrings(job, (text, path) => {
      for (const input of referencedInputs(text)) {
        used.add(input);
        if (!declared.has(input))
          problems.push({
            path: [name, jobName, keywordPath(path)],
            message: `input "${input}" is not declared in spec:inputs`,
            value: text,
            fix: `declare "${input}" in the component's inputs, or use one of: ${[...declared].join(", ") || "(none declared)"}`,
          });
      }
    });
    for (const key of SCRIPT_KEYS) {
      const value = job[key];
      // A string is one command block (GitLab reads it as a list of one), unless it is a whole
      // placeholder: then an input gives the list of commands itself.
      const lines: unknown[] =
        typeof value === "string"
          ? wholePlaceholder(value) === undefined
            ? [value]
            : []
          : Array.isArray(value)
            ? value
            : [];
      lines.forEach((line, i) => {
        if (typeof line === "string" && line.includes("$[["))
          problems.push({
            path: [name, jobName, typeof value === "string" ? key : `${key}[${i}]`],
            message: "an input is interpolated into script text, where the shell would run whatever it holds",
            value: line,
            fix: "pass the input through the job's variables: (NAME: $[[ inputs.x ]]) and read $NAME in the script",
          });
      });
    }
    for (const [variable, value] of Object.entries((job.variables ?? {}) as Record<string, unknown>)) {
      const input = typeof value === "string" ? wholePlaceholder(value) : undefined;
      const spec = input === undefined ? undefined : t.component.inputs[input];
      const type = spec ? inputType(spec) : undefined;
      if (type === "array" || type === "boolean")
        problems.push({
          path: [name, jobName, `variables.${variable}`],
          message: `the ${type} input "${input}" is the whole value of a job variable; GitLab inserts it typed, and a job variable must be a string (an array is always refused)`,
          value,
          fix: 'place it inside a string, as components/common.ts inputVariable() does ({"<input>":…}), and read it with listInput or booleanInput',
        });
    }
    const rules = job.rules;
    if (Array.isArray(rules)) {
      rules.forEach((rule, i) => {
        const condition = (rule as { if?: unknown }).if;
        if (typeof condition === "string" && /(["'])[^"']*\$\[\[[^\]]*\]\][^"']*\1/.test(condition))
          problems.push({
            path: [name, jobName, `rules[${i}].if`],
            message:
              "an input is placed inside quotes in rules:if; a quoted right side is a literal, so a value such as $CI_DEFAULT_BRANCH never matches",
            value: condition,
            fix: "compare predefined variables directly ($CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH) and let consumers replace the rules whole through an array `rules` input",
          });
      });
    }
  }
  for (const input of declared)
    if (!used.has(input))
      problems.push({
        path: [name, "spec", `inputs.${input}`],
        message: "the input is declared but no job uses it",
        fix: "use it in a job (through variables: for scripts) or remove it",
      });
  return problems;
}

/**
 * Job references after interpolation: unique names, needs / extends / environment.on_stop pointing
 * at jobs that exist. A need whose job comes from an input (`raw` holds a placeholder there) names
 * a job of the consumer's pipeline, such as build's; GitLab checks it when the pipeline is created.
 */
function referenceProblems(
  name: string,
  rawNames: string[],
  body: Record<string, Record<string, unknown>>,
  context: string,
  raw: Record<string, unknown>[] = [],
): Problem[] {
  const problems: Problem[] = [];
  const names = new Set<string>();
  for (const job of rawNames) {
    if (names.has(job))
      problems.push({
        path: [name, job],
        message: `two jobs are named "${job}" (${context})`,
        value: job,
        fix: "give each job its own name (a job_name or job_prefix input keeps names unique per include)",
      });
    names.add(job);
  }
  const missing = (job: string, where: string, target: unknown) => {
    if (typeof target === "string" && !names.has(target))
      problems.push({
        path: [name, job, where],
        message: `points at a job that does not exist in this component (${context})`,
        value: target,
        fix: `name one of: ${[...names].join(", ")}`,
      });
  };
  Object.entries(body).forEach(([job, keywords], index) => {
    const needs = keywords.needs;
    const rawNeeds = raw[index]?.needs;
    const fromInput = (i: number) =>
      JSON.stringify(Array.isArray(rawNeeds) ? (rawNeeds[i] ?? "") : (rawNeeds ?? "")).includes("$[[");
    if (Array.isArray(needs))
      needs.forEach(
        (need, i) =>
          fromInput(i) ||
          missing(job, `needs[${i}]`, typeof need === "string" ? need : (need as { job?: unknown })?.job),
      );
    const ext = keywords.extends;
    for (const [i, target] of (Array.isArray(ext) ? ext : ext === undefined ? [] : [ext]).entries())
      missing(job, Array.isArray(ext) ? `extends[${i}]` : "extends", target);
    const env = keywords.environment;
    if (env && typeof env === "object") missing(job, "environment.on_stop", (env as { on_stop?: unknown }).on_stop);
  });
  return problems;
}

/** The raw (uninterpolated) value at a problem's keyword path, e.g. `environment.on_stop` of a job. */
function rawValueAt(job: unknown, keyword: string | undefined): unknown {
  if (keyword === undefined) return undefined;
  let at = job;
  for (const part of keyword.split(/\.|\[(\d+)\]/).filter(Boolean))
    at = (at as Record<string, unknown> | undefined)?.[part];
  return at;
}

/**
 * Interpolates with `values` and validates the body against the schema and for references. A
 * schema problem in a value that came from an input names that input, since that is what to fix.
 */
function interpolatedProblems(t: RenderedTemplate, values: Record<string, unknown>, context: string): Problem[] {
  const body = interpolate(t.body, values) as Record<string, Record<string, unknown>>;
  const rawJobs = Object.values(t.body);
  const jobNames = Object.keys(body);
  const rawNames = t.component.jobs.map((j) => String(interpolate(String(j.name), values)));
  const schema = schemaProblems(body, [t.component.name], context).map((p) => {
    const raw = rawValueAt(rawJobs[jobNames.indexOf(p.path[1] ?? "")], p.path[2]);
    const inputs = typeof raw === "string" ? referencedInputs(raw) : [];
    if (inputs.length === 0 || p.fix !== SCHEMA_FIX) return p;
    return {
      ...p,
      fix: `the value comes from input ${inputs.map((i) => `"${i}"`).join(", ")}: give it a default and options that are valid here (${inputs.map((i) => `${i} = ${JSON.stringify(values[i])}`).join(", ")} is not)`,
    };
  });
  return [...schema, ...referenceProblems(t.component.name, rawNames, body, context, rawJobs)];
}

/** Every problem of one rendered template. */
export function templateProblems(t: RenderedTemplate): Problem[] {
  const name = t.component.name;
  const problems: Problem[] = [];
  if (!COMPONENT_NAME.test(name))
    problems.push({
      path: [name],
      message: "a component name may hold only letters, digits, - and _ (GitLab's templates/<name>/template.yml rule)",
      value: name,
      fix: "rename the component",
    });
  problems.push(...yamlFileProblems(t.file, t.text));
  problems.push(...budgetProblems(t));
  const declared = inputProblems(t);
  const covered = new Set(declared.map((p) => p.path.join("/")));
  // The semantic check says the same thing with a better fix; keep GitLab's wording only for the rest.
  problems.push(...schemaProblems(t.header, [name], "header").filter((p) => !covered.has(p.path.join("/"))));
  problems.push(...declared);
  problems.push(...placeholderProblems(t));
  const specs = Object.entries(t.component.inputs);
  const defaults = Object.fromEntries(
    specs.map(([input, spec]) => [input, spec.default !== undefined ? spec.default : sampleValue(spec)]),
  );
  const samples = Object.fromEntries(specs.map(([input, spec]) => [input, sampleValue(spec)]));
  const seen = new Set<string>();
  for (const p of [
    ...interpolatedProblems(t, defaults, "with every input at its default"),
    ...interpolatedProblems(t, samples, "with sample input values"),
  ]) {
    // The same mistake found in both passes is one problem; keep the first wording.
    const key = `${p.path.join("/")}|${p.message.replace(/ \((with|header)[^)]*\)$/, "")}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(p);
  }
  return problems;
}

/** Problems of the catalog as a whole. */
export function catalogProblems(templates: RenderedTemplate[], limit: number = LIMITS.components): Problem[] {
  const problems: Problem[] = [];
  if (templates.length > limit)
    problems.push({
      path: ["catalog"],
      message: `GitLab allows at most ${limit} components per catalog project; this catalog has ${templates.length}`,
      fix: "split the catalog into several projects",
    });
  const names = new Map<string, number>();
  for (const t of templates) names.set(t.component.name, (names.get(t.component.name) ?? 0) + 1);
  for (const [name, count] of names)
    if (count > 1)
      problems.push({
        path: ["catalog", name],
        message: `${count} components share the name "${name}"`,
        fix: "give each component its own name",
      });
  return problems;
}
