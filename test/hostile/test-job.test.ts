/**
 * Hostile values for the `test` job. Its script is the consumer's own commands, run by the shell of
 * the application's image, so no script of ours runs there: its path inputs (`junit`,
 * `coverage_report`) are checked by GitLab when the component is included (their `regex`), and what
 * a CI/CD variable expands to at run time is confined by the runner, which uploads no artifact or
 * report outside the project directory (components/test/component.ts cites both). Here the include
 * is done by gitlab-ci-local, which checks `spec:inputs` regexes with an RE2 engine as GitLab does.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import {
  createProject,
  gitlabCiLocal,
  publishCatalog,
  type Project,
  type PublishedCatalog,
} from "../../harness/gitlab-ci-local.ts";
import { loadTemplate } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

/** Paths that leave the project directory, or are not one path. */
const HOSTILE_PATHS = [
  "../junit.xml",
  "/etc/passwd",
  "reports/../../junit.xml",
  "..",
  "reports/junit.xml\n/etc/passwd",
  "reports/ junit.xml",
];

describe("test job: hostile report paths, refused by the inputs' regex", () => {
  const inputs = loadTemplate("test").header.spec.inputs as Record<string, { regex?: string }>;

  it.each(["junit", "coverage_report"].flatMap((input) => HOSTILE_PATHS.map((value) => ({ input, value }))))(
    "$input = $value is refused",
    ({ input, value }) => {
      expect(new RegExp(inputs[input]?.regex as string).test(value)).toBe(false);
    },
  );

  it.each([
    "junit.xml",
    "reports/junit.xml",
    "./coverage/cobertura-coverage.xml",
    "reports/$CI_JOB_NAME.xml",
    "..hidden/x.xml",
  ])("%j is accepted", (value) => {
    expect(new RegExp(inputs.junit?.regex as string).test(value)).toBe(true);
    expect(new RegExp(inputs.coverage_report?.regex as string).test(value)).toBe(true);
  });
});

describe.skipIf(!requireTools("git", "rsync"))("test job: a hostile report path in a real include", () => {
  let server: GitServer;
  let catalog: PublishedCatalog;
  const projects: Project[] = [];

  beforeAll(async () => {
    server = await startGitServer();
    catalog = await publishCatalog(server, { version: "1.0.0" });
  });
  afterAll(async () => {
    for (const p of projects) p.remove();
    catalog?.remove();
    await server?.close();
  });

  it.each([
    { input: "junit", value: "../../outside.xml" },
    { input: "coverage_report", value: "/etc/passwd" },
  ])(
    "fails the pipeline at include time for $input = $value, naming the input, and runs nothing",
    async ({ input, value }) => {
      const ci = {
        include: [
          {
            component: catalog.component("test"),
            inputs: { image: "unused", script: ["touch ran.txt"], [input]: value },
          },
        ],
        build: { stage: "build", script: ["touch build-ran.txt"], artifacts: { reports: { dotenv: "build.env" } } },
      };
      const project = await createProject({ files: { ".gitlab-ci.yml": stringify(ci) } });
      projects.push(project);
      const run = await gitlabCiLocal(project, [], { gitConfig: catalog.gitConfig });
      expect(run.code).not.toBe(0);
      // GitLab's wording, which gitlab-ci-local copies: the input, its value, the rule it breaks.
      expect(run.stdout + run.stderr).toContain(`\`${input}\` input: \`${value}\` does not match required regex: `);
      expect(existsSync(path.join(project.dir, ".gitlab-ci-local", "builds", "test", "ran.txt"))).toBe(false);
    },
  );
});
