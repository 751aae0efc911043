/**
 * The `test` component in a real pipeline: a consumer project includes it by `component:` reference,
 * pinned to a version of a catalog served over loopback git, and gitlab-ci-local runs it (shell
 * executor, so the commands run on this machine instead of in the image).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import {
  createProject,
  gitlabCiLocal,
  publishCatalog,
  type Project,
  type PublishedCatalog,
} from "../../harness/gitlab-ci-local.ts";
import { requireTools } from "../support/tools.ts";

const JUNIT =
  '<?xml version="1.0"?><testsuites><testsuite name="app" tests="1"><testcase name="works"/></testsuite></testsuites>';
const COBERTURA =
  '<?xml version="1.0"?><coverage line-rate="0.875" branch-rate="0" version="1" timestamp="0"><packages/></coverage>';

describe.skipIf(!requireTools("git", "rsync"))("test component in a pipeline", () => {
  let server: GitServer;
  let catalog: PublishedCatalog;
  const projects: Project[] = [];
  let passing: Project;

  beforeAll(async () => {
    server = await startGitServer();
    catalog = await publishCatalog(server, { version: "1.0.0" });
  });

  afterAll(async () => {
    for (const p of projects) p.remove();
    catalog?.remove();
    await server?.close();
  });

  /** A stand-in for the build component: the job test needs, publishing GITOPS_IMAGE in its dotenv report. */
  const BUILD = {
    stage: "build",
    script: ["echo GITOPS_IMAGE=unused > build.env"],
    artifacts: { reports: { dotenv: "build.env" } },
  };

  async function pipeline(script: string[], options: { build?: boolean } = {}): Promise<Project> {
    const ci = {
      include: [
        { component: catalog.component("test"), inputs: { image: "unused", script, junit: "reports/junit.xml" } },
      ],
      ...(options.build === false ? {} : { build: BUILD }),
    };
    const project = await createProject({ files: { ".gitlab-ci.yml": stringify(ci) } });
    projects.push(project);
    return project;
  }

  /** Where gitlab-ci-local ran the job (`--shell-isolation`): the files the commands left. */
  const jobDir = (project: Project) => path.join(project.dir, ".gitlab-ci-local", "builds", "test");

  it("passes when every test command passes, and reads the coverage from the log", async () => {
    const project = await pipeline([
      "mkdir -p reports coverage",
      `echo '${JUNIT}' > reports/junit.xml`,
      `echo '${COBERTURA}' > coverage/cobertura-coverage.xml`,
      'echo "Lines        : 87.5% ( 7/8 )"',
    ]);
    const run = await gitlabCiLocal(project, [], { gitConfig: catalog.gitConfig });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/PASS\s+test\s+87\.5% coverage/);
    passing = project;
  });

  it("declares the JUnit and Cobertura reports at the paths the commands wrote, uploaded even when tests fail", async () => {
    const project = passing;
    const preview = await gitlabCiLocal(project, ["--preview"], { gitConfig: catalog.gitConfig });
    expect(preview.code, preview.stderr).toBe(0);
    const job = (
      parse(preview.stdout.slice(preview.stdout.indexOf("---"))) as Record<
        string,
        { artifacts: unknown; image: unknown }
      >
    ).test;
    expect(job?.artifacts).toEqual({
      when: "always",
      reports: {
        junit: "reports/junit.xml",
        coverage_report: { coverage_format: "cobertura", path: "coverage/cobertura-coverage.xml" },
      },
    });
    expect(job?.image).toEqual({ name: "unused", entrypoint: [""] });
    expect(readFileSync(path.join(jobDir(project), "reports", "junit.xml"), "utf8")).toContain('testcase name="works"');
    expect(readFileSync(path.join(jobDir(project), "coverage", "cobertura-coverage.xml"), "utf8")).toContain(
      'line-rate="0.875"',
    );
  });

  it("fails at the first failing command", async () => {
    const project = await pipeline([
      "mkdir -p reports",
      `echo '${JUNIT}' > reports/junit.xml`,
      "echo 'one test failed'; exit 3",
      "echo never-reached",
    ]);
    const run = await gitlabCiLocal(project, [], { gitConfig: catalog.gitConfig });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/FAIL\s+test/);
    // gitlab-ci-local pads job names to the longest one ("build"): "test  > …".
    expect(run.stdout).toMatch(/test\s+> one test failed/);
    expect(run.stdout).not.toContain("never-reached\n");
    expect(existsSync(path.join(jobDir(project), "reports", "junit.xml"))).toBe(true);
  });

  it("fails before any job runs when the build job it needs is missing (no test without an image)", async () => {
    const project = await pipeline(["echo should-not-run"], { build: false });
    const run = await gitlabCiLocal(project, [], { gitConfig: catalog.gitConfig });
    expect(run.code).not.toBe(0);
    // gitlab-ci-local's words; GitLab refuses to create the pipeline: "test job: undefined need: build".
    expect(run.stdout + run.stderr).toContain("needs: [build] for test could not be found");
    expect(run.stdout).not.toContain("should-not-run");
  });
});
