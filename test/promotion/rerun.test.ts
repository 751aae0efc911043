/**
 * GitLab's "Rollback environment" retries an old deployment job in its old pipeline. Here
 * environments only move forward, so such a re-run must fail and say how to roll back; an
 * outdated pipeline's first attempt (which "Prevent outdated deployment jobs" let through) must
 * still stand down cleanly. The job tells them apart by GitLab's record: a re-run's pipeline
 * already holds a successful deployment of the environment by a job of the same name.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDeploymentsApi, type DeploymentsApi } from "../../stand-ins/gitlab-deployments.ts";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import { Project, PROMOTER, promote, STAGING } from "./history.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;
const JOB_TOKEN = `glcbt-${randomBytes(12).toString("hex")}`;
const PROJECT_ID = "42";

function bumpMessage(of: string, digit: string): string {
  const image = `registry.example.com/group/app@sha256:${digit.repeat(64)}`;
  return `chore(manifests): deploy ${image} [gitops-bump]\n\nGitOps-Image: ${image}\nGitOps-Source-Commit: ${of}\nGitOps-Pipeline: https://gitlab.example.com/group/app/-/pipelines/${digit}\nGitOps-Bump-Mode: commit\n`;
}

describe.skipIf(!requireTools("git"))("a promotion job re-run for a commit the environment has moved past", () => {
  let server: GitServer;
  let api: DeploymentsApi;
  let project: Project;
  let n = 0;
  /** Two changes, each with its bump, pipelines 10 and 11; staging at the second bump. */
  let first: string;
  let second: string;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
  });
  afterAll(async () => {
    await api?.close();
    await server?.close();
  });
  beforeEach(async () => {
    await api?.close();
    api = await startDeploymentsApi({ projectId: PROJECT_ID, tokens: [JOB_TOKEN] });
    project = new Project(server, `group/rerun-${++n}`);
    const [base] = (await project.chain(undefined, 1)) as [string];
    first = await project.commit([base], "feat: first change");
    const firstBump = await project.commit([first], bumpMessage(first, "1"));
    second = await project.commit([firstBump], "feat: second change");
    const secondBump = await project.commit([second], bumpMessage(second, "2"));
    await project.setBranch("main", secondBump);
    await project.setBranch(STAGING, secondBump);
    // GitLab's record: each pipeline's promote-staging job deployed staging.
    api.deploy({ environment: "staging", jobId: 100, jobName: "promote-staging", pipelineId: 10, sha: first });
    api.deploy({ environment: "staging", jobId: 110, jobName: "promote-staging", pipelineId: 11, sha: second });
  });
  const gitlab = (pipeline: number, job: number) => ({
    CI_API_V4_URL: api.apiUrl,
    CI_PROJECT_ID: PROJECT_ID,
    CI_JOB_TOKEN: JOB_TOKEN,
    CI_PIPELINE_ID: String(pipeline),
    CI_JOB_ID: String(job),
    CI_ENVIRONMENT_NAME: "staging",
  });

  it("fails a re-run of the first pipeline's deployment (Rollback environment), says how environments roll back here and names the rollback job", async () => {
    const before = project.branch(STAGING);
    const run = await promote(project, TOKEN, { component: "promote-staging", target: first, env: gitlab(10, 150) });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `ERROR: staging is at ${before?.slice(0, 12)}, past this pipeline's change ${first.slice(0, 12)}, and this job already deployed it in this pipeline (deployment 1): this is a re-run, such as GitLab's "Rollback environment". ${STAGING} only moves forward, so re-running an older deployment cannot take staging back`,
    );
    expect(run.stdout).toContain(
      "Fix: environments here roll back by a revert on main: run the manual job rollback-staging (the rollback component) in the latest main pipeline.",
    );
    expect(project.branch(STAGING)).toBe(before);
    expect(run.output).not.toContain(JOB_TOKEN);
    // One question to GitLab, with the job token.
    expect(api.requests.map((r) => [r.path.replace(/\?.*/, ""), r.token])).toEqual([
      [`/api/v4/projects/${PROJECT_ID}/deployments`, JOB_TOKEN],
    ]);
    expect(new URLSearchParams(api.requests[0]?.path.split("?")[1])).toEqual(
      new URLSearchParams({ environment: "staging", status: "success", order_by: "id", sort: "desc", per_page: "100" }),
    );
  });

  it("stands down cleanly on an outdated pipeline's first attempt: the only deployment by its job name in its pipeline is its own", async () => {
    const run = await promote(project, TOKEN, { component: "promote-staging", target: first, env: gitlab(10, 100) });
    expect(run.code, run.output).toBe(0);
    expect(run.outputs?.GITOPS_PROMOTION).toBe("superseded");
    expect(run.output).not.toContain("WARNING");
    expect(api.requests).toHaveLength(1);
  });

  it("stands down cleanly when the pipeline's earlier attempt failed (a retry after a failure is not a rollback)", async () => {
    api.deploy({
      environment: "staging",
      jobId: 101,
      jobName: "promote-staging",
      pipelineId: 12,
      sha: first,
      status: "failed",
    });
    const run = await promote(project, TOKEN, { component: "promote-staging", target: first, env: gitlab(12, 160) });
    expect(run.code, run.output).toBe(0);
    expect(run.outputs?.GITOPS_PROMOTION).toBe("superseded");
  });

  it("re-deploys the environment's current commit as a success, without asking GitLab", async () => {
    const run = await promote(project, TOKEN, { component: "promote-staging", target: second, env: gitlab(11, 170) });
    expect(run.code, run.output).toBe(0);
    expect(run.outputs?.GITOPS_PROMOTION).toBe("up-to-date");
    expect(api.requests).toHaveLength(0);
  });

  it("warns, and stands down, when GitLab cannot tell", async () => {
    api.failWith(403);
    const run = await promote(project, TOKEN, { component: "promote-staging", target: first, env: gitlab(10, 150) });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(
      `WARNING: could not tell whether this job re-runs an earlier deployment (GET ${api.apiUrl}/projects/${PROJECT_ID}/deployments answered 403). If it was started by "Rollback environment", staging was not rolled back: environments here roll back by a revert on main`,
    );
  });

  it("asks nothing in a dry run", async () => {
    const run = await promote(project, TOKEN, {
      component: "promote-staging",
      target: first,
      inputs: { dry_run: true },
      env: gitlab(10, 150),
    });
    expect(run.code, run.output).toBe(0);
    expect(api.requests).toHaveLength(0);
  });
});
