/**
 * A GitLab CI job, typed after GitLab's job keywords and spelled exactly as GitLab spells them
 * (`allow_failure`, `resource_group`, …). No key is ever case-converted.
 */
import type { InputRef } from "./inputs.ts";
import type { NodeScript } from "./script.ts";

/** A value written literally, or an input placed as the whole value (keeps its type in GitLab). */
export type Value<T> = T | InputRef<string, T>;
/** A list written literally, or an `array` input placed as the whole value. */
export type ListValue<T> = T[] | InputRef<string, unknown[]>;
/**
 * A list whose items may include `array` inputs, each placed as one item: GitLab inserts the
 * array there as a nested list and flattens it where the keyword allows (`rules`, `needs`).
 */
export type FlattenedList<T> = ListValue<T> | Array<T | InputRef<string, unknown[]>>;

/** `when:` values. */
export type When = "on_success" | "on_failure" | "always" | "never" | "manual" | "delayed";

/** One `rules:` entry. */
export interface Rule {
  if?: string;
  changes?: string[] | { paths: string[]; compare_to?: string };
  exists?: string[];
  when?: When;
  allow_failure?: boolean;
  variables?: Record<string, string>;
  needs?: Array<string | { job: string; artifacts?: boolean; optional?: boolean }>;
}

/** `environment:` (keyword form). */
export interface Environment {
  name: Value<string>;
  url?: Value<string>;
  action?: Value<"start" | "prepare" | "stop" | "verify" | "access">;
  on_stop?: string;
  auto_stop_in?: Value<string>;
  deployment_tier?: Value<"production" | "staging" | "testing" | "development" | "other">;
  kubernetes?: { agent?: Value<string>; dashboard?: { namespace?: Value<string>; flux_resource_path?: Value<string> } };
}

/** `artifacts:`. */
export interface Artifacts {
  name?: string;
  paths?: string[];
  exclude?: string[];
  expire_in?: string;
  expose_as?: string;
  when?: "on_success" | "on_failure" | "always";
  access?: "all" | "developer" | "none";
  untracked?: boolean;
  reports?: {
    dotenv?: string | string[];
    junit?: Value<string> | string[];
    coverage_report?: { coverage_format: "cobertura" | "jacoco"; path: Value<string> };
    [report: string]: unknown;
  };
}

/** `image:` (string or object form). */
export type Image = Value<string> | { name: Value<string>; entrypoint?: string[]; pull_policy?: string | string[] };

/**
 * A job variable: a string or number, a string or number input placed whole, or the object form.
 * Not a boolean or array input placed whole: GitLab inserts those typed, and a variable must be a
 * string (`inputVariable()` in components/common.ts wraps them).
 */
export type Variable = Value<string> | Value<number> | { value: string; description?: string; expand?: boolean };

/** A need: a job name (may contain input placeholders) or the object form. */
export type Need = string | { job: string; artifacts?: boolean; optional?: boolean };

/** The keywords of one job. */
export interface Job {
  stage?: Value<string>;
  image?: Image;
  services?: Array<string | { name: string; alias?: string }>;
  variables?: Record<string, Variable>;
  needs?: FlattenedList<Need>;
  dependencies?: string[];
  rules?: FlattenedList<Rule>;
  when?: Value<When>;
  allow_failure?: Value<boolean> | { exit_codes: number | number[] };
  manual_confirmation?: string;
  start_in?: string;
  environment?: Value<string> | Environment;
  resource_group?: Value<string>;
  interruptible?: Value<boolean>;
  timeout?: Value<string>;
  retry?: Value<number> | { max?: number; when?: string[]; exit_codes?: number[] };
  tags?: ListValue<string>;
  before_script?: string[];
  /**
   * Shell lines, a TypeScript entry bundled and embedded by the generator, or an `array` input
   * holding the consumer's own commands (the `test` component).
   */
  script?: ListValue<string> | NodeScript;
  after_script?: string[];
  coverage?: Value<string>;
  artifacts?: Artifacts;
  cache?: Record<string, unknown> | Array<Record<string, unknown>>;
  release?: { tag_name: string; description: string; name?: string; ref?: string };
  id_tokens?: Record<string, { aud: string | string[] }>;
  extends?: string | string[];
  /**
   * The escape hatch: keywords this model lacks, emitted as written (after the modelled ones, in
   * name order) and validated against GitLab's schema like everything else. A key the model has
   * is refused here: use the typed field.
   */
  keywords?: Record<string, unknown>;
}

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
 * what it leaves behind. Anything else (the escape hatch) follows in name order.
 */
export const JOB_KEY_ORDER: readonly (keyof Job)[] = [
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
];
