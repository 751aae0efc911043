/**
 * No loops: the commit update-manifests pushes must not build, test or bump again in its own
 * pipeline, but must still promote to staging. Proven with gitlab-ci-local on a consumer project
 * that includes the components by `component:` reference at a published catalog version, using
 * the components' default rules. The bump commit is a real one: gitlab-ci-local runs the included
 * update-manifests job, which pushes it to the loopback git server (gitlab.example.com is redirected
 * there). gitlab-ci-local does not read commit messages, so each commit's title and message are
 * passed as CI_COMMIT_TITLE and CI_COMMIT_MESSAGE.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startGitServer, type GitServer } from "../support/git-server.ts";
import { createProject, gitlabCiLocal, publishCatalog, type Project, type PublishedCatalog } from "../support/gitlab-ci-local.ts";
import { requireTools } from "../support/tools.ts";

const IMAGE_NAME = "registry.example.com/group/app";
const DIGEST = `sha256:${"c".repeat(64)}`;
const TOKEN = "glpat-no-loops-bump-token";

describe.skipIf(!requireTools("git", "rsync"))("no loops: the bump commit's own pipeline", () => {
  let server: GitServer;
  let catalog: PublishedCatalog;
  let project: Project;
  let repoUrl: string;

  beforeAll(async () => {
    server = await startGitServer();
    catalog = await publishCatalog(server, { version: "1.0.0" });
    const ci = {
      include: [
        { component: catalog.component("build"), inputs: { image_name: IMAGE_NAME } },
        { component: catalog.component("test"), inputs: { script: ["echo testing"] } },
        { component: catalog.component("update-manifests"), inputs: { manifests: "deploy/kustomization.yaml", image_name: IMAGE_NAME } },
        { component: catalog.component("promote-staging") },
      ],
    };
    project = await createProject({
      projectPath: "group/app",
      message: "feat: first version of the app",
      files: {
        ".gitlab-ci.yml": stringify(ci),
        Dockerfile: "FROM scratch\n",
        "deploy/kustomization.yaml": `resources: [deployment.yaml]\nimages:\n  - name: ${IMAGE_NAME}\n    newTag: v1\n`,
      },
    });
    repoUrl = server.createRepo("group/app", { protect: [{ pattern: "main", user: "bump-bot" }] });
    server.addToken(TOKEN, "bump-bot");
    await project.git("push", "-q", repoUrl.replace("http://", `http://bot:${TOKEN}@`), "HEAD:refs/heads/main");
  }, 120_000);

  afterAll(async () => {
    project?.remove();
    catalog?.remove();
    await server?.close();
  });

  /** The jobs gitlab-ci-local would run for the project's checked-out commit, given these variables. */
  async function jobs(variables: Record<string, string>): Promise<string[]> {
    const run = await gitlabCiLocal(project, ["--list-json"], { gitConfig: catalog.gitConfig, variables });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const listed = JSON.parse(run.stdout.slice(run.stdout.indexOf("["))) as Array<{ name: string; when: string }>;
    return listed.filter((j) => j.when !== "never").map((j) => j.name).sort();
  }

  /** CI_COMMIT_TITLE and CI_COMMIT_MESSAGE of the checked-out commit, as GitLab sets them. */
  async function commitVariables(): Promise<Record<string, string>> {
    return { CI_COMMIT_TITLE: await project.git("log", "-1", "--format=%s"), CI_COMMIT_MESSAGE: await project.git("log", "-1", "--format=%B") };
  }

  it("a normal commit on main builds, tests, bumps the manifests and promotes", async () => {
    expect(await jobs(await commitVariables())).toEqual(["build", "promote-staging", "test", "update-manifests"]);
  });

  it("the bump commit update-manifests pushes only promotes to staging", async () => {
    // The normal commit's pipeline runs update-manifests (as included from the catalog); the image
    // build would have published arrives as the dotenv variable GITOPS_IMAGE.
    const bump = await gitlabCiLocal(project, ["update-manifests"], {
      gitConfig: catalog.gitConfig,
      variables: { ...(await commitVariables()), GITOPS_IMAGE: `${IMAGE_NAME}@${DIGEST}`, GITOPS_MANIFESTS_TOKEN: TOKEN },
    });
    expect(bump.code, bump.stdout + bump.stderr).toBe(0);
    expect(bump.stdout).toMatch(/PASS\s+update-manifests/);
    expect(bump.stdout + bump.stderr).not.toContain(TOKEN);
    // The project now stands where GitLab would run the bump commit's pipeline: on main's new tip.
    await project.git("fetch", "-q", repoUrl, "+refs/heads/main:refs/remotes/origin/main");
    await project.git("reset", "-q", "--hard", "refs/remotes/origin/main");
    const variables = await commitVariables();
    expect(variables.CI_COMMIT_TITLE).toBe(`chore(manifests): deploy ${IMAGE_NAME}@${DIGEST} [gitops-bump]`);
    expect(await jobs(variables)).toEqual(["promote-staging"]);
  });

  it("merging a bump merge request (merge_request mode) does not bump again, and promotes", async () => {
    const listed = await jobs({
      CI_COMMIT_TITLE: "Merge branch 'gitops/bump-cccccccccccc' into 'main'",
      CI_COMMIT_MESSAGE: `Merge branch 'gitops/bump-cccccccccccc' into 'main'\n\nchore(manifests): deploy ${IMAGE_NAME}@${DIGEST} [gitops-bump]\n\nSee merge request group/app!3\n`,
    });
    expect(listed).toContain("promote-staging");
    expect(listed).not.toContain("update-manifests");
  });

  it("a merge-request pipeline neither bumps the manifests nor promotes", async () => {
    const listed = await jobs({ CI_COMMIT_TITLE: "feat: a change under review", CI_COMMIT_MESSAGE: "feat: a change under review\n", CI_PIPELINE_SOURCE: "merge_request_event", CI_COMMIT_BRANCH: "" });
    expect(listed).not.toContain("update-manifests");
    expect(listed).not.toContain("promote-staging");
    expect(listed).toEqual(["build", "test"]);
  });
});
