/**
 * The library's own pipeline, rendered to `.gitlab-ci.yml` by `npm run generate` and validated
 * like the templates. Tests and the drift check on every pipeline; the tools image per commit;
 * every component self-tested at `@$CI_COMMIT_SHA` against scratch targets; on a release tag, a
 * check that the tag is the generated version, then the image's version tag and the catalog release.
 */
import type { Component } from "../generator/component.ts";
import { toolsImageRepository } from "../generator/config.ts";
import type { Rule } from "../generator/job.ts";
import { definePipeline, type PipelineInclude } from "../generator/pipeline.ts";

/**
 * Third-party images, pinned. buildah builds the tools image (it cannot build itself the first
 * time). The `release` keyword runs a script GitLab injects (lib/gitlab/ci/build/releaser.rb):
 * GitLab 17.x runs only `release-cli create`, which the glab image (`gitlab-org/cli`) lacks; 18.x
 * runs `glab release create` when glab >= 1.58.0 is in the image and falls back to release-cli
 * otherwise, until 20.0 removes the fallback. The release-cli image ships both binaries (glab since
 * release-cli v0.20.0, gitlab-org/release-cli!185), so it releases on every GitLab from the 17.6
 * floor on; a pin keeps a release reproducible.
 */
const BUILDAH_IMAGE = "quay.io/buildah/stable:v1.43.4";
const RELEASE_IMAGE = "registry.gitlab.com/gitlab-org/release-cli:v0.24.0";

/** Packages only the library's tests need on top of the tools image (a registry, rsync, busybox, libyaml for Python, sshd). */
const TEST_PACKAGES = ["docker-registry", "rsync", "busybox-static", "python3-yaml", "openssh-server"];

/** GitLab's catalog publishes bare semver tags (no `v`); the release runs only for those. */
const RELEASE_TAG: Rule = { if: "$CI_COMMIT_TAG =~ /^\\d+\\.\\d+\\.\\d+$/" };

/** How to self-test one component without touching anything real. */
interface SelfTest {
  /** Why the component is not self-tested (the generated file says so). */
  skip?: string;
  /** The stage its jobs run in (one of the self-test stages, so it can wait for another's output). */
  stage?: SelfTestStage;
  /** Inputs the component must declare (a generation problem otherwise): the scratch targets. */
  inputs?: Record<string, unknown>;
  /** Inputs passed only when the component declares them. */
  ifDeclared?: Record<string, unknown>;
  /** Inputs every self-test sets that this component keeps at its own default. */
  keepDefault?: string[];
}

/** Self-test stages, in order: the image first, then what uses it, then what needs staging moved. */
const SELF_TEST_STAGES = ["self-test-build", "self-test", "self-test-production"] as const;
type SelfTestStage = (typeof SELF_TEST_STAGES)[number];

/**
 * Where this project builds and publishes its tools image: its own registry, whatever instance and
 * path it lives at. The templates' default (generator/config.ts) names the same repository from
 * gitops.config.ts; the release checks that the two agree.
 */
const TOOLS_REPOSITORY = "$CI_REGISTRY_IMAGE/tools";

/** The scratch image repository: a sibling of the project's images, never the tools image. */
const SCRATCH_IMAGE = "$CI_REGISTRY_IMAGE/selftest";
/** The CI/CD variable holding a token that may push only to `_gitlab/selftest/*` (protected, masked). */
const SCRATCH_TOKEN = "GITOPS_SELFTEST_TOKEN";

/**
 * Scratch inputs per component. A component without an entry is not self-tested (the generated
 * file says so): a new component's defaults point at real environment branches and images, so it
 * gets scratch inputs here before it is included. Scratch branches live under `_gitlab/selftest/`,
 * which the workflow keeps pipeline-free.
 */
const SELF_TESTS: Record<string, SelfTest> = {
  build: { stage: "self-test-build", inputs: { image_name: SCRATCH_IMAGE, context: "ci/selftest-app" } },
  // Runs the image build pushed (its default image is GITOPS_IMAGE of the build job it needs).
  test: { inputs: { script: ["cat /hello.txt"], build_job: "selftest-build" }, keepDefault: ["image"] },
  "update-manifests": {
    inputs: {
      manifests: "ci/selftest-app/deploy/kustomization.yaml",
      image_name: "selftest-app",
      branch: "_gitlab/selftest/manifests",
      token_variable: SCRATCH_TOKEN,
      build_job: "selftest-build",
      needs: [{ job: "selftest-test", artifacts: false, optional: true }],
    },
  },
  "promote-staging": {
    inputs: {
      environment: "selftest/staging",
      environment_branch: "_gitlab/selftest/staging",
      token_variable: SCRATCH_TOKEN,
      resource_group: "gitops-selftest-staging",
      needs: [{ job: "selftest-update-manifests", artifacts: true, optional: true }],
    },
  },
  "manual-production": {
    stage: "self-test-production",
    inputs: {
      environment: "selftest/production",
      environment_branch: "_gitlab/selftest/production",
      require_branch: "_gitlab/selftest/staging",
      token_variable: SCRATCH_TOKEN,
      resource_group: "gitops-selftest-production",
      needs: [
        { job: "selftest-update-manifests", artifacts: true, optional: true },
        { job: "selftest-promote-staging", artifacts: false, optional: true },
      ],
    },
    ifDeclared: { dry_run: true },
  },
  // Reads only (the job token), after the scratch staging moved: what production would receive.
  "preview-production": {
    stage: "self-test-production",
    inputs: {
      environment: "selftest/production",
      environment_branch: "_gitlab/selftest/production",
      require_branch: "_gitlab/selftest/staging",
      needs: [
        { job: "selftest-update-manifests", artifacts: true, optional: true },
        { job: "selftest-promote-staging", artifacts: false, optional: true },
      ],
    },
  },
  // A manual job (its default rules): included so that GitLab validates it at this commit; run by
  // hand, it reverts on the scratch manifests branch what the scratch production last received.
  rollback: {
    stage: "self-test-production",
    inputs: {
      environment: "selftest/production",
      environment_branch: "_gitlab/selftest/production",
      source_branch: "_gitlab/selftest/manifests",
      token_variable: SCRATCH_TOKEN,
    },
    keepDefault: ["rules"],
  },
  review: { skip: "it deploys through a GitLab agent to a review cluster, which the library project does not have" },
};

/**
 * Self-test jobs run in default-branch and release-tag pipelines: protected refs, the only ones
 * that see the scratch token. (Merge requests get the tests and the drift check.)
 */
const SELF_TEST_RULES: Rule[] = [{ if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" }, RELEASE_TAG];

function selfTestInclude(component: Component, test: SelfTest): PipelineInclude {
  const common: Record<string, unknown> = {
    stage: test.stage ?? "self-test",
    job_name: `selftest-${component.name}`,
    job_prefix: `selftest-${component.name}`,
    // The image this very commit built: the version tag a template defaults to exists only after release.
    image: `${TOOLS_REPOSITORY}:$CI_COMMIT_SHA`,
    rules: SELF_TEST_RULES,
  };
  for (const name of test.keepDefault ?? []) delete common[name];
  const inputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries({ ...common, ...test.ifDeclared }))
    if (name in component.inputs) inputs[name] = value;
  Object.assign(inputs, test.inputs);
  return { component: `$CI_SERVER_FQDN/$CI_PROJECT_PATH/${component.name}@$CI_COMMIT_SHA`, inputs };
}

export default definePipeline(import.meta.url, (catalog, components) => {
  const tools = TOOLS_REPOSITORY;
  const toolsAtCommit = `${tools}:$CI_COMMIT_SHA`;
  // The templates of a release default to this repository: a catalog moved or forked without
  // updating gitops.config.ts would publish components whose image does not exist.
  const configured = toolsImageRepository(catalog.config);
  const samePlace = `[ "${tools}" = "${configured}" ] || { echo "The templates default to ${configured}, but this project publishes ${tools}: set catalogProject (and registry) in gitops.config.ts to this project and run npm run generate." >&2; exit 1; }`;
  const tested = components.filter((c) => SELF_TESTS[c.name] && !SELF_TESTS[c.name]?.skip);
  const untested = components
    .filter((c) => !tested.includes(c))
    .map((c) => `${c.name} (${SELF_TESTS[c.name]?.skip ?? "no scratch inputs in ci/pipeline.ts yet"})`);
  const registryLogin = (tool: "buildah" | "skopeo") =>
    `printf '%s' "$CI_REGISTRY_PASSWORD" | ${tool} login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`;
  return {
    notes: untested.map((line) => `Not self-tested: ${line}.`),
    workflow: {
      rules: [
        // Environment and scratch branches are moved by promotions; they have nothing to test.
        { if: "$CI_COMMIT_BRANCH =~ /^_gitlab\\//", when: "never" },
        { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
        // A branch with an open merge request is tested by the merge-request pipeline only.
        { if: "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", when: "never" },
        { if: "$CI_COMMIT_BRANCH" },
        { if: "$CI_COMMIT_TAG" },
      ],
    },
    stages: ["build", "test", ...SELF_TEST_STAGES, "release"],
    include: tested.map((c) => selfTestInclude(c, SELF_TESTS[c.name] as SelfTest)),
    jobs: [
      {
        name: "tools-image",
        job: {
          stage: "build",
          image: BUILDAH_IMAGE,
          variables: { STORAGE_DRIVER: "vfs", BUILDAH_ISOLATION: "chroot" },
          script: [
            registryLogin("buildah"),
            `buildah build --file images/tools/Dockerfile --tag "${toolsAtCommit}" images/tools`,
            `buildah push "${toolsAtCommit}"`,
          ],
        },
      },
      {
        // Runs in the image this commit built, so the scripts' tests also test the image's tools.
        name: "test",
        job: {
          stage: "test",
          image: toolsAtCommit,
          needs: ["tools-image"],
          // sshd's privilege separation directory, which its service scripts would create (stand-ins/ssh-server.ts).
          before_script: [
            `apt-get update && apt-get install -y --no-install-recommends ${TEST_PACKAGES.join(" ")}`,
            "mkdir -p -m 0755 /run/sshd",
          ],
          // `npm test` type-checks first (test/run.sh), then runs every test.
          script: ["npm ci", "npm test -- --reporter=junit --outputFile.junit=junit.xml"],
          artifacts: { when: "always", reports: { junit: ["junit.xml"] } },
        },
      },
      {
        name: "generated-files",
        job: {
          stage: "test",
          image: toolsAtCommit,
          needs: ["tools-image"],
          script: ["npm ci", "npm run generate -- --check"],
        },
      },
      {
        name: "release-check",
        job: {
          stage: "test",
          image: toolsAtCommit,
          needs: ["tools-image"],
          rules: [RELEASE_TAG],
          script: [
            samePlace,
            "npm ci",
            'npx tsx scripts/check-release-tag.ts "$CI_COMMIT_TAG"',
            "npm run generate -- --check",
          ],
        },
      },
      {
        // The templates of this version default to `<tools>:<version>`; it must exist before the catalog shows the version.
        name: "tools-image-release",
        job: {
          stage: "release",
          image: toolsAtCommit,
          rules: [RELEASE_TAG],
          script: [
            registryLogin("skopeo"),
            `skopeo copy --all "docker://${toolsAtCommit}" "docker://${tools}:$CI_COMMIT_TAG"`,
          ],
        },
      },
      {
        name: "publish",
        job: {
          stage: "release",
          image: RELEASE_IMAGE,
          needs: ["tools-image-release"],
          rules: [RELEASE_TAG],
          script: ['echo "Publishing catalog version $CI_COMMIT_TAG of $CI_PROJECT_PATH"'],
          release: {
            tag_name: "$CI_COMMIT_TAG",
            name: "$CI_COMMIT_TAG",
            description:
              "Release $CI_COMMIT_TAG of the components in $CI_PROJECT_PATH. See CHANGELOG.md for what changed.",
          },
        },
      },
    ],
  };
});
