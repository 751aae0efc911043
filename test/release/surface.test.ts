import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Bump } from "../../generator/semver.ts";
import {
  componentSurface,
  diffSurfaces,
  requiredBump,
  VERSION_TOKEN,
  type ComponentSurface,
  type Surface,
} from "../../generator/surface.ts";

/** A component surface with the usual inputs; `patch` replaces parts of it. */
function component(patch: Partial<ComponentSurface> = {}): ComponentSurface {
  return {
    inputs: {
      stage: { type: "string", default: "deploy" },
      dry_run: { type: "boolean", default: false },
      mode: { type: "string", default: "commit", options: ["commit", "merge_request"] },
      branch: { type: "string", default: "main", regex: "^[a-z/_-]+$" },
      target: { type: "string" },
    },
    jobs: ["promote"],
    ...patch,
  };
}

function withInputs(change: (inputs: ComponentSurface["inputs"]) => void): ComponentSurface {
  const c = component();
  const inputs = structuredClone(c.inputs);
  change(inputs);
  return { ...c, inputs };
}

const base: Surface = { "promote-staging": component() };

const cases: Array<{ rule: string; after: Surface; bump: Bump; messages: string[] }> = [
  { rule: "removing a component is major", after: {}, bump: "major", messages: ["removed component promote-staging"] },
  {
    rule: "adding a component is minor",
    after: { ...base, build: component() },
    bump: "minor",
    messages: ["added component build"],
  },
  {
    rule: "removing an input is major",
    after: { "promote-staging": withInputs((i) => delete i.dry_run) },
    bump: "major",
    messages: ["removed input promote-staging.dry_run"],
  },
  {
    rule: "changing an input's type is major",
    after: { "promote-staging": withInputs((i) => (i.dry_run = { type: "string", default: "false" })) },
    bump: "major",
    messages: [
      "changed the type of input promote-staging.dry_run from boolean to string",
      'changed the default of input promote-staging.dry_run from false to "false"',
    ],
  },
  {
    rule: "adding an input without a default is major",
    after: { "promote-staging": withInputs((i) => (i.token_variable = { type: "string" })) },
    bump: "major",
    messages: ["added input promote-staging.token_variable without a default (required)"],
  },
  {
    rule: "adding an optional input is minor",
    after: { "promote-staging": withInputs((i) => (i.retries = { type: "number", default: 3 })) },
    bump: "minor",
    messages: ["added optional input promote-staging.retries"],
  },
  {
    rule: "removing an input's default (making it required) is major",
    after: { "promote-staging": withInputs((i) => (i.stage = { type: "string" })) },
    bump: "major",
    messages: ["input promote-staging.stage lost its default (now required)"],
  },
  {
    rule: "narrowing options is major",
    after: {
      "promote-staging": withInputs((i) => (i.mode = { type: "string", default: "commit", options: ["commit"] })),
    },
    bump: "major",
    messages: ['narrowed the options of input promote-staging.mode: removed "merge_request"'],
  },
  {
    rule: "restricting a free input to options is major",
    after: {
      "promote-staging": withInputs(
        (i) => (i.stage = { type: "string", default: "deploy", options: ["deploy", "release"] }),
      ),
    },
    bump: "major",
    messages: ['restricted input promote-staging.stage to the options "deploy", "release"'],
  },
  {
    rule: "adding a regex is major",
    after: {
      "promote-staging": withInputs((i) => (i.stage = { type: "string", default: "deploy", regex: "^[a-z]+$" })),
    },
    bump: "major",
    messages: ["restricted input promote-staging.stage to the regex ^[a-z]+$"],
  },
  {
    rule: "changing a regex is major (it may reject a value the old one accepted)",
    after: {
      "promote-staging": withInputs((i) => (i.branch = { type: "string", default: "main", regex: "^[a-z]+$" })),
    },
    bump: "major",
    messages: ["changed the regex of input promote-staging.branch from ^[a-z/_-]+$ to ^[a-z]+$"],
  },
  {
    rule: "renaming a job is major",
    after: { "promote-staging": component({ jobs: ["promote-to-staging"] }) },
    bump: "major",
    messages: ["renamed job promote-staging › promote to promote-to-staging"],
  },
  {
    rule: "removing a job is major",
    after: { "promote-staging": component({ jobs: [] }) },
    bump: "major",
    messages: ["removed job promote-staging › promote"],
  },
  {
    rule: "adding a job is minor",
    after: { "promote-staging": component({ jobs: ["promote", "verify"] }) },
    bump: "minor",
    messages: ["added job promote-staging › verify"],
  },
  {
    rule: "widening options is minor",
    after: {
      "promote-staging": withInputs(
        (i) => (i.mode = { type: "string", default: "commit", options: ["commit", "merge_request", "dry_run"] }),
      ),
    },
    bump: "minor",
    messages: ['widened the options of input promote-staging.mode: added "dry_run"'],
  },
  {
    rule: "dropping options is minor",
    after: { "promote-staging": withInputs((i) => (i.mode = { type: "string", default: "commit" })) },
    bump: "minor",
    messages: ["input promote-staging.mode is no longer restricted to options"],
  },
  {
    rule: "dropping a regex is minor",
    after: { "promote-staging": withInputs((i) => (i.branch = { type: "string", default: "main" })) },
    bump: "minor",
    messages: ["input promote-staging.branch is no longer restricted by the regex ^[a-z/_-]+$"],
  },
  {
    rule: "changing a default is a patch",
    after: { "promote-staging": withInputs((i) => (i.stage = { type: "string", default: "release" })) },
    bump: "patch",
    messages: ['changed the default of input promote-staging.stage from "deploy" to "release"'],
  },
  {
    rule: "giving a required input a default is a patch",
    after: { "promote-staging": withInputs((i) => (i.target = { type: "string", default: "staging" })) },
    bump: "patch",
    messages: ['input promote-staging.target got a default "staging" (now optional)'],
  },
  { rule: "no change at all is a patch", after: base, bump: "patch", messages: [] },
];

describe("the release bump a surface change needs", () => {
  it.each(cases)("$rule", ({ after, bump, messages }) => {
    const changes = diffSurfaces(base, after);
    expect(changes.map((c) => c.message)).toEqual(messages);
    expect(requiredBump(changes)).toBe(bump);
  });

  it("lists the largest bumps first, each change with its own bump", () => {
    const after: Surface = {
      "promote-staging": withInputs((i) => {
        i.retries = { type: "number", default: 3 };
        i.stage = { type: "string", default: "release" };
        delete i.dry_run;
      }),
    };
    expect(diffSurfaces(base, after)).toEqual([
      { bump: "major", message: "removed input promote-staging.dry_run" },
      { bump: "minor", message: "added optional input promote-staging.retries" },
      { bump: "patch", message: 'changed the default of input promote-staging.stage from "deploy" to "release"' },
    ]);
  });
});

describe("reading the surface from a template", () => {
  const template = [
    "# Generated by gitops-components 1.2.3 from components/x/component.ts.",
    "spec:",
    "  inputs:",
    "    job_prefix: {type: string, description: Prefix., default: review}",
    "    image: {type: string, description: Image., default: registry.example.com/tools:1.2.3}",
    "    environment: {type: string, description: Where.}",
    "    flag: {description: Untyped is a string.}",
    "---",
    "$[[ inputs.job_prefix ]]-deploy:",
    "  image: $[[ inputs.image ]]",
    "  variables:",
    "    ENV: $[[ inputs.environment ]]",
    "    FLAG: $[[ inputs.flag ]]",
    "  script: [deploy]",
    "$[[ inputs.job_prefix ]]-stop:",
    "  script: [stop]",
    ".hidden:",
    "  script: [nothing]",
    "",
  ].join("\n");

  it("names jobs as a consumer sees them, with their inputs at the defaults, and skips hidden jobs", () => {
    expect(componentSurface(template, "1.2.3").jobs).toEqual(["review-deploy", "review-stop"]);
  });

  it("masks the catalog version in defaults, so the per-release image tag is no change", () => {
    const surface = componentSurface(template, "1.2.3");
    expect(surface.inputs.image).toEqual({ type: "string", default: `registry.example.com/tools:${VERSION_TOKEN}` });
    expect(
      diffSurfaces({ x: surface }, { x: componentSurface(template.replaceAll("1.2.3", "1.3.0"), "1.3.0") }),
    ).toEqual([]);
  });

  it("reads a missing default as required and a missing type as string", () => {
    const surface = componentSurface(template, "1.2.3");
    expect(surface.inputs.environment).toEqual({ type: "string" });
    expect(surface.inputs.flag).toEqual({ type: "string" });
  });

  it("reads the fixture catalog's generated template", () => {
    const text = readFileSync(new URL("../fixtures/basic/templates/hello/template.yml", import.meta.url), "utf8");
    expect(componentSurface(text, "9.8.7")).toEqual({
      inputs: {
        stage: { type: "string", default: "test" },
        job_name: { type: "string", default: "hello" },
        image: { type: "string", default: `registry.example.com/fixtures/basic/tools:${VERSION_TOKEN}` },
        who: { type: "string", default: "world", regex: "^[a-z]+$" },
        when: { type: "string", default: "on_success", options: ["on_success", "manual"] },
        optional: { type: "boolean", default: false },
      },
      jobs: ["hello"],
    });
  });
});
