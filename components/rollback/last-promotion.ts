/**
 * What an environment received in its last promotion, as the promotion itself recorded it.
 *
 * git cannot tell: an environment branch's earlier heads are not in the commit graph, and GitLab's
 * deployments record the pipeline's commit, not the commit the job pushed (a bump), and a job that
 * stood down records a deployment too. So each promotion job writes the move it made into its
 * report artifact (report-render.ts, `<!-- gitops-promotion: {...} -->`), and this reads it back:
 * the environment's successful deployments, newest first (doc/api/deployments.md), and for each the
 * report of its job (`GET /projects/:id/jobs/:job_id/artifacts/gitops-promotion-report.md`,
 * doc/api/job_artifacts.md), until one records a move of this branch (not a stand-down, not a dry run).
 */
import { InfrastructureError, RefusedError } from "../../runtime/errors.ts";
import { httpFailureKind, remoteFailure, type RemoteParty } from "../../runtime/remote-failure.ts";
import { PROMOTION_REPORT } from "../promotion/outputs.ts";
import { parseRecord, type PromotionRecord } from "../promotion/report-render.ts";
import type { RollbackApi } from "./config.ts";
import { SINCE_VARIABLE } from "./outputs.ts";

/** Successful deployments read, newest first. */
const DEPLOYMENTS = 20;
const TIMEOUT_MS = 30_000;

/** The last promotion that moved the environment branch, and where GitLab has it. */
export interface LastPromotion {
  record: PromotionRecord;
  /** The deployment and its job, for messages. */
  deployment: number;
  job: number;
}

/** The API's remote party, for runtime/remote-failure.ts: the URL the predefined variables make, and the token. */
function party(api: RollbackApi, url: string, environment: string): RemoteParty {
  const needs =
    api.header === "PRIVATE-TOKEN"
      ? `project access token with the read_api scope (or set ${SINCE_VARIABLE} when running the job to the commit ${environment} should return to)`
      : `token that may read deployments and job artifacts: set token_variable's token (with the read_api scope), or set ${SINCE_VARIABLE} when running the job to the commit ${environment} should return to`;
  return {
    action: `reading ${environment}'s last promotion`,
    remote: { input: "CI_API_V4_URL/projects/CI_PROJECT_ID", value: url },
    credential: { description: api.description, input: "token_variable", needs },
  };
}

/** GET `path` of the project; a network failure, or an answer other than 200 unless `accept` takes it, fails in the user's terms. */
async function get(
  api: RollbackApi,
  path: string,
  environment: string,
  accept: (status: number) => boolean = () => false,
): Promise<{ status: number; text: string }> {
  const url = `${api.url.replace(/\/+$/, "")}/projects/${encodeURIComponent(api.projectId)}${path}`;
  const where = url.replace(/\?.*$/, "");
  let response: Response;
  try {
    response = await fetch(url, { headers: { [api.header]: api.token }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw remoteFailure(
      "unreachable",
      `GET ${url} failed: ${(error as Error).message}`,
      party(api, where, environment),
    );
  }
  const text = await response.text();
  if (response.status !== 200 && !accept(response.status)) {
    const what = `GET ${url} answered ${response.status}: ${text.slice(0, 300)}`;
    const kind = httpFailureKind(response.status);
    if (kind === "other")
      throw new InfrastructureError(
        what,
        `retry the job, or set ${SINCE_VARIABLE} when running the job to the commit ${environment} should return to`,
      );
    throw remoteFailure(kind, what, party(api, where, environment));
  }
  return { status: response.status, text };
}

/** The environment's last recorded promotion of `branch`; refuses, saying what to do, when there is none to read. */
export async function lastPromotion(
  api: RollbackApi | undefined,
  environment: string,
  branch: string,
): Promise<LastPromotion> {
  const since = `or set ${SINCE_VARIABLE} when running the job to the commit ${environment} should return to`;
  if (!api)
    throw new RefusedError(
      `cannot read ${environment}'s last promotion: CI_API_V4_URL, CI_PROJECT_ID or a token is missing`,
      `run the job in a GitLab pipeline, ${since}`,
    );
  const query = new URLSearchParams({
    environment,
    status: "success",
    order_by: "id",
    sort: "desc",
    per_page: String(DEPLOYMENTS),
  });
  const listed = await get(api, `/deployments?${query}`, environment);
  const scope =
    api.header === "PRIVATE-TOKEN"
      ? "give the token in token_variable the read_api scope"
      : "give the job a token (token_variable) with the read_api scope";
  let deployments: Array<{ id: number; deployable?: { id?: number } | null }>;
  try {
    deployments = JSON.parse(listed.text);
    if (!Array.isArray(deployments)) throw new Error("the answer is not a list");
  } catch (error) {
    throw new InfrastructureError(
      `GitLab's list of ${environment}'s deployments could not be read: ${(error as Error).message}`,
      "check that CI_API_V4_URL points at GitLab's REST API v4, then retry the job",
    );
  }
  let unreadable = 0;
  for (const deployment of deployments) {
    const job = deployment.deployable?.id;
    if (typeof job !== "number") continue;
    // Any answer but a server failure is read as "no report here" (see below); a server that fails, fails the job.
    const report = await get(api, `/jobs/${job}/artifacts/${PROMOTION_REPORT}`, environment, (status) => status < 500);
    // A job without the report: an older catalog version, expired artifacts, or (with the job token) a tier that cannot read them.
    if (report.status !== 200) {
      unreadable++;
      continue;
    }
    const record = parseRecord(report.text);
    if (
      record &&
      !record.dryRun &&
      record.branch === branch &&
      (record.promotion === "fast-forward" || record.promotion === "created")
    )
      return { record, deployment: deployment.id, job };
  }
  throw new RefusedError(
    `none of ${environment}'s ${deployments.length} newest successful deployments records a promotion of ${branch}${unreadable ? ` (${unreadable} had no readable ${PROMOTION_REPORT}: an older catalog version, expired artifacts, or a job token that may not read artifacts)` : ""}`,
    `${scope} if it lacks it, ${since}`,
  );
}
