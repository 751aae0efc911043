/**
 * The `build` job as it ships (script embedded in templates/build/template.yml), run against Debian's
 * buildah and a real registry on loopback, building from a busybox base image in that registry.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushBaseImage, temporaryStorage } from "../../stand-ins/base-image.ts";
import { freePort, startRegistry, type TestRegistry } from "../../stand-ins/registry.ts";
import { readDotenv, runTemplateJob, type JobRun } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

const exec = promisify(execFile);

const SHA = "1f0c3a5b7d9e2f4a6c8b0d1e3f5a7b9c2d4e6f80";
const OTHER_SHA = "2a1b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
const PASSWORD = "s3cret-Registry-Passw0rd-7c1e";
const USER = "ci-pusher";
const REPOSITORY = "group/app";

describe.skipIf(!requireTools("buildah", "skopeo", "docker-registry", "busybox", "htpasswd"))("build", () => {
  let registry: TestRegistry;
  let base: string;
  let storage: ReturnType<typeof temporaryStorage>;
  const projects: string[] = [];
  const outputs: string[] = [];

  beforeAll(async () => {
    registry = await startRegistry({ auth: { username: USER, password: PASSWORD } });
    base = await pushBaseImage(registry);
    storage = temporaryStorage();
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    storage?.remove();
    for (const dir of projects) rmSync(dir, { recursive: true, force: true });
  });

  /** A project directory with an application Dockerfile built on the busybox base. */
  function project(
    dockerfile = `FROM ${base}\nARG GREETING=none\nCOPY hello.txt /hello.txt\nRUN echo "$GREETING" > /greeting && cat /hello.txt\n`,
  ): string {
    const dir = mkdtempSync(path.join(tmpdir(), "gitops-build-project-"));
    projects.push(dir);
    mkdirSync(path.join(dir, "app"));
    writeFileSync(path.join(dir, "app", "Dockerfile"), dockerfile);
    writeFileSync(path.join(dir, "app", "hello.txt"), "hello from the application\n");
    return dir;
  }

  async function build(
    dir: string,
    inputs: Record<string, unknown> = {},
    env: Record<string, string> = {},
  ): Promise<JobRun> {
    const run = await runTemplateJob({
      component: "build",
      cwd: dir,
      inputs: { context: "app", image_name: `${registry.host}/${REPOSITORY}`, tls_verify: false, ...inputs },
      env: {
        CI_PROJECT_DIR: dir,
        CI_COMMIT_SHA: SHA,
        CI_COMMIT_TIMESTAMP: "2026-11-28T06:00:00+00:00",
        CI_PROJECT_URL: "https://gitlab.example.com/group/app",
        CI_REGISTRY_USER: USER,
        CI_REGISTRY_PASSWORD: PASSWORD,
        CONTAINERS_STORAGE_CONF: storage.file,
        ...env,
      },
    });
    outputs.push(run.output);
    return run;
  }

  async function inspect(reference: string, config = false): Promise<Record<string, unknown>> {
    const { stdout } = await exec("skopeo", [
      "inspect",
      ...(config ? ["--config"] : []),
      "--authfile",
      registry.authFile,
      "--tls-verify=false",
      `docker://${reference}`,
    ]);
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  it("builds, pushes every tag and publishes the digest the registry reports", async () => {
    const dir = project();
    const run = await build(dir, { tags: ["$CI_COMMIT_SHA", "latest"], build_args: ["GREETING=hello $CI_COMMIT_SHA"] });
    expect(run.code, run.output).toBe(0);
    const outputs = readDotenv(path.join(dir, "gitops-build.env"));
    const digest = await registry.digest(REPOSITORY, SHA);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs).toEqual({
      GITOPS_IMAGE: `${registry.host}/${REPOSITORY}@${digest}`,
      GITOPS_IMAGE_DIGEST: digest,
      GITOPS_IMAGE_TAG: SHA,
    });
    expect(await registry.digest(REPOSITORY, "latest")).toBe(digest);
    expect(await registry.tags(REPOSITORY)).toEqual([SHA, "latest"].sort());
  });

  it("labels the image with the commit, the project and the commit's time, and passes build arguments", async () => {
    const image = await inspect(`${registry.host}/${REPOSITORY}:${SHA}`);
    expect(image.Labels).toMatchObject({
      "org.opencontainers.image.revision": SHA,
      "org.opencontainers.image.source": "https://gitlab.example.com/group/app",
      "org.opencontainers.image.created": "2026-11-28T06:00:00+00:00",
    });
    const config = (await inspect(`${registry.host}/${REPOSITORY}:${SHA}`, true)) as {
      history?: Array<{ created_by?: string }>;
    };
    expect(config.history?.map((h) => h.created_by ?? "").join("\n")).toContain(`GREETING=hello ${SHA}`);
  });

  it("reuses the image a rerun for the same commit finds, says so, and adds missing tags without building", async () => {
    const before = await registry.digest(REPOSITORY, SHA);
    const dir = project();
    const run = await build(dir, { tags: ["$CI_COMMIT_SHA", "stable"] });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(
      `reusing ${registry.host}/${REPOSITORY}:${SHA} (${before}): it was already built from commit ${SHA}; not building again`,
    );
    expect(run.output).not.toContain("buildah build");
    expect(await registry.digest(REPOSITORY, "stable")).toBe(before);
    expect(readDotenv(path.join(dir, "gitops-build.env")).GITOPS_IMAGE_DIGEST).toBe(before);
  });

  it("builds again when the first tag holds an image of another commit", async () => {
    const dir = project();
    writeFileSync(path.join(dir, "app", "hello.txt"), "changed\n");
    const run = await build(dir, { tags: ["latest"] }, { CI_COMMIT_SHA: OTHER_SHA });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(
      `${registry.host}/${REPOSITORY}:latest exists but was built from commit ${SHA}, not ${OTHER_SHA}; building it again`,
    );
    const digest = await registry.digest(REPOSITORY, "latest");
    expect(digest).not.toBe(await registry.digest(REPOSITORY, SHA));
    expect(readDotenv(path.join(dir, "gitops-build.env")).GITOPS_IMAGE_DIGEST).toBe(digest);
    expect(
      ((await inspect(`${registry.host}/${REPOSITORY}:latest`)).Labels as Record<string, string>)[
        "org.opencontainers.image.revision"
      ],
    ).toBe(OTHER_SHA);
  });

  it("fails with buildah's error, naming the Dockerfile and context, when the Dockerfile is broken", async () => {
    const dir = project(`FROM ${base}\nRUN echo about to fail && exit 7\n`);
    const run = await build(dir, { image_name: `${registry.host}/group/broken` });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `ERROR: buildah could not build app/Dockerfile (context app): Error: building at STEP "RUN echo about to fail && exit 7": exit status 7`,
    );
    expect(run.stdout).toContain("Fix: fix the Dockerfile (dockerfile input)");
    expect(await registry.digest("group/broken", SHA)).toBeUndefined();
  });

  it("fails naming the FROM image when the base image cannot be pulled", async () => {
    const dir = project(`FROM ${registry.host}/base/missing:1\nRUN true\n`);
    const run = await build(dir, { image_name: `${registry.host}/group/orphan` });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`ERROR: buildah could not pull the base image of app/Dockerfile: `);
    expect(run.stderr).toContain(`${registry.host}/base/missing:1`);
    expect(run.stdout).toContain(
      `that their registry is reachable from the runner; the job logs in to ${registry.host} only`,
    );
  });

  it("says how to name the base image when a short name (FROM golang:1.22) resolves to no registry", async () => {
    // An image whose registries.conf defines no unqualified-search registry (Debian's default; the
    // tools image adds docker.io): buildah refuses the short name at once, before any network.
    const conf = path.join(mkdtempSync(path.join(tmpdir(), "gitops-registries-")), "registries.conf");
    writeFileSync(conf, "unqualified-search-registries = []\n");
    try {
      const run = await build(
        project("FROM golang:1.22\nRUN true\n"),
        { image_name: `${registry.host}/group/short` },
        { CONTAINERS_REGISTRIES_CONF: conf },
      );
      expect(run.code).toBe(5);
      expect(run.stderr).toContain(
        'ERROR: buildah could not pull the base image of app/Dockerfile: Error: creating build container: short-name "golang:1.22" did not resolve to an alias',
      );
      expect(run.stdout).toContain(
        "Fix: check the FROM image names (a short name such as golang:1.22 needs an unqualified-search registry",
      );
    } finally {
      rmSync(path.dirname(conf), { recursive: true, force: true });
    }
  });

  it("refuses a Dockerfile that does not exist, naming the dockerfile input", async () => {
    const dir = project();
    const run = await build(dir, { dockerfile: "Containerfile" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `ERROR: input dockerfile = "Containerfile": does not exist (looked for ${path.join(dir, "app", "Containerfile")})`,
    );
  });

  it("refuses an image_name that carries a tag, before logging in", async () => {
    const run = await build(project(), { image_name: `${registry.host}/${REPOSITORY}:v1` });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `ERROR: input image_name = "${registry.host}/${REPOSITORY}:v1": carries a tag or digest`,
    );
    expect(run.stdout).toContain("Fix: set image_name to a repository without tag or digest");
  });

  it("fails naming the registry and image_name when the registry cannot be reached", async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const run = await build(project(), { image_name: `${host}/group/app` });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(
      `ERROR: cannot log in to ${host}: image_name (${host}/group/app) could not be reached (`,
    );
    expect(run.stdout).toContain(`Fix: check image_name and that the server is up, then retry the job`);
  });

  it("fails naming the credential variables, never their values, when the registry refuses them", async () => {
    const wrong = "wrong-Passw0rd-for-the-registry";
    const run = await build(project(), {}, { CI_REGISTRY_PASSWORD: wrong });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(
      `ERROR: cannot log in to ${registry.host}: the server refused the credentials in CI_REGISTRY_USER and CI_REGISTRY_PASSWORD`,
    );
    expect(run.stdout).toContain(
      `Fix: check registry_user_variable and registry_password_variable: the credentials in CI_REGISTRY_USER and CI_REGISTRY_PASSWORD must be valid and unexpired, a user and password or token allowed to push to ${registry.host}/${REPOSITORY}`,
    );
    expect(run.output).not.toContain(wrong);
  });

  it("reads the credentials from the variables the inputs name", async () => {
    const run = await build(
      project(),
      { registry_user_variable: "DEPLOY_USER", registry_password_variable: "DEPLOY_TOKEN" },
      { DEPLOY_USER: USER, DEPLOY_TOKEN: "" },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'ERROR: input registry_password_variable = "DEPLOY_TOKEN": the CI/CD variable DEPLOY_TOKEN is missing or empty',
    );
  });

  it("never prints the registry password nor leaves it in the project", async () => {
    expect(outputs.length).toBeGreaterThan(5);
    for (const output of outputs) expect(output).not.toContain(PASSWORD);
    const files = projects.flatMap(function walk(dir: string): string[] {
      return readdirSync(dir).flatMap((name) =>
        statSync(path.join(dir, name)).isDirectory() ? walk(path.join(dir, name)) : [path.join(dir, name)],
      );
    });
    const encoded = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
    for (const file of files) {
      expect(readFileSync(file, "utf8"), file).not.toContain(PASSWORD);
      expect(readFileSync(file, "utf8"), file).not.toContain(encoded);
    }
    expect(files.some((f) => f.endsWith("gitops-build.env"))).toBe(true);
  });
});
