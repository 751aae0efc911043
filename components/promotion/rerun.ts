/**
 * GitLab's "Rollback environment" button does not roll back here, and must not look as if it did.
 *
 * The button (and "Re-deploy", and "Retry" on a finished deployment job) retries the old
 * deployment job: a new job, in the old pipeline, with that pipeline's commit and variables
 * (app/services/ci/retry_job_service.rb clones the job into `job.pipeline`). The promotion then
 * finds the environment already past that commit and would stand down, successfully, while the
 * environment stays where it is. An outdated pipeline's first attempt (one that GitLab's
 * "Prevent outdated deployment jobs" let through) finds the same: its clean stand-down is right.
 *
 * No predefined variable marks a retry, and git cannot tell the two apart (the commit graph is the
 * same). What differs is GitLab's record: a retried job's pipeline already holds a successful
 * deployment of this environment by a job of the same name. The Deployments API lists them, and a
 * job token may read it (doc/ci/jobs/ci_job_token.md; `deployable` is the job, with its `name` and
 * `pipeline.id`: doc/api/deployments.md). So a promotion that finds its environment past its change
 * asks once; a re-run fails with a message that says how environments roll back here, a first
 * attempt stands down as before.
 */
import { RefusedError } from "../../runtime/errors.ts";
import { warn } from "../../runtime/log.ts";
import type { PromotionConfig } from "./config.ts";
import { shortSha, type Promotion } from "./decide.ts";
import type { GitLabContext } from "./gitlab-context.ts";

/** Successful deployments read, newest first (the API's largest page). */
const PER_PAGE = 100;
const TIMEOUT_MS = 30_000;

/** What the job did, as far as the check needs it. */
export interface Outcome {
  promotion: Promotion;
  /** The environment branch's head. */
  previous: string;
  /** The commit chosen for this change ("" for a stand-down). */
  target: string;
}

/** Did an earlier attempt of this job in this pipeline deploy the environment successfully? */
export type EarlierAttempt =
  | { found: true; deployment: number }
  | { found: false }
  | { found: "unknown"; reason: string };

/** The job name that rolls an environment back by default (the rollback component's `job_name`). */
export function rollbackJobName(environment: string): string {
  return `rollback-${environment}`;
}

/**
 * Fails when this job re-runs a deployment the environment has moved past (GitLab's rollback
 * button); a first attempt that finds the environment past its change stands down as before.
 */
export async function refuseRollbackRerun(config: PromotionConfig, outcome: Outcome): Promise<void> {
  const behind =
    outcome.promotion === "superseded" || (outcome.promotion === "up-to-date" && outcome.previous !== outcome.target);
  if (config.dryRun || !behind) return;
  const environment = config.gitlab.environmentName ?? config.environment;
  const earlier = await earlierAttempt(config.gitlab, environment);
  const source = config.branches.source;
  const howToRollBack = `environments here roll back by a revert on ${source}: run the manual job ${rollbackJobName(config.environment)} (the rollback component) in the latest ${source} pipeline. It reverts on ${source} what ${config.environment} received in its last promotion, and that commit is promoted like any other change`;
  if (earlier.found === true)
    throw new RefusedError(
      `${config.environment} is at ${shortSha(outcome.previous)}, past this pipeline's change ${shortSha(config.pipelineCommit)}, and this job already deployed it in this pipeline (deployment ${earlier.deployment}): this is a re-run, such as GitLab's "Rollback environment". ${config.branches.environment} only moves forward, so re-running an older deployment cannot take ${config.environment} back`,
      howToRollBack,
    );
  if (earlier.found === "unknown")
    warn(
      `could not tell whether this job re-runs an earlier deployment (${earlier.reason}). If it was started by "Rollback environment", ${config.environment} was not rolled back: ${howToRollBack}`,
    );
}

/** Asks the Deployments API for a successful deployment of `environment` by a job of this name in this pipeline, other than this job, among the newest {@link PER_PAGE}. */
export async function earlierAttempt(gitlab: GitLabContext, environment: string): Promise<EarlierAttempt> {
  const { apiUrl, projectId, jobToken, pipelineId, jobName, jobId } = gitlab;
  if (!apiUrl || !projectId || !jobToken || !pipelineId || !jobName || !jobId)
    return {
      found: "unknown",
      reason: "CI_API_V4_URL, CI_PROJECT_ID, CI_JOB_TOKEN, CI_PIPELINE_ID, CI_JOB_NAME or CI_JOB_ID is not set",
    };
  const url = `${apiUrl.replace(/\/+$/, "")}/projects/${encodeURIComponent(projectId)}/deployments`;
  const query = new URLSearchParams({
    environment,
    status: "success",
    order_by: "id",
    sort: "desc",
    per_page: String(PER_PAGE),
  });
  let deployments: Array<{
    id?: unknown;
    deployable?: { id?: unknown; name?: unknown; pipeline?: { id?: unknown } } | null;
  }>;
  try {
    const response = await fetch(`${url}?${query}`, {
      headers: { "JOB-TOKEN": jobToken },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) return { found: "unknown", reason: `GET ${url} answered ${response.status}` };
    deployments = (await response.json()) as typeof deployments;
    if (!Array.isArray(deployments)) throw new Error("the answer is not a list");
  } catch (error) {
    return { found: "unknown", reason: `GET ${url} failed: ${(error as Error).message}` };
  }
  const earlier = deployments.find(
    ({ deployable: job }) =>
      job && String(job.pipeline?.id) === pipelineId && job.name === jobName && String(job.id) !== jobId,
  );
  if (earlier) return { found: true, deployment: Number(earlier.id) };
  return deployments.length < PER_PAGE
    ? { found: false }
    : {
        found: "unknown",
        reason: `none of the newest ${PER_PAGE} successful deployments of ${environment} is this pipeline's`,
      };
}
