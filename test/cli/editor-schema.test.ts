/**
 * The editor schema `npm run generate` writes: with GitLab's schema behind its `$ref` (the vendored
 * copy, served under the URL the schema names), it accepts the examples and refuses what GitLab's
 * schema alone lets through: an unknown input, a missing required one, a wrong type or option.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EDITOR_SCHEMA_FILE, GITLAB_CI_SCHEMA_URL } from "../../generator/editor-schema.ts";
import { ROOT } from "../../harness/templates.ts";

const require = createRequire(import.meta.url);
const Ajv = require("ajv") as typeof import("ajv").default;
const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;

const gitlab = JSON.parse(readFileSync(path.join(ROOT, "generator", "schema", "gitlab-ci.json"), "utf8")) as Record<
  string,
  unknown
>;
const ours = JSON.parse(readFileSync(path.join(ROOT, EDITOR_SCHEMA_FILE), "utf8")) as Record<string, unknown>;

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema({ ...gitlab, $id: GITLAB_CI_SCHEMA_URL });
  const onlyGitlab = ajv.compile({ $ref: GITLAB_CI_SCHEMA_URL });
  return { both: ajv.compile(ours), onlyGitlab };
}

const { both, onlyGitlab } = validator();
const example = (name: string) =>
  parse(readFileSync(path.join(ROOT, "examples", name, ".gitlab-ci.yml"), "utf8"), { version: "1.1", merge: true }) as {
    include: Array<{ component: string; inputs?: Record<string, unknown> }>;
  };

describe("the editor schema", () => {
  it.each(["single-app", "monorepo"])("accepts examples/%s", (name) => {
    expect(both(example(name)), JSON.stringify(both.errors)).toBe(true);
  });

  it.each([
    [
      "an unknown input (a typo GitLab's own schema lets through)",
      (p: ReturnType<typeof example>) =>
        ((p.include[4] as { inputs?: Record<string, unknown> }).inputs = { "dry-run": true }),
      true,
    ],
    ["a required input left out", (p: ReturnType<typeof example>) => delete p.include[2]?.inputs?.manifests, false],
    [
      "a boolean input given text",
      (p: ReturnType<typeof example>) =>
        ((p.include[4] as { inputs?: Record<string, unknown> }).inputs = { dry_run: "yes" }),
      true,
    ],
    [
      "a value outside the options",
      (p: ReturnType<typeof example>) => ((p.include[3]?.inputs as Record<string, unknown>).mode = "mr"),
      true,
    ],
  ])("refuses %s", (_, change, gitlabAlsoAccepts) => {
    const pipeline = example("single-app");
    change(pipeline);
    expect(both(pipeline)).toBe(false);
    // The point of the schema: GitLab's alone accepts most of these.
    if (gitlabAlsoAccepts) expect(onlyGitlab(pipeline), JSON.stringify(onlyGitlab.errors)).toBe(true);
  });

  it("keeps GitLab's own checks", () => {
    expect(both({ ...example("single-app"), stages: "build" })).toBe(false);
  });

  it("is wired up as the README says", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toContain(`# yaml-language-server: $schema=`);
    expect(readme).toContain(EDITOR_SCHEMA_FILE);
  });
});
