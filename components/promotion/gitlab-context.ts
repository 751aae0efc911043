/**
 * What the promotion job knows about its GitLab pipeline, from predefined variables: links for the
 * report, and what the re-run check asks the Deployments API (rerun.ts). All optional: outside
 * GitLab the report has fewer links and the check says it cannot tell.
 */
import { registerSecret } from "../../runtime/log.ts";

/** The pipeline, job and API the job runs in: the predefined variable of each name (empty ones left out). */
export interface GitLabContext {
  /** `CI_SERVER_URL`, `CI_PROJECT_PATH`: merge request links. */
  serverUrl?: string;
  projectPath?: string;
  /** `CI_PIPELINE_URL`: the report's header. */
  pipelineUrl?: string;
  /** `CI_API_V4_URL`, `CI_PROJECT_ID`, `CI_JOB_TOKEN`: the Deployments API, which a job token may read (doc/ci/jobs/ci_job_token.md). */
  apiUrl?: string;
  projectId?: string;
  jobToken?: string;
  /** `CI_PIPELINE_ID`, `CI_JOB_ID`, `CI_JOB_NAME`: which job this is. */
  pipelineId?: string;
  jobId?: string;
  jobName?: string;
  /** `CI_ENVIRONMENT_NAME`: the environment GitLab records the deployment in. */
  environmentName?: string;
}

const VARIABLES: Record<keyof GitLabContext, string> = {
  serverUrl: "CI_SERVER_URL",
  projectPath: "CI_PROJECT_PATH",
  pipelineUrl: "CI_PIPELINE_URL",
  apiUrl: "CI_API_V4_URL",
  projectId: "CI_PROJECT_ID",
  jobToken: "CI_JOB_TOKEN",
  pipelineId: "CI_PIPELINE_ID",
  jobId: "CI_JOB_ID",
  jobName: "CI_JOB_NAME",
  environmentName: "CI_ENVIRONMENT_NAME",
};

/** Reads the context; the job token is registered for redaction before anything can print it. */
export function readGitLabContext(env: Record<string, string | undefined>): GitLabContext {
  registerSecret(env.CI_JOB_TOKEN);
  const context: GitLabContext = {};
  for (const [key, name] of Object.entries(VARIABLES) as Array<[keyof GitLabContext, string]>)
    if (env[name]?.trim()) context[key] = env[name]?.trim();
  return context;
}
