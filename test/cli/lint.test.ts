/**
 * `lint` flags each mistake a newcomer makes with the include, the input and the fix, and passes
 * the examples. Each case changes one thing in the single-app example (which lints clean) and
 * expects exactly the problems that change causes.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../generator/problems.ts";
import { loadCheckout } from "../../cli/io.ts";
import { parsePipeline, UnreadablePipeline } from "../../cli/consumer-pipeline.ts";
import { lintPipeline } from "../../cli/lint/lint.ts";
import { ROOT } from "../../harness/templates.ts";
import { runCli } from "./run-cli.ts";

const checkout = await loadCheckout(ROOT);
const SINGLE_APP = readFileSync(path.join(ROOT, "examples", "single-app", ".gitlab-ci.yml"), "utf8");
const C = "$CI_SERVER_FQDN/platform/gitops-components";

function lint(text: string): string[] {
  return lintPipeline(parsePipeline(".gitlab-ci.yml", text), checkout.catalogProject, checkout.versions).problems.map(
    formatProblem,
  );
}

/** The example with `from` replaced by `to` (which must occur). */
function changed(from: string, to: string, text = SINGLE_APP): string {
  expect(text, `the example no longer holds ${JSON.stringify(from)}`).toContain(from);
  return text.replace(from, to);
}

/** The 1-based line of the last occurrence of `fragment` in `text`. */
function lineOf(text: string, fragment: string): number {
  return text.slice(0, text.lastIndexOf(fragment)).split("\n").length;
}

const PROMOTE_STAGING = `  - component: ${C}/promote-staging@0.1.0\n  - component: ${C}/manual-production@0.1.0\n`;
const PRODUCTION = `  - component: ${C}/manual-production@0.1.0\n`;

describe("lint passes", () => {
  it.each(["single-app", "monorepo"])("examples/%s", async (name) => {
    const run = await runCli(["lint", path.join("examples", name, ".gitlab-ci.yml")], { cwd: ROOT });
    expect(run.stdout).toMatch(/include\(s\) of platform\/gitops-components checked, no problems\n$/);
    expect(run.code).toBe(0);
  });
});

describe("lint reads a pipeline as GitLab assembles it", () => {
  it("takes a job's stage and needs from the templates it extends, and accepts !reference", () => {
    const own = `${SINGLE_APP}\n.after-bump:\n  stage: deploy\n  needs: [update-manifests]\n.rules:\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\nnotify:\n  extends: .after-bump\n  script: [./notify.sh]\n  rules:\n    - !reference [.rules, rules]\n`;
    expect(lint(own)).toEqual([]);
  });

  it("does not judge needs and stages that another included file may define, and says so", () => {
    const text = changed(
      "include:\n",
      "include:\n  - local: ci/notify.yml\n",
      `${SINGLE_APP.replace("stages: [build, test, review, deploy]\n", "")}\nsmoke:\n  stage: verify\n  needs: [notify]\n  script: [./smoke.sh]\n`,
    );
    const result = lintPipeline(parsePipeline(".gitlab-ci.yml", text), checkout.catalogProject, checkout.versions);
    expect(result.problems.map(formatProblem)).toEqual([]);
    expect(result.notes).toEqual([
      ".gitlab-ci.yml includes 1 other file(s) lint does not read: needs naming their jobs and stages they declare are not judged",
    ]);
  });

  it("keeps an included job's rules when the job of the same name extends a template that has rules", () => {
    expect(
      lint(`${SINGLE_APP}\n.runner:\n  tags: [buildah]\n  rules:\n    - when: always\nbuild:\n  extends: .runner\n`),
    ).toEqual([]);
  });
});

describe("lint flags each newcomer mistake, naming the include, the input and the fix", () => {
  const cases: Array<{ mistake: string; pipeline: () => string; want: string[] | ((text: string) => string[]) }> = [
    {
      mistake: "a typo in an optional input",
      pipeline: () =>
        changed(
          PROMOTE_STAGING,
          `  - component: ${C}/promote-staging@0.1.0\n    inputs:\n      dry-run: true\n  - component: ${C}/manual-production@0.1.0\n`,
        ),
      want: (text) => [
        `.gitlab-ci.yml:${lineOf(text, "dry-run:")} › include[4] promote-staging@0.1.0 › input dry-run: promote-staging has no input dry-run; GitLab refuses the pipeline ("unknown input arguments: dry-run"). Fix: did you mean dry_run? Decide and report what would be promoted, and push nothing.`,
      ],
    },
    {
      mistake: "stages in the wrong order",
      pipeline: () => changed("stages: [build, test, review, deploy]", "stages: [build, deploy, test, review]"),
      want: [
        '› include[3] update-manifests@0.1.0 › job update-manifests: needs test, which runs in the later stage test (this job\'s stage is deploy); GitLab refuses the pipeline ("update-manifests job: need test is not defined in current or prior stages"). Fix: order stages: so that test comes before deploy (now: build, deploy, test, review)',
      ],
    },
    {
      mistake: "a stage the review jobs need left out",
      pipeline: () => changed("stages: [build, test, review, deploy]", "stages: [build, test, deploy]"),
      want: [
        "job review-deploy: runs in stage review, which this pipeline does not have",
        "job review-stop: runs in stage review, which this pipeline does not have",
      ],
    },
    {
      mistake: "a job override whose rules drop the bump guards",
      pipeline: () => `${SINGLE_APP}\nbuild:\n  tags: [buildah]\n  rules:\n    - if: $CI_COMMIT_BRANCH\n`,
      want: (text) => [
        `.gitlab-ci.yml:${lineOf(text, "    - if: $CI_COMMIT_BRANCH\n")} › job build › rules: replaces all rules of include[0] build@0.1.0's job build, including its 5 guard(s) (if: $CI_COMMIT_TITLE =~ /\\[gitops-bump\\]/;`,
      ],
    },
    {
      mistake: "a require_branch that is no other promotion's environment_branch",
      pipeline: () => changed(PRODUCTION, `${PRODUCTION}    inputs:\n      require_branch: _gitlab/agents/stage\n`),
      want: [
        "› include[5] manual-production@0.1.0 › input require_branch: _gitlab/agents/stage is no other promotion's environment_branch (this pipeline's promotions push _gitlab/agents/staging, _gitlab/agents/production, _gitlab/agents/review): nothing moves it, so every promotion of _gitlab/agents/production is refused (got \"_gitlab/agents/stage\"). Fix: set require_branch to the branch the promotion before it pushes (_gitlab/agents/staging or _gitlab/agents/review)",
      ],
    },
    {
      mistake: "a require_branch naming no promotion while two promotions push staging: each branch is named once",
      pipeline: () =>
        changed(
          PRODUCTION,
          `${PRODUCTION}    inputs:\n      require_branch: _gitlab/agents/stage\n  - component: ${C}/promote-staging@0.1.0\n    inputs:\n      job_name: promote-staging-again\n      resource_group: gitops-staging-again\n`,
        ),
      want: [
        "› include[5] manual-production@0.1.0 › input require_branch: _gitlab/agents/stage is no other promotion's environment_branch (this pipeline's promotions push _gitlab/agents/staging, _gitlab/agents/production, _gitlab/agents/review): nothing moves it, so every promotion of _gitlab/agents/production is refused (got \"_gitlab/agents/stage\"). Fix: set require_branch to the branch the promotion before it pushes (_gitlab/agents/staging or _gitlab/agents/review)",
        "› include[6] promote-staging@0.1.0 › input environment_branch (default): _gitlab/agents/staging is also pushed by include[4] promote-staging@0.1.0",
      ],
    },
    {
      mistake:
        "a rollback that would push main with the token of a branch two promotions push: the branch is named once",
      pipeline: () =>
        changed(
          `${C}/rollback@0.1.0\n`,
          `${C}/promote-staging@0.1.0\n    inputs:\n      job_name: promote-staging-again\n      resource_group: gitops-staging-again\n  - component: ${C}/rollback@0.1.0\n    inputs:\n      token_variable: GITOPS_STAGING_TOKEN\n`,
        ),
      want: [
        "› include[5] manual-production@0.1.0 › input needs (default): promote-production does not wait for promote-staging-again",
        "› include[7] promote-staging@0.1.0 › input environment_branch (default): _gitlab/agents/staging is also pushed by include[4] promote-staging@0.1.0",
        "› include[8] rollback@0.1.0 › input token_variable: GITOPS_STAGING_TOKEN is also the credential of include[4] promote-staging@0.1.0 (_gitlab/agents/staging), include[7] promote-staging@0.1.0 (_gitlab/agents/staging): one credential could then push $CI_DEFAULT_BRANCH and _gitlab/agents/staging, and",
      ],
    },
    {
      mistake: "one token variable named for two environment branches",
      pipeline: () => changed("token_variable: GITOPS_REVIEW_TOKEN", "token_variable: GITOPS_STAGING_TOKEN"),
      want: [
        "› include[8] promote-staging@0.1.0 › input token_variable: GITOPS_STAGING_TOKEN is also the credential of include[4] promote-staging@0.1.0 (_gitlab/agents/staging): one credential could then push _gitlab/agents/review and _gitlab/agents/staging",
      ],
    },
    {
      mistake: "a pin that is not an exact version",
      pipeline: () => changed(`${C}/test@0.1.0`, `${C}/test@~latest`),
      want: [
        '› include[1] test@~latest: is pinned to "~latest", which is not an exact release: it resolves to the newest matching release whenever a pipeline is created, so the pipeline changes without a commit of yours (got "$CI_SERVER_FQDN/platform/gitops-components/test@~latest"). Fix: pin an exact release, such as @0.1.0',
      ],
    },
    {
      mistake: "a partial version pin",
      pipeline: () => changed(`${C}/review@0.1.0`, `${C}/review@0.1`),
      want: [
        '› include[2] review@0.1: is pinned to "0.1", which is not an exact release: it resolves to the newest matching release whenever a pipeline is created',
      ],
    },
    {
      mistake: "includes of one catalog pinned to different releases",
      pipeline: () => changed(`${C}/build@0.1.0`, `${C}/build@0.0.9`),
      want: [
        "› include[0] build@0.0.9: is pinned to 0.0.9 (a version this checkout has no release tag for) while other includes of platform/gitops-components are pinned to 0.1.0: the components of one release work together",
      ],
    },
    {
      mistake: "one include pinned to a release this checkout does not have while the rest agree",
      pipeline: () => changed(`${C}/test@0.1.0`, `${C}/test@0.1.1`),
      want: [
        '› include[1] test@0.1.1: is pinned to 0.1.1 (a version this checkout has no release tag for) while other includes of platform/gitops-components are pinned to 0.1.0: the components of one release work together (the bump trailers and guards of one version are what the promotions of the same version read) (got "$CI_SERVER_FQDN/platform/gitops-components/test@0.1.1"). Fix: pin it to 0.1.0, the release the other includes name, so every include of platform/gitops-components names the same one',
      ],
    },
    {
      mistake: "an update-manifests job renamed while the promotions still wait for the old name",
      pipeline: () =>
        changed(
          "      manifests: deploy/base/kustomization.yaml\n",
          "      job_name: bump\n      manifests: deploy/base/kustomization.yaml\n",
        ),
      want: [
        "› include[4] promote-staging@0.1.0 › input needs (default): promote-staging does not wait for bump: it can run before the bump and promote the pipeline's own commit, whose manifests still name the previous image. Fix: give include[4] promote-staging@0.1.0 the input needs: [{job: bump, artifacts: true, optional: true}]",
        "› include[5] manual-production@0.1.0 › input needs (default): promote-production does not wait for bump",
        "› include[8] promote-staging@0.1.0 › input needs (default): promote-review-base does not wait for bump",
      ],
    },
    {
      mistake: "a test job renamed while update-manifests still waits for the old name",
      pipeline: () => changed("      junit: report.xml\n", "      junit: report.xml\n      job_name: unit\n"),
      want: [
        "› include[3] update-manifests@0.1.0 › input needs (default): update-manifests does not wait for unit, which tests the same image (built by build): it can point the manifests at an image whose tests fail. Fix: give include[3] update-manifests@0.1.0 the input needs: [{job: unit, artifacts: false, optional: true}]",
      ],
    },
    {
      mistake: "a component this catalog does not have",
      pipeline: () => changed(`${C}/manual-production@0.1.0`, `${C}/production@0.1.0`),
      want: [
        "› include[5] production@0.1.0: platform/gitops-components has no component production",
        // What followed manual-production now follows nothing.
        "› include[6] preview-production@0.1.0 › input environment_branch (default): _gitlab/agents/production is no promotion's environment_branch",
        "› include[7] rollback@0.1.0 › input environment_branch (default): _gitlab/agents/production is no promotion's environment_branch",
      ],
    },
    {
      mistake: "a rollback of a branch no promotion pushes",
      pipeline: () =>
        changed(
          `${C}/rollback@0.1.0\n`,
          `${C}/rollback@0.1.0\n    inputs:\n      environment_branch: _gitlab/agents/prod\n`,
        ),
      want: [
        "› include[7] rollback@0.1.0 › input environment_branch: _gitlab/agents/prod is no promotion's environment_branch (this pipeline's promotions push _gitlab/agents/staging, _gitlab/agents/production, _gitlab/agents/review): the job would undo promotions of a branch this pipeline never moves (got \"_gitlab/agents/prod\"). Fix: set environment_branch (and environment) to those of the promotion it follows, such as manual-production's",
      ],
    },
    {
      mistake: "a rollback that would push main with production's token",
      pipeline: () =>
        changed(
          `${C}/rollback@0.1.0\n`,
          `${C}/rollback@0.1.0\n    inputs:\n      token_variable: GITOPS_PRODUCTION_TOKEN\n`,
        ),
      want: [
        "› include[7] rollback@0.1.0 › input token_variable: GITOPS_PRODUCTION_TOKEN is also the credential of include[5] manual-production@0.1.0 (_gitlab/agents/production): one credential could then push $CI_DEFAULT_BRANCH and _gitlab/agents/production",
      ],
    },
    {
      mistake: "a required input left out",
      pipeline: () => changed("      manifests: deploy/review\n", ""),
      want: [
        '› include[2] review@0.1.0 › input manifests: required input manifests is not given; GitLab refuses the pipeline ("`manifests` input: required value has not been provided")',
      ],
    },
    {
      mistake: "a string input given a number (YAML 1.1 reads 1.10 as a number)",
      pipeline: () =>
        changed("      domain: review.example.com\n", "      domain: review.example.com\n      auto_stop_in: 3\n"),
      want: [
        '› include[2] review@0.1.0 › input auto_stop_in: must be a string, and is a number; GitLab refuses the pipeline ("`auto_stop_in` input: provided value is not a string") (got 3). Fix: quote it: auto_stop_in: "3"',
      ],
    },
    {
      mistake: "a version-like string written as a YAML float (the fix keeps what was typed: 1.10, not 1.1)",
      pipeline: () => changed(PRODUCTION, `${PRODUCTION}    inputs:\n      environment_url: 1.10\n`),
      want: [
        '› include[5] manual-production@0.1.0 › input environment_url: must be a string, and is a number; GitLab refuses the pipeline ("`environment_url` input: provided value is not a string") (got 1.1). Fix: quote it: environment_url: "1.10" (GitLab reads YAML 1.1: unquoted, 1.10 is a number)',
      ],
    },
    {
      mistake: "a boolean written as quoted text",
      pipeline: () =>
        changed(
          PROMOTE_STAGING,
          `  - component: ${C}/promote-staging@0.1.0\n    inputs:\n      dry_run: "yes"\n  - component: ${C}/manual-production@0.1.0\n`,
        ),
      want: [
        '› include[4] promote-staging@0.1.0 › input dry_run: must be a boolean, and is a string; GitLab refuses the pipeline ("`dry_run` input: provided value is not a boolean") (got "yes"). Fix: write true or false without quotes: dry_run: true',
      ],
    },
    {
      mistake: "a value outside an input's options",
      pipeline: () =>
        changed(
          "      image_name: $CI_REGISTRY_IMAGE\n  - component: $CI_SERVER_FQDN/platform/gitops-components/promote-staging",
          "      image_name: $CI_REGISTRY_IMAGE\n      mode: mr\n  - component: $CI_SERVER_FQDN/platform/gitops-components/promote-staging",
        ),
      want: [
        '› include[3] update-manifests@0.1.0 › input mode: is not one of the allowed options "commit", "merge_request" (got "mr"). Fix: choose one of commit, merge_request',
      ],
    },
    {
      mistake: "a value that does not match an input's pattern",
      pipeline: () => changed("domain: review.example.com", "domain: Review.Example.com"),
      want: [
        '› include[2] review@0.1.0 › input domain: is "Review.Example.com", which does not match the input\'s pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$: domain must be a DNS domain of at least two labels in lower case (letters, digits and -, separated by dots), without a scheme, port or path; GitLab refuses the pipeline ("provided value does not match required RegEx pattern") (got "Review.Example.com"). Fix: write domain: review.example.com',
      ],
    },
    {
      mistake: "a duration written in words",
      pipeline: () => changed(PRODUCTION, `${PRODUCTION}    inputs:\n      staging_soak: 2 hours\n`),
      want: [
        '› include[5] manual-production@0.1.0 › input staging_soak: is "2 hours", which does not match the input\'s pattern ^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$: staging_soak must be 0 (no wait) or a duration made of a number and a unit (ms, s, m or h), such as 30m, 2h or 1h30m; GitLab refuses the pipeline ("provided value does not match required RegEx pattern") (got "2 hours"). Fix: write staging_soak: 2h',
      ],
    },
    {
      mistake: "a value no simple change makes valid: the fix says the rule as a whole sentence",
      pipeline: () => changed("      job_name: promote-review-base\n", "      job_name: promote review base!\n"),
      want: [
        '› include[8] promote-staging@0.1.0 › input job_name: is "promote review base!", which does not match the input\'s pattern ^[A-Za-z0-9_. /:-]+$: job_name must hold only letters, digits, spaces and _ . / : -; GitLab refuses the pipeline ("provided value does not match required RegEx pattern") (got "promote review base!"). Fix: give job_name a value that is allowed (it must hold only letters, digits, spaces and _ . / : -). The input: ',
      ],
    },
    {
      mistake: "a commit message without the bump marker",
      pipeline: () =>
        changed(
          "      image_name: $CI_REGISTRY_IMAGE\n  - component: $CI_SERVER_FQDN/platform/gitops-components/promote-staging",
          '      image_name: $CI_REGISTRY_IMAGE\n      commit_message: "deploy {image}"\n  - component: $CI_SERVER_FQDN/platform/gitops-components/promote-staging',
        ),
      want: [
        "› include[3] update-manifests@0.1.0 › input commit_message: its first line does not contain [gitops-bump]: the guards would not recognise the bump commit",
      ],
    },
    {
      mistake: "a manual production rule without if:",
      pipeline: () => changed(PRODUCTION, `${PRODUCTION}    inputs:\n      rules:\n        - when: manual\n`),
      want: [
        "› include[5] manual-production@0.1.0 › input rules[0]: has no if:, so the job also runs in merge-request, tag and other branch pipelines, where it refuses the commit (not on the default branch) and fails",
      ],
    },
    {
      mistake: "a build that pushes another image than the one the manifests are searched for",
      pipeline: () =>
        changed(
          `  - component: ${C}/build@0.1.0\n`,
          `  - component: ${C}/build@0.1.0\n    inputs:\n      image_name: $CI_REGISTRY_IMAGE/app\n`,
        ),
      want: [
        "› include[2] review@0.1.0 › input image_name: is $CI_REGISTRY_IMAGE, but build pushes $CI_REGISTRY_IMAGE/app: the manifests are searched for an image the build never pushes, so the review app runs the old image",
        "› include[3] update-manifests@0.1.0 › input image_name: is $CI_REGISTRY_IMAGE, but build pushes $CI_REGISTRY_IMAGE/app",
      ],
    },
    {
      mistake: "a component included twice under one job name",
      pipeline: () => changed("      job_name: promote-review-base\n", ""),
      want: [
        "› include[4] promote-staging@0.1.0 and include[8] promote-staging@0.1.0 › job promote-staging: each define the job promote-staging; GitLab merges the later over the earlier, so one of them is silently lost",
      ],
    },
    {
      mistake: "a deploy key without the host keys it must trust",
      pipeline: () =>
        changed("      token_variable: GITOPS_REVIEW_TOKEN\n", "      ssh_key_variable: GITOPS_REVIEW_DEPLOY_KEY\n"),
      want: [
        "› include[8] promote-staging@0.1.0 › input ssh_known_hosts (default): is empty while ssh_key_variable is set",
      ],
    },
    {
      mistake: "another catalog path than this catalog's",
      pipeline: () => SINGLE_APP.replaceAll("platform/gitops-components/", "acme/gitops-components/"),
      want: Array.from(
        { length: 9 },
        () =>
          "names the catalog project acme/gitops-components, but this catalog is published as platform/gitops-components (gitops.config.ts catalogProject)",
      ),
    },
  ];

  it.each(cases)("$mistake", ({ pipeline, want: wanted }) => {
    const text = pipeline();
    const want = typeof wanted === "function" ? wanted(text) : wanted;
    const problems = lint(text);
    expect(problems).toHaveLength(want.length);
    want.forEach((fragment, i) => expect(problems[i]).toContain(fragment));
    for (const problem of problems) expect(problem).toMatch(/^\.gitlab-ci\.yml(:\d+)? › .+\. Fix: .+/);
  });

  it("reports a key written twice, which GitLab would keep the last of", () => {
    expect(() => parsePipeline(".gitlab-ci.yml", `${SINGLE_APP}include:\n  - local: other.yml\n`)).toThrow(
      UnreadablePipeline,
    );
    try {
      parsePipeline(".gitlab-ci.yml", `${SINGLE_APP}include:\n  - local: other.yml\n`);
    } catch (error) {
      expect((error as UnreadablePipeline).problems.map(formatProblem)).toEqual([
        `.gitlab-ci.yml:${SINGLE_APP.split("\n").length}: a key appears twice in one mapping; GitLab keeps only the last one and drops the first without a word. Fix: merge the two entries into one (one include: list, one job of each name)`,
      ]);
    }
  });
});

describe("the lint command", () => {
  it("prints every problem and exits 1", async () => {
    const run = await runCli(["lint", "does-not-exist.yml"], { cwd: ROOT });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "does-not-exist.yml: cannot be read (ENOENT). Fix: give the path of your project's .gitlab-ci.yml",
    );
  });

  it("given no file, says which file it linted, and how to pass the application's when that one includes no component", async () => {
    const run = await runCli(["lint"], { cwd: ROOT });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `lint: no file given, so linting ${path.join(ROOT, ".gitlab-ci.yml")} (usage: npx gitops-components lint [<.gitlab-ci.yml>])\n`,
    );
    expect(run.stdout).toContain(
      ".gitlab-ci.yml: includes no component of platform/gitops-components, so there is nothing to check (is it your application's pipeline?). Fix: to lint your application's pipeline, pass its file: npx gitops-components lint path/to/app/.gitlab-ci.yml; to use the catalog in this one, include its components as component: $CI_SERVER_FQDN/platform/gitops-components/<name>@0.1.0 (README: Quick start)\n",
    );
  });

  it("takes one file and no setup options", async () => {
    expect((await runCli(["lint", "a.yml", "b.yml"], { cwd: ROOT })).code).toBe(2);
    expect((await runCli(["lint", "--apply"], { cwd: ROOT })).stderr).toContain("lint takes no --apply");
  });
});
