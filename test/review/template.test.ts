/**
 * The review template's contract as GitLab reads it: job names, rules, environments, the stop job's
 * prerequisites, and the embedded scripts.
 */
import { describe, expect, it } from "vitest";
import { heredocFiles, includeTemplate, loadTemplate, scriptCommands } from "../../harness/templates.ts";

const REQUIRED = { manifests: "deploy/review", domain: "review.example.com" };
/** The guards, then the `rules` input as one nested item (GitLab flattens it). */
const GUARDS = [
  { if: "$CI_COMMIT_TITLE =~ /\\[gitops-bump\\]/", when: "never" },
  { if: "$CI_COMMIT_MESSAGE =~ /\\[gitops-bump\\]|Merge branch 'gitops\\/bump-/", when: "never" },
  { if: "$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME =~ /^gitops\\/bump-/", when: "never" },
  // A rollback commit or merge request: building it would undo the rollback.
  { if: "$CI_COMMIT_MESSAGE =~ /\\[gitops-rollback\\]|Merge branch 'gitops\\/rollback-/", when: "never" },
  { if: "$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME =~ /^gitops\\/rollback-/", when: "never" },
  { if: '$CI_MERGE_REQUEST_EVENT_TYPE == "merge_train"', when: "never" },
];
const MR_RULE = [...GUARDS, [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]];

describe("review template", () => {
  it("has a deploy and a stop job named after job_prefix, and on_stop names the stop job", () => {
    expect(Object.keys(includeTemplate("review", REQUIRED))).toEqual(["review-deploy", "review-stop"]);
    const jobs = includeTemplate("review", { ...REQUIRED, job_prefix: "storybook" });
    expect(Object.keys(jobs)).toEqual(["storybook-deploy", "storybook-stop"]);
    expect((jobs["storybook-deploy"]?.environment as { on_stop: string }).on_stop).toBe("storybook-stop");
  });

  it("runs both jobs in merge-request pipelines only (not for a bump merge request, which builds no image), with the same rules, compared to a literal", () => {
    const jobs = includeTemplate("review", REQUIRED);
    expect(jobs["review-deploy"]?.rules).toEqual(MR_RULE);
    expect(jobs["review-stop"]?.rules).toEqual(MR_RULE);
    expect(loadTemplate("review").text).toContain(`- if: $CI_PIPELINE_SOURCE == "merge_request_event"`);
  });

  it("keeps its guards when a consumer replaces the rules", () => {
    const rules = [{ if: "$CI_MERGE_REQUEST_LABELS =~ /review-app/" }];
    const jobs = includeTemplate("review", { ...REQUIRED, rules });
    expect(jobs["review-deploy"]?.rules).toEqual([...GUARDS, rules]);
    expect(jobs["review-stop"]?.rules).toEqual([...GUARDS, rules]);
  });

  it("deploys the image of the build job it needs, named by build_job", () => {
    expect(includeTemplate("review", REQUIRED)["review-deploy"]?.needs).toEqual([{ job: "build", artifacts: true }]);
    expect(includeTemplate("review", { ...REQUIRED, build_job: "build-web" })["review-deploy"]?.needs).toEqual([
      { job: "build-web", artifacts: true },
    ]);
  });

  it("deploys to environment review/<slug> with the URL from its dotenv, the stop job, auto-stop, development tier and the agent", () => {
    const deploy = includeTemplate("review", { ...REQUIRED, agent: "platform/agents:review", auto_stop_in: "3 days" })[
      "review-deploy"
    ];
    expect(deploy?.environment).toEqual({
      name: "review/$CI_COMMIT_REF_SLUG",
      url: "$GITOPS_REVIEW_URL",
      on_stop: "review-stop",
      auto_stop_in: "3 days",
      deployment_tier: "development",
      kubernetes: { agent: "platform/agents:review" },
    });
    expect(deploy?.artifacts).toEqual({ reports: { dotenv: "gitops-review.env" } });
    expect(deploy?.stage).toBe("review");
  });

  it("makes the stop job manual and non-blocking, check out nothing, need no artifacts, and stop the same environment without a URL", () => {
    const jobs = includeTemplate("review", REQUIRED);
    const stop = jobs["review-stop"];
    expect(stop?.when).toBe("manual");
    // A manual job that may not fail would block the pipeline until someone runs it.
    expect(stop?.allow_failure).toBe(true);
    // `none`: runners 17.3-18.2 run get-sources hooks for `empty`; the branch may be gone.
    expect((stop?.variables as Record<string, string>).GIT_STRATEGY).toBe("none");
    // No artifacts: expired ones would fail the job before it starts ("missing dependency").
    expect(stop?.dependencies).toEqual([]);
    expect(stop?.environment).toEqual({
      name: "review/$CI_COMMIT_REF_SLUG",
      action: "stop",
      kubernetes: { agent: "platform/gitops-agents:review" },
    });
    expect(stop?.stage).toBe(jobs["review-deploy"]?.stage);
    expect(stop?.resource_group).toBe(jobs["review-deploy"]?.resource_group);
  });

  it("passes inputs to the scripts only through variables, and the scripts hold no input placeholder", () => {
    const { body } = loadTemplate("review");
    for (const job of Object.values(body)) {
      const script = scriptCommands(job.script).join("\n");
      expect(script).not.toContain("$[[");
      expect(script).toContain("<<'GITOPS_COMPONENTS_SCRIPT_EOF'");
    }
  });

  it("stays within the catalog's budgets: each embedded file at most 64 KB, the template at most 100 KB", () => {
    // The cluster validates objects (server-side dry run), so no schema library is bundled; GitLab
    // refuses any string over 1 MiB (Gitlab::Ci::Config::Interpolation::Config::MAX_NODE_SIZE).
    const { body, text } = loadTemplate("review");
    for (const job of Object.values(body)) {
      const files = scriptCommands(job.script).flatMap(heredocFiles);
      expect(files.length).toBeGreaterThan(0);
      for (const { file, code } of files) expect(Buffer.byteLength(code), file).toBeLessThanOrEqual(64 * 1024);
    }
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(100 * 1024);
  });
});
