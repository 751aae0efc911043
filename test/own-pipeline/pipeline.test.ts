/**
 * The library's own `.gitlab-ci.yml`: rendered from TypeScript by the generator and validated like
 * the templates (GitLab's schema, stages, needs, and the inputs of the self-tested components).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import libraryPipeline from "../../ci/pipeline.ts";
import { generateCatalog } from "../../generator/catalog.ts";
import { main as generate } from "../../generator/cli.ts";
import type { Component } from "../../generator/component.ts";
import { toolsImageRef, type Catalog } from "../../generator/config.ts";
import type { InputSpec } from "../../generator/inputs.ts";
import type { Job } from "../../generator/job.ts";
import { formatProblem } from "../../generator/problems.ts";
import { pipelineProblems, renderPipeline, type Pipeline } from "../../generator/pipeline.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../fixtures/own-pipeline/", import.meta.url));

const catalog: Catalog = {
  version: "3.1.4",
  config: {
    catalogProject: "acme/catalog",
    registry: "registry.acme.test",
    reviewAgent: "acme/agents:review",
    environmentBranches: {
      staging: "_gitlab/agents/staging",
      production: "_gitlab/agents/production",
      review: "_gitlab/agents/review",
    },
  },
};

const text = (description: string, value?: string): InputSpec => ({
  type: "string",
  description,
  ...(value === undefined ? {} : { default: value }),
});

/** A component as the pipeline sees it: its name and its inputs (jobs do not matter here). */
function component(name: string, inputs: Record<string, InputSpec>): Component {
  return { name, description: `${name}.`, inputs, jobs: [], source: `components/${name}/component.ts` };
}

const common = (jobName: string): Record<string, InputSpec> => ({
  stage: text("Stage.", "deploy"),
  job_name: text("Job name.", jobName),
  image: text("Image.", toolsImageRef(catalog)),
  rules: { type: "array", description: "Rules.", default: [] },
});

const components: Component[] = [
  component("build", {
    ...common("build"),
    image_name: text("Image name.", "$CI_REGISTRY_IMAGE"),
    context: text("Context.", "."),
  }),
  component("promote-staging", {
    ...common("promote-staging"),
    environment: text("Environment.", "staging"),
    environment_branch: text("Branch.", "_gitlab/agents/staging"),
    token_variable: text("Token variable.", "GITOPS_STAGING_TOKEN"),
    resource_group: text("Resource group.", "gitops-staging"),
    needs: { type: "array", description: "Needs.", default: [] },
    dry_run: { type: "boolean", description: "Dry run.", default: false },
  }),
  component("brand-new", { ...common("brand-new"), target: text("Target.") }),
];

function render(pipeline: Pipeline) {
  return renderPipeline(pipeline, {
    root: ROOT,
    source: "ci/pipeline.ts",
    version: catalog.version,
    file: ".gitlab-ci.yml",
  });
}

const ownPipeline = render(libraryPipeline.build(catalog, components));
const doc = ownPipeline.document as Record<string, Job & Record<string, unknown>> & {
  include: Array<{ component: string; inputs: Record<string, unknown> }>;
};

describe("the library's own pipeline (ci/pipeline.ts)", () => {
  it("is valid: GitLab's schema, its stages and needs, and every self-tested component's inputs", () => {
    expect(pipelineProblems(ownPipeline, components).map(formatProblem)).toEqual([]);
  });

  it("tests, type-checks and checks the generated files for drift on every pipeline", () => {
    expect(doc.test?.script).toEqual(["npm ci", "npm test -- --reporter=junit --outputFile.junit=junit.xml"]);
    expect(doc["generated-files"]?.script).toEqual(["npm ci", "npm run generate -- --check"]);
    expect(doc.test?.rules).toBeUndefined();
  });

  it("builds the tools image per commit in the project's own registry, and tags it with the version on a release", () => {
    expect(doc["tools-image"]?.script).toContain('buildah push "$CI_REGISTRY_IMAGE/tools:$CI_COMMIT_SHA"');
    expect(doc["tools-image"]?.script).toContain(
      'buildah build --file images/tools/Dockerfile --tag "$CI_REGISTRY_IMAGE/tools:$CI_COMMIT_SHA" images/tools',
    );
    expect(doc["tools-image-release"]?.script).toContain(
      'skopeo copy --all "docker://$CI_REGISTRY_IMAGE/tools:$CI_COMMIT_SHA" "docker://$CI_REGISTRY_IMAGE/tools:$CI_COMMIT_TAG"',
    );
  });

  it("refuses to release templates whose default image is not where this project publishes it", () => {
    const check = (doc["release-check"]?.script as string[])[0] as string;
    const run = (env: Record<string, string>) => spawnSync("sh", ["-c", check], { env, encoding: "utf8" });
    expect(
      run({ CI_REGISTRY: "registry.acme.test", CI_REGISTRY_IMAGE: "registry.acme.test/acme/catalog" }).status,
    ).toBe(0);
    const moved = run({ CI_REGISTRY: "registry.acme.test", CI_REGISTRY_IMAGE: "registry.acme.test/other/place" });
    expect(moved.status).toBe(1);
    expect(moved.stderr).toBe(
      "The templates default to registry.acme.test/acme/catalog/tools, but this project publishes registry.acme.test/other/place/tools: set catalogProject (and registry) in gitops.config.ts to this project and run npm run generate.\n",
    );
  });

  it("self-tests each component at this commit with scratch targets and the image this commit built", () => {
    expect(doc.include.map((i) => i.component)).toEqual([
      "$CI_SERVER_FQDN/$CI_PROJECT_PATH/build@$CI_COMMIT_SHA",
      "$CI_SERVER_FQDN/$CI_PROJECT_PATH/promote-staging@$CI_COMMIT_SHA",
    ]);
    const [build, promote] = doc.include;
    expect(build?.inputs).toMatchObject({
      image_name: "$CI_REGISTRY_IMAGE/selftest",
      image: "$CI_REGISTRY_IMAGE/tools:$CI_COMMIT_SHA",
      job_name: "selftest-build",
    });
    expect(promote?.inputs).toMatchObject({
      environment_branch: "_gitlab/selftest/staging",
      token_variable: "GITOPS_SELFTEST_TOKEN",
      job_name: "selftest-promote-staging",
    });
    for (const include of doc.include) expect(JSON.stringify(include.inputs)).not.toContain("_gitlab/agents/");
  });

  it("says which components it does not self-test, and includes none without scratch inputs", () => {
    expect(ownPipeline.text).toContain("# Not self-tested: brand-new (no scratch inputs in ci/pipeline.ts yet).\n");
    expect(doc.include.some((i) => i.component.includes("/brand-new@"))).toBe(false);
  });

  it("on a bare semver tag only: checks the tag against package.json and the drift, then releases with the release keyword", () => {
    const tagOnly = [{ if: "$CI_COMMIT_TAG =~ /^\\d+\\.\\d+\\.\\d+$/" }];
    expect(doc["release-check"]).toMatchObject({ stage: "test", rules: tagOnly });
    expect((doc["release-check"]?.script as string[]).slice(1)).toEqual([
      "npm ci",
      'npx tsx scripts/check-release-tag.ts "$CI_COMMIT_TAG"',
      "npm run generate -- --check",
    ]);
    expect(doc.publish).toMatchObject({
      stage: "release",
      rules: tagOnly,
      needs: ["tools-image-release"],
      release: { tag_name: "$CI_COMMIT_TAG" },
    });
    // GitLab 17.x runs only release-cli for `release:`, 18.x prefers glab: the release-cli image ships both.
    expect(String(doc.publish?.image)).toMatch(/^registry\.gitlab\.com\/gitlab-org\/release-cli:v\d+\.\d+\.\d+$/);
    expect(doc["tools-image-release"]).toMatchObject({ stage: "release", rules: tagOnly });
    expect(ownPipeline.document.stages).toEqual([
      "build",
      "test",
      "self-test-build",
      "self-test",
      "self-test-production",
      "release",
    ]);
  });

  it("pins every image it names: no latest", () => {
    const images = Object.values(doc).flatMap((job) =>
      job && typeof job === "object" && "image" in job ? [String(job.image)] : [],
    );
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image, image).toMatch(/:(?!latest$)[^:]+$/);
  });

  it("renders the same bytes every time", () => {
    expect(render(libraryPipeline.build(catalog, components)).text).toBe(ownPipeline.text);
  });
});

describe("rendering and validating a pipeline", () => {
  const base: Pipeline = {
    workflow: { rules: [{ if: "$CI_COMMIT_BRANCH" }] },
    stages: ["test", "deploy"],
    include: [{ component: "$CI_SERVER_FQDN/$CI_PROJECT_PATH/build@$CI_COMMIT_SHA", inputs: { stage: "deploy" } }],
    jobs: [
      { name: "second", job: { stage: "deploy", script: ["true"], needs: ["first"] } },
      { name: "first", job: { script: ["true"], stage: "test" } },
    ],
    notes: ["A note."],
  };

  it("writes the banner, notes, workflow, stages, include, then the jobs in declared order", () => {
    const rendered = render(base);
    expect(rendered.text.split("\n").slice(0, 3)).toEqual([
      "# Generated by gitops-components 3.1.4 from ci/pipeline.ts. Do not edit: change the TypeScript",
      "# source and run `npm run generate`.",
      "# A note.",
    ]);
    expect(Object.keys(parse(rendered.text) as object)).toEqual(["workflow", "stages", "include", "second", "first"]);
    expect(pipelineProblems(rendered, components)).toEqual([]);
  });

  const broken: Array<{ given: string; pipeline: Pipeline; want: string }> = [
    {
      given: "a keyword value GitLab's schema refuses",
      pipeline: {
        ...base,
        jobs: [{ name: "first", job: { stage: "test", script: ["true"], when: "sometimes" as "always" } }],
      },
      want: ".gitlab-ci.yml › first › when: GitLab's CI schema",
    },
    {
      given: "a job in a stage the pipeline lacks",
      pipeline: { ...base, jobs: [{ name: "first", job: { stage: "build", script: ["true"] } }] },
      want: '.gitlab-ci.yml › first › stage: the stage is not in stages: (got "build"). Fix: use one of test, deploy or add it to stages',
    },
    {
      given: "needs pointing at no job",
      pipeline: { ...base, jobs: [{ name: "first", job: { stage: "test", script: ["true"], needs: ["nope"] } }] },
      want: '.gitlab-ci.yml › first › needs[0]: points at a job that does not exist in this pipeline (got "nope"). Fix: name one of: first',
    },
    {
      given: "an input the included component does not declare",
      pipeline: {
        ...base,
        include: [
          {
            component: "$CI_SERVER_FQDN/$CI_PROJECT_PATH/build@$CI_COMMIT_SHA",
            inputs: { stage: "test", dry_run: true },
          },
        ],
      },
      want: '.gitlab-ci.yml › include[0] › inputs.dry_run: component build has no input "dry_run" (GitLab refuses the pipeline). Fix: pass only its inputs: stage, job_name, image, rules, image_name, context',
    },
    {
      given: "a required input left out",
      pipeline: {
        ...base,
        include: [
          { component: "$CI_SERVER_FQDN/$CI_PROJECT_PATH/brand-new@$CI_COMMIT_SHA", inputs: { stage: "test" } },
        ],
      },
      want: '.gitlab-ci.yml › include[0] › inputs.target: component brand-new requires input "target" and the include does not give it. Fix: give it a value',
    },
    {
      given: "an input of the wrong type",
      pipeline: {
        ...base,
        include: [
          {
            component: "$CI_SERVER_FQDN/$CI_PROJECT_PATH/promote-staging@$CI_COMMIT_SHA",
            inputs: { stage: "test", dry_run: "yes" },
          },
        ],
      },
      want: '.gitlab-ci.yml › include[0] › inputs.dry_run: the value is not a boolean (got "yes"). Fix: give a boolean',
    },
    {
      given: "a component the catalog does not have",
      pipeline: { ...base, include: [{ component: "$CI_SERVER_FQDN/$CI_PROJECT_PATH/gone@$CI_COMMIT_SHA" }] },
      want: '.gitlab-ci.yml › include[0]: includes a component this catalog does not have (got "$CI_SERVER_FQDN/$CI_PROJECT_PATH/gone@$CI_COMMIT_SHA"). Fix: include one of: build, promote-staging, brand-new',
    },
    {
      given: "an included component put in a stage the pipeline lacks",
      pipeline: {
        ...base,
        include: [{ component: "$CI_SERVER_FQDN/$CI_PROJECT_PATH/build@$CI_COMMIT_SHA", inputs: { stage: "review" } }],
      },
      want: '.gitlab-ci.yml › include[0] › inputs.stage: the included component\'s stage is not in stages: (got "review")',
    },
  ];

  it.each(broken)("reports $given", ({ pipeline, want }) => {
    const problems = pipelineProblems(render(pipeline), components).map(formatProblem);
    expect(
      problems.some((p) => p.startsWith(want)),
      problems.join("\n"),
    ).toBe(true);
  });
});

describe("npm run generate and the own pipeline", () => {
  it("writes .gitlab-ci.yml from ci/pipeline.ts next to the templates, and --check finds it fresh", async () => {
    const generated = await generateCatalog({ root: FIXTURE });
    expect(generated.files.get(".gitlab-ci.yml")).toBe(readFileSync(`${FIXTURE}.gitlab-ci.yml`, "utf8"));
    const out: string[] = [];
    const err: string[] = [];
    expect(
      await generate(
        ["--check", "--root", FIXTURE],
        (s) => out.push(s),
        (s) => err.push(s),
      ),
    ).toBe(0);
    expect(err).toEqual([]);
  });

  it("leaves a catalog without ci/pipeline.ts without a .gitlab-ci.yml", async () => {
    const generated = await generateCatalog({ root: fileURLToPath(new URL("../fixtures/basic/", import.meta.url)) });
    expect(generated.files.has(".gitlab-ci.yml")).toBe(false);
  });
});

describe("the release tag check", async () => {
  const { releaseTagProblem } = await import("../../scripts/check-release-tag.ts");
  it.each([
    { tag: "1.2.3", version: "1.2.3", want: undefined },
    {
      tag: "1.2.4",
      version: "1.2.3",
      want: "tag 1.2.4 does not match package.json's version 1.2.3: the templates were generated for 1.2.3. Tag the commit `npm run release -- <version>` made",
    },
    {
      tag: "v1.2.3",
      version: "1.2.3",
      want: 'tag "v1.2.3" is not a bare semantic version (1.2.3); GitLab\'s catalog publishes only those',
    },
  ])("tag $tag with package.json $version", ({ tag, version, want }) => {
    expect(releaseTagProblem(tag, version)).toBe(want);
  });
});
