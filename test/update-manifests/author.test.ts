/**
 * Who the bump commit is written by: the user of the token that pushes it, so that GitLab's push
 * rules ("commit author is a GitLab user", "Reject unverified users") accept it. The job as it
 * ships, against a loopback git server and the GitLab API stand-in answering `GET /user`.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { projectBot, startGitLabApi, type GitLabApi } from "../../stand-ins/gitlab-api.ts";
import { runTemplateJob, type JobRun } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

const exec = promisify(execFile);
const APP = "registry.example.com/group/app";
const DIGEST = `sha256:${"2".repeat(64)}`;
const TOKEN = "glpat-manifests-bot-token-7f3a";
const KUSTOMIZATION = `resources: [deployment.yaml]\nimages:\n  - name: ${APP}\n    newTag: "v1"\n`;
const SEED_AUTHOR = {
  GIT_AUTHOR_NAME: "Dev",
  GIT_AUTHOR_EMAIL: "dev@example.com",
  GIT_COMMITTER_NAME: "Dev",
  GIT_COMMITTER_EMAIL: "dev@example.com",
};
const PIPELINE_USER = { GITLAB_USER_NAME: "Pipeline Starter", GITLAB_USER_EMAIL: "starter@example.com" };

describe.skipIf(!requireTools("git"))("the bump commit's author", () => {
  let server: GitServer;
  const scratch: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, "bump-bot");
  });
  afterAll(async () => {
    await server?.close();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    scratch.push(dir);
    return dir;
  };
  const git = async (cwd: string, ...args: string[]) =>
    (await exec("git", args, { cwd, env: { ...process.env, ...SEED_AUTHOR } })).stdout.trim();

  /** A project with a kustomization on `main`; returns its path and the seed commit. */
  async function seed(): Promise<{ repo: string; bare: string; main: string }> {
    const repo = `group/author-${++counter}`;
    const url = server.createRepo(repo, { protect: [{ pattern: "main", user: "bump-bot" }] });
    const work = tempDir("gitops-author-seed-");
    await git(work, "init", "-q", "-b", "main");
    mkdirSync(path.join(work, "deploy"));
    writeFileSync(path.join(work, "deploy", "kustomization.yaml"), KUSTOMIZATION);
    await git(work, "add", "-A");
    await git(work, "commit", "-q", "-m", "feat: the app");
    await git(work, "push", "-q", url.replace("http://", `http://bot:${TOKEN}@`), "HEAD:refs/heads/main");
    return { repo, bare: path.join(server.root, `${repo}.git`), main: await git(work, "rev-parse", "HEAD") };
  }

  function run(
    p: { repo: string; main: string },
    inputs: Record<string, unknown>,
    env: Record<string, string>,
  ): Promise<JobRun> {
    return runTemplateJob({
      component: "update-manifests",
      inputs: { manifests: "deploy/kustomization.yaml", image_name: APP, ...inputs },
      env: {
        CI_SERVER_URL: server.url,
        CI_PROJECT_PATH: p.repo,
        CI_PROJECT_ID: "42",
        CI_DEFAULT_BRANCH: "main",
        CI_COMMIT_SHA: p.main,
        GITOPS_IMAGE: `${APP}@${DIGEST}`,
        GITOPS_MANIFESTS_TOKEN: TOKEN,
        ...env,
      },
      cwd: tempDir("gitops-author-job-"),
    });
  }

  /** Author and committer of the bump on main. */
  const identities = (p: { bare: string }) => git(p.bare, "log", "-1", "--format=%an <%ae>%n%cn <%ce>", "main");

  async function withApi<T>(options: { scopes?: string[] }, body: (api: GitLabApi) => Promise<T>): Promise<T> {
    const api = await startGitLabApi({ token: TOKEN, projectId: "42", projectPath: "group/app", ...options });
    try {
      return await body(api);
    } finally {
      await api.close();
    }
  }

  it("is the token's user, as GET /user tells it: a project access token's bot and its noreply email", async () => {
    const p = await seed();
    await withApi({ scopes: ["api"] }, async (api) => {
      const job = await run(p, {}, { CI_API_V4_URL: api.apiUrl, ...PIPELINE_USER });
      expect(job.code).toBe(0);
      const bot = projectBot("42", "gitops-manifests");
      expect(await identities(p)).toBe(`${bot.name} <${bot.email}>\n${bot.name} <${bot.email}>`);
      expect(api.requests[0]).toEqual({ method: "GET", path: "/api/v4/user", token: TOKEN, status: 200 });
      expect(job.output).toContain(
        `the bump is authored by the token's user, gitops-manifests <${bot.email}> (@${bot.username})`,
      );
      expect(job.output).not.toContain(TOKEN);
    });
  });

  it("is the pipeline's user, with a warning naming the read_user scope, when the token may not read GET /user", async () => {
    const p = await seed();
    await withApi({ scopes: ["write_repository"] }, async (api) => {
      const job = await run(p, {}, { CI_API_V4_URL: api.apiUrl, ...PIPELINE_USER });
      expect(job.code).toBe(0);
      expect(api.requests.map((r) => [r.path, r.status])).toEqual([["/api/v4/user", 403]]);
      expect(await identities(p)).toBe(
        "Pipeline Starter <starter@example.com>\nPipeline Starter <starter@example.com>",
      );
      expect(job.output).toContain("the token needs the read_user, read_api or api scope");
      expect(job.output).toContain('a "Reject unverified users" push rule refuses that');
    });
  });

  it("is author_name and author_email when both are set, without asking GitLab", async () => {
    const p = await seed();
    await withApi({}, async (api) => {
      const job = await run(
        p,
        { author_name: "Release Robot", author_email: "robot@example.com" },
        { CI_API_V4_URL: api.apiUrl, ...PIPELINE_USER },
      );
      expect(job.code).toBe(0);
      expect(await identities(p)).toBe("Release Robot <robot@example.com>\nRelease Robot <robot@example.com>");
      expect(api.requests).toEqual([]);
    });
  });

  it.each([
    {
      given: { author_name: "Release Robot" },
      error: 'ERROR: input author_email = "": is empty while author_name is "Release Robot"',
    },
    {
      given: { author_name: "Robot", author_email: "not-an-address" },
      error: 'ERROR: input author_email = "not-an-address": is not an email address',
    },
  ])("refuses $given and pushes nothing", async ({ given, error }) => {
    const p = await seed();
    const job = await run(p, given, PIPELINE_USER);
    expect(job.code).toBe(2);
    expect(job.output).toContain(error);
    expect(server.branch(p.repo, "main")).toBe(p.main);
  });

  it.each([
    {
      what: "a pipeline commit that is not on main",
      commit: "feature",
      code: 3,
      error: "is not on the default branch main: its image was built from code that is not merged",
    },
    { what: "an empty CI_COMMIT_SHA", commit: "", code: 2, error: "ERROR: input CI_COMMIT_SHA: is empty" },
  ])("refuses $what before asking GitLab who the token's user is", async ({ commit, code, error }) => {
    const p = await seed();
    const feature = await git(p.bare, "commit-tree", "main^{tree}", "-p", "main", "-m", "feat: under review");
    await git(p.bare, "update-ref", "refs/heads/feature", feature);
    await withApi({ scopes: ["api"] }, async (api) => {
      const job = await run(p, {}, { CI_API_V4_URL: api.apiUrl, CI_COMMIT_SHA: commit && feature, ...PIPELINE_USER });
      expect(job.code).toBe(code);
      expect(job.output).toContain(error);
      expect(api.requests).toEqual([]);
      expect(server.branch(p.repo, "main")).toBe(p.main);
    });
  });

  it("refuses when nobody can be named (no inputs, no API, no pipeline user)", async () => {
    const p = await seed();
    const job = await run(p, {}, {});
    expect(job.code).toBe(2);
    expect(job.output).toContain(
      "ERROR: input author_name = \"\": is empty, and neither the token's user nor the pipeline's user is known",
    );
    expect(server.branch(p.repo, "main")).toBe(p.main);
  });
});
