/**
 * A GitLab CI job, typed after GitLab's job keywords and spelled exactly as GitLab spells them
 * (`allow_failure`, `resource_group`, …). No key is ever case-converted.
 */
import type { GitLabJob, When as GitLabWhen } from "./gitlab-job.generated.ts";
import type { InputRef } from "./inputs.ts";
import type { NodeScript } from "./script.ts";

/** A value written literally, or an input placed as the whole value (keeps its type in GitLab). */
export type Value<T> = T | InputRef<string, T>;

/**
 * A keyword value as a component writes it: GitLab's type (generated from its schema), where any
 * part may instead be an input placed whole, of a type that fits (a string input where the schema
 * allows a string, a boolean one where it allows a boolean, an array input as a whole list or as
 * one item of a list, which GitLab flattens where a keyword allows nested lists).
 */
export type Interpolated<T> =
  | InterpolatedMember<T>
  | ([Extract<T, string>] extends [never] ? never : InputRef<string, Extract<T, string>>)
  | ([Extract<T, number>] extends [never] ? never : InputRef<string, Extract<T, number>>)
  | ([Extract<T, boolean>] extends [never] ? never : InputRef<string, boolean>);

type InterpolatedMember<T> = T extends readonly (infer Item)[]
  ? Array<Interpolated<Item> | InputRef<string, unknown[]>> | InputRef<string, unknown[]>
  : T extends object
    ? { [K in keyof T]: Interpolated<T[K]> }
    : T;

/** `when:` values. */
export type When = GitLabWhen;

/** One `rules:` entry (its object form). */
export type Rule = Extract<NonNullable<GitLabJob["rules"]>[number], { if?: unknown }>;

/**
 * A job variable: a string or number, a string or number input placed whole, or the object form.
 * Not a boolean or array input placed whole: GitLab inserts those typed, and a variable must be a
 * string (`inputVariable()` in generator/contract.ts wraps them).
 */
export type Variable = Value<string> | Value<number> | { value: string; description?: string; expand?: boolean };

/** A need: a job name (may contain input placeholders) or the object form. */
export type Need = string | { job: string; artifacts?: boolean; optional?: boolean };

/**
 * The keywords of one job: every keyword of GitLab's schema (generator/gitlab-job.generated.ts),
 * each {@link Interpolated}. `script` may also be a TypeScript entry the generator bundles and
 * embeds ({@link NodeScript}), or an `array` input holding the consumer's own commands (the `test`
 * component); `variables` are {@link Variable}s.
 */
export type Job = { [K in Exclude<keyof GitLabJob, "script" | "variables">]?: Interpolated<GitLabJob[K]> } & {
  script?: Interpolated<GitLabJob["script"]> | NodeScript;
  variables?: Record<string, Variable>;
};

/** A named job inside a component. The name may contain input placeholders (`${inputs.job_name}`). */
export interface JobDefinition {
  /** The job's key in the rendered YAML. */
  name: string | InputRef<string, string>;
  /** Its keywords. */
  job: Job;
}

/** Declares one job of a component. */
export function job(name: JobDefinition["name"], keywords: Job): JobDefinition {
  return { name, job: keywords };
}

/**
 * The order keywords are written in: what runs where first, then when, then what it does, then
 * what it leaves behind; then the keywords no component of ours uses yet, in name order. Every
 * keyword of {@link Job} is listed (a type error otherwise), so none is ever dropped.
 */
export const JOB_KEY_ORDER = [
  "extends",
  "stage",
  "image",
  "services",
  "tags",
  "variables",
  "needs",
  "dependencies",
  "rules",
  "when",
  "manual_confirmation",
  "start_in",
  "allow_failure",
  "environment",
  "resource_group",
  "interruptible",
  "timeout",
  "retry",
  "id_tokens",
  "cache",
  "before_script",
  "script",
  "after_script",
  "coverage",
  "artifacts",
  "release",
  // Not used by our components yet: in name order, where the removed `keywords` escape hatch wrote them.
  "except",
  "hooks",
  "identity",
  "inherit",
  "inputs",
  "only",
  "pages",
  "parallel",
  "publish",
  "run",
  "secrets",
  "trigger",
] as const satisfies readonly (keyof Job)[];

/** Compiles only while {@link JOB_KEY_ORDER} lists every keyword of {@link Job}. */
export const JOB_KEY_ORDER_IS_COMPLETE: Exclude<keyof Job, (typeof JOB_KEY_ORDER)[number]> extends never
  ? true
  : never = true;
