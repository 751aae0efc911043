/**
 * Order: every job's stage exists, every need names a job of an earlier or the same stage (GitLab
 * refuses the pipeline otherwise: lib/gitlab/ci/yaml_processor.rb), and each consumer waits for its
 * producer. GitLab silently drops an `optional: true` need that names no job, so a promotion whose
 * update-manifests job was renamed runs at once, before the bump, and promotes the pipeline's own
 * commit, whose manifests still name the previous image. Also: two includes that define one job.
 */
import type { Problem } from "../../generator/problems.ts";
import type { PipelineJob } from "../job-graph.ts";
import type { ResolvedInclude } from "../resolve.ts";
import {
  includesOf,
  inputPath,
  jobNames,
  stringValue,
  yamlInline,
  type LintCheck,
  type LintContext,
} from "./context.ts";

function jobPath(context: LintContext, job: PipelineJob): string[] {
  if (job.from) return [job.from.where, job.from.label, `job ${job.name}`];
  const line = context.pipeline.lineOf([job.name]);
  return [line === undefined ? context.pipeline.file : `${context.pipeline.file}:${line}`, `job ${job.name}`];
}

/** Stages that exist, and needs that GitLab accepts. */
export const checkStagesAndNeeds: LintCheck = (context) => {
  const problems: Problem[] = [];
  const { stages, jobs } = context.graph;
  const shown = stages.join(", ");
  for (const job of jobs.values()) {
    const stageIndex = stages.indexOf(job.stage);
    // Stages may come from an included file when this one declares none.
    if (stageIndex < 0 && !context.graph.declaredStages && context.graph.otherIncludes > 0) continue;
    if (stageIndex < 0) {
      const fix =
        job.from && "stage" in job.from.spec.inputs ? ` or give ${job.from.label} the input stage: <one of them>` : "";
      problems.push({
        path: jobPath(context, job),
        message: `runs in stage ${job.stage}, which this pipeline does not have; GitLab refuses the pipeline ("${job.name} job: chosen stage ${job.stage} does not exist; available stages are ${shown}")`,
        fix: `add ${job.stage} to stages: (in the order the jobs run, for example [build, test, review, deploy])${fix}`,
      });
      continue;
    }
    for (const need of job.needs) {
      const needed = jobs.get(need.job);
      if (!needed) {
        if (need.optional) continue; // GitLab ignores it; the producer checks below judge whether that matters.
        // The job may be defined in another included file, which lint does not read.
        if (context.graph.otherIncludes > 0 && !(job.from && stringValue(job.from, "build_job") === need.job)) continue;
        const buildJob =
          job.from && "build_job" in job.from.spec.inputs && stringValue(job.from, "build_job") === need.job;
        problems.push({
          path: buildJob && job.from ? inputPath(context, job.from, "build_job") : jobPath(context, job),
          message: `needs ${need.job}, which is not a job of this pipeline; GitLab refuses the pipeline ("${job.name} job: undefined need: ${need.job}")`,
          fix: buildJob
            ? `set build_job to the job_name of your build include (${buildJobs(context).join(", ") || "none: include the build component"})`
            : `name an existing job, or remove the need`,
        });
        continue;
      }
      if (stages.indexOf(needed.stage) > stageIndex)
        problems.push({
          path: jobPath(context, job),
          message: `needs ${need.job}, which runs in the later stage ${needed.stage} (this job's stage is ${job.stage}); GitLab refuses the pipeline ("${job.name} job: need ${need.job} is not defined in current or prior stages")`,
          fix: `order stages: so that ${needed.stage} comes before ${job.stage} (now: ${stages.slice(1, -1).join(", ")})`,
        });
    }
  }
  for (const clash of context.graph.clashes)
    problems.push({
      path: [clash.includes[1]?.where ?? "", clash.includes.map((r) => r.label).join(" and "), `job ${clash.name}`],
      message: `each define the job ${clash.name}; GitLab merges the later over the earlier, so one of them is silently lost`,
      fix: `give each include its own job name (the input ${"job_prefix" in (clash.includes[1]?.spec.inputs ?? {}) ? "job_prefix" : "job_name"})`,
    });
  return problems;
};

function buildJobs(context: LintContext): string[] {
  return includesOf(context, "build").flatMap(jobNames);
}

/** The job names one include adds that the graph still has. */
function jobsOf(context: LintContext, resolved: ResolvedInclude): PipelineJob[] {
  return jobNames(resolved).flatMap((name) => {
    const job = context.graph.jobs.get(name);
    return job ? [job] : [];
  });
}

function waitsFor(job: PipelineJob, name: string): boolean {
  return job.needs.some((need) => need.job === name);
}

/** The include's `needs` input with `missing` added and entries naming no job of the pipeline dropped. */
function correctedNeeds(
  context: LintContext,
  resolved: ResolvedInclude,
  missing: readonly Record<string, unknown>[],
): string {
  const current = Array.isArray(resolved.values.needs) ? (resolved.values.needs as unknown[]) : [];
  const kept = current.filter((need) => {
    const name = typeof need === "string" ? need : (need as { job?: unknown } | null)?.job;
    return typeof name === "string" && context.graph.jobs.has(name);
  });
  return `give ${resolved.label} the input needs: ${yamlInline([...kept, ...missing])}`;
}

/** One consumer job and the producers it should wait for but does not. */
interface Waiting {
  consumer: ResolvedInclude;
  job: PipelineJob;
  missing: Array<{ entry: Record<string, unknown>; message: string }>;
}

/** Consumers that do not wait for their producer (renamed jobs behind `optional: true` needs). */
export const checkProducers: LintCheck = (context) => {
  const waiting: Waiting[] = [];
  const bumps = includesOf(context, "update-manifests");
  const bumpJobs = bumps.flatMap((r) => jobsOf(context, r));
  // update-manifests waits for the tests of the image it bumps.
  for (const bump of bumps) {
    const tests = includesOf(context, "test").filter(
      (t) => stringValue(t, "build_job") === stringValue(bump, "build_job"),
    );
    for (const job of jobsOf(context, bump)) {
      const missing = tests
        .flatMap((test) => jobsOf(context, test))
        .filter((testJob) => !waitsFor(job, testJob.name))
        .map((testJob) => ({
          entry: { job: testJob.name, artifacts: false, optional: true },
          message: `${job.name} does not wait for ${testJob.name}, which tests the same image (built by ${stringValue(bump, "build_job")}): it can point the manifests at an image whose tests fail`,
        }));
      waiting.push({ consumer: bump, job, missing });
    }
  }
  // Every promotion waits for every bump of the pipeline, and production for the promotion it requires.
  const promotions = [...includesOf(context, "promote-staging"), ...includesOf(context, "manual-production")];
  for (const promotion of promotions) {
    const required = stringValue(promotion, "require_branch");
    const before = required
      ? promotions
          .filter((p) => p !== promotion && stringValue(p, "environment_branch") === required)
          .flatMap((p) => jobsOf(context, p))
      : [];
    for (const job of jobsOf(context, promotion)) {
      const missing = [
        ...bumpJobs
          .filter((bumpJob) => !waitsFor(job, bumpJob.name))
          .map((bumpJob) => ({
            entry: { job: bumpJob.name, artifacts: true, optional: true },
            message: `${job.name} does not wait for ${bumpJob.name}: it can run before the bump and promote the pipeline's own commit, whose manifests still name the previous image`,
          })),
        ...before
          .filter((beforeJob) => !waitsFor(job, beforeJob.name))
          .map((beforeJob) => ({
            entry: { job: beforeJob.name, artifacts: false, optional: true },
            message: `${job.name} does not wait for ${beforeJob.name}, which promotes ${required}: it is playable before ${required} has the commit, and is then refused`,
          })),
      ];
      waiting.push({ consumer: promotion, job, missing });
    }
  }
  return waiting.flatMap(({ consumer, missing }) => {
    const fix = correctedNeeds(
      context,
      consumer,
      missing.map((m) => m.entry),
    );
    return missing.map((m) => ({ path: inputPath(context, consumer, "needs"), message: m.message, fix }));
  });
};
