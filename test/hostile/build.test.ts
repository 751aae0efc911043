/**
 * Hostile values and situations for build, run as it ships (the script embedded in
 * templates/build) with Debian's buildah against a real registry on loopback. Each case must fail,
 * name the input or variable, print the fix, push nothing (and, where the value or the checkout
 * alone is wrong, send the registry no request at all), build nothing from outside the project,
 * run no injected text, and leave the registry password in no output and no file.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushBaseImage, temporaryStorage } from "../../stand-ins/base-image.ts";
import { expectNoSecret, expectRefusal } from "../support/hostile.ts";
import { freePort, startRegistry, type TestRegistry } from "../../stand-ins/registry.ts";
import { runTemplateJob } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

const SHA = "3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
const USER = "ci-pusher";
const PASSWORD = "s3cret-Registry-hostile-Passw0rd";
const INJECTIONS = ["$(touch $CANARY)", "`touch $CANARY`", "x; touch $CANARY", "x\ntouch $CANARY", "--output=$CANARY"];

interface Situation {
  inputs?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Symbolic links in the project: path -> target (`{outside}` is a directory outside the project with its own Dockerfile). */
  links?: Record<string, string>;
  /** The application's Dockerfile, given the base image. */
  dockerfile?: (base: string) => string;
}

describe.skipIf(!requireTools("buildah", "skopeo", "docker-registry", "busybox", "htpasswd"))(
  "build refuses hostile values and situations",
  () => {
    let registry: TestRegistry;
    let base: string;
    let storage: ReturnType<typeof temporaryStorage>;
    let scratch: string;
    let n = 0;

    beforeAll(async () => {
      registry = await startRegistry({ auth: { username: USER, password: PASSWORD } });
      base = await pushBaseImage(registry);
      storage = temporaryStorage();
      scratch = mkdtempSync(path.join(tmpdir(), "gitops-hostile-build-"));
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
      storage?.remove();
      rmSync(scratch, { recursive: true, force: true });
    });

    /** The registry's access-log lines so far (one per HTTP request). */
    const registryRequests = () =>
      registry
        .log()
        .split("\n")
        .filter((line) => / HTTP\/1\.1" \d{3} /.test(line)).length;

    async function run(situation: Situation) {
      const root = path.join(scratch, String(++n));
      const [project, outside, tmp] = ["project", "outside", "tmp"].map((d) => path.join(root, d)) as [
        string,
        string,
        string,
      ];
      for (const dir of [path.join(project, "app"), outside, tmp]) mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(project, "app", "Dockerfile"),
        situation.dockerfile?.(base) ?? `FROM ${base}\nARG GREETING=none\nRUN echo "$GREETING" > /greeting\n`,
      );
      // What a build from outside would send: the runner's files.
      writeFileSync(path.join(outside, "Dockerfile"), `FROM ${base}\nCOPY runner-secret.txt /stolen\n`);
      writeFileSync(path.join(outside, "runner-secret.txt"), "runner-only-secret\n");
      for (const [link, target] of Object.entries(situation.links ?? {}))
        symlinkSync(target.replace("{outside}", outside), path.join(project, link));
      const repository = `hostile/app-${n}`;
      const before = registryRequests();
      const job = await runTemplateJob({
        component: "build",
        cwd: project,
        inputs: {
          context: "app",
          image_name: `${registry.host}/${repository}`,
          tls_verify: false,
          ...situation.inputs,
        },
        env: {
          CI_COMMIT_SHA: SHA,
          CI_REGISTRY_USER: USER,
          CI_REGISTRY_PASSWORD: PASSWORD,
          CONTAINERS_STORAGE_CONF: storage.file,
          TMPDIR: tmp,
          CANARY: path.join(root, "canary"),
          OUTSIDE: outside,
          ...situation.env,
        },
      });
      return {
        job,
        requests: registryRequests() - before,
        repository,
        project,
        tmp,
        canary: existsSync(path.join(root, "canary")),
      };
    }

    async function expectNothingPushed(r: Awaited<ReturnType<typeof run>>): Promise<void> {
      expect(await registry.digest(r.repository, SHA)).toBeUndefined();
      expect(existsSync(path.join(r.project, "gitops-build.env"))).toBe(false);
      expect(r.canary).toBe(false);
      expectNoSecret(r.job, [PASSWORD, "runner-only-secret"], [r.project, r.tmp]);
    }

    describe("refused from the value alone, before any request to the registry", () => {
      it.each<{ name: string; names: string; situation: Situation }>([
        {
          name: "a context leaving the project (../x)",
          names: 'input context = "../outside": resolves to',
          situation: { inputs: { context: "../outside" } },
        },
        {
          name: "an absolute context through a variable",
          names: 'input context = "',
          situation: { inputs: { context: "$OUTSIDE" } },
        },
        {
          name: "a context that is a link out of the project",
          names: 'input context = "linked": resolves to',
          situation: { inputs: { context: "linked" }, links: { linked: "{outside}" } },
        },
        {
          name: "a dockerfile leaving the project",
          names: 'input dockerfile = "../../outside/Dockerfile": resolves to',
          situation: { inputs: { dockerfile: "../../outside/Dockerfile" } },
        },
        {
          name: "an absolute dockerfile through a variable",
          names: "input dockerfile",
          situation: { inputs: { dockerfile: "$OUTSIDE/Dockerfile" } },
        },
        {
          name: "a dockerfile that is a link out of the project",
          names: 'input dockerfile = "../linked-dockerfile": resolves to',
          situation: {
            inputs: { dockerfile: "../linked-dockerfile" },
            links: { "linked-dockerfile": "{outside}/Dockerfile" },
          },
        },
        {
          name: "image_name with an upper-case path",
          names: "input image_name",
          situation: { inputs: { image_name: "127.0.0.1:5000/Group/App" } },
        },
        {
          name: "image_name with a .. component",
          names: "input image_name",
          situation: { inputs: { image_name: "127.0.0.1:5000/group/../app" } },
        },
        {
          name: "image_name with a digest",
          names: "input image_name",
          situation: { inputs: { image_name: `127.0.0.1:5000/group/app@sha256:${"a".repeat(64)}` } },
        },
        { name: "a tag starting with -", names: 'input tags = "-x"', situation: { inputs: { tags: ["-x"] } } },
        { name: "a tag of 129 characters", names: "input tags", situation: { inputs: { tags: ["v".repeat(129)] } } },
        {
          name: "a build argument that is not KEY=VALUE",
          names: 'input build_args = "--network=host"',
          situation: { inputs: { build_args: ["--network=host"] } },
        },
        {
          name: "a registry_user_variable that is no variable name",
          names: "input registry_user_variable",
          situation: { inputs: { registry_user_variable: "A;touch $CANARY" } },
        },
        {
          name: "a registry_password_variable that is no variable name",
          names: "input registry_password_variable",
          situation: { inputs: { registry_password_variable: "$(touch $CANARY)" } },
        },
        {
          name: "an empty password variable",
          names: 'input registry_password_variable = "CI_REGISTRY_PASSWORD"',
          situation: { env: { CI_REGISTRY_PASSWORD: "" } },
        },
        ...INJECTIONS.map((payload) => ({
          name: `an injection in image_name: ${payload}`,
          names: "input image_name",
          situation: { inputs: { image_name: payload } },
        })),
        ...INJECTIONS.map((payload) => ({
          name: `an injection in tags: ${payload}`,
          names: "input tags",
          situation: { inputs: { tags: [payload] } },
        })),
        ...INJECTIONS.map((payload) => ({
          name: `an injection in context: ${payload}`,
          names: "input context",
          situation: { inputs: { context: payload } },
        })),
        ...INJECTIONS.map((payload) => ({
          name: `an injection in dockerfile: ${payload}`,
          names: "input dockerfile",
          situation: { inputs: { dockerfile: payload } },
        })),
      ])("$name", async ({ names, situation }) => {
        const r = await run(situation);
        expectRefusal(r.job, names);
        expect(r.requests).toBe(0);
        await expectNothingPushed(r);
      });
    });

    describe("remote failures name the input or variable and the fix", () => {
      it.each<{ name: string; names: string; fix: string; situation: Situation }>([
        {
          name: "a wrong password",
          names: "the server refused the credentials in CI_REGISTRY_USER and CI_REGISTRY_PASSWORD",
          fix: "Fix: check registry_user_variable and registry_password_variable: the credentials in CI_REGISTRY_USER and CI_REGISTRY_PASSWORD must be valid and unexpired",
          situation: { env: { CI_REGISTRY_PASSWORD: "wrong-Passw0rd-hostile" } },
        },
        {
          name: "a foreign user (another registry's credentials)",
          names: "the server refused the credentials in OTHER_USER and OTHER_TOKEN",
          fix: "Fix: check registry_user_variable and registry_password_variable: the credentials in OTHER_USER and OTHER_TOKEN",
          situation: {
            inputs: { registry_user_variable: "OTHER_USER", registry_password_variable: "OTHER_TOKEN" },
            env: { OTHER_USER: "gitlab-ci-token", OTHER_TOKEN: "glcbt-64_another-registry-token" },
          },
        },
      ])("$name", async ({ names, fix, situation }) => {
        const r = await run(situation);
        expectRefusal(r.job, names);
        expect(r.job.stdout).toContain(fix);
        // The registry's log does count requests: this refusal came from it.
        expect(r.requests).toBeGreaterThan(0);
        await expectNothingPushed(r);
        expectNoSecret(r.job, ["glcbt-64_another-registry-token", "wrong-Passw0rd-hostile"], [r.project, r.tmp]);
      });

      it("a registry that cannot be reached names image_name", async () => {
        const host = `127.0.0.1:${await freePort()}`;
        const r = await run({ inputs: { image_name: `${host}/group/app` } });
        expectRefusal(r.job, `image_name (${host}/group/app) could not be reached`);
        expect(r.job.stdout).toContain("Fix: check image_name and that the server is up, then retry the job");
        await expectNothingPushed(r);
      });
    });

    // buildah's copier resolves paths chrooted into the context, so a link to /x there means <context>/x.
    it("sends no file from outside the project through a link inside the context (buildah resolves it within the context)", async () => {
      const r = await run({
        links: { "app/secret-link": "{outside}/runner-secret.txt" },
        dockerfile: (image) => `FROM ${image}\nCOPY secret-link /copied\nRUN cat /copied\n`,
      });
      expect(r.job.code).toBe(2);
      expect(r.job.stderr).toContain(
        'ERROR: buildah could not build app/Dockerfile (context app): Error: building at STEP "COPY secret-link /copied"',
      );
      // buildah's copier resolves the link inside the context and fails to find the target there;
      // depending on which of its processes reports first, the error is the lstat or the copier's
      // broken pipe (seen under load). Either way the step fails and the secret is never read.
      expect(r.job.stderr).toMatch(
        /lstat \S*outside\/runner-secret\.txt: no such file or directory|copier subprocess: (write \S+: )?broken pipe/,
      );
      expect(r.job.output).not.toContain("runner-only-secret");
      await expectNothingPushed(r);
    }, 120_000);

    it("carries free text (a build argument's value) literally, never running it on the runner", async () => {
      const r = await run({ inputs: { build_args: ["GREETING=$(touch $CANARY) `touch $CANARY`; touch $CANARY"] } });
      expect(r.job.code, r.job.output).toBe(0);
      expect(r.canary).toBe(false);
      expectNoSecret(r.job, [PASSWORD], [r.project, r.tmp]);
    }, 120_000);
  },
);
