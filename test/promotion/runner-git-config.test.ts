/**
 * A runner's own git configuration must not reach into the job's repositories. A shell or
 * custom-executor runner may set `init.templateDir` in its global git config; `git init` copies
 * that template's hooks into every new repository, and a `reference-transaction` hook runs on every
 * ref update, a fetch's included, whatever `--no-verify` says. The jobs' repositories are made from
 * an empty template (runtime/git.ts `init`). The control shows the hook does fire for a plain
 * `git init` in the same environment, so the assertion on the job can fail.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../runtime/exec.ts";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import { Project, PROMOTER, promote, STAGING } from "./history.ts";

const TOKEN = "glpat-runner-git-config-token-1";

describe.skipIf(!requireTools("git"))("a runner's init.templateDir", () => {
  let server: GitServer;
  let scratch: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
    scratch = mkdtempSync(path.join(tmpdir(), "gitops-runner-git-config-"));
    const hooks = path.join(scratch, "template", "hooks");
    mkdirSync(hooks, { recursive: true });
    writeFileSync(path.join(hooks, "reference-transaction"), '#!/bin/sh\ntouch "$CANARY"\ncat >/dev/null\n');
    chmodSync(path.join(hooks, "reference-transaction"), 0o755);
    const config = path.join(scratch, "gitconfig");
    writeFileSync(config, `[init]\n\ttemplateDir = ${path.join(scratch, "template")}\n`);
    env = { GIT_CONFIG_GLOBAL: config };
  });
  afterAll(async () => {
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("fires its hooks in a plain `git init` (the control)", async () => {
    const canary = path.join(scratch, "control-canary");
    const dir = path.join(scratch, "plain");
    const project = new Project(server, "group/runner-config-control");
    const main = await project.chain(undefined, 2);
    await project.setBranch("main", main[1] as string);
    const withHook = { ...process.env, ...env, CANARY: canary };
    expect((await run("git", ["init", "-q", dir], { env: withHook })).code).toBe(0);
    expect(
      (await run("git", ["fetch", "-q", project.url, "main:refs/heads/copy"], { cwd: dir, env: withHook })).code,
    ).toBe(0);
    expect(existsSync(canary)).toBe(true);
  });

  it("does not reach the promotion's repositories", async () => {
    const canary = path.join(scratch, "job-canary");
    const project = new Project(server, "group/runner-config-job");
    const main = await project.chain(undefined, 4);
    await project.setBranch("main", main[3] as string);
    await project.setBranch(STAGING, main[1] as string);
    const job = await promote(project, TOKEN, {
      component: "promote-staging",
      target: main[3] as string,
      env: { ...env, CANARY: canary },
    });
    expect(job.code, job.output).toBe(0);
    expect(job.outputs?.GITOPS_PROMOTED_SHA).toBe(main[3]);
    expect(existsSync(canary)).toBe(false);
  });
});
