/**
 * The consumer examples in `examples/`: each is valid GitLab CI (GitLab's schema), pins every
 * component of this catalog to the current version, passes only inputs the components declare,
 * and resolves and lists the expected jobs under gitlab-ci-local for merge-request and
 * default-branch pipelines, with the components fetched from a catalog published at that version.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readVersion } from "../../generator/catalog.ts";
import { formatProblem } from "../../generator/problems.ts";
import { schemaProblems } from "../../generator/schema.ts";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { createProject, gitlabCiLocal, publishCatalog, type PublishedCatalog } from "../../harness/gitlab-ci-local.ts";
import { loadTemplate, ROOT } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";
import { loadCheckout } from "../../cli/io.ts";
import { parsePipeline } from "../../cli/consumer-pipeline.ts";
import { lintPipeline } from "../../cli/lint/lint.ts";
import { setupNeeds } from "../../cli/setup/needs.ts";
import { editImages } from "../../components/update-manifests/manifest-edit.ts";
import { tryParseImageReference } from "../../runtime/image-reference.ts";

const EXAMPLES = path.join(ROOT, "examples");
const VERSION = readVersion(ROOT);
const examples = readdirSync(EXAMPLES).sort();

type Include = { component: string; inputs?: Record<string, unknown> };
const pipelineOf = (name: string) =>
  parse(readFileSync(path.join(EXAMPLES, name, ".gitlab-ci.yml"), "utf8")) as { include: Include[] };

/** Checks one include: this catalog, the current version, only declared inputs of the declared type. */
function expectValidInclude(include: Include): void {
  const match = /^\$CI_SERVER_FQDN\/platform\/gitops-components\/([\w-]+)@(.+)$/.exec(include.component);
  expect(match, include.component).not.toBeNull();
  const [, component, version] = match as RegExpExecArray;
  expect(version, include.component).toBe(VERSION);
  const declared = loadTemplate(component as string).header.spec.inputs ?? {};
  for (const [input, value] of Object.entries(include.inputs ?? {})) {
    expect(Object.keys(declared), `${component} has no input ${input}`).toContain(input);
    const type = declared[input]?.type ?? "string";
    expect(Array.isArray(value) ? "array" : typeof value, `${component}.${input}`).toBe(type);
  }
}

/** The README's YAML snippets that include components (the quick start's pipeline). */
function readmeSnippets(): string[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => (m[1] as string).replace(/^ {3}/gm, ""))
    .filter((y) => y.includes("component:") && y.includes("stages:"));
}

/** The README's Quick start section. */
function quickStart(): string {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  return readme.slice(
    readme.indexOf("## Quick start\n"),
    readme.indexOf("\n## ", readme.indexOf("## Quick start\n") + 1),
  );
}

describe("the README's include snippets", () => {
  it("pin this catalog's version and pass only declared inputs", () => {
    const snippets = readmeSnippets();
    expect(snippets).toHaveLength(1);
    const includes = snippets.flatMap((y) => (parse(y) as { include?: Include[] }).include ?? []);
    expect(includes.length).toBeGreaterThanOrEqual(6);
    for (const include of includes) expectValidInclude(include);
  });
});

describe("the README quick start works as written", async () => {
  const checkout = await loadCheckout(ROOT);
  const pipeline = () => parsePipeline(".gitlab-ci.yml", readmeSnippets()[0] as string);

  it("lints clean", () => {
    expect(lintPipeline(pipeline(), checkout.catalogProject, checkout.versions).problems.map(formatProblem)).toEqual(
      [],
    );
  });

  it("names exactly the credentials its pipeline reads, and shows the agent input", () => {
    const lint = lintPipeline(pipeline(), checkout.catalogProject, checkout.versions);
    const read = setupNeeds(lint.includes, "main")
      .needs.credentials.map((c) => c.variable)
      .sort();
    expect(read).toEqual(["GITOPS_MANIFESTS_TOKEN", "GITOPS_PRODUCTION_TOKEN", "GITOPS_STAGING_TOKEN"]);
    // Every token the steps have one create is one the pipeline reads (the review-base token only with its include).
    const text = quickStart();
    const named = [...new Set([...text.matchAll(/GITOPS_[A-Z]+_(?:TOKEN|DEPLOY_KEY)/g)].map((m) => m[0]))];
    expect(named.filter((v) => v.endsWith("_TOKEN") && !read.includes(v))).toEqual(["GITOPS_REVIEW_TOKEN"]);
    expect(text).toContain(
      "If your review cluster syncs a shared base from `_gitlab/agents/review`, include\n   promote-staging once more for it",
    );
    expect(read.every((v) => text.includes(v))).toBe(true);
    // The agent's configuration project shares the application's (group/app) top-level group, or
    // GitLab would not authorize the project (README, Requirements: the agent).
    expect(lint.includes.find((r) => r.include.component === "review")?.include.inputs.agent).toBe(
      "group/gitops-agents:review",
    );
    expect(text).toContain("From an empty project (`group/app` below)");
  });

  it("shows manifests that name the image the way update-manifests finds it", () => {
    const kustomization = /```yaml\n( *resources: \[deployment\.yaml\]\n[\s\S]*?)```/
      .exec(quickStart())?.[1]
      ?.replace(/^ {3}/gm, "");
    expect(kustomization).toBeDefined();
    const image = tryParseImageReference(`registry.example.com/group/app@sha256:${"a".repeat(64)}`);
    // The quick start's file is deploy/base/kustomization.yaml: read as a kustomization, as update-manifests reads it.
    const edit = editImages(
      kustomization as string,
      { imageName: "registry.example.com/group/app", image: image as NonNullable<typeof image> },
      { kustomizationFile: true },
    );
    expect(edit.matched).toBe(1);
    expect(edit.text).toContain(`digest: sha256:${"a".repeat(64)}`);
  });
});

describe.each(examples)("example %s", (name) => {
  it("is valid GitLab CI", () => {
    expect(schemaProblems(pipelineOf(name), [name], "as written").map(formatProblem)).toEqual([]);
  });

  it("pins every component to this catalog's version and passes only declared inputs of the right type", () => {
    for (const include of pipelineOf(name).include) expectValidInclude(include);
  });
});

const EXPECTED: Record<string, { mergeRequest: string[]; main: string[] }> = {
  "README quick start": {
    mergeRequest: ["build", "review-deploy", "review-stop", "test"],
    main: ["build", "promote-production", "promote-staging", "test", "update-manifests"],
  },
  "single-app": {
    mergeRequest: ["build", "review-deploy", "review-stop", "test"],
    main: [
      "build",
      "promote-production",
      "promote-production-preview",
      "promote-review-base",
      "promote-staging",
      "rollback-production",
      "test",
      "update-manifests",
    ],
  },
  monorepo: {
    mergeRequest: [
      "build-api",
      "build-web",
      "review-api-deploy",
      "review-api-stop",
      "review-web-deploy",
      "review-web-stop",
      "test-api",
      "test-web",
    ],
    main: [
      "build-api",
      "build-web",
      "promote-production",
      "promote-staging",
      "test-api",
      "test-web",
      "update-manifests-api",
      "update-manifests-web",
    ],
  },
};

describe.skipIf(!requireTools("git", "rsync"))("examples under gitlab-ci-local", () => {
  let server: GitServer;
  let catalog: PublishedCatalog;

  beforeAll(async () => {
    server = await startGitServer();
    catalog = await publishCatalog(server, { version: VERSION });
  });

  afterAll(async () => {
    catalog?.remove();
    await server?.close();
  });

  it.each([...examples, "README quick start"])(
    "%s resolves its components and lists the jobs of each pipeline",
    async (name) => {
      expect(Object.keys(EXPECTED), `add the expected jobs of ${name} to this test`).toContain(name);
      const pipeline =
        name === "README quick start"
          ? (readmeSnippets()[0] as string)
          : readFileSync(path.join(EXAMPLES, name, ".gitlab-ci.yml"), "utf8");
      const project = await createProject({ files: { ".gitlab-ci.yml": pipeline } });
      try {
        const jobs = async (variables: Record<string, string>) => {
          const run = await gitlabCiLocal(project, ["--list-json"], { gitConfig: catalog.gitConfig, variables });
          expect(run.code, run.stdout + run.stderr).toBe(0);
          const listed = JSON.parse(run.stdout.slice(run.stdout.indexOf("["))) as Array<{ name: string; when: string }>;
          return listed
            .filter((j) => j.when !== "never")
            .map((j) => j.name)
            .sort();
        };
        expect(
          await jobs({ CI_PIPELINE_SOURCE: "merge_request_event", CI_COMMIT_BRANCH: "", CI_MERGE_REQUEST_IID: "1" }),
        ).toEqual(EXPECTED[name]?.mergeRequest);
        expect(await jobs({ CI_COMMIT_TITLE: "feat: a change", CI_COMMIT_MESSAGE: "feat: a change" })).toEqual(
          EXPECTED[name]?.main,
        );
      } finally {
        project.remove();
      }
    },
  );

  it("monorepo: each application's test, review and bump need its own build (no image named by hand), and promotion waits for both bumps", async () => {
    const pipeline = readFileSync(path.join(EXAMPLES, "monorepo", ".gitlab-ci.yml"), "utf8");
    for (const include of pipelineOf("monorepo").include) {
      expect(Object.keys(include.inputs ?? {})).not.toContain("image");
      expect(Object.keys(include.inputs ?? {})).not.toContain("new_image");
    }
    const project = await createProject({ files: { ".gitlab-ci.yml": pipeline } });
    try {
      const needsOf = async (variables: Record<string, string>) => {
        const run = await gitlabCiLocal(project, ["--list-json"], { gitConfig: catalog.gitConfig, variables });
        expect(run.code, run.stdout + run.stderr).toBe(0);
        const listed = JSON.parse(run.stdout.slice(run.stdout.indexOf("["))) as Array<{
          name: string;
          when: string;
          needs?: Array<{ job: string; artifacts: boolean }>;
        }>;
        return Object.fromEntries(
          listed
            .filter((j) => j.when !== "never")
            .map((j) => [j.name, (j.needs ?? []).map((n) => `${n.job}${n.artifacts ? "" : " (no artifacts)"}`)]),
        );
      };
      const mergeRequest = await needsOf({
        CI_PIPELINE_SOURCE: "merge_request_event",
        CI_COMMIT_BRANCH: "",
        CI_MERGE_REQUEST_IID: "1",
      });
      expect(mergeRequest).toMatchObject({
        "test-api": ["build-api"],
        "test-web": ["build-web"],
        "review-api-deploy": ["build-api"],
        "review-web-deploy": ["build-web"],
      });
      const main = await needsOf({ CI_COMMIT_TITLE: "feat: a change", CI_COMMIT_MESSAGE: "feat: a change" });
      expect(main).toMatchObject({
        "update-manifests-api": ["build-api", "test-api (no artifacts)"],
        "update-manifests-web": ["build-web", "test-web (no artifacts)"],
        "promote-staging": ["update-manifests-api", "update-manifests-web"],
        "promote-production": ["update-manifests-api", "update-manifests-web", "promote-staging (no artifacts)"],
      });
    } finally {
      project.remove();
    }
  });
});
