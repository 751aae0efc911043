/**
 * The promotion report, from the generated templates, on a real history: merge requests merged
 * with merge commits (GitLab's default template, one with a full and one with a local reference),
 * a squash merge, a bump commit, manifests changed, added and deleted, files that are not
 * manifests. The report's text is checked against golden files; what the job fetched for it is
 * checked against what changed.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import { PRODUCTION, Project, PROMOTER, promote, STAGING } from "./history.ts";
import { WorkHistory } from "./work-history.ts";
import { disableLazyFetch, openWorkspace } from "../../components/promotion/apply.ts";
import { changedFiles, commitTrees } from "../../components/promotion/changed-files.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;
const JOB_TOKEN = `glcbt-${randomBytes(12).toString("hex")}`;
const APP = "registry.example.com/group/app";
const digest = (c: string) => `sha256:${c.repeat(64)}`;

const kustomization = (image: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: ${APP}
    ${image}
`;
const deployment = (proxy: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${APP}:initial
        - name: proxy
          image: registry.example.com/group/proxy:${proxy} # sidecar
`;
const workload = (name: string, image: string) =>
  `apiVersion: apps/v1\nkind: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: main\n          image: "${image}"\n`;

/** The log section's lines, without GitLab's section markers. */
function section(stdout: string): string {
  const start = stdout.indexOf("section_start:");
  const end = stdout.indexOf("section_end:", start);
  return `${stdout.slice(start, end).split("\n").slice(1, -1).join("\n")}\n`;
}

describe.skipIf(!requireTools("git"))("the promotion report", () => {
  let server: GitServer;
  let project: Project;
  let work: WorkHistory;
  const at = {} as Record<"initial" | "merge12" | "bump12" | "squash" | "merge13", string>;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
    server.addToken(JOB_TOKEN, "pipeline-user");
    project = new Project(server, "group/app");
    // Private, so that git sends its credential (and the test sees which login it used).
    server.createRepo(project.repoPath, { private: true, protect: [{ pattern: "_gitlab/agents/*", user: PROMOTER }] });
    work = await WorkHistory.create(project);
    at.initial = await work.commit("Initial manifests", {
      "deploy/base/kustomization.yaml": kustomization('newTag: "initial"'),
      "deploy/base/deployment.yaml": deployment("2.1"),
      "apps/api/deployment.yaml": workload("Deployment", `registry.example.com/group/api@${digest("a")}`),
      "apps/old/cronjob.yaml": workload("CronJob", "registry.example.com/group/old:3"),
      "apps/static/config.yaml": "apiVersion: v1\nkind: ConfigMap\n",
      // Unchanged and deep: below the three levels one tree fetch brings.
      "apps/static/deep/er/still/config.yaml": "apiVersion: v1\nkind: ConfigMap\n",
      "docs/README.md": "# App\n",
      "src/app.sh": "echo hello\n",
      "charts/vendor.tgz": "binary-ish chart 1\n",
    });
    // A merge request, merged with a merge commit (GitLab's default template).
    await work.branch("feature/greeting");
    await work.commit("feat: greet louder", { "src/app.sh": "echo HELLO\n" }, "Alice Developer");
    await work.checkout("main");
    at.merge12 = await work.merge(
      "feature/greeting",
      "Merge branch 'feature/greeting' into 'main'\n\nfeat: greet louder\n\nSee merge request group/app!12",
    );
    // update-manifests' bump for it.
    at.bump12 = await work.commit(
      `chore(manifests): deploy ${APP}@${digest("1")} [gitops-bump]\n\nGitOps-Image: ${APP}@${digest("1")}\nGitOps-Source-Commit: ${at.merge12}\nGitOps-Pipeline: https://gitlab.example.com/group/app/-/pipelines/41\nGitOps-Bump-Mode: commit`,
      { "deploy/base/kustomization.yaml": kustomization(`digest: ${digest("1")}`) },
      "GitOps Bot",
    );
    // A squash merge: no reference to its merge request.
    await work.branch("docs-typo");
    await work.commit("wip", { "docs/README.md": "# The app\n" }, "Bob Writer");
    await work.checkout("main");
    at.squash = await work.squash("docs-typo", "fix: typo in the docs", "Bob Writer");
    // A merge request of two commits, merged with a local reference in its message.
    await work.branch("api-v2");
    await work.commit(
      "feat(api): serve v2",
      { "apps/api/deployment.yaml": workload("Deployment", `registry.example.com/group/api@${digest("b")}`) },
      "Carol | Ops",
    );
    await work.commit(
      "chore: proxy 2.2, a worker, no more cron",
      {
        "deploy/base/deployment.yaml": deployment("2.2"),
        "apps/worker/deployment.yaml": workload("Deployment", "registry.example.com/group/worker:1.0"),
        "apps/old/cronjob.yaml": null,
        // Deeper than the report's first fetch of trees reaches: found by walking down.
        "deploy/overlays/prod/patches/deep/limits.yaml": "apiVersion: v1\nkind: ConfigMap\n",
        "charts/vendor.tgz": "binary-ish chart 2\n",
      },
      "Carol | Ops",
    );
    await work.checkout("main");
    at.merge13 = await work.merge(
      "api-v2",
      "Merge branch 'api-v2' into 'main'\n\nfeat(api): serve v2 <and> a worker\n\nCloses #7\n\nSee merge request !13",
    );
    await work.push("main");
    await project.setBranch(STAGING, at.initial);
  });
  afterAll(async () => {
    work?.dispose();
    await server?.close();
  });

  const ci = {
    CI_SERVER_URL: "https://gitlab.example.com",
    CI_PROJECT_PATH: "group/app",
    CI_PIPELINE_URL: "https://gitlab.example.com/group/app/-/pipelines/43",
  };

  it("lists the commits, the merge requests and the image changes from staging's head to the target, in the log and the artifact", async () => {
    try {
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at.merge13,
        inputs: { repository_url: project.url },
        env: ci,
      });
      expect(run.code, run.output).toBe(0);
      expect(project.branch(STAGING)).toBe(at.merge13);
      await expect(run.report).toMatchFileSnapshot("golden/report-staging.md");
      await expect(section(run.stdout)).toMatchFileSnapshot("golden/report-staging.txt");
      expect(run.outputs).toMatchObject({
        GITOPS_COMMIT_COUNT: "7",
        GITOPS_MERGE_REQUEST_COUNT: "2",
        GITOPS_IMAGE_CHANGE_COUNT: "5",
      });
    } finally {
      await project.setBranch(STAGING, at.initial);
    }
  });

  it("fetches, into a repository of its own, the trees near the changed directories and exactly the blobs of the changed manifests", async () => {
    const run = await promote(project, TOKEN, {
      component: "promote-staging",
      target: at.merge13,
      inputs: { repository_url: project.url },
      env: { ...ci, GITOPS_KEEP_WORKDIR: "true" },
      keep: true,
    });
    try {
      expect(run.code, run.output).toBe(0);
      const workdir = path.join(
        run.tmpDir,
        readdirSync(run.tmpDir).find((d) => d.startsWith("gitops-promotion-")) as string,
      );
      // Objects stored in a repository itself, loose or packed (not those it borrows through objects/info/alternates).
      const stored = (dir: string) => {
        const objects = path.join(dir, ".git", "objects");
        const oids = readdirSync(objects)
          .filter((d) => /^[0-9a-f]{2}$/.test(d))
          .flatMap((d) => readdirSync(path.join(objects, d)).map((rest) => d + rest));
        const pack = path.join(objects, "pack");
        for (const idx of readdirSync(pack).filter((f) => f.endsWith(".idx")))
          for (const line of execFileSync("git", ["show-index"], {
            input: readFileSync(path.join(pack, idx)),
            encoding: "utf8",
          })
            .trim()
            .split("\n"))
            oids.push(line.split(" ")[1] as string);
        const typed =
          oids.length === 0
            ? []
            : execFileSync("git", ["cat-file", "--batch-check=%(objecttype) %(objectname)"], {
                cwd: dir,
                input: `${oids.join("\n")}\n`,
                encoding: "utf8",
              })
                .trim()
                .split("\n");
        return (type: string) =>
          new Set(typed.filter((l) => l.startsWith(`${type} `)).map((l) => l.slice(type.length + 1)));
      };
      const inServer = (...args: string[]) => execFileSync("git", args, { cwd: project.dir, encoding: "utf8" }).trim();
      // The repository that pushed holds commits only: the report never fetched into it while it pushed.
      const workspace = stored(workdir);
      expect(workspace("commit").has(at.merge13)).toBe(true);
      expect(workspace("tree")).toEqual(new Set());
      expect(workspace("blob")).toEqual(new Set());
      // The report's own repository borrows those commits and holds the trees and blobs it read,
      // and the two branch tips it fetched them with (staging's, main's) beside the commit graph.
      const report = stored(path.join(workdir, ".gitops-report"));
      expect(report("commit")).toEqual(new Set([at.initial, at.merge13]));
      // Blobs: both versions of each changed manifest (YAML), never docs, scripts or charts.
      const changed = inServer("diff-tree", "-r", "--no-renames", at.initial, at.merge13).split("\n");
      const manifestBlobs = new Set(
        changed
          .filter((l) => /\.yaml$/.test(l))
          .flatMap((l) => l.split(" ").slice(2, 4))
          .filter((oid) => !/^0+$/.test(oid)),
      );
      expect(report("blob")).toEqual(manifestBlobs);
      // Trees: the directories on changed paths, at both commits, fetched a few levels at a time.
      const treeOf = (commit: string, dir: string) => inServer("rev-parse", `${commit}:${dir}`);
      const changedDirs = ["", "src", "docs", "charts", "deploy", "deploy/base", "apps", "apps/api"];
      const trees = report("tree");
      for (const tree of [
        ...changedDirs.flatMap((d) => [treeOf(at.initial, d), treeOf(at.merge13, d)]),
        treeOf(at.initial, "apps/old"),
        treeOf(at.merge13, "apps/worker"),
        treeOf(at.merge13, "deploy/overlays/prod/patches/deep"),
      ])
        expect(trees.has(tree), tree).toBe(true);
      // The first fetch (by commit) reaches three levels below the root, unchanged directories too
      // (trees only); the walk never enters apps/static, so nothing deeper there is fetched.
      expect(trees.has(treeOf(at.merge13, "apps/static/deep"))).toBe(true);
      expect(trees.has(treeOf(at.merge13, "apps/static/deep/er"))).toBe(false);
      expect(trees.has(treeOf(at.merge13, "apps/static/deep/er/still"))).toBe(false);
    } finally {
      run.cleanup();
      await project.setBranch(STAGING, at.initial);
    }
  });

  it("previews production in a dry run with the job token: what the manual job would ship, nothing pushed", async () => {
    await project.setBranch(STAGING, at.bump12);
    await project.setBranch(PRODUCTION, at.initial);
    try {
      const run = await promote(project, JOB_TOKEN, {
        component: "preview-production",
        target: at.merge12,
        inputs: { repository_url: project.url },
        env: ci,
      });
      expect(run.code, run.output).toBe(0);
      expect(project.branch(PRODUCTION)).toBe(at.initial);
      await expect(run.report).toMatchFileSnapshot("golden/report-production-preview.md");
      // The job token authenticates git as gitlab-ci-token (lib/gitlab/auth.rb); it never pushes.
      const own = server.requests.filter((r) => r.path.startsWith("/group/app.git/") && r.login !== undefined);
      expect(new Set(own.slice(-3).map((r) => r.login))).toEqual(new Set(["gitlab-ci-token"]));
      expect(own.slice(-3).every((r) => r.service !== "git-receive-pack")).toBe(true);
    } finally {
      await project.deleteBranch(PRODUCTION);
      await project.setBranch(STAGING, at.initial);
    }
  });

  it("records why nothing moves when the job stands down", async () => {
    await project.setBranch(STAGING, at.merge13);
    try {
      // The pipeline of merge12: its bump is superseded by nothing, but staging already holds it.
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at.merge12,
        inputs: { repository_url: project.url },
        env: ci,
      });
      expect(run.code, run.output).toBe(0);
      await expect(run.report).toMatchFileSnapshot("golden/report-up-to-date.md");
      expect(run.outputs).toMatchObject({
        GITOPS_PROMOTION: "up-to-date",
        GITOPS_COMMIT_COUNT: "0",
        GITOPS_MERGE_REQUEST_COUNT: "0",
        GITOPS_IMAGE_CHANGE_COUNT: "0",
      });
    } finally {
      await project.setBranch(STAGING, at.initial);
    }
  });

  it("walks no further once asked to stop (a job that stands down ends its prefetch before the next fetch)", async () => {
    const workspace = await openWorkspace(project.url, { token: TOKEN });
    try {
      await workspace.git.run([
        "fetch",
        "-q",
        "--filter=tree:0",
        "--no-tags",
        project.url,
        "+refs/heads/main:refs/x/main",
      ]);
      await disableLazyFetch(workspace.git, project.url);
      const trees = await commitTrees(workspace.git, at.initial, at.merge13);
      const posts = () => server.requests.filter((r) => r.method === "POST").length;
      const before = posts();
      expect(await changedFiles(workspace, trees, { stopped: () => true })).toEqual({
        files: [],
        incomplete: "stopped",
      });
      expect(posts()).toBe(before);
      // Not stopped, the same walk fetches what it lacks and finds the changed files.
      const walked = await changedFiles(workspace, trees, { stopped: () => false });
      expect(walked.files.map((f) => f.path)).toContain("deploy/overlays/prod/patches/deep/limits.yaml");
      expect(posts()).toBeGreaterThan(before);
    } finally {
      workspace.dispose();
    }
  });

  it("lists no image changes at a first promotion, which has nothing to compare with", async () => {
    await project.deleteBranch(STAGING);
    try {
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at.bump12,
        inputs: { repository_url: project.url },
        env: ci,
      });
      expect(run.code, run.output).toBe(0);
      expect(run.report).toContain(
        `Created \`${STAGING}\` at \`${at.bump12.slice(0, 12)}\` (created): 4 commits, 1 merge request, 0 image changes.`,
      );
      expect(run.report).toContain(
        "- (the environment branch is created: there is no earlier commit to compare the manifests with)",
      );
      expect(run.outputs).toMatchObject({
        GITOPS_PROMOTION: "created",
        GITOPS_COMMIT_COUNT: "4",
        GITOPS_MERGE_REQUEST_COUNT: "1",
        GITOPS_IMAGE_CHANGE_COUNT: "0",
      });
    } finally {
      await project.setBranch(STAGING, at.initial);
    }
  });
});
