/**
 * Concurrent promotions: jobs of different pipelines started together (no resource_group to
 * serialise them) must leave staging on the newest commit, never on an older one, and all succeed.
 * And, deterministically, a branch that moves between a job's fetch and its push: a `git` wrapper
 * first on the job's PATH moves it on the server just before the job's push runs.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import { Project, PROMOTER, promote, STAGING } from "./history.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;

describe.skipIf(!requireTools("git"))("promotion races", () => {
  let server: GitServer;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
  });
  afterAll(() => server?.close());

  it("ends 8 racing promoters on the newest target, every job succeeding and staging only moving forward", async () => {
    const project = new Project(server, "group/race");
    await project.git("config", "core.logAllRefUpdates", "always");
    const [base, ...targets] = await project.chain(undefined, 9);
    await project.setBranch("main", targets.at(-1) as string);
    await project.setBranch(STAGING, base as string);

    const runs = await Promise.all(
      targets.map((target) => promote(project, TOKEN, { component: "promote-staging", target })),
    );

    for (const run of runs) expect(run.code, run.output).toBe(0);
    expect(project.branch(STAGING)).toBe(targets.at(-1));
    const newest = runs.at(-1);
    expect(newest?.outputs?.GITOPS_PROMOTION).toBe("fast-forward");
    expect(newest?.outputs?.GITOPS_PROMOTED_SHA).toBe(targets.at(-1));
    for (const run of runs) expect(["fast-forward", "up-to-date"]).toContain(run.outputs?.GITOPS_PROMOTION);

    // Every value staging ever held (the server's reflog) descends from the one before.
    const history = (await project.git("reflog", "show", "--format=%H", `refs/heads/${STAGING}`)).split("\n").reverse();
    expect(history[0]).toBe(base);
    expect(history.at(-1)).toBe(targets.at(-1));
    for (let i = 1; i < history.length; i++)
      expect(await project.isAncestor(history[i - 1] as string, history[i] as string)).toBe(true);
  });

  /** A PATH whose `git` sets `ref` to `sha` in the bare repository just before the first push. */
  function moveBeforePush(project: Project, ref: string, sha: string): { path: string; cleanup(): void } {
    const dir = mkdtempSync(path.join(tmpdir(), "gitops-git-wrapper-"));
    const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    const flag = path.join(dir, "moved");
    writeFileSync(
      path.join(dir, "git"),
      `#!/bin/sh\nif [ "$1" = push ] && [ ! -e '${flag}' ]; then : > '${flag}'; '${realGit}' --git-dir='${project.dir}' update-ref '${ref}' '${sha}'; fi\nexec '${realGit}' "$@"\n`,
    );
    chmodSync(path.join(dir, "git"), 0o755);
    return { path: `${dir}:${process.env.PATH}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it("decides again when staging moves past its target between its fetch and its push, and reports up-to-date", async () => {
    const project = new Project(server, "group/moved-staging");
    const main = await project.chain(undefined, 6, { withFiles: true });
    await project.setBranch("main", main[5] as string);
    await project.setBranch(STAGING, main[1] as string);
    const wrapper = moveBeforePush(project, `refs/heads/${STAGING}`, main[5] as string);
    try {
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: main[3] as string,
        env: { PATH: wrapper.path },
      });
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain(
        "WARNING: the push was rejected (a branch moved since the fetch): fetching and deciding again (attempt 2 of 10)",
      );
      expect(run.outputs?.GITOPS_PROMOTION).toBe("up-to-date");
      expect(project.branch(STAGING)).toBe(main[5]);
    } finally {
      wrapper.cleanup();
    }
  });

  it("decides again when main moves between its fetch and its push, then fast-forwards", async () => {
    const project = new Project(server, "group/moved-main");
    const main = await project.chain(undefined, 6, { withFiles: true });
    await project.setBranch("main", main[4] as string);
    await project.setBranch(STAGING, main[1] as string);
    const wrapper = moveBeforePush(project, "refs/heads/main", main[5] as string);
    try {
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: main[4] as string,
        env: { PATH: wrapper.path },
      });
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain(
        "WARNING: the push was rejected (a branch moved since the fetch): fetching and deciding again (attempt 2 of 10)",
      );
      expect(run.outputs).toMatchObject({
        GITOPS_PROMOTION: "fast-forward",
        GITOPS_PREVIOUS_SHA: main[1],
        GITOPS_PROMOTED_SHA: main[4],
      });
      expect(project.branch(STAGING)).toBe(main[4]);
    } finally {
      wrapper.cleanup();
    }
  });
});
