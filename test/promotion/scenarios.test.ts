/**
 * promote-staging and manual-production, run from their generated templates against a real git
 * server over loopback HTTP (protected `_gitlab/agents/*`: only the promotion bot's token may
 * push, never a force push).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import { PRODUCTION, Project, PROMOTER, promote, STAGING } from "./history.ts";
import { fetchesIn, gitTrace } from "../../harness/git-trace.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;

describe.skipIf(!requireTools("git"))("promotion jobs", () => {
  let server: GitServer;
  let project: Project;
  let main: string[];
  let n = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
  });
  afterAll(() => server?.close());

  beforeEach(async () => {
    project = new Project(server, `group/app-${++n}`);
    main = await project.chain(undefined, 6);
    await project.setBranch("main", main[5] as string);
  });

  const at = (i: number) => main[i] as string;
  const uploadPackPosts = () => project.posts("git-upload-pack");
  const receivePackPosts = () => project.posts("git-receive-pack");

  describe("promote-staging", () => {
    it("fast-forwards staging to the pipeline's commit and reports it", async () => {
      await project.setBranch(STAGING, at(2));
      const run = await promote(project, TOKEN, { component: "promote-staging", target: at(5) });
      expect(run.code, run.output).toBe(0);
      expect(project.branch(STAGING)).toBe(at(5));
      expect(run.outputs).toEqual({
        GITOPS_PREVIOUS_SHA: at(2),
        GITOPS_PROMOTED_SHA: at(5),
        GITOPS_PROMOTION: "fast-forward",
        GITOPS_COMMIT_COUNT: "3",
        GITOPS_PROMOTION_DRY_RUN: "false",
        GITOPS_MERGE_REQUEST_COUNT: "0",
        GITOPS_IMAGE_CHANGE_COUNT: "0",
      });
      expect(run.stdout).toContain(
        `staging: fast-forward ${STAGING} ${at(2).slice(0, 12)} → ${at(5).slice(0, 12)} (3 commits).`,
      );
      // The report: a collapsed section listing the promoted commits, newest first.
      expect(run.stdout).toMatch(
        /section_start:\d+:gitops_\d+_promotion_report_promoted_3_commits_to_s\[collapsed=true\]/,
      );
      expect(run.stdout).toContain(
        `- \`${at(5).slice(0, 7)}\` change 6 (Test Author)\n- \`${at(4).slice(0, 7)}\` change 5 (Test Author)\n- \`${at(3).slice(0, 7)}\` change 4 (Test Author)\n`,
      );
      expect(server.pushOptions(project.repoPath).at(-1)).toEqual(["ci.skip"]);
    });

    it("fetches once (ref listing and one pack) and never lazily fetches afterwards", async () => {
      await project.setBranch(STAGING, at(1));
      const trace = gitTrace();
      try {
        const run = await promote(project, TOKEN, { component: "promote-staging", target: at(5), env: trace.env });
        expect(run.code, run.output).toBe(0);
        // The promotion's fetch (ref listing, one pack) and, beside it, the report's (ref listing, one
        // pack: the two tips with their trees; report.ts); these commits change no file, so no blobs.
        expect(uploadPackPosts()).toBe(4);
        expect(receivePackPosts()).toBe(1);
        // git's own trace tells the two repositories apart: the promoting one fetched once, and no
        // lookup in it fetched lazily (that would be a second fetch process, started by git).
        const processes = trace.processes();
        expect(fetchesIn(processes, (w) => !w.includes(".gitops-report")).map((p) => p.sid.includes("/"))).toEqual([
          false,
        ]);
        expect(fetchesIn(processes, (w) => w.includes(".gitops-report"))).toHaveLength(1);
      } finally {
        trace.remove();
      }
    });

    it("creates the staging branch at the first promotion", async () => {
      const run = await promote(project, TOKEN, { component: "promote-staging", target: at(3) });
      expect(run.code, run.output).toBe(0);
      expect(project.branch(STAGING)).toBe(at(3));
      expect(run.outputs).toEqual({
        GITOPS_PREVIOUS_SHA: "",
        GITOPS_PROMOTED_SHA: at(3),
        GITOPS_PROMOTION: "created",
        GITOPS_COMMIT_COUNT: "4",
        GITOPS_PROMOTION_DRY_RUN: "false",
        GITOPS_MERGE_REQUEST_COUNT: "0",
        GITOPS_IMAGE_CHANGE_COUNT: "0",
      });
    });

    it("pushes nothing when staging is already at the commit", async () => {
      await project.setBranch(STAGING, at(5));
      const run = await promote(project, TOKEN, { component: "promote-staging", target: at(5) });
      expect(run.code, run.output).toBe(0);
      expect(run.outputs).toEqual({
        GITOPS_PREVIOUS_SHA: at(5),
        GITOPS_PROMOTED_SHA: at(5),
        GITOPS_PROMOTION: "up-to-date",
        GITOPS_COMMIT_COUNT: "0",
        GITOPS_PROMOTION_DRY_RUN: "false",
        GITOPS_MERGE_REQUEST_COUNT: "0",
        GITOPS_IMAGE_CHANGE_COUNT: "0",
      });
      expect(receivePackPosts()).toBe(0);
    });

    it("leaves staging where it is when an older pipeline runs (never backwards)", async () => {
      await project.setBranch(STAGING, at(5));
      const run = await promote(project, TOKEN, { component: "promote-staging", target: at(2) });
      expect(run.code, run.output).toBe(0);
      expect(project.branch(STAGING)).toBe(at(5));
      expect(run.outputs?.GITOPS_PROMOTION).toBe("up-to-date");
      expect(run.stdout).toContain(
        `staging is up to date: ${STAGING} is at ${at(5).slice(0, 12)}, which already contains ${at(2).slice(0, 12)}. Nothing pushed.`,
      );
      expect(receivePackPosts()).toBe(0);
    });

    it("refuses when staging has a commit that main lacks, and leaves it unchanged", async () => {
      const hotfix = await project.commit([at(3)], "hotfix straight on staging");
      await project.setBranch(STAGING, hotfix);
      const run = await promote(project, TOKEN, { component: "promote-staging", target: at(5) });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(
        `ERROR: ${STAGING} (at ${hotfix.slice(0, 12)}) has diverged from main: it holds commits that main lacks (list them with git log main..${STAGING}). Promotion never merges, rebases or force-pushes`,
      );
      expect(run.stdout).toContain(
        `Fix: bring those commits into main with a merge request that merges ${STAGING} into main`,
      );
      expect(project.branch(STAGING)).toBe(hotfix);
      expect(receivePackPosts()).toBe(0);
      expect(run.outputs).toBeUndefined();
    });

    it("fast-forwards once main has merged the diverged commits", async () => {
      const hotfix = await project.commit([at(3)], "hotfix straight on staging");
      await project.setBranch(STAGING, hotfix);
      const merge = await project.commit([at(5), hotfix], "Merge staging hotfix into main");
      await project.setBranch("main", merge);
      const run = await promote(project, TOKEN, { component: "promote-staging", target: merge });
      expect(run.code, run.output).toBe(0);
      expect(project.branch(STAGING)).toBe(merge);
      expect(run.outputs?.GITOPS_COMMIT_COUNT).toBe("3");
    });

    it("refuses a commit that is not on main", async () => {
      await project.setBranch(STAGING, at(2));
      const feature = await project.commit([at(5)], "feature branch work");
      await project.setBranch("feature", feature);
      const run = await promote(project, TOKEN, { component: "promote-staging", target: feature });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(
        `ERROR: commit ${feature.slice(0, 12)} is not on main: only commits of main are promoted to ${STAGING}`,
      );
      expect(project.branch(STAGING)).toBe(at(2));
    });

    it("refuses a commit the server does not have at all, without fetching it", async () => {
      await project.setBranch(STAGING, at(2));
      const trace = gitTrace();
      try {
        const run = await promote(project, TOKEN, {
          component: "promote-staging",
          target: "0123456789abcdef0123456789abcdef01234567",
          env: trace.env,
        });
        expect(run.code).toBe(3);
        expect(run.stderr).toContain("ERROR: commit 0123456789ab is not on main");
        // The promotion's one fetch and the report's beside it (started with the job): never the commit.
        expect(uploadPackPosts()).toBe(4);
        const fetches = fetchesIn(trace.processes(), (w) => !w.includes(".gitops-report"));
        expect(fetches).toHaveLength(1);
        expect(fetches[0]?.argv.join(" ")).not.toContain("0123456789abcdef");
      } finally {
        trace.remove();
      }
    });

    it("refuses an older commit on a merged side line that staging does not contain", async () => {
      const side = await project.commit([at(1)], "side work");
      const merge = await project.commit([at(5), side], "Merge side work");
      await project.setBranch("main", merge);
      await project.setBranch(STAGING, side);
      const run = await promote(project, TOKEN, { component: "promote-staging", target: at(4) });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(
        `ERROR: ${STAGING} is at ${side.slice(0, 12)}, which commit ${at(4).slice(0, 12)} does not contain`,
      );
      expect(project.branch(STAGING)).toBe(side);
    });

    it("decides and reports in a dry run, pushing nothing", async () => {
      await project.setBranch(STAGING, at(2));
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(5),
        inputs: { dry_run: true },
      });
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain(`staging: dry run, nothing pushed: would fast-forward ${STAGING}`);
      expect(run.outputs?.GITOPS_PROMOTION).toBe("fast-forward");
      expect(run.outputs?.GITOPS_PROMOTION_DRY_RUN).toBe("true");
      expect(project.branch(STAGING)).toBe(at(2));
      expect(receivePackPosts()).toBe(0);
    });

    it("pushes without ci.skip when skip_ci is false", async () => {
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(5),
        inputs: { skip_ci: false },
      });
      expect(run.code, run.output).toBe(0);
      expect(server.pushOptions(project.repoPath).at(-1)).toEqual([]);
    });

    it("promotes from the branch named by source_branch, moving the branch named by environment_branch", async () => {
      const release = await project.chain(at(5), 2);
      await project.setBranch("release", release[1] as string);
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: release[1] as string,
        inputs: { source_branch: "release", environment_branch: "_gitlab/agents/review", environment: "review" },
      });
      expect(run.code, run.output).toBe(0);
      expect(project.branch("_gitlab/agents/review")).toBe(release[1]);
      expect(project.branch(STAGING)).toBeUndefined();
    });

    it("fails with a clear error naming the variable when the token is missing", async () => {
      const run = await promote(project, undefined, { component: "promote-staging", target: at(5) });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        'ERROR: input token_variable = "GITOPS_STAGING_TOKEN": the CI/CD variable GITOPS_STAGING_TOKEN is missing or empty',
      );
      expect(run.stdout).toContain("Protected variables exist only in pipelines of protected branches and tags");
      expect(server.requests.some((r) => r.path.startsWith(`/${project.repoPath}.git/`))).toBe(false);
    });

    it("fails with an authentication error on a wrong token, without printing it", async () => {
      const wrong = `glpat-${randomBytes(12).toString("hex")}`;
      await project.setBranch(STAGING, at(2));
      const run = await promote(project, wrong, { component: "promote-staging", target: at(5) });
      expect(run.code).toBe(5);
      expect(run.stderr).toContain(
        `ERROR: promoting to ${STAGING}: the server refused the token in GITOPS_STAGING_TOKEN`,
      );
      expect(run.stdout).toContain(
        "Fix: check token_variable: the token in GITOPS_STAGING_TOKEN must be valid and unexpired, a project access token with the write_repository scope",
      );
      expect(run.output).not.toContain(wrong);
      expect(project.branch(STAGING)).toBe(at(2));
    });

    it("fails when the token's user may not push to the protected branch", async () => {
      const other = `glpat-${randomBytes(12).toString("hex")}`;
      server.addToken(other, "someone-else");
      const run = await promote(project, other, { component: "promote-staging", target: at(5) });
      expect(run.code).toBe(5);
      expect(run.stderr).toContain("You are not allowed to push code to protected branches");
      expect(run.stderr).toContain(
        `ERROR: promoting to ${STAGING}: environment_branch ${STAGING} is protected and the token in GITOPS_STAGING_TOKEN may not push to it`,
      );
      expect(run.stdout).toContain(
        `Fix: let the token in GITOPS_STAGING_TOKEN push: choose its user or deploy key under "Allowed to push and merge" of ${STAGING}`,
      );
      expect(project.branch(STAGING)).toBeUndefined();
    });

    it("fails clearly when the git server is down", async () => {
      server.setDown(true);
      try {
        const run = await promote(project, TOKEN, { component: "promote-staging", target: at(5) });
        expect(run.code).toBe(5);
        expect(run.stderr).toContain(
          `ERROR: promoting to ${STAGING}: repository_url (${project.url}) could not be reached`,
        );
        expect(run.output).not.toContain(TOKEN);
      } finally {
        server.setDown(false);
      }
    });

    it("refuses an environment branch that is not a branch name, before touching the server", async () => {
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(5),
        inputs: { environment_branch: "bad..name" },
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        'ERROR: input environment_branch = "bad..name": has one of .. @{ //, or a leading /, or a trailing / or ., which git refuses in a branch name',
      );
      expect(server.requests.some((r) => r.path.startsWith(`/${project.repoPath}.git/`))).toBe(false);
    });

    it("refuses a repository_url that carries credentials, without printing them", async () => {
      const url = project.url.replace("http://", `http://oauth2:${TOKEN}@`);
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(5),
        inputs: { repository_url: url },
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("ERROR: input repository_url");
      expect(run.output).not.toContain(TOKEN);
    });
  });

  describe("manual-production", () => {
    it("fast-forwards production to a commit staging already has", async () => {
      await project.setBranch(STAGING, at(5));
      await project.setBranch(PRODUCTION, at(1));
      const run = await promote(project, TOKEN, { component: "manual-production", target: at(4) });
      expect(run.code, run.output).toBe(0);
      expect(project.branch(PRODUCTION)).toBe(at(4));
      expect(run.outputs).toEqual({
        GITOPS_PREVIOUS_SHA: at(1),
        GITOPS_PROMOTED_SHA: at(4),
        GITOPS_PROMOTION: "fast-forward",
        GITOPS_COMMIT_COUNT: "3",
        GITOPS_PROMOTION_DRY_RUN: "false",
        GITOPS_MERGE_REQUEST_COUNT: "0",
        GITOPS_IMAGE_CHANGE_COUNT: "0",
      });
      expect(run.stdout).toContain(`production: fast-forward ${PRODUCTION}`);
    });

    it("refuses to promote to production a commit staging lacks", async () => {
      await project.setBranch(STAGING, at(3));
      await project.setBranch(PRODUCTION, at(1));
      const run = await promote(project, TOKEN, { component: "manual-production", target: at(5) });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(
        `ERROR: commit ${at(5).slice(0, 12)} is not on ${STAGING} (at ${at(3).slice(0, 12)}); ${PRODUCTION} only receives commits ${STAGING} already has`,
      );
      expect(project.branch(PRODUCTION)).toBe(at(1));
      expect(receivePackPosts()).toBe(0);
    });

    it("refuses when staging has never been promoted", async () => {
      const run = await promote(project, TOKEN, { component: "manual-production", target: at(5) });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(`ERROR: ${STAGING} does not exist, so no commit has been promoted there yet`);
      expect(project.branch(PRODUCTION)).toBeUndefined();
    });

    it("creates production at the first promotion of a commit staging has", async () => {
      await project.setBranch(STAGING, at(4));
      const run = await promote(project, TOKEN, { component: "manual-production", target: at(4) });
      expect(run.code, run.output).toBe(0);
      expect(project.branch(PRODUCTION)).toBe(at(4));
      expect(run.outputs?.GITOPS_PROMOTION).toBe("created");
    });

    it("uses the production token variable", async () => {
      await project.setBranch(STAGING, at(4));
      const run = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(4),
        env: { GITOPS_PRODUCTION_TOKEN: "" },
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("the CI/CD variable GITOPS_PRODUCTION_TOKEN is missing or empty");
    });
  });
});
