/**
 * Every pipeline type a consumer of all eight components meets, under gitlab-ci-local with the
 * components' default rules, included by `component:` reference at a published catalog version:
 * which jobs exist, and, where promotion jobs exist, which commit each of them pushes (run for real
 * against the loopback git server: gitlab.example.com is redirected there). No loops: no pipeline
 * of a bump builds, tests, reviews or bumps again, and the pipeline of a commit-mode bump does not
 * deploy again; no pipeline of a rollback builds or bumps (that would undo it), and it promotes.
 *
 * gitlab-ci-local does not read commit messages, so each pipeline's CI_COMMIT_TITLE and
 * CI_COMMIT_MESSAGE are passed as GitLab sets them (merged-results and merge-train pipelines get
 * the titles GitLab gives their merge commits).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import {
  createProject,
  gitlabCiLocal,
  publishCatalog,
  type Project,
  type PublishedCatalog,
} from "../../harness/gitlab-ci-local.ts";
import { requireTools } from "../support/tools.ts";

const IMAGE_NAME = "registry.example.com/group/app";
const IMAGE = `${IMAGE_NAME}@sha256:${"c".repeat(64)}`;
const STAGING = "_gitlab/agents/staging";
const PRODUCTION = "_gitlab/agents/production";
const TOKENS = {
  developer: "glpat-types-developer",
  manifests: "glpat-types-manifests",
  staging: "glpat-types-staging",
  production: "glpat-types-production",
};
const SECRETS = {
  GITOPS_MANIFESTS_TOKEN: TOKENS.manifests,
  GITOPS_STAGING_TOKEN: TOKENS.staging,
  GITOPS_PRODUCTION_TOKEN: TOKENS.production,
};
const KUSTOMIZATION = `resources: [deployment.yaml]\nimages:\n  - name: ${IMAGE_NAME}\n    newTag: v1\n`;

/** What GitLab sets for a merge-request pipeline of `source` (detached, merged results or merge train). */
function mergeRequest(
  source: string,
  eventType: "detached" | "merged_result" | "merge_train",
  title: string,
  message = `${title}\n`,
): Record<string, string> {
  return {
    CI_PIPELINE_SOURCE: "merge_request_event",
    CI_COMMIT_BRANCH: "",
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: source,
    CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
    CI_MERGE_REQUEST_EVENT_TYPE: eventType,
    CI_COMMIT_TITLE: title,
    CI_COMMIT_MESSAGE: message,
  };
}

describe.skipIf(!requireTools("git", "rsync"))(
  "pipeline types: which jobs exist and which commit each promotion pushes",
  () => {
    let server: GitServer;
    let catalog: PublishedCatalog;
    let project: Project;
    let repoUrl: string;

    beforeAll(async () => {
      server = await startGitServer();
      catalog = await publishCatalog(server, { version: "1.0.0" });
      const ci = {
        stages: ["build", "test", "review", "deploy"],
        include: [
          { component: catalog.component("build"), inputs: { image_name: IMAGE_NAME } },
          { component: catalog.component("test"), inputs: { script: ["echo testing"] } },
          {
            component: catalog.component("review"),
            inputs: { manifests: "deploy", image_name: IMAGE_NAME, domain: "review.example.com" },
          },
          {
            component: catalog.component("update-manifests"),
            inputs: { manifests: "deploy/kustomization.yaml", image_name: IMAGE_NAME },
          },
          { component: catalog.component("promote-staging") },
          { component: catalog.component("manual-production") },
          { component: catalog.component("preview-production") },
          { component: catalog.component("rollback") },
        ],
      };
      project = await createProject({
        projectPath: "group/app",
        message: "feat: first version of the app",
        files: {
          ".gitlab-ci.yml": stringify(ci),
          Dockerfile: "FROM scratch\n",
          "deploy/kustomization.yaml": KUSTOMIZATION,
        },
      });
      repoUrl = server.createRepo("group/app", {
        protect: [
          { pattern: STAGING, user: "staging-bot" },
          { pattern: PRODUCTION, user: "production-bot" },
        ],
      });
      server.addToken(TOKENS.developer, "developer");
      server.addToken(TOKENS.manifests, "manifests-bot");
      server.addToken(TOKENS.staging, "staging-bot");
      server.addToken(TOKENS.production, "production-bot");
      await push("main");
    }, 120_000);

    afterAll(async () => {
      project?.remove();
      catalog?.remove();
      await server?.close();
    });

    async function push(branch: string): Promise<void> {
      await project.git(
        "push",
        "-q",
        repoUrl.replace("http://", `http://developer:${TOKENS.developer}@`),
        `HEAD:refs/heads/${branch}`,
      );
    }

    /** CI_COMMIT_TITLE and CI_COMMIT_MESSAGE of the checked-out commit, as GitLab sets them. */
    async function commitVariables(): Promise<Record<string, string>> {
      return {
        CI_COMMIT_TITLE: await project.git("log", "-1", "--format=%s"),
        CI_COMMIT_MESSAGE: await project.git("log", "-1", "--format=%B"),
      };
    }

    /** The jobs gitlab-ci-local would run for the checked-out commit, given these variables. */
    async function jobs(variables: Record<string, string>): Promise<string[]> {
      const run = await gitlabCiLocal(project, ["--list-json"], { gitConfig: catalog.gitConfig, variables });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const listed = JSON.parse(run.stdout.slice(run.stdout.indexOf("["))) as Array<{ name: string; when: string }>;
      return listed
        .filter((j) => j.when !== "never")
        .map((j) => j.name)
        .sort();
    }

    /** Runs one job of the checked-out commit's pipeline for real; returns its log. */
    async function runJob(name: string, variables: Record<string, string>): Promise<string> {
      const run = await gitlabCiLocal(project, [name], {
        gitConfig: catalog.gitConfig,
        variables: { ...SECRETS, ...variables },
      });
      const log = run.stdout + run.stderr;
      expect(run.code, log).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`PASS\\s+${name}`));
      for (const token of Object.values(TOKENS)) expect(log).not.toContain(token);
      return log;
    }

    /** Runs the pipeline's promotion jobs (staging, then the manual production job); returns where each branch ends. */
    async function promote(
      variables: Record<string, string>,
    ): Promise<{ staging?: string; production?: string; logs: string }> {
      const logs = (await runJob("promote-staging", variables)) + (await runJob("promote-production", variables));
      return { staging: server.branch("group/app", STAGING), production: server.branch("group/app", PRODUCTION), logs };
    }

    const mainPipelineJobs = [
      "build",
      "promote-production",
      "promote-production-preview",
      "promote-staging",
      "rollback-production",
      "test",
      "update-manifests",
    ];
    let feature = "";
    let merge = "";
    let bump = "";

    it("merge request: build, test and the review app; no bump, no promotion", async () => {
      await project.git("checkout", "-q", "-b", "feature/greeting");
      feature = await project.commit("feat: greet louder", { "app.txt": "hello\n" });
      await push("feature/greeting");
      expect(await jobs(mergeRequest("feature/greeting", "detached", "feat: greet louder"))).toEqual([
        "build",
        "review-deploy",
        "review-stop",
        "test",
      ]);
    });

    it("merged-results pipeline of that merge request (title 'Merge <sha> into <sha>'): the same", async () => {
      const title = `Merge ${feature} into ${server.branch("group/app", "main")}`;
      expect(await jobs(mergeRequest("feature/greeting", "merged_result", title))).toEqual([
        "build",
        "review-deploy",
        "review-stop",
        "test",
      ]);
    });

    it("merge train: build and test, no review app", async () => {
      expect(
        await jobs(mergeRequest("feature/greeting", "merge_train", "Merge branch 'feature/greeting' into 'main'")),
      ).toEqual(["build", "test"]);
    });

    it("merge commit on main: build, test, update-manifests, then staging and production promote the bump commit, not the merge commit", async () => {
      await project.git("checkout", "-q", "main");
      await project.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'feature/greeting' into 'main'\n\nfeat: greet louder\n\nSee merge request group/app!1",
        "feature/greeting",
      );
      merge = await project.git("rev-parse", "HEAD");
      await push("main");
      const variables = await commitVariables();
      expect(await jobs(variables)).toEqual(mainPipelineJobs);
      // build's output reaches update-manifests as GITOPS_IMAGE (its dotenv report, through needs).
      await runJob("update-manifests", { ...variables, GITOPS_IMAGE: IMAGE });
      bump = server.branch("group/app", "main") as string;
      expect(bump).not.toBe(merge);
      const promoted = await promote(variables);
      expect(promoted.staging).toBe(bump);
      expect(promoted.production).toBe(bump);
      expect(promoted.logs).toContain(
        `Target ${bump}: promoting ${bump.slice(0, 12)}, the manifests bump update-manifests pushed for ${merge.slice(0, 12)}`,
      );
    });

    it("bump commit (commit mode): no job at all — no build, no bump, and no second deployment", async () => {
      await project.git("fetch", "-q", repoUrl, "+refs/heads/main:refs/remotes/origin/main");
      await project.git("reset", "-q", "--hard", "refs/remotes/origin/main");
      const variables = await commitVariables();
      expect(variables.CI_COMMIT_TITLE).toBe(`chore(manifests): deploy ${IMAGE} [gitops-bump]`);
      expect(variables.CI_COMMIT_MESSAGE).toContain("GitOps-Bump-Mode: commit");
      expect(await jobs(variables)).toEqual([]);
    });

    it("manifests-only commit whose image needs no bump: update-manifests changes nothing, and the commit itself is promoted", async () => {
      await project.commit("chore: two replicas", {
        "deploy/deployment.yaml": "kind: Deployment\nspec: {replicas: 2}\n",
      });
      const own = await project.git("rev-parse", "HEAD");
      await push("main");
      const variables = await commitVariables();
      expect(await jobs(variables)).toEqual(mainPipelineJobs);
      await runJob("update-manifests", { ...variables, GITOPS_IMAGE: IMAGE });
      expect(server.branch("group/app", "main")).toBe(own);
      const promoted = await promote(variables);
      expect(promoted.staging).toBe(own);
      expect(promoted.production).toBe(own);
    });

    it("merge request of a bump (merge_request mode), detached and merged results: no job at all", async () => {
      const title = `chore(manifests): deploy ${IMAGE} [gitops-bump]`;
      expect(await jobs(mergeRequest("gitops/bump-cccccccccccc", "detached", title))).toEqual([]);
      expect(
        await jobs(
          mergeRequest("gitops/bump-cccccccccccc", "merged_result", `Merge ${"d".repeat(40)} into ${"e".repeat(40)}`),
        ),
      ).toEqual([]);
    });

    it("merge of a bump merge request: only the promotions, which promote the merge commit", async () => {
      const base = await project.git("rev-parse", "HEAD");
      await project.git("checkout", "-q", "-b", "gitops/bump-cccccccccccc");
      await project.commit(
        `chore(manifests): deploy ${IMAGE} [gitops-bump]\n\nGitOps-Image: ${IMAGE}\nGitOps-Source-Commit: ${base}\nGitOps-Bump-Mode: merge_request`,
        {
          "deploy/kustomization.yaml": KUSTOMIZATION.replace("newTag: v1", "newTag: v2"),
        },
      );
      await project.git("checkout", "-q", "main");
      await project.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        `Merge branch 'gitops/bump-cccccccccccc' into 'main'\n\nchore(manifests): deploy ${IMAGE} [gitops-bump]\n\nSee merge request group/app!2`,
        "gitops/bump-cccccccccccc",
      );
      const bumpMerge = await project.git("rev-parse", "HEAD");
      await push("main");
      const variables = await commitVariables();
      expect(await jobs(variables)).toEqual([
        "promote-production",
        "promote-production-preview",
        "promote-staging",
        "rollback-production",
      ]);
      const promoted = await promote(variables);
      expect(promoted.staging).toBe(bumpMerge);
      expect(promoted.production).toBe(bumpMerge);
    });

    it("a pipeline run by hand for main whose tip is a bump: only the rollback job", async () => {
      // The bump commit's title and message (the rules read only those; the configuration is the same).
      const variables = {
        CI_COMMIT_TITLE: await project.git("log", "-1", "--format=%s", bump),
        CI_COMMIT_MESSAGE: await project.git("log", "-1", "--format=%B", bump),
      };
      expect(await jobs(variables)).toEqual([]);
      expect(await jobs({ ...variables, CI_PIPELINE_SOURCE: "web" })).toEqual(["rollback-production"]);
    });

    const rollbackTitle = "Roll back production to 0123456789ab: revert 2 commits [gitops-rollback]";

    it("rollback commit: no build, test or bump (they would undo it); the promotions promote the rollback commit itself", async () => {
      await project.commit(
        `${rollbackTitle}\n\nReverted:\n- 1234567 chore(manifests): deploy ${IMAGE} [gitops-bump]\n\nGitOps-Rollback-Environment: production\nGitOps-Rollback-From: ${"1".repeat(40)}\nGitOps-Rollback-To: ${"2".repeat(40)}`,
        {
          "deploy/kustomization.yaml": KUSTOMIZATION,
        },
      );
      const rollback = await project.git("rev-parse", "HEAD");
      await push("main");
      const variables = await commitVariables();
      expect(await jobs(variables)).toEqual([
        "promote-production",
        "promote-production-preview",
        "promote-staging",
        "rollback-production",
      ]);
      const promoted = await promote(variables);
      expect(promoted.staging).toBe(rollback);
      expect(promoted.production).toBe(rollback);
    });

    it("merge request of a rollback (merge_request mode), and its merge: no build, test, review or bump", async () => {
      const branch = "gitops/rollback-production-0123456789ab";
      expect(await jobs(mergeRequest(branch, "detached", rollbackTitle))).toEqual([]);
      expect(
        await jobs(mergeRequest(branch, "merged_result", `Merge ${"d".repeat(40)} into ${"e".repeat(40)}`)),
      ).toEqual([]);
      const merged = {
        CI_COMMIT_TITLE: `Merge branch '${branch}' into 'main'`,
        CI_COMMIT_MESSAGE: `Merge branch '${branch}' into 'main'\n\n${rollbackTitle}\n\nSee merge request group/app!3\n`,
      };
      expect(await jobs(merged)).toEqual([
        "promote-production",
        "promote-production-preview",
        "promote-staging",
        "rollback-production",
      ]);
    });

    it("tag pipeline: no job", async () => {
      expect(
        await jobs({
          ...(await commitVariables()),
          CI_COMMIT_TAG: "1.0.0",
          CI_COMMIT_BRANCH: "",
          CI_COMMIT_REF_NAME: "1.0.0",
        }),
      ).toEqual([]);
    });

    it("push to an environment branch: no job", async () => {
      expect(
        await jobs({ ...(await commitVariables()), CI_COMMIT_BRANCH: STAGING, CI_COMMIT_REF_NAME: STAGING }),
      ).toEqual([]);
    });
  },
);
