/**
 * A consumer who replaces a component's `rules` keeps its guards: every template renders the guards
 * first and the `rules` input as one nested item, which GitLab (and gitlab-ci-local) flatten. Checked
 * on the templates as GitLab interpolates them, and under gitlab-ci-local with rules that would
 * otherwise run everywhere.
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
import { includeTemplate } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

const REQUIRED: Record<string, Record<string, unknown>> = {
  build: {},
  test: { script: ["true"] },
  review: { manifests: "deploy", domain: "review.example.com" },
  "update-manifests": { manifests: "deploy/kustomization.yaml" },
  "promote-staging": {},
  "manual-production": {},
};

const EVERYWHERE = [{ when: "always" }];

describe("guards on the templates", () => {
  it.each(Object.keys(REQUIRED))("%s: replacing rules keeps the when: never guards before them", (component) => {
    for (const [job, keywords] of Object.entries(
      includeTemplate(component, { ...REQUIRED[component], rules: EVERYWHERE }),
    )) {
      const rules = keywords.rules as unknown[];
      expect(rules.at(-1), `${component} › ${job}`).toEqual(EVERYWHERE);
      const guards = rules.slice(0, -1) as Array<{ if: string; when: string }>;
      expect(guards.length, `${component} › ${job} has guards`).toBeGreaterThan(0);
      for (const guard of guards) expect(guard.when).toBe("never");
    }
  });
});

describe.skipIf(!requireTools("git", "rsync"))("guards under gitlab-ci-local, with rules that say 'always'", () => {
  let server: GitServer;
  let catalog: PublishedCatalog;
  let project: Project;

  beforeAll(async () => {
    server = await startGitServer();
    catalog = await publishCatalog(server, { version: "1.0.0" });
    const always = { rules: EVERYWHERE };
    const ci = {
      stages: ["build", "test", "review", "deploy"],
      include: [
        { component: catalog.component("build"), inputs: always },
        { component: catalog.component("review"), inputs: { ...REQUIRED.review, ...always } },
        { component: catalog.component("update-manifests"), inputs: { ...REQUIRED["update-manifests"], ...always } },
        { component: catalog.component("promote-staging"), inputs: always },
      ],
    };
    project = await createProject({ files: { ".gitlab-ci.yml": stringify(ci) } });
  }, 120_000);

  afterAll(async () => {
    project?.remove();
    catalog?.remove();
    await server?.close();
  });

  async function jobs(variables: Record<string, string>): Promise<string[]> {
    const run = await gitlabCiLocal(project, ["--list-json"], { gitConfig: catalog.gitConfig, variables });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const listed = JSON.parse(run.stdout.slice(run.stdout.indexOf("["))) as Array<{ name: string; when: string }>;
    return listed
      .filter((j) => j.when !== "never")
      .map((j) => j.name)
      .sort();
  }

  const bumpTitle = "chore(manifests): deploy registry.example.com/app@sha256:0123 [gitops-bump]";

  it("a normal commit runs every job the rules allow", async () => {
    expect(await jobs({ CI_COMMIT_TITLE: "feat: a change", CI_COMMIT_MESSAGE: "feat: a change\n" })).toEqual([
      "build",
      "promote-staging",
      "review-deploy",
      "review-stop",
      "update-manifests",
    ]);
  });

  it("a commit-mode bump runs none of them", async () => {
    expect(
      await jobs({ CI_COMMIT_TITLE: bumpTitle, CI_COMMIT_MESSAGE: `${bumpTitle}\n\nGitOps-Bump-Mode: commit\n` }),
    ).toEqual([]);
  });

  it("the merge of a bump merge request runs only the promotion", async () => {
    const title = "Merge branch 'gitops/bump-012301230123' into 'main'";
    expect(
      await jobs({
        CI_COMMIT_TITLE: title,
        CI_COMMIT_MESSAGE: `${title}\n\n${bumpTitle}\n\nSee merge request group/app!2\n`,
      }),
    ).toEqual(["promote-staging"]);
  });

  it("a bump merge request's merged-results pipeline builds and reviews nothing", async () => {
    const listed = await jobs({
      CI_PIPELINE_SOURCE: "merge_request_event",
      CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "gitops/bump-012301230123",
      CI_MERGE_REQUEST_EVENT_TYPE: "merged_result",
      CI_COMMIT_TITLE: `Merge ${"a".repeat(40)} into ${"b".repeat(40)}`,
      CI_COMMIT_MESSAGE: `Merge ${"a".repeat(40)} into ${"b".repeat(40)}\n`,
    });
    expect(listed).not.toContain("build");
    expect(listed).not.toContain("review-deploy");
    expect(listed).not.toContain("update-manifests");
  });

  it("a merge train gets no review app", async () => {
    const listed = await jobs({
      CI_PIPELINE_SOURCE: "merge_request_event",
      CI_MERGE_REQUEST_EVENT_TYPE: "merge_train",
      CI_COMMIT_TITLE: "feat: a change",
      CI_COMMIT_MESSAGE: "feat: a change\n",
    });
    expect(listed).toContain("build");
    expect(listed).not.toContain("review-deploy");
    expect(listed).not.toContain("review-stop");
  });
});
