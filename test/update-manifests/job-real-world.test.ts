/**
 * The update-manifests job as it ships (the script embedded in templates/update-manifests) on a
 * repository holding real manifests (test/fixtures/update-manifests): podinfo's kustomize
 * directory beside Flux's ImageRepository and ImagePolicy for the same image. The bump changes the
 * Deployment's container image and nothing else.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { runTemplateJob } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

const exec = promisify(execFile);
const FIXTURES = path.resolve(import.meta.dirname, "..", "fixtures", "update-manifests");
const PODINFO = "ghcr.io/stefanprodan/podinfo";
const DIGEST = `sha256:${"2".repeat(64)}`;
const TOKEN = "glpat-bump-bot-real-world";
const AUTHOR = {
  GIT_AUTHOR_NAME: "Dev",
  GIT_AUTHOR_EMAIL: "dev@example.com",
  GIT_COMMITTER_NAME: "Dev",
  GIT_COMMITTER_EMAIL: "dev@example.com",
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd, env: { ...process.env, ...AUTHOR } });
  return stdout.trim();
}

describe.skipIf(!requireTools("git"))("update-manifests job on real-world manifests", () => {
  let server: GitServer;
  const scratch: string[] = [];
  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, "bump-bot");
  });
  afterAll(async () => {
    await server?.close();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it("bumps podinfo's Deployment in directory mode and leaves Flux's ImageRepository and ImagePolicy alone", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "gitops-real-world-seed-"));
    scratch.push(work);
    cpSync(path.join(FIXTURES, "podinfo", "kustomize"), path.join(work, "deploy"), { recursive: true });
    cpSync(path.join(FIXTURES, "image-reflector-controller", "config", "samples"), path.join(work, "deploy", "flux"), {
      recursive: true,
    });
    const url = server.createRepo("group/podinfo", { protect: [{ pattern: "main", user: "bump-bot" }] });
    await git(work, "init", "-q", "-b", "main");
    await git(work, "add", "-A");
    await git(work, "commit", "-q", "-m", "feat: podinfo");
    await git(work, "push", "-q", url.replace("http://", `http://bot:${TOKEN}@`), "HEAD:refs/heads/main");
    const seed = await git(work, "rev-parse", "HEAD");

    const cwd = mkdtempSync(path.join(tmpdir(), "gitops-real-world-job-"));
    scratch.push(cwd);
    const run = await runTemplateJob({
      component: "update-manifests",
      inputs: { manifests: "deploy", image_name: PODINFO },
      env: {
        CI_SERVER_URL: server.url,
        CI_PROJECT_PATH: "group/podinfo",
        CI_DEFAULT_BRANCH: "main",
        CI_COMMIT_SHA: seed,
        CI_PIPELINE_URL: "https://gitlab.example.com/group/podinfo/-/pipelines/1",
        GITOPS_IMAGE: `${PODINFO}@${DIGEST}`,
        GITOPS_MANIFESTS_TOKEN: TOKEN,
        GITLAB_USER_NAME: "Pipeline Starter",
        GITLAB_USER_EMAIL: "starter@example.com",
      },
      cwd,
    });
    expect(run.output).not.toContain(TOKEN);
    expect(run.code, run.output).toBe(0);
    const bare = path.join(server.root, "group/podinfo.git");
    const main = server.branch("group/podinfo", "main") as string;
    expect(await git(bare, "diff", "--unified=0", "--no-prefix", seed, main)).toMatch(
      new RegExp(
        `^diff --git deploy/deployment.yaml deploy/deployment.yaml\\n[^@]*@@ -26 \\+26 @@[^\\n]*\\n-        image: ghcr.io/stefanprodan/podinfo:6.14.1\\n\\+        image: ghcr.io/stefanprodan/podinfo@${DIGEST}$`,
      ),
    );
    expect(run.stdout).toContain(
      `deploy/deployment.yaml:26 spec.template.spec.containers[0].image: ${PODINFO}:6.14.1 -> ${PODINFO}@${DIGEST}`,
    );
  });
});
