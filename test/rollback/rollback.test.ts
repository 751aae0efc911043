/**
 * The rollback job as it ships (templates/rollback), on real histories served over loopback HTTP:
 * it reverts on main what production received in its last promotion (read back from that
 * promotion's report artifact through a Deployments API stand-in), or since a named commit, as one
 * commit whose pipeline then promotes it forward; production returns to the previous image and
 * every environment branch stays a fast-forward of its past, inside main.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDeploymentsApi, type DeploymentsApi } from "../../stand-ins/gitlab-deployments.ts";
import { startGitLabApi } from "../../stand-ins/gitlab-api.ts";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { readDotenv, runTemplateJob } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";
import { PRODUCTION, Project, PROMOTER, promote, STAGING } from "../promotion/history.ts";
import { WorkHistory } from "../promotion/work-history.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;
const MAIN_TOKEN = `glpat-${randomBytes(12).toString("hex")}`;
const PROJECT_ID = "42";
const APP = "registry.example.com/group/app";
const image = (c: string) => `${APP}@sha256:${c.repeat(64)}`;
const kustomization = (ref: string) =>
  `kind: Kustomization\nresources:\n  - deployment.yaml\nimages:\n  - name: ${APP}\n    ${ref}\n`;
const bump = (of: string, c: string) =>
  `chore(manifests): deploy ${image(c)} [gitops-bump]\n\nGitOps-Image: ${image(c)}\nGitOps-Source-Commit: ${of}\nGitOps-Pipeline: https://gitlab.example.com/group/app/-/pipelines/${c}\nGitOps-Bump-Mode: commit`;
/** A promotion report's record line, as report-render.ts writes it. */
const record = (promotion: string, previous: string, promoted: string, dryRun = false) =>
  `# Promotion report: production\n\n<!-- gitops-promotion: ${JSON.stringify({ environment: "production", branch: PRODUCTION, promotion, previous, promoted, dryRun })} -->\n`;

describe.skipIf(!requireTools("git"))("the rollback job", () => {
  let server: GitServer;
  let api: DeploymentsApi;
  let project: Project;
  let work: WorkHistory;
  let n = 0;
  const at = {} as Record<"initial" | "merge1" | "bump1" | "merge2" | "bump2", string>;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
    server.addToken(MAIN_TOKEN, "manifests-bot");
  });
  afterAll(async () => {
    work?.dispose();
    await api?.close();
    await server?.close();
  });

  /** main: initial (image 0), change 1 + bump (image 1), change 2 + bump (image 2); production was promoted to bump 1, then to bump 2. */
  beforeEach(async () => {
    work?.dispose();
    await api?.close();
    project = new Project(server, `group/rollback-${++n}`);
    work = await WorkHistory.create(project);
    at.initial = await work.commit("Initial", {
      "deploy/kustomization.yaml": kustomization("newTag: initial"),
      "src/app.sh": "echo one\n",
      "README.md": "# App\n",
    });
    for (const [i, text] of [
      ["1", "echo two\n"],
      ["2", "echo three\n"],
    ] as const) {
      await work.branch(`feature-${i}`);
      await work.commit(`feat: change ${i}`, { "src/app.sh": text }, "Alice Developer");
      await work.checkout("main");
      const merge = await work.merge(
        `feature-${i}`,
        `Merge branch 'feature-${i}' into 'main'\n\nfeat: change ${i}\n\nSee merge request group/app!${i}`,
      );
      const bumped = await work.commit(
        bump(merge, i),
        { "deploy/kustomization.yaml": kustomization(`digest: sha256:${i.repeat(64)}`) },
        "GitOps Bot",
      );
      at[`merge${i}`] = merge;
      at[`bump${i}`] = bumped;
    }
    await work.push("main");
    await project.setBranch(STAGING, at.bump2);
    await project.setBranch(PRODUCTION, at.bump2);
    // GitLab's record of production: the two promotions, then a later job that stood down.
    api = await startDeploymentsApi({ projectId: PROJECT_ID, tokens: [MAIN_TOKEN] });
    for (const [job, text] of [
      [201, record("fast-forward", at.initial, at.bump1)],
      [202, record("fast-forward", at.bump1, at.bump2)],
      [203, record("superseded", at.bump2, at.bump2)],
    ] as const) {
      api.deploy({
        environment: "production",
        jobId: job,
        jobName: "promote-production",
        pipelineId: job - 100,
        sha: at.merge1,
      });
      api.artifacts.set(`${job}/gitops-promotion-report.md`, text);
    }
  });

  async function rollback(options: { env?: Record<string, string>; inputs?: Record<string, unknown> } = {}) {
    const cwd = mkdtempSync(path.join(tmpdir(), "gitops-rollback-job-"));
    try {
      const run = await runTemplateJob({
        component: "rollback",
        cwd,
        inputs: { author_name: "Rollback Bot", author_email: "rollback@example.com", ...options.inputs },
        env: {
          CI_SERVER_URL: server.url,
          CI_PROJECT_PATH: project.repoPath,
          CI_API_V4_URL: api.apiUrl,
          CI_PROJECT_ID: PROJECT_ID,
          CI_DEFAULT_BRANCH: "main",
          CI_COMMIT_BRANCH: "main",
          GITOPS_MANIFESTS_TOKEN: MAIN_TOKEN,
          TMPDIR: cwd,
          ...options.env,
        },
      });
      let outputs: Record<string, string> | undefined;
      try {
        outputs = readDotenv(path.join(cwd, "gitops-rollback.env"));
      } catch {
        outputs = undefined;
      }
      return { ...run, outputs };
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }

  const show = (rev: string) => execFileSync("git", ["show", rev], { cwd: project.dir, encoding: "utf8" });
  const file = (commit: string, name: string) =>
    execFileSync("git", ["show", `${commit}:${name}`], { cwd: project.dir, encoding: "utf8" });
  const message = (commit: string) =>
    execFileSync("git", ["log", "-1", "--format=%B", commit], { cwd: project.dir, encoding: "utf8" });

  it("reverts on main what production received in its last promotion, as one commit its pipeline promotes: production returns to the previous image", async () => {
    const run = await rollback();
    expect(run.code, run.output).toBe(0);
    const rollbackCommit = project.branch("main") as string;
    expect(
      execFileSync("git", ["log", "-1", "--format=%P", rollbackCommit], { cwd: project.dir, encoding: "utf8" }).trim(),
    ).toBe(at.bump2);
    expect(run.outputs).toEqual({
      GITOPS_ROLLBACK: "committed",
      GITOPS_ROLLBACK_SHA: rollbackCommit,
      GITOPS_ROLLBACK_FROM: at.bump2,
      GITOPS_ROLLBACK_TO: at.bump1,
      GITOPS_ROLLBACK_COMMIT_COUNT: "3",
    });
    // The content production had before its last promotion: image 1 and change 1's code.
    expect(file(rollbackCommit, "deploy/kustomization.yaml")).toBe(file(at.bump1, "deploy/kustomization.yaml"));
    expect(file(rollbackCommit, "src/app.sh")).toBe("echo two\n");
    expect(message(rollbackCommit)).toMatch(
      new RegExp(`^Roll back production to ${at.bump1.slice(0, 12)}: revert 3 commits \\[gitops-rollback\\]\\n`),
    );
    expect(message(rollbackCommit)).toContain(`what production received in its last promotion (deployment 2, job 202)`);
    expect(message(rollbackCommit)).toContain(
      `GitOps-Rollback-Environment: production\nGitOps-Rollback-From: ${at.bump2}\nGitOps-Rollback-To: ${at.bump1}\n`,
    );
    // The promotions' guard (GitOps-Bump-Mode: commit) must not match, though a reverted bump is listed.
    expect(message(rollbackCommit)).not.toContain("GitOps-Bump-Mode: commit");
    expect(show(rollbackCommit)).toContain("Author: Rollback Bot <rollback@example.com>");

    // The rollback commit's pipeline promotes it forward, like any change.
    const staging = await promote(project, TOKEN, { component: "promote-staging", target: rollbackCommit });
    expect(staging.code, staging.output).toBe(0);
    const production = await promote(project, TOKEN, { component: "manual-production", target: rollbackCommit });
    expect(production.code, production.output).toBe(0);
    expect(project.branch(PRODUCTION)).toBe(rollbackCommit);
    expect(file(project.branch(PRODUCTION) as string, "deploy/kustomization.yaml")).toContain(
      `digest: sha256:${"1".repeat(64)}`,
    );
    // The report of that promotion shows the image going back.
    expect(production.report).toContain(`\`images[${APP}]\`: \`${image("2")}\` → \`${image("1")}\``);
    expect(await project.isAncestor(at.bump2, rollbackCommit)).toBe(true);
  });

  it("keeps what main changed after the environment's head, and reads the last promotion with the main token", async () => {
    await work.commit("docs: later change", { "README.md": "# App, documented\n" }, "Bob Writer");
    const later = await work.push("main");
    const run = await rollback();
    expect(run.code, run.output).toBe(0);
    const rollbackCommit = project.branch("main") as string;
    expect(file(rollbackCommit, "README.md")).toBe("# App, documented\n");
    expect(file(rollbackCommit, "src/app.sh")).toBe("echo two\n");
    expect(
      execFileSync("git", ["log", "-1", "--format=%P", rollbackCommit], { cwd: project.dir, encoding: "utf8" }).trim(),
    ).toBe(later);
    // The deployments, then the newest report (a stand-down, skipped), then the one before it.
    expect(api.requests.map((r) => [r.path.replace(/\?.*/, ""), r.token])).toEqual([
      [`/api/v4/projects/${PROJECT_ID}/deployments`, MAIN_TOKEN],
      [`/api/v4/projects/${PROJECT_ID}/jobs/203/artifacts/gitops-promotion-report.md`, MAIN_TOKEN],
      [`/api/v4/projects/${PROJECT_ID}/jobs/202/artifacts/gitops-promotion-report.md`, MAIN_TOKEN],
    ]);
    expect(run.output).not.toContain(MAIN_TOKEN);
  });

  it("refuses, committing nothing, when the revert conflicts with a later change of main, and says what to do", async () => {
    await work.commit(
      bump(at.merge2, "3"),
      { "deploy/kustomization.yaml": kustomization(`digest: sha256:${"3".repeat(64)}`) },
      "GitOps Bot",
    );
    const later = await work.push("main");
    const run = await rollback();
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `ERROR: the revert of ${at.bump1.slice(0, 12)}..${at.bump2.slice(0, 12)} conflicts with what main changed since ${at.bump2.slice(0, 12)}, in: deploy/kustomization.yaml. Nothing was committed`,
    );
    expect(run.stdout).toContain(
      `Fix: revert by hand on a branch (git revert --no-commit ${at.bump1}..${at.bump2}, resolve, put [gitops-rollback] in the title`,
    );
    expect(project.branch("main")).toBe(later);
    expect(run.outputs).toBeUndefined();
  });

  it("reverts what production received since the commit GITOPS_ROLLBACK_SINCE names (abbreviated), without asking GitLab", async () => {
    const run = await rollback({ env: { GITOPS_ROLLBACK_SINCE: at.initial.slice(0, 10) } });
    expect(run.code, run.output).toBe(0);
    const rollbackCommit = project.branch("main") as string;
    expect(file(rollbackCommit, "deploy/kustomization.yaml")).toBe(file(at.initial, "deploy/kustomization.yaml"));
    expect(file(rollbackCommit, "src/app.sh")).toBe("echo one\n");
    expect(run.outputs).toMatchObject({ GITOPS_ROLLBACK_TO: at.initial, GITOPS_ROLLBACK_COMMIT_COUNT: "6" });
    expect(message(rollbackCommit)).toContain(`since ${at.initial.slice(0, 12)}, named by GITOPS_ROLLBACK_SINCE`);
    expect(api.requests).toEqual([]);
  });

  it.each([
    { since: "main", code: 2, error: 'ERROR: input GITOPS_ROLLBACK_SINCE = "main": is not a commit SHA' },
    {
      since: "0123456789abcdef",
      code: 3,
      error: `ERROR: GITOPS_ROLLBACK_SINCE = 0123456789abcdef is not a commit ${PRODUCTION} received before its head`,
    },
  ])("refuses GITOPS_ROLLBACK_SINCE=$since, pushing nothing", async ({ since, code, error }) => {
    const before = project.branch("main");
    const run = await rollback({ env: { GITOPS_ROLLBACK_SINCE: since } });
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(error);
    expect(project.branch("main")).toBe(before);
  });

  it("finds its own rollback on a second run and commits nothing", async () => {
    expect((await rollback()).code).toBe(0);
    const first = project.branch("main");
    const again = await rollback();
    expect(again.code, again.output).toBe(0);
    expect(project.branch("main")).toBe(first);
    expect(again.outputs).toMatchObject({ GITOPS_ROLLBACK: "already-rolled-back", GITOPS_ROLLBACK_SHA: first });
  });

  it("refuses when no recent deployment records a promotion, and names the variable that says where to go back to", async () => {
    api.artifacts.clear();
    const run = await rollback();
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `ERROR: none of production's 3 newest successful deployments records a promotion of ${PRODUCTION} (3 had no readable gitops-promotion-report.md`,
    );
    expect(run.stdout).toContain(
      "or set GITOPS_ROLLBACK_SINCE when running the job to the commit production should return to",
    );
  });

  it("refuses when the last promotion created the environment branch: there is nothing before it", async () => {
    api.artifacts.set("203/gitops-promotion-report.md", record("created", "", at.bump2));
    const run = await rollback();
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `ERROR: production's last promotion (deployment 3, job 203) created ${PRODUCTION}: there is no earlier state to return to`,
    );
  });

  it("proposes the revert in a merge request in merge_request mode", async () => {
    const mrApi = await startGitLabApi({ token: MAIN_TOKEN, projectId: PROJECT_ID, projectPath: project.repoPath });
    try {
      const before = project.branch("main");
      const run = await rollback({
        inputs: { mode: "merge_request" },
        env: { CI_API_V4_URL: mrApi.apiUrl, GITOPS_ROLLBACK_SINCE: at.bump1 },
      });
      expect(run.code, run.output).toBe(0);
      expect(project.branch("main")).toBe(before);
      const branch = `gitops/rollback-production-${at.bump2.slice(0, 12)}`;
      expect(project.branch(branch)).toBe(run.outputs?.GITOPS_ROLLBACK_SHA);
      expect(mrApi.mergeRequests).toMatchObject([
        {
          source_branch: branch,
          target_branch: "main",
          title: expect.stringMatching(/^Roll back production to [0-9a-f]{12}: revert 3 commits \[gitops-rollback\]$/),
        },
      ]);
      expect(run.outputs).toMatchObject({
        GITOPS_ROLLBACK: "merge-request",
        GITOPS_ROLLBACK_MERGE_REQUEST_URL: mrApi.mergeRequests[0]?.web_url,
      });
      // A second run, later (so its revert commit differs from the first: within one second both
      // runs would write the same commit and the push would simply be up to date), finds its branch
      // and its merge request.
      const later = { GIT_AUTHOR_DATE: "2030-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2030-01-01T00:00:00Z" };
      const again = await rollback({
        inputs: { mode: "merge_request" },
        env: { CI_API_V4_URL: mrApi.apiUrl, GITOPS_ROLLBACK_SINCE: at.bump1, ...later },
      });
      expect(again.code, again.output).toBe(0);
      expect(again.stdout).toContain(`branch ${branch} already holds this revert`);
      expect(again.outputs).toMatchObject({
        GITOPS_ROLLBACK_SHA: run.outputs?.GITOPS_ROLLBACK_SHA,
        GITOPS_ROLLBACK_MERGE_REQUEST_URL: mrApi.mergeRequests[0]?.web_url,
      });
      expect(mrApi.mergeRequests).toHaveLength(1);
    } finally {
      await mrApi.close();
    }
  });
});
