/**
 * Which commit the promotion jobs push, run from their generated templates against a real git
 * server: the bump update-manifests pushed for the pipeline's commit (found by its
 * GitOps-Source-Commit trailer in the tree-less fetch), the pipeline's own commit when no bump was
 * needed, or nothing when a later change supersedes it or the bump waits in a merge request.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import { PRODUCTION, Project, PROMOTER, promote, STAGING } from "./history.ts";
import { fetchesIn, gitTrace } from "../../harness/git-trace.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;
const IMAGE = "registry.example.com/group/app";

/** A bump commit's message as update-manifests writes it. */
function bumpMessage(of: string, digit: string, mode: "commit" | "merge_request" = "commit"): string {
  const image = `${IMAGE}@sha256:${digit.repeat(64)}`;
  return `chore(manifests): deploy ${image} [gitops-bump]\n\nGitOps-Image: ${image}\nGitOps-Source-Commit: ${of}\nGitOps-Pipeline: https://gitlab.example.com/group/app/-/pipelines/${digit}\nGitOps-Bump-Mode: ${mode}\n`;
}

describe.skipIf(!requireTools("git"))("the commit a promotion job promotes", () => {
  let server: GitServer;
  let project: Project;
  let n = 0;
  /** main's first commits: staging starts at base; change is the pipeline's commit. */
  let base: string;
  let change: string;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
  });
  afterAll(() => server?.close());

  beforeEach(async () => {
    project = new Project(server, `group/target-${++n}`);
    [base, change] = (await project.chain(undefined, 2)) as [string, string];
    await project.setBranch(STAGING, base);
  });

  const uploadPackPosts = () => project.posts("git-upload-pack");
  const receivePackPosts = () => project.posts("git-receive-pack");

  it("promotes the bump commit update-manifests pushed for the pipeline's commit, not the commit itself", async () => {
    const bump = await project.commit([change], bumpMessage(change, "1"));
    await project.setBranch("main", bump);
    const trace = gitTrace();
    const run = await promote(project, TOKEN, { component: "promote-staging", target: change, env: trace.env });
    const fetches = fetchesIn(trace.processes(), (w) => !w.includes(".gitops-report"));
    trace.remove();
    expect(run.code, run.output).toBe(0);
    expect(project.branch(STAGING)).toBe(bump);
    expect(run.outputs).toMatchObject({
      GITOPS_PREVIOUS_SHA: base,
      GITOPS_PROMOTED_SHA: bump,
      GITOPS_PROMOTION: "fast-forward",
      GITOPS_COMMIT_COUNT: "2",
    });
    expect(run.stdout).toContain(
      `Target ${bump}: promoting ${bump.slice(0, 12)}, the manifests bump update-manifests pushed for ${change.slice(0, 12)}`,
    );
    // Reading the bumps' trailers needs only the commits the tree-less fetch brought: one fetch
    // (ref listing, pack), and the report's beside it (ref listing, pack).
    expect(uploadPackPosts()).toBe(4);
    expect(fetches).toHaveLength(1);
  });

  it("promotes the newer of two bumps for the same change (two update-manifests jobs), with a later change in between", async () => {
    const api = await project.commit([change], bumpMessage(change, "1"));
    const later = await project.commit([api], "feat: a later change");
    const web = await project.commit([later], bumpMessage(change, "2"));
    await project.setBranch("main", web);
    const run = await promote(project, TOKEN, { component: "promote-staging", target: change });
    expect(run.code, run.output).toBe(0);
    expect(project.branch(STAGING)).toBe(web);
  });

  it("promotes the pipeline's own commit when it needed no bump (a manifests-only commit)", async () => {
    const other = await project.commit([change], "docs: a later change that built nothing yet");
    await project.setBranch("main", other);
    const run = await promote(project, TOKEN, { component: "promote-staging", target: change });
    expect(run.code, run.output).toBe(0);
    expect(project.branch(STAGING)).toBe(change);
    expect(run.stdout).toContain(`no bump was needed for ${change.slice(0, 12)}: promoting the pipeline's own commit`);
  });

  it("stands down, pushing nothing and succeeding, when a later change's bump supersedes it", async () => {
    const later = await project.commit([change], "feat: a later change");
    const newer = await project.commit([later], bumpMessage(later, "3"));
    await project.setBranch("main", newer);
    const run = await promote(project, TOKEN, { component: "promote-staging", target: change });
    expect(run.code, run.output).toBe(0);
    expect(project.branch(STAGING)).toBe(base);
    expect(receivePackPosts()).toBe(0);
    expect(run.outputs).toMatchObject({
      GITOPS_PREVIOUS_SHA: base,
      GITOPS_PROMOTED_SHA: base,
      GITOPS_PROMOTION: "superseded",
      GITOPS_COMMIT_COUNT: "0",
    });
    expect(run.stdout).toContain(
      `staging: bump ${newer.slice(0, 12)} for the later commit ${later.slice(0, 12)} (pipeline https://gitlab.example.com/group/app/-/pipelines/3) supersedes this pipeline's change ${change.slice(0, 12)}`,
    );
  });

  it("stands down while update-manifests left the bump in a merge request (its GITOPS_MERGE_REQUEST_URL)", async () => {
    await project.setBranch("main", change);
    const url = "https://gitlab.example.com/group/app/-/merge_requests/3";
    const run = await promote(project, TOKEN, {
      component: "promote-staging",
      target: change,
      env: { GITOPS_MERGE_REQUEST_URL: url },
    });
    expect(run.code, run.output).toBe(0);
    expect(project.branch(STAGING)).toBe(base);
    expect(run.outputs?.GITOPS_PROMOTION).toBe("pending-merge-request");
    expect(run.stdout).toContain(
      `the manifests bump for ${change.slice(0, 12)} waits in merge request ${url}; the pipeline of its merge promotes it`,
    );
  });

  it("promotes the merge of a bump merge request as its own commit", async () => {
    const bump = await project.commit([change], bumpMessage(change, "4", "merge_request"));
    const merge = await project.commit(
      [change, bump],
      "Merge branch 'gitops/bump-444444444444' into 'main'\n\nchore(manifests): deploy ... [gitops-bump]\n\nSee merge request group/app!3\n",
    );
    await project.setBranch("main", merge);
    const run = await promote(project, TOKEN, { component: "promote-staging", target: merge });
    expect(run.code, run.output).toBe(0);
    expect(project.branch(STAGING)).toBe(merge);
  });

  it("ignores a trailer that is not one full commit SHA", async () => {
    const fake = await project.commit(
      [change],
      `chore: hand-written\n\nGitOps-Source-Commit: ${change.slice(0, 12)}\n`,
    );
    await project.setBranch("main", fake);
    const run = await promote(project, TOKEN, { component: "promote-staging", target: change });
    expect(run.code, run.output).toBe(0);
    expect(project.branch(STAGING)).toBe(change);
  });

  it("production promotes the same bump, once staging has it", async () => {
    const bump = await project.commit([change], bumpMessage(change, "5"));
    await project.setBranch("main", bump);
    await project.setBranch(STAGING, bump);
    const run = await promote(project, TOKEN, {
      component: "manual-production",
      target: change,
      env: { GITOPS_PRODUCTION_TOKEN: TOKEN },
    });
    expect(run.code, run.output).toBe(0);
    expect(project.branch(PRODUCTION)).toBe(bump);
  });

  it("refuses a merge-request pipeline's commit (not on main) even when the pipeline holds the token", async () => {
    const feature = await project.commit([change], "feat: under review");
    await project.setBranch("main", change);
    await project.setBranch("feature", feature);
    const run = await promote(project, TOKEN, {
      component: "promote-staging",
      target: feature,
      env: { CI_COMMIT_BRANCH: "", CI_PIPELINE_SOURCE: "merge_request_event" },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `ERROR: commit ${feature.slice(0, 12)} is not on main: only commits of main are promoted to ${STAGING}`,
    );
    expect(project.branch(STAGING)).toBe(base);
  });
});
