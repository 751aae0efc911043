/**
 * `build` and `test` together in a consumer pipeline run by gitlab-ci-local (shell executor), both
 * included by `component:` reference at a published catalog version: the image is built with
 * buildah into a loopback registry, and the test job receives it through build's dotenv report.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { pushBaseImage, temporaryStorage } from "../../stand-ins/base-image.ts";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import {
  createProject,
  gitlabCiLocal,
  publishCatalog,
  type Project,
  type PublishedCatalog,
} from "../../harness/gitlab-ci-local.ts";
import { startRegistry, type TestRegistry } from "../../stand-ins/registry.ts";
import { requireTools } from "../support/tools.ts";

const PASSWORD = "pipeline-Registry-Passw0rd-93d1";

describe.skipIf(!requireTools("git", "rsync", "buildah", "skopeo", "docker-registry", "busybox", "htpasswd"))(
  "build and test in a pipeline",
  () => {
    let server: GitServer;
    let catalog: PublishedCatalog;
    let registry: TestRegistry;
    let base: string;
    let storage: ReturnType<typeof temporaryStorage>;
    const projects: Project[] = [];

    beforeAll(async () => {
      server = await startGitServer();
      catalog = await publishCatalog(server, { version: "1.2.0" });
      registry = await startRegistry({ auth: { username: "pipeline", password: PASSWORD } });
      base = await pushBaseImage(registry);
      storage = temporaryStorage();
    }, 120_000);

    afterAll(async () => {
      for (const p of projects) p.remove();
      catalog?.remove();
      await server?.close();
      await registry?.stop();
      storage?.remove();
    });

    /** A consumer project including build (with `buildInputs`) and test. */
    async function consumer(buildInputs: Record<string, unknown>, branch = "main"): Promise<Project> {
      const ci = {
        include: [
          {
            component: catalog.component("build"),
            inputs: { image_name: `${registry.host}/group/app`, tls_verify: false, ...buildInputs },
          },
          {
            component: catalog.component("test"),
            inputs: { script: ['echo "testing image $GITOPS_IMAGE"', "test -f /etc/hostname"] },
          },
        ],
      };
      const project = await createProject({
        files: { ".gitlab-ci.yml": stringify(ci), Dockerfile: `FROM ${base}\nRUN echo built > /built.txt\n` },
        branch,
      });
      projects.push(project);
      return project;
    }

    const variables = { CI_REGISTRY_USER: "pipeline", CI_REGISTRY_PASSWORD: PASSWORD };

    it("builds and pushes the image, and the test job runs with the digest build reported", async () => {
      const project = await consumer({ tags: ["$CI_COMMIT_SHA", "main"], build_args: ["FLAVOUR=plain"] });
      const sha = await project.git("rev-parse", "HEAD");
      const run = await gitlabCiLocal(project, [], {
        gitConfig: catalog.gitConfig,
        variables,
        env: { CONTAINERS_STORAGE_CONF: storage.file },
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const digest = await registry.digest("group/app", sha);
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await registry.digest("group/app", "main")).toBe(digest);
      // gitlab-ci-local pads job names: "test  > …".
      expect(run.stdout).toMatch(new RegExp(`test\\s+> testing image ${registry.host}/group/app@${digest}\n`));
      expect(run.stdout).toContain("[Warning] one or more build args were not consumed: [FLAVOUR]");
      expect(run.stdout).toMatch(/PASS\s+build/);
      expect(run.stdout).toMatch(/PASS\s+test/);
      expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    }, 120_000);

    it("passes array inputs to the build script intact (a bad tag is reported by its value)", async () => {
      const project = await consumer({ tags: ["fine-tag", "not a tag"] });
      const run = await gitlabCiLocal(project, ["build"], {
        gitConfig: catalog.gitConfig,
        variables,
        env: { CONTAINERS_STORAGE_CONF: storage.file },
      });
      expect(run.code).not.toBe(0);
      expect(run.stdout + run.stderr).toContain('ERROR: input tags = "not a tag": is not a valid image tag');
    });

    describe("rules", () => {
      let project: Project;
      beforeAll(async () => {
        project = await consumer({});
      });

      async function jobs(extra: Record<string, string>): Promise<string[]> {
        const run = await gitlabCiLocal(project, ["--list-json"], { gitConfig: catalog.gitConfig, variables: extra });
        expect(run.code, run.stderr).toBe(0);
        const listed = JSON.parse(run.stdout.slice(run.stdout.indexOf("["))) as Array<{ name: string; when: string }>;
        return listed
          .filter((j) => j.when !== "never")
          .map((j) => j.name)
          .sort();
      }

      it("run in default-branch pipelines", async () => {
        expect(await jobs({ CI_COMMIT_TITLE: "Add a feature" })).toEqual(["build", "test"]);
      });

      it("run in merge-request pipelines", async () => {
        expect(
          await jobs({
            CI_COMMIT_TITLE: "Add a feature",
            CI_COMMIT_BRANCH: "",
            CI_PIPELINE_SOURCE: "merge_request_event",
          }),
        ).toEqual(["build", "test"]);
      });

      it("never run for update-manifests' bump commit", async () => {
        expect(await jobs({ CI_COMMIT_TITLE: "Deploy group/app@sha256:0123 [gitops-bump]" })).toEqual([]);
      });

      it("do not run in pipelines of other branches", async () => {
        expect(await jobs({ CI_COMMIT_TITLE: "Add a feature", CI_COMMIT_BRANCH: "feature/x" })).toEqual([]);
      });
    });
  },
);
