/**
 * What every lint check reads: the pipeline file, its resolved includes of this catalog and the
 * assembled job graph; and the helpers that name an include's input in a message.
 */
import type { CatalogVersions } from "../catalog-specs.ts";
import type { Problem } from "../../generator/problems.ts";
import type { ConsumerPipeline } from "../consumer-pipeline.ts";
import type { JobGraph } from "../job-graph.ts";
import { includeLocation, type ResolvedInclude } from "../resolve.ts";

/** The input of a lint check. */
export interface LintContext {
  pipeline: ConsumerPipeline;
  /** `group/project` of this catalog (gitops.config.ts). */
  catalogProject: string;
  /** This checkout's catalog version. */
  version: string;
  /** The specs of each version this checkout knows (its own, and its release tags). */
  versions: CatalogVersions;
  includes: ResolvedInclude[];
  graph: JobGraph;
}

/** A lint check: every problem it finds. */
export type LintCheck = (context: LintContext) => Problem[];

/** The path of a problem about one input of an include: `file:line`, the include, `input <name>`. */
export function inputPath(context: LintContext, resolved: ResolvedInclude, input: string): string[] {
  const given = Object.hasOwn(resolved.include.inputs, input);
  const where = given ? includeLocation(context.pipeline, resolved.include, "inputs", input) : resolved.where;
  return [where, resolved.label, given ? `input ${input}` : `input ${input} (default)`];
}

/** The includes of one component. */
export function includesOf(context: LintContext, component: string): ResolvedInclude[] {
  return context.includes.filter((r) => r.include.component === component);
}

/** A string input's value ("" when it is not a string). */
export function stringValue(resolved: ResolvedInclude, input: string): string {
  const value = resolved.values[input];
  return typeof value === "string" ? value : "";
}

/** The names of the jobs an include adds. */
export function jobNames(resolved: ResolvedInclude): string[] {
  return Object.keys(resolved.jobs).filter((name) => !name.startsWith("."));
}

/** A YAML snippet for a fix, on one line (`needs: [{job: x, optional: true}]`). */
export function yamlInline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(yamlInline).join(", ")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${yamlInline(v)}`)
      .join(", ")}}`;
  return typeof value === "string" && (value === "" || /[:#{}[\],&*!|>'"%@`]|^\s|\s$/.test(value))
    ? JSON.stringify(value)
    : String(value);
}
