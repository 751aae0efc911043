/**
 * The pipeline's jobs as GitLab assembles them: the included components' jobs, merged with a job
 * of the same name in the consumer's file (GitLab deep-merges hashes and lets the local value of
 * any other key replace the included one: doc/ci/yaml/includes.md, "Override included
 * configuration values"), plus the consumer's own jobs, and the stage list.
 */
import { isJobName } from "../generator/surface.ts";
import type { ConsumerPipeline } from "./consumer-pipeline.ts";
import type { ResolvedInclude } from "./resolve.ts";

/** One `needs:` entry naming a job of the same pipeline. */
export interface Need {
  job: string;
  optional: boolean;
}

/** One job of the assembled pipeline. */
export interface PipelineJob {
  name: string;
  /** Its stage (`test` when the job names none, as in GitLab). */
  stage: string;
  needs: Need[];
  /** The include that defines it; undefined for a job of the consumer's own. */
  from?: ResolvedInclude;
  /** The job after the consumer's keys were merged in. */
  job: Record<string, unknown>;
  /** Keys the consumer's file sets on an included job. */
  overridden: string[];
}

/** The assembled pipeline. */
export interface JobGraph {
  /** GitLab's stage list: `.pre`, the file's stages (or build, test, deploy), `.post`. */
  stages: string[];
  /** Whether the file declares `stages:`. */
  declaredStages: boolean;
  jobs: Map<string, PipelineJob>;
  /** Job names that more than one include defines: the later silently merges over the earlier. */
  clashes: Array<{ name: string; includes: ResolvedInclude[] }>;
  /**
   * Includes of other files (local, project, remote, template, or another catalog's components):
   * their jobs and stages are not known here, so a need or stage that may come from them is not judged.
   */
  otherIncludes: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** GitLab's deep merge of a local job over an included one: hashes merge, everything else is replaced. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over))
    merged[key] =
      isRecord(value) && isRecord(base[key]) ? deepMerge(base[key] as Record<string, unknown>, value) : value;
  return merged;
}

/** A job's `needs:` as job names (nested lists flattened; cross-project and pipeline needs left out). */
export function needsOf(job: Record<string, unknown>): Need[] {
  const raw = job.needs;
  if (!Array.isArray(raw)) return [];
  return (raw.flat(Number.POSITIVE_INFINITY) as unknown[]).flatMap((item): Need[] => {
    if (typeof item === "string") return [{ job: item, optional: false }];
    if (isRecord(item) && typeof item.job === "string" && item.project === undefined && item.pipeline === undefined)
      return [{ job: item.job, optional: item.optional === true }];
    return [];
  });
}

/**
 * A job of the file with its `extends:` applied: the named jobs of the same file merged in order,
 * then the job itself over them (GitLab's deep merge; at most 11 levels, as GitLab allows).
 * Templates from other files are not known here, so their keys are missing, not guessed.
 */
function withExtends(data: Record<string, unknown>, job: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const { extends: _, ...own } = job;
  return deepMerge(extendedBase(data, job, depth), own);
}

/** What a job's `extends:` brings, before the job's own keys. */
function extendedBase(data: Record<string, unknown>, job: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const parents =
    typeof job.extends === "string"
      ? [job.extends]
      : Array.isArray(job.extends)
        ? job.extends.filter((e): e is string => typeof e === "string")
        : [];
  let merged: Record<string, unknown> = {};
  if (depth > 10) return merged;
  for (const parent of parents) {
    const base = data[parent];
    if (isRecord(base)) merged = deepMerge(merged, withExtends(data, base, depth + 1));
  }
  return merged;
}

/** Assembles the pipeline from the file and its resolved includes. */
export function jobGraph(pipeline: ConsumerPipeline, includes: readonly ResolvedInclude[]): JobGraph {
  const declared = pipeline.data.stages;
  const declaredStages = Array.isArray(declared);
  const stages = [
    ".pre",
    ...(declaredStages ? (declared as unknown[]).map(String) : ["build", "test", "deploy"]),
    ".post",
  ];
  const jobs = new Map<string, PipelineJob>();
  const definedBy = new Map<string, ResolvedInclude[]>();
  for (const resolved of includes) {
    for (const [name, job] of Object.entries(resolved.jobs)) {
      if (name.startsWith(".") || !isRecord(job)) continue;
      definedBy.set(name, [...(definedBy.get(name) ?? []), resolved]);
      const earlier = jobs.get(name)?.job ?? {};
      jobs.set(name, { name, stage: "", needs: [], from: resolved, job: deepMerge(earlier, job), overridden: [] });
    }
  }
  for (const [name, raw] of Object.entries(pipeline.data)) {
    if (!isJobName(name) || !isRecord(raw)) continue;
    const { extends: _, ...own } = raw;
    const included = jobs.get(name);
    // GitLab merges the local job over the included one first, then resolves extends beneath both.
    if (included)
      jobs.set(name, {
        ...included,
        job: deepMerge(extendedBase(pipeline.data, raw), deepMerge(included.job, own)),
        overridden: Object.keys(own),
      });
    else jobs.set(name, { name, stage: "", needs: [], job: withExtends(pipeline.data, raw), overridden: [] });
  }
  for (const job of jobs.values()) {
    job.stage = typeof job.job.stage === "string" ? job.job.stage : "test";
    job.needs = needsOf(job.job);
  }
  const clashes = [...definedBy].filter(([, by]) => by.length > 1).map(([name, by]) => ({ name, includes: by }));
  const raw = pipeline.data.include;
  const entries = Array.isArray(raw) ? raw.length : raw === undefined ? 0 : 1;
  return { stages, declaredStages, jobs, clashes, otherIncludes: entries - includes.length };
}
