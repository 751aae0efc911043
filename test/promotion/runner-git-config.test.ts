/**
 * A runner's global git configuration must not run hooks in the jobs' repositories. A shell or
 * custom-executor runner may set `init.templateDir` (git init copies that template's hooks into
 * every new repository) or `core.hooksPath` (every repository runs the hooks found there); a
 * `reference-transaction` hook runs on every ref update, a fetch's included, whatever
 * `--no-verify` says. The jobs make their repositories from an empty template and point
 * `core.hooksPath` nowhere (runtime/git.ts). For each setting, the control shows the hook does
 * fire for a plain `git init` + fetch in the same environment, so the assertions on the jobs
 * (promote-staging, and update-manifests, whose two repositories are made the same way) can fail.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTemplateJob } from "../../harness/templates.ts";
import { run } from "../../runtime/exec.ts";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import { Project, PROMOTER, promote, STAGING } from "./history.ts";

const TOKEN = "glpat-runner-git-config-token-1";
const APP = "registry.example.com/group/app";

describe.skipIf(!requireTools("git"))("a runner's global git configuration", () => {
  let server: GitServer;
  let scratch: string;
  let n = 0;
  /** The runner's global config files, one per setting, each bringing the same hook. */
  const configs: Record<string, string> = {};

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
    scratch = mkdtempSync(path.join(tmpdir(), "gitops-runner-git-config-"));
    const hooks = path.join(scratch, "template", "hooks");
    mkdirSync(hooks, { recursive: true });
    writeFileSync(path.join(hooks, "reference-transaction"), '#!/bin/sh\ntouch "$CANARY"\ncat >/dev/null\n');
    chmodSync(path.join(hooks, "reference-transaction"), 0o755);
    for (const [name, text] of [
      ["init.templateDir", `[init]\n\ttemplateDir = ${path.join(scratch, "template")}\n`],
      ["core.hooksPath", `[core]\n\thooksPath = ${hooks}\n`],
    ] as const) {
      configs[name] = path.join(scratch, `${name}.gitconfig`);
      writeFileSync(configs[name], text);
    }
  });
  afterAll(async () => {
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A project whose main has `count` commits; returns them. */
  async function project(count: number): Promise<{ project: Project; main: string[] }> {
    const p = new Project(server, `group/runner-config-${++n}`);
    const main = await p.chain(undefined, count);
    await p.setBranch("main", main[count - 1] as string);
    return { project: p, main };
  }

  for (const setting of ["init.templateDir", "core.hooksPath"]) {
    describe(setting, () => {
      const env = (canary: string) => ({ GIT_CONFIG_GLOBAL: configs[setting] as string, CANARY: canary });

      it("fires the hook in a plain `git init` + fetch (the control)", async () => {
        const canary = path.join(scratch, `control-${++n}`);
        const { project: p } = await project(2);
        const dir = path.join(scratch, `plain-${n}`);
        const withHook = { ...process.env, ...env(canary) };
        expect((await run("git", ["init", "-q", dir], { env: withHook })).code).toBe(0);
        const fetched = await run("git", ["fetch", "-q", p.url, "main:refs/heads/copy"], { cwd: dir, env: withHook });
        expect(fetched.code, fetched.stderr).toBe(0);
        expect(existsSync(canary)).toBe(true);
      });

      it("runs no hook in promote-staging's repositories", async () => {
        const canary = path.join(scratch, `promote-${++n}`);
        const { project: p, main } = await project(4);
        await p.setBranch(STAGING, main[1] as string);
        const job = await promote(p, TOKEN, {
          component: "promote-staging",
          target: main[3] as string,
          env: env(canary),
        });
        expect(job.code, job.output).toBe(0);
        expect(job.outputs?.GITOPS_PROMOTED_SHA).toBe(main[3]);
        expect(existsSync(canary)).toBe(false);
      });

      it("runs no hook in update-manifests' repositories", async () => {
        const canary = path.join(scratch, `update-${++n}`);
        // main: one commit with a kustomization, written in a scratch repository and fetched into the server's.
        const p = new Project(server, `group/runner-config-${++n}`);
        const work = mkdtempSync(path.join(scratch, "seed-"));
        const seed = async (...args: string[]) => {
          const r = await run("git", args, { cwd: work, env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } });
          expect(r.code, r.stderr).toBe(0);
          return r.stdout.trim();
        };
        await seed("init", "-q", "-b", "main");
        mkdirSync(path.join(work, "deploy"));
        writeFileSync(
          path.join(work, "deploy", "kustomization.yaml"),
          `resources: [deployment.yaml]\nimages:\n  - name: ${APP}\n    newTag: "v1"\n`,
        );
        await seed("add", "-A");
        await seed("-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", "the app");
        const head = await seed("rev-parse", "HEAD");
        await p.git("fetch", "-q", work, "main:refs/heads/main");
        const job = await runTemplateJob({
          component: "update-manifests",
          inputs: {
            manifests: "deploy/kustomization.yaml",
            image_name: APP,
            author_name: "Release Robot",
            author_email: "robot@example.com",
          },
          env: {
            CI_SERVER_URL: server.url,
            CI_PROJECT_PATH: p.repoPath,
            CI_PROJECT_ID: "42",
            CI_DEFAULT_BRANCH: "main",
            CI_COMMIT_SHA: head,
            GITOPS_IMAGE: `${APP}@sha256:${"2".repeat(64)}`,
            GITOPS_MANIFESTS_TOKEN: TOKEN,
            ...env(canary),
          },
          cwd: mkdtempSync(path.join(scratch, "job-")),
        });
        expect(job.code, job.output).toBe(0);
        expect(await p.git("log", "-1", "--format=%an", "main")).toBe("Release Robot");
        expect(existsSync(canary)).toBe(false);
      });
    });
  }
});
