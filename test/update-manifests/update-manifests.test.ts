/**
 * The update-manifests job as it ships (the script embedded in templates/update-manifests), run
 * against bare repositories served over loopback HTTP with a protected `main`.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { startGitLabApi } from "../../stand-ins/gitlab-api.ts";
import { readDotenv, runTemplateJob, type JobRun } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

const exec = promisify(execFile);

const APP = "registry.example.com:5000/group/app";
const DIGEST = `sha256:${"1".repeat(64)}`;
const TOKEN = "glpat-bump-bot-secret-token";
const AUTHOR = {
  GIT_AUTHOR_NAME: "Dev",
  GIT_AUTHOR_EMAIL: "dev@example.com",
  GIT_COMMITTER_NAME: "Dev",
  GIT_COMMITTER_EMAIL: "dev@example.com",
};

const KUSTOMIZATION = `# Production overlay. Comments, order and quoting must survive the bump.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml   # the app itself
images:
  - name: ${APP}
    newTag: "v1"      # bumped by CI
  - name: busybox
    newTag: "1.36"
`;
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${APP}:v1 # rendered through the kustomization
`;

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd, env: { ...process.env, ...AUTHOR } });
  return stdout.trim();
}

describe.skipIf(!requireTools("git"))("update-manifests job", () => {
  let server: GitServer;
  const scratch: string[] = [];
  let repoCounter = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, "bump-bot");
    server.addToken("dev-token", "dev");
  });
  afterAll(async () => {
    await server?.close();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(prefix: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    scratch.push(dir);
    return dir;
  }

  /** A fresh project whose `main` (protected: only the bump bot may push) holds `files`. */
  async function seedProject(
    files: Record<string, string>,
  ): Promise<{ repo: string; bare: string; work: string; main: string }> {
    const repo = `group/app-${++repoCounter}`;
    const url = server.createRepo(repo, { protect: [{ pattern: "main", user: "bump-bot" }] });
    const work = tempDir("gitops-seed-");
    await git(work, "init", "-q", "-b", "main");
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      writeFileSync(path.join(work, file), content);
    }
    await git(work, "add", "-A");
    await git(work, "commit", "-q", "-m", "feat: the app");
    await git(work, "push", "-q", url.replace("http://", `http://bot:${TOKEN}@`), "HEAD:refs/heads/main");
    return { repo, bare: path.join(server.root, `${repo}.git`), work, main: await git(work, "rev-parse", "HEAD") };
  }

  /** Runs the job for a pipeline of `p`'s seed commit (CI_COMMIT_SHA) against its repository. */
  async function runJob(
    p: { repo: string; main: string },
    inputs: Record<string, unknown>,
    env: Record<string, string> = {},
  ): Promise<JobRun & { outputs?: Record<string, string> }> {
    const cwd = tempDir("gitops-job-");
    const run = await runTemplateJob({
      component: "update-manifests",
      inputs: { manifests: "deploy/kustomization.yaml", image_name: APP, ...inputs },
      env: {
        CI_SERVER_URL: server.url,
        CI_PROJECT_PATH: p.repo,
        CI_DEFAULT_BRANCH: "main",
        CI_COMMIT_SHA: p.main,
        CI_PIPELINE_URL: "https://gitlab.example.com/group/app/-/pipelines/7",
        GITOPS_IMAGE: `${APP}@${DIGEST}`,
        GITOPS_MANIFESTS_TOKEN: TOKEN,
        // GitLab sets these to the user who started the pipeline.
        GITLAB_USER_NAME: "Pipeline Starter",
        GITLAB_USER_EMAIL: "starter@example.com",
        ...env,
      },
      cwd,
    });
    let outputs: Record<string, string> | undefined;
    try {
      outputs = readDotenv(path.join(cwd, "gitops-manifests.env"));
    } catch {
      outputs = undefined;
    }
    expect(run.output).not.toContain(TOKEN);
    return { ...run, outputs };
  }

  const pushesTo = (repo: string) =>
    server.requests.filter(
      (r) => r.service === "git-receive-pack" && r.path.startsWith(`/${repo}.git/`) && r.method === "POST",
    ).length;

  it("commits the new digest to main as a one-value diff, with the marker in the title", async () => {
    const p = await seedProject({
      "deploy/kustomization.yaml": KUSTOMIZATION,
      "deploy/deployment.yaml": DEPLOYMENT,
      "README.md": "# app\n",
    });
    const run = await runJob(p, {});
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);

    const main = server.branch(p.repo, "main") as string;
    expect(main).not.toBe(p.main);
    expect(await git(p.bare, "rev-parse", `${main}^`)).toBe(p.main);
    expect(await git(p.bare, "diff", "--name-only", p.main, main)).toBe("deploy/kustomization.yaml");
    expect(await git(p.bare, "show", `${main}:deploy/kustomization.yaml`)).toBe(
      KUSTOMIZATION.replace(
        `    newTag: "v1"      # bumped by CI`,
        `    digest: "${DIGEST}"      # bumped by CI`,
      ).trimEnd(),
    );
    expect(await git(p.bare, "log", "-1", "--format=%s%n%an <%ae>", main)).toBe(
      `chore(manifests): deploy ${APP}@${DIGEST} [gitops-bump]\nPipeline Starter <starter@example.com>`,
    );
    expect(await git(p.bare, "log", "-1", "--format=%(trailers:key=GitOps-Source-Commit,valueonly)", main)).toBe(
      p.main,
    );
    // The trailer the promotion jobs' guard reads: this bump's own pipeline does not deploy again.
    expect(await git(p.bare, "log", "-1", "--format=%(trailers:key=GitOps-Bump-Mode,valueonly)", main)).toBe("commit");
    expect(run.outputs).toEqual({ GITOPS_MANIFESTS_SHA: main, GITOPS_MANIFESTS_CHANGED: "true" });
    expect(run.stdout).toContain(`deploy/kustomization.yaml:8 images[0].newTag: v1 -> (removed)`);
  });

  it("edits every manifest under a directory, comments kept byte for byte", async () => {
    const p = await seedProject({
      "deploy/kustomization.yaml": KUSTOMIZATION,
      "deploy/deployment.yaml": DEPLOYMENT,
      "deploy/notes.txt": `image: ${APP}:v1\n`,
    });
    const run = await runJob(p, { manifests: "deploy/", new_image: `${APP}:v2` });
    expect(run.code).toBe(0);
    const main = server.branch(p.repo, "main") as string;
    expect(await git(p.bare, "diff", "--unified=0", "--no-prefix", p.main, main, "--", ".")).toMatch(
      new RegExp(
        [
          `^diff --git deploy/deployment.yaml deploy/deployment.yaml\n[^@]*`,
          `@@ -9 \\+9 @@[^\n]*\n-          image: ${esc(APP)}:v1 # rendered through the kustomization\n\\+          image: ${esc(APP)}:v2 # rendered through the kustomization\n`,
          `diff --git deploy/kustomization.yaml deploy/kustomization.yaml\n[^@]*`,
          `@@ -8 \\+8 @@[^\n]*\n-    newTag: "v1"      # bumped by CI\n\\+    newTag: "v2"      # bumped by CI$`,
        ].join(""),
      ),
    );
  });

  it("changes nothing on a rerun: no commit, no push, outputs the unchanged head", async () => {
    const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION });
    expect((await runJob(p, {})).code).toBe(0);
    const bumped = server.branch(p.repo, "main") as string;
    const pushes = pushesTo(p.repo);

    const rerun = await runJob(p, {});
    expect(rerun.code).toBe(0);
    expect(server.branch(p.repo, "main")).toBe(bumped);
    expect(pushesTo(p.repo)).toBe(pushes);
    expect(rerun.outputs).toEqual({ GITOPS_MANIFESTS_SHA: bumped, GITOPS_MANIFESTS_CHANGED: "false" });
    expect(rerun.stdout).toContain("already points at the image");
  });

  it("re-applies the edit on the new tip when main moved between fetch and push", async () => {
    const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION, "deploy/deployment.yaml": DEPLOYMENT });
    // A colleague's commit that touches the same file, made ready on the server but not yet on main.
    writeFileSync(
      path.join(p.work, "deploy/kustomization.yaml"),
      KUSTOMIZATION.replace(
        "  - deployment.yaml   # the app itself\n",
        "  - deployment.yaml   # the app itself\n  - service.yaml\n",
      ),
    );
    await git(p.work, "commit", "-qam", "feat: add the service");
    const concurrent = await git(p.work, "rev-parse", "HEAD");
    await git(
      p.work,
      "push",
      "-q",
      server.createRepo(p.repo).replace("http://", "http://dev:dev-token@"),
      `${concurrent}:refs/heads/colleague`,
    );
    // The server moves main to it while the job's first push is being received: that push loses
    // the race the way it does on a busy server ("cannot lock ref … is at X but expected Y").
    installRaceOnce(p.bare, concurrent);

    const run = await runJob(p, {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /main moved \(\w{12} -> \w{12}\) before the push landed; re-applying the edit on the new tip/,
    );
    const main = server.branch(p.repo, "main") as string;
    expect(await git(p.bare, "rev-parse", `${main}^`)).toBe(concurrent);
    expect(await git(p.bare, "diff", "--unified=0", "--no-prefix", concurrent, main)).toMatch(
      /@@ -9 \+9 @@[^\n]*\n-    newTag: "v1"      # bumped by CI\n\+    digest: "sha256:1{64}"      # bumped by CI$/,
    );
    expect(await git(p.bare, "show", `${main}:deploy/kustomization.yaml`)).toContain("  - service.yaml\n");
    expect(run.outputs).toEqual({ GITOPS_MANIFESTS_SHA: main, GITOPS_MANIFESTS_CHANGED: "true" });
  });

  /** Commits `files` in the seed work tree and pushes them to main (as the bump bot, the only allowed pusher). */
  async function pushToMain(
    p: { repo: string; work: string },
    message: string,
    files: Record<string, string>,
  ): Promise<string> {
    for (const [file, content] of Object.entries(files)) writeFileSync(path.join(p.work, file), content);
    await git(p.work, "commit", "-qam", message);
    await git(
      p.work,
      "push",
      "-q",
      server.createRepo(p.repo).replace("http://", `http://bot:${TOKEN}@`),
      "HEAD:refs/heads/main",
    );
    return git(p.work, "rev-parse", "HEAD");
  }

  it("stands down when a newer pipeline's bump is already on main (never moves the manifests back)", async () => {
    const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION, "README.md": "# app\n" });
    const newer = await pushToMain(p, "feat: a newer change", { "README.md": "# app, newer\n" });
    const newerBump = await pushToMain(
      p,
      `chore(manifests): deploy ${APP}:v2 [gitops-bump]\n\nGitOps-Image: ${APP}:v2\nGitOps-Source-Commit: ${newer}`,
      {
        "deploy/kustomization.yaml": KUSTOMIZATION.replace(`newTag: "v1"`, `newTag: "v2"`),
      },
    );
    const run = await runJob(p, {}); // the pipeline of the older commit p.main, running late
    expect(run.code).toBe(0);
    expect(server.branch(p.repo, "main")).toBe(newerBump);
    expect(run.stdout).toContain(
      `main already carries bump ${newerBump.slice(0, 12)} from a newer pipeline (of ${newer.slice(0, 12)}, which follows this pipeline's ${p.main.slice(0, 12)}); not moving the manifests back to ${APP}@${DIGEST}`,
    );
    expect(run.outputs).toEqual({ GITOPS_MANIFESTS_SHA: newerBump, GITOPS_MANIFESTS_CHANGED: "false" });
  });

  it("is not stopped by a newer pipeline's bump of another image", async () => {
    const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION, "README.md": "# app\n" });
    const newer = await pushToMain(p, "feat: a newer change", { "README.md": "# app, newer\n" });
    await pushToMain(
      p,
      `chore(manifests): deploy busybox:1.37 [gitops-bump]\n\nGitOps-Image: busybox:1.37\nGitOps-Source-Commit: ${newer}`,
      {
        "deploy/kustomization.yaml": KUSTOMIZATION.replace(`newTag: "1.36"`, `newTag: "1.37"`),
      },
    );
    const run = await runJob(p, {});
    expect(run.code).toBe(0);
    expect(run.outputs?.GITOPS_MANIFESTS_CHANGED).toBe("true");
    expect(await git(p.bare, "show", `main:deploy/kustomization.yaml`)).toContain(
      `    digest: "${DIGEST}"      # bumped by CI`,
    );
  });

  it("still bumps over an older pipeline's bump", async () => {
    const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION, "README.md": "# app\n" });
    const older = p.main;
    const newer = await pushToMain(p, "feat: a newer change", { "README.md": "# app, newer\n" });
    const olderBump = await pushToMain(
      p,
      `chore(manifests): deploy ${APP}:v2 [gitops-bump]\n\nGitOps-Image: ${APP}:v2\nGitOps-Source-Commit: ${older}`,
      {
        "deploy/kustomization.yaml": KUSTOMIZATION.replace(`newTag: "v1"`, `newTag: "v2"`),
      },
    );
    const run = await runJob({ repo: p.repo, main: newer }, {});
    expect(run.code).toBe(0);
    const main = server.branch(p.repo, "main") as string;
    expect(await git(p.bare, "rev-parse", `${main}^`)).toBe(olderBump);
    expect(await git(p.bare, "show", `${main}:deploy/kustomization.yaml`)).toContain(
      `    digest: "${DIGEST}"      # bumped by CI`,
    );
  });

  describe("fails clearly and pushes nothing", () => {
    it.each<{
      name: string;
      files: Record<string, string>;
      inputs: Record<string, unknown>;
      env?: Record<string, string>;
      error: RegExp;
    }>([
      {
        name: "malformed YAML",
        files: {
          "deploy/kustomization.yaml": KUSTOMIZATION,
          "deploy/broken.yaml": "spec:\n  image: [unclosed\n  replicas: 1\n",
        },
        inputs: { manifests: "deploy" },
        error:
          /ERROR: input manifests = "deploy": deploy\/broken\.yaml is not valid YAML \(line 3, column \d+: [^)]+\)\nFix: fix deploy\/broken\.yaml on main; nothing was changed or pushed/,
      },
      {
        name: "a missing file",
        files: { "deploy/kustomization.yaml": KUSTOMIZATION },
        inputs: { manifests: "overlays/prod/kustomization.yaml" },
        error:
          /ERROR: input manifests = "overlays\/prod\/kustomization\.yaml": does not exist on branch main\nFix: set manifests to the path/,
      },
      {
        name: "an image_name found nowhere",
        files: { "deploy/kustomization.yaml": KUSTOMIZATION, "deploy/deployment.yaml": DEPLOYMENT },
        inputs: { manifests: "deploy", image_name: "registry.example.com:5000/group/other" },
        error:
          /ERROR: input image_name = "registry\.example\.com:5000\/group\/other": no container image: field and no kustomize images: entry refers to it in deploy\/deployment\.yaml, deploy\/kustomization\.yaml \(branch main\)\nFix: set image_name to the repository the manifests use/,
      },
      {
        name: "a commit message without the marker",
        files: { "deploy/kustomization.yaml": KUSTOMIZATION },
        inputs: { commit_message: "chore: deploy {image}\n\n[gitops-bump] only in the body" },
        error:
          /ERROR: input commit_message = .*: its first line does not contain the marker \[gitops-bump\], so the bump commit's own pipeline would build and bump again \(a loop\)/,
      },
      {
        name: "no image from build (GITOPS_IMAGE unset)",
        files: { "deploy/kustomization.yaml": KUSTOMIZATION },
        inputs: {},
        env: { GITOPS_IMAGE: "" },
        error:
          /ERROR: input new_image = "": is empty \(job variable GITOPS_BUMP_NEW_IMAGE\)\nFix: the default is \$GITOPS_IMAGE, which the build job publishes/,
      },
      {
        name: "an image without tag or digest",
        files: { "deploy/kustomization.yaml": KUSTOMIZATION },
        inputs: { new_image: APP },
        error: /ERROR: input new_image = "registry\.example\.com:5000\/group\/app": has neither a tag nor a digest/,
      },
    ])("on $name", async ({ files, inputs, env, error }) => {
      const p = await seedProject(files);
      const pushes = pushesTo(p.repo);
      const run = await runJob(p, inputs, env);
      expect(run.code).toBe(2);
      expect(run.output).toMatch(error);
      expect(server.branch(p.repo, "main")).toBe(p.main);
      expect(pushesTo(p.repo)).toBe(pushes);
      expect(run.outputs).toBeUndefined();
    });

    it("when the token may not push to main (protection, not a race: no retries)", async () => {
      const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION });
      const run = await runJob(p, { token_variable: "DEV_TOKEN" }, { DEV_TOKEN: "dev-token" });
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain("GitLab: You are not allowed to push code to protected branches on this project.");
      expect(run.stdout).not.toContain("re-applying");
      expect(server.branch(p.repo, "main")).toBe(p.main);
      expect(run.output).not.toContain("dev-token");
    });

    it("when the pipeline's commit is not on the default branch (a merge-request pipeline that sees the token), whatever the rules say", async () => {
      const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION });
      await git(p.work, "checkout", "-q", "-b", "feature");
      await git(p.work, "commit", "-q", "--allow-empty", "-m", "feat: under review");
      const feature = await git(p.work, "rev-parse", "HEAD");
      await git(
        p.work,
        "push",
        "-q",
        `${server.url}/${p.repo}.git`.replace("http://", "http://dev:dev-token@"),
        "HEAD:refs/heads/feature",
      );
      const pushes = pushesTo(p.repo);
      const run = await runJob(p, {}, { CI_COMMIT_SHA: feature, CI_PIPELINE_SOURCE: "merge_request_event" });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(
        `this pipeline's commit ${feature.slice(0, 12)} is not on the default branch main: its image was built from code that is not merged`,
      );
      expect(server.branch(p.repo, "main")).toBe(p.main);
      expect(pushesTo(p.repo)).toBe(pushes);
      expect(run.outputs).toBeUndefined();
    });

    it("when the token variable is missing", async () => {
      const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION });
      const run = await runJob(p, {}, { GITOPS_MANIFESTS_TOKEN: "" });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        'ERROR: input token_variable = "GITOPS_MANIFESTS_TOKEN": the CI/CD variable GITOPS_MANIFESTS_TOKEN is missing or empty',
      );
      expect(pushesTo(p.repo)).toBe(1); // the seed push only
      expect(server.branch(p.repo, "main")).toBe(p.main);
    });
  });

  describe("merge_request mode (GitLab's REST API played by a loopback stand-in)", () => {
    const branch = `gitops/bump-${"1".repeat(12)}`;

    it("pushes gitops/bump-<digest> and opens a merge request with the token in PRIVATE-TOKEN; main is untouched", async () => {
      const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION });
      const api = await startGitLabApi({ token: TOKEN, projectId: "42", projectPath: p.repo });
      try {
        const run = await runJob(p, { mode: "merge_request" }, { CI_API_V4_URL: api.apiUrl, CI_PROJECT_ID: "42" });
        expect(run.code).toBe(0);
        expect(server.branch(p.repo, "main")).toBe(p.main);
        const bump = server.branch(p.repo, branch) as string;
        expect(await git(p.bare, "rev-parse", `${bump}^`)).toBe(p.main);
        expect(await git(p.bare, "diff", "--unified=0", "--no-prefix", p.main, bump)).toMatch(
          /@@ -8 \+8 @@[^\n]*\n-    newTag: "v1"      # bumped by CI\n\+    digest: "sha256:1{64}"      # bumped by CI$/,
        );
        expect(api.requests).toEqual([
          { method: "GET", path: "/api/v4/user", token: TOKEN, status: 200 },
          {
            method: "POST",
            path: "/api/v4/projects/42/merge_requests",
            token: TOKEN,
            contentType: "application/json",
            body: {
              source_branch: branch,
              target_branch: "main",
              title: `chore(manifests): deploy ${APP}@${DIGEST} [gitops-bump]`,
              description: `GitOps-Image: ${APP}@${DIGEST}\nGitOps-Source-Commit: ${p.main}\nGitOps-Pipeline: https://gitlab.example.com/group/app/-/pipelines/7\nGitOps-Bump-Mode: merge_request`,
              remove_source_branch: true,
            },
            status: 201,
          },
        ]);
        expect(run.outputs).toEqual({
          GITOPS_MANIFESTS_SHA: bump,
          GITOPS_MANIFESTS_CHANGED: "true",
          GITOPS_MERGE_REQUEST_URL: `https://gitlab.example.com/${p.repo}/-/merge_requests/1`,
        });
        expect(run.stdout).toContain(
          `opened merge request !1: https://gitlab.example.com/${p.repo}/-/merge_requests/1`,
        );
      } finally {
        await api.close();
      }
    });

    it("on a rerun reuses the branch and reports the merge request already open (GitLab's 409)", async () => {
      const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION });
      const api = await startGitLabApi({ token: TOKEN, projectId: "42", projectPath: p.repo });
      try {
        const env = { CI_API_V4_URL: api.apiUrl, CI_PROJECT_ID: "42" };
        expect((await runJob(p, { mode: "merge_request" }, env)).code).toBe(0);
        const bump = server.branch(p.repo, branch);
        const rerun = await runJob(p, { mode: "merge_request" }, env);
        expect(rerun.code).toBe(0);
        expect(server.branch(p.repo, branch)).toBe(bump);
        expect(api.mergeRequests).toHaveLength(1);
        expect(api.requests.map((r) => [r.method, r.path.split("?")[0], r.status])).toEqual([
          ["GET", "/api/v4/user", 200],
          ["POST", "/api/v4/projects/42/merge_requests", 201],
          ["GET", "/api/v4/user", 200],
          ["POST", "/api/v4/projects/42/merge_requests", 409],
          ["GET", "/api/v4/projects/42/merge_requests", 200],
        ]);
        expect(new URLSearchParams(api.requests[4]?.path.split("?")[1]).get("source_branch")).toBe(branch);
        expect(rerun.outputs?.GITOPS_MERGE_REQUEST_URL).toBe(`https://gitlab.example.com/${p.repo}/-/merge_requests/1`);
        expect(rerun.stdout).toContain(`found the open merge request !1`);
      } finally {
        await api.close();
      }
    });

    it("fails as infrastructure, naming the api scope, when GitLab refuses the token", async () => {
      const p = await seedProject({ "deploy/kustomization.yaml": KUSTOMIZATION });
      const api = await startGitLabApi({ token: "another-token", projectId: "42", projectPath: p.repo });
      try {
        const run = await runJob(p, { mode: "merge_request" }, { CI_API_V4_URL: api.apiUrl, CI_PROJECT_ID: "42" });
        expect(run.code).toBe(5);
        expect(run.output).toMatch(
          /ERROR: opening the merge request: the server refused the token in GITOPS_MANIFESTS_TOKEN \(POST http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/42\/merge_requests answered 401: \{"message":"401 Unauthorized"\}\)\nFix: check token_variable: the token in GITOPS_MANIFESTS_TOKEN must be valid and unexpired, a project access token with the api scope/,
        );
        expect(api.mergeRequests).toEqual([]);
        expect(server.branch(p.repo, "main")).toBe(p.main);
      } finally {
        await api.close();
      }
    });
  });

  /** Makes the server move main to `commit` during the next push to main (once), via an `update` hook. */
  function installRaceOnce(bare: string, commit: string): void {
    const hook = path.join(bare, "hooks", "update");
    writeFileSync(
      hook,
      `#!/bin/sh
# Test-only: lose the first race for main. Runs after the protection hook, before the ref is locked.
if [ "$1" = refs/heads/main ] && [ ! -e "$GIT_DIR/raced" ]; then
  touch "$GIT_DIR/raced"
  git update-ref refs/heads/main ${commit} "$2"
fi
exit 0
`,
    );
    chmodSync(hook, 0o755);
  }
});

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
