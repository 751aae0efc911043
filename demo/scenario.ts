/**
 * The whole GitOps flow on one machine: a git server playing GitLab, a registry, the Kubernetes
 * API stand-in, a stand-in for GitLab's record of deployments, this repository's templates
 * published as a catalog at the current version, and an application whose pipelines
 * `gitlab-ci-local` runs — merge request, merge, the merge commit's default-branch pipeline (build,
 * test, bump, staging, and the production preview's report), the manual production job refused
 * until staging has run the bump for `staging_soak`, the bump commit's pipeline (no job), a deploy
 * freeze refusing production, then the manual production job; a second change the same way; then
 * the rollback job, which reverts the second change on main, and the rollback commit's pipeline,
 * which promotes it through the same jobs (Flux wait, soak gate): production returns to the first
 * change's image. A simulated Flux (demo/flux.ts) applies what each environment branch receives;
 * the promotion jobs wait for it. After each step the state is read back from the servers and
 * checked, and every commit an environment branch receives is recorded with the image its
 * manifests name: only a change's bump (or the rollback commit) may reach an environment, with the
 * image expected, and every environment branch only moves forward, inside main. Everything started is stopped and
 * every temporary directory removed, also when a step fails.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { readVersion } from "../generator/catalog.ts";
import { pushBaseImage, temporaryStorage } from "../stand-ins/base-image.ts";
import { startGitServer, type GitServer } from "../stand-ins/git-server.ts";
import { startDeploymentsApi, type DeploymentsApi } from "../stand-ins/gitlab-deployments.ts";
import {
  createProject,
  gitlabCiLocal,
  publishCatalog,
  type PipelineRun,
  type Project,
} from "../harness/gitlab-ci-local.ts";
import { startKubeApi, type KubeApi } from "../stand-ins/kube-api.ts";
import { startSimulatedFlux, type FluxEvent, type SimulatedFlux } from "./flux.ts";
import { startRegistry, type TestRegistry } from "../stand-ins/registry.ts";
import { ROOT } from "../harness/templates.ts";

const exec = promisify(execFile);

/** One step of the demo: what ran, how long it took, what the servers hold afterwards. */
export interface DemoStep {
  name: string;
  ms: number;
  /** The state read back after the step, one line per fact. */
  state: string[];
}

/** A commit an environment branch received, and the image its manifests name. */
export interface Delivery {
  /** The environment branch. */
  branch: string;
  commit: string;
  /** The commit's title. */
  title: string;
  /** For a bump commit: the commit whose pipeline built the image (its GitOps-Source-Commit trailer). */
  bumpOf?: string;
  /** For a rollback commit: the environment head it undid (its GitOps-Rollback-From trailer). */
  rollbackOf?: string;
  /** The image `deploy/base/kustomization.yaml` names at that commit. */
  image: string;
  /** The step that moved the branch. */
  step: string;
}

/** What the demo observed. */
export interface DemoResult {
  steps: DemoStep[];
  /** Every commit each environment branch received, in order. */
  deliveries: Delivery[];
  /** Branch heads on the server at the end. */
  branches: Record<string, string | undefined>;
  /** The digest the registry serves for the image built on main (the first change's, which production returns to). */
  digest: string;
  /** The digest of the second change's image, which the rollback takes production away from. */
  secondDigest: string;
  /** The production preview's report (gitops-promotion-report.md) before each production promotion. */
  previews: string[];
  /** The manifests on main after the bump. */
  kustomization: string;
  /** Review namespaces left in the cluster at the end (none once stopped). */
  reviewNamespaces: string[];
  /** Every commit the simulated Flux applied, with the step it happened in. */
  reconciliations: Array<FluxEvent & { step: string }>;
}

/** Raised when an observed state is not what the flow promises. */
export class DemoAssertionFailed extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DemoAssertionFailed(message);
}

const APP = "group/app";
/** The manifests update-manifests bumps (the image every environment runs). */
const MANIFESTS = "deploy/base/kustomization.yaml";
const ENVIRONMENT_BRANCHES = ["_gitlab/agents/staging", "_gitlab/agents/production"] as const;
const TOKENS = {
  developer: "demo-developer-token-0001",
  staging: "demo-staging-token-0002",
  production: "demo-production-token-0003",
  manifests: "demo-manifests-token-0004",
  job: "demo-job-token-0006",
};
/** The GitLab project id the API stand-in answers for. */
const PROJECT_ID = "7";
const REGISTRY_AUTH = { username: "demo-ci", password: "demo-registry-password-0005" };
/** The agents of the staging and production clusters (one stand-in serves both) and their Flux Kustomizations. */
const AGENTS = { staging: "group/agents:staging", production: "group/agents:production" };
const FLUX = { staging: "flux-system/app-staging", production: "flux-system/app-production" };
/** How long staging must run a commit before production may receive it: short, so the demo waits it out. */
const STAGING_SOAK_S = 30;

/** Copies the demo application into `dir`, filling in the image name. */
function appFiles(imageName: string): Record<string, string> {
  const source = path.join(ROOT, "demo", "app");
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files[path.relative(source, full)] = readFileSync(full, "utf8").replaceAll("{{IMAGE_NAME}}", imageName);
    }
  };
  walk(source);
  return files;
}

/** The application's pipeline: every component by `component:` reference, pinned to `version`. */
function pipeline(
  component: (name: string) => string,
  options: { imageName: string; baseImage: string; agent: string },
): string {
  return `# The demo application's pipeline: the catalog's components, pinned.
stages: [build, test, review, deploy]

include:
  - component: ${component("build")}
    inputs:
      image_name: ${options.imageName}
      tls_verify: false
      build_args: ["BASE_IMAGE=${options.baseImage}"]
  - component: ${component("test")}
    inputs:
      script: ["sh ./test.sh"]
      junit: report.xml
  - component: ${component("review")}
    inputs:
      agent: ${options.agent}
      manifests: deploy/review
      image_name: ${options.imageName}
      domain: review.demo.test
  - component: ${component("update-manifests")}
    inputs:
      manifests: deploy/base/kustomization.yaml
      image_name: ${options.imageName}
  - component: ${component("promote-staging")}
    inputs:
      verify_agent: ${AGENTS.staging}
      flux_resource: ${FLUX.staging}
  - component: ${component("manual-production")}
    inputs:
      verify_agent: ${AGENTS.production}
      flux_resource: ${FLUX.production}
      staging_agent: ${AGENTS.staging}
      staging_flux_resource: ${FLUX.staging}
      staging_soak: ${STAGING_SOAK_S}s
  - component: ${component("preview-production")}
  - component: ${component("rollback")}
`;
}

/** Job names gitlab-ci-local reports as passed / failed in its summary. */
export function jobResults(run: PipelineRun): { passed: string[]; failed: string[] } {
  const passed = [...run.stdout.matchAll(/^ PASS {2}(\S+)/gm)].map((m) => m[1] as string);
  const failed = [...run.stdout.matchAll(/^ FAIL {2}(\S+)/gm)].map((m) => m[1] as string);
  return { passed, failed };
}

/** How to run the demo. */
export interface DemoOptions {
  /** Receives progress lines. */
  log?: (line: string) => void;
  /**
   * The catalog version the application pins (default: the version published, this checkout's).
   * Another value shows what a consumer with a wrong pin sees: the first pipeline fails.
   */
  pin?: string;
}

/** Runs the demo. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? (() => {});
  const cleanups: Array<() => unknown> = [];
  const steps: DemoStep[] = [];
  let server: GitServer | undefined;
  let registry: TestRegistry | undefined;
  let kube: KubeApi | undefined;
  let api: DeploymentsApi | undefined;
  let project: Project | undefined;
  let flux: SimulatedFlux | undefined;

  const deliveries: Delivery[] = [];
  const reconciliations: DemoResult["reconciliations"] = [];
  const step = async (name: string, body: () => Promise<string[]>) => {
    const start = performance.now();
    log(`▶ ${name}`);
    const state = await body();
    const ms = performance.now() - start;
    if (server) deliveries.push(...(await newDeliveries(server, deliveries, name)));
    if (flux)
      reconciliations.push(...flux.applied.slice(reconciliations.length).map((event) => ({ ...event, step: name })));
    steps.push({ name, ms, state });
    for (const line of state) log(`  ${line}`);
    log(`  (${(ms / 1000).toFixed(1)} s)`);
  };

  try {
    let catalogComponent: (name: string) => string = () => "";
    let gitConfig = "";
    let imageName = "";
    let env: NodeJS.ProcessEnv = {};
    const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), "gitops-demo-kube-")), "config");
    cleanups.push(() => rmSync(path.dirname(kubeconfig), { recursive: true, force: true }));
    const agent = "group/agents:review";

    await step(
      "start the git server, the registry, and the Kubernetes and GitLab API stand-ins (127.0.0.1 only)",
      async () => {
        server = await startGitServer();
        registry = await startRegistry({ auth: REGISTRY_AUTH });
        kube = await startKubeApi();
        kube.writeKubeconfig(kubeconfig, [agent, AGENTS.staging, AGENTS.production]);
        // GitLab's record of deployments and job artifacts, which the rollback job reads.
        api = await startDeploymentsApi({ projectId: PROJECT_ID, tokens: [TOKENS.manifests, TOKENS.job] });
        return [`git ${server.url}`, `registry ${registry.host}`, `kubernetes ${kube.url}`, `GitLab API ${api.apiUrl}`];
      },
    );
    const git = server as GitServer;
    const reg = registry as TestRegistry;
    const cluster = kube as KubeApi;
    const gitlab = api as DeploymentsApi;

    const version = readVersion(ROOT);
    await step(`publish the catalog ${version} and create the application`, async () => {
      const catalog = await publishCatalog(git, { version });
      cleanups.push(() => catalog.remove());
      catalogComponent =
        options.pin === undefined
          ? catalog.component
          : (name) => catalog.component(name).replace(/@[^@]+$/, `@${options.pin}`);
      gitConfig = catalog.gitConfig;
      const baseImage = await pushBaseImage(reg);
      imageName = `${reg.host}/${APP}`;
      git.createRepo(APP, {
        protect: [
          { pattern: "_gitlab/agents/staging", user: "staging-bot" },
          { pattern: "_gitlab/agents/production", user: "production-bot" },
        ],
      });
      git.addToken(TOKENS.developer, "developer");
      git.addToken(TOKENS.staging, "staging-bot");
      git.addToken(TOKENS.production, "production-bot");
      git.addToken(TOKENS.manifests, "manifests-bot");
      git.addToken(TOKENS.job, "gitlab-ci-token");
      const files = appFiles(imageName);
      files[".gitlab-ci.yml"] = pipeline(catalogComponent, { imageName, baseImage, agent });
      project = await createProject({ files, projectPath: APP, message: "initial application" });
      cleanups.push(() => project?.remove());
      flux = startSimulatedFlux(git, APP, cluster, [
        { environment: "staging", branch: ENVIRONMENT_BRANCHES[0], resource: FLUX.staging },
        { environment: "production", branch: ENVIRONMENT_BRANCHES[1], resource: FLUX.production },
      ]);
      cleanups.push(() => flux?.stop());
      await pushAs(project, git, "main");
      const storage = temporaryStorage();
      cleanups.push(() => storage.remove());
      env = {
        CONTAINERS_STORAGE_CONF: storage.file,
        STORAGE_DRIVER: "vfs",
        BUILDAH_ISOLATION: "chroot",
        KUBECONFIG: kubeconfig,
      };
      return [
        `catalog platform/gitops-components@${version} (templates/ of this checkout)`,
        `application ${APP} at ${short(git.branch(APP, "main"))}`,
        `base image ${baseImage}`,
      ];
    });
    const app = project as Project;
    const secrets = {
      CI_REGISTRY_USER: REGISTRY_AUTH.username,
      CI_REGISTRY_PASSWORD: REGISTRY_AUTH.password,
      GITOPS_STAGING_TOKEN: TOKENS.staging,
      GITOPS_PRODUCTION_TOKEN: TOKENS.production,
      GITOPS_MANIFESTS_TOKEN: TOKENS.manifests,
      CI_JOB_TOKEN: TOKENS.job,
      CI_API_V4_URL: gitlab.apiUrl,
      CI_PROJECT_ID: PROJECT_ID,
    };
    const run = async (args: string[], variables: Record<string, string> = {}) => {
      const result = await gitlabCiLocal(app, args, { gitConfig, variables: { ...secrets, ...variables }, env });
      for (const secret of [...Object.values(TOKENS), REGISTRY_AUTH.password])
        check(!result.stdout.includes(secret) && !result.stderr.includes(secret), "a secret appeared in a job log");
      return result;
    };

    let reviewNamespace = "";
    await step("merge request pipeline on feature/greeting: build → test → review deploy", async () => {
      await app.git("checkout", "-q", "-b", "feature/greeting");
      const sha = await app.commit("feat: greet louder", {
        "app.sh": '#!/bin/sh\necho "hello from the gitops demo app!"\n',
      });
      await pushAs(app, git, "feature/greeting");
      const result = await run([], {
        CI_PIPELINE_SOURCE: "merge_request_event",
        CI_MERGE_REQUEST_IID: "7",
        CI_COMMIT_BRANCH: "",
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feature/greeting",
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
      });
      const jobs = jobResults(result);
      check(result.code === 0 && jobs.failed.length === 0, `merge request pipeline failed:\n${tail(result)}`);
      check(
        ["build", "test", "review-deploy"].every((j) => jobs.passed.includes(j)),
        `expected build, test and review-deploy to pass, got ${jobs.passed.join(", ")}`,
      );
      check(
        !jobs.passed.some((j) => j.startsWith("promote") || j === "update-manifests"),
        "a merge request pipeline must not promote or bump",
      );
      const namespaces = cluster
        .list("namespaces")
        .map((n) => n.metadata.name)
        .filter((n) => n.startsWith("review-"));
      check(namespaces.length === 1, `expected one review namespace, got ${namespaces.join(", ")}`);
      reviewNamespace = namespaces[0] as string;
      const deployment = cluster.list("deployments", reviewNamespace)[0];
      const image =
        (deployment?.spec as { template: { spec: { containers: Array<{ image: string }> } } } | undefined)?.template
          .spec.containers[0]?.image ?? "";
      const digest = await reg.digest(APP, sha);
      check(
        digest && image === `${imageName}@${digest}`,
        `the review deployment runs ${image}, expected ${imageName}@${digest}`,
      );
      return [
        `jobs passed: ${jobs.passed.join(", ")}`,
        `image ${APP}:${short(sha)} → ${digest}`,
        `review namespace ${reviewNamespace} runs ${image}`,
      ];
    });

    await step("merge: the review stop job removes the namespace", async () => {
      const result = await run(["review-stop"], {
        CI_PIPELINE_SOURCE: "merge_request_event",
        CI_MERGE_REQUEST_IID: "7",
        CI_COMMIT_BRANCH: "",
      });
      check(result.code === 0, `review-stop failed:\n${tail(result)}`);
      check(
        !cluster.list("namespaces").some((n) => n.metadata.name === reviewNamespace),
        `namespace ${reviewNamespace} still exists`,
      );
      await app.git("checkout", "-q", "main");
      // GitLab's default merge commit message, which names the merge request (the promotion report reads it).
      await app.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        `Merge branch 'feature/greeting' into 'main'\n\nfeat: greet louder\n\nSee merge request ${APP}!7`,
        "feature/greeting",
      );
      await pushAs(app, git, "main");
      return [`namespace ${reviewNamespace} deleted`, `main at ${short(git.branch(APP, "main"))} (merge commit)`];
    });

    /** A file a job left as an artifact (gitlab-ci-local keeps each job's under .gitlab-ci-local/artifacts/<job>/). */
    const artifact = (job: string, file: string) => {
      const kept = [path.join(app.dir, ".gitlab-ci-local", "artifacts", job, file), path.join(app.dir, file)].find(
        (f) => existsSync(f),
      );
      check(kept, `${job} left no ${file}`);
      return readFileSync(kept, "utf8");
    };
    const previews: string[] = [];
    /** The production preview's report, kept and summed up in a few lines. */
    const preview = () => {
      const report = artifact("promote-production-preview", "gitops-promotion-report.md");
      previews.push(report);
      return report
        .split("\n")
        .filter((line) => /^(Dry run|Nothing moves|- `.*` `images)/.test(line))
        .map((line) => `preview-production: ${line}`);
    };
    /** GitLab's record of a production deployment: what the rollback job reads back. */
    let deployments = 0;
    const recordProductionDeployment = (pipelineCommit: string) => {
      const job = 9000 + ++deployments;
      gitlab.deploy({
        environment: "production",
        jobId: job,
        jobName: "promote-production",
        pipelineId: 100 + deployments,
        sha: pipelineCommit,
      });
      gitlab.artifacts.set(
        `${job}/gitops-promotion-report.md`,
        artifact("promote-production", "gitops-promotion-report.md"),
      );
    };

    let digest = "";
    let merge = "";
    let bump = "";
    await step(
      "default-branch pipeline of the merge commit: build → test → update-manifests (a bump commit) → promote-staging (the bump) → preview-production (the report of what production would receive)",
      async () => {
        merge = (await app.git("rev-parse", "HEAD")).trim();
        const result = await run([], commitVariables(await app.git("log", "-1", "--format=%B")));
        const jobs = jobResults(result);
        check(result.code === 0 && jobs.failed.length === 0, `default-branch pipeline failed:\n${tail(result)}`);
        check(
          ["build", "test", "update-manifests", "promote-staging", "promote-production-preview"].every((j) =>
            jobs.passed.includes(j),
          ),
          `expected build, test, update-manifests, promote-staging and promote-production-preview to pass, got ${jobs.passed.join(", ")}`,
        );
        digest = (await reg.digest(APP, merge)) ?? "";
        check(digest.startsWith("sha256:"), "the registry has no image for the merge commit");
        bump = git.branch(APP, "main") ?? "";
        check(bump && bump !== merge, "update-manifests pushed no commit to main");
        check(
          (await manifestsImage(git, bump)) === `${imageName}@${digest}`,
          `the manifests on main do not point at ${digest}`,
        );
        check(git.branch(APP, "_gitlab/agents/staging") === bump, "staging is not at the bump commit");
        check(appliedBy(flux, "staging", bump), "the simulated Flux did not apply the bump to staging");
        check(
          result.stdout.includes(`staging runs ${bump.slice(0, 12)}: Flux Kustomization ${FLUX.staging} applied`),
          `promote-staging did not wait for Flux:\n${tail(result)}`,
        );
        const summary = preview();
        check(
          previews[0]?.includes(`would create \`_gitlab/agents/production\` at \`${bump.slice(0, 12)}\``),
          `the production preview does not say production would be created at the bump ${short(bump)}`,
        );
        await assertEnvironmentsOnMain(git);
        return [
          `jobs passed: ${jobs.passed.join(", ")}`,
          `registry ${APP}:${short(merge)} → ${digest}`,
          `main at ${short(bump)}: "${await title(git, bump)}"`,
          ...summary,
          ...environmentState(git),
          `Flux (simulated) applied ${short(bump)} to staging; promote-staging ended (GitLab's deployment green) only then`,
        ];
      },
    );

    const productionJob = async (variables: Record<string, string> = {}) => {
      // The pipeline the user watched: its production job promotes the same bump.
      await app.git("reset", "-q", "--hard", merge);
      return run(["promote-production"], {
        ...commitVariables(await app.git("log", "-1", "--format=%B")),
        ...variables,
      });
    };

    await step(
      `the manual production job, played at once: refused, staging has not run the bump for staging_soak (${STAGING_SOAK_S} s)`,
      async () => {
        const result = await productionJob();
        const refusal = /staging has run \S+ \(or later\) since \S+, for [^;]+; staging_soak is \S+: [^.]+ left/.exec(
          result.stdout,
        )?.[0];
        check(refusal !== undefined, `promote-production was not refused for the soak:\n${tail(result)}`);
        check(git.branch(APP, "_gitlab/agents/production") === undefined, "production moved before staging soaked");
        return [refusal, ...environmentState(git)];
      },
    );

    await step("the bump commit's pipeline: no job (no build, no bump, no second deployment)", async () => {
      // The checkout moves to the bump commit, where GitLab runs its pipeline.
      await app.git("fetch", "-q", authUrl(git, TOKENS.developer), "main");
      await app.git("reset", "-q", "--hard", "FETCH_HEAD");
      const jobs = await pipelineJobs(run, await app.git("log", "-1", "--format=%B"));
      check(
        jobs.length === 0,
        `the bump commit's pipeline would run ${jobs.join(", ")}: a loop or a second deployment`,
      );
      return ["jobs: none", ...environmentState(git)];
    });

    await step("a deploy freeze (GitLab sets CI_DEPLOY_FREEZE): the production job refuses and says so", async () => {
      const result = await productionJob({ CI_DEPLOY_FREEZE: "true" });
      check(
        result.stdout.includes(
          "GitLab reports a deploy freeze (CI_DEPLOY_FREEZE): production is not promoted during a freeze",
        ),
        `promote-production did not refuse the freeze:\n${tail(result)}`,
      );
      check(git.branch(APP, "_gitlab/agents/production") === undefined, "production moved during a deploy freeze");
      return ["production refused: deploy freeze", ...environmentState(git)];
    });

    /** Waits until staging has run `commit` for staging_soak (the production gate's condition); says how long. */
    const soak = async (commit: string) => {
      const since = soakStart(flux as SimulatedFlux, commit);
      const remaining = since + STAGING_SOAK_S * 1000 + 1000 - Date.now();
      if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
      return `staging has run ${short(commit)}'s manifests since ${new Date(since).toISOString()} (Flux's history counts by manifests, not commit); waited ${Math.max(0, remaining / 1000).toFixed(1)} s more for staging_soak`;
    };

    await step(
      `staging runs the bump for staging_soak (${STAGING_SOAK_S} s, counted from Flux's status.history)`,
      async () => [await soak(bump)],
    );

    await step(
      "the manual production job of the merge commit's pipeline fast-forwards _gitlab/agents/production to the bump",
      async () => {
        const result = await productionJob();
        check(result.code === 0, `promote-production failed:\n${tail(result)}`);
        check(
          result.stdout.includes("Production gate passed:"),
          `promote-production did not check staging:\n${tail(result)}`,
        );
        check(git.branch(APP, "_gitlab/agents/production") === bump, "production is not at the bump commit");
        check(
          appliedBy(flux, "production", bump) && result.stdout.includes(`production runs ${bump.slice(0, 12)}`),
          `promote-production did not wait for Flux:\n${tail(result)}`,
        );
        recordProductionDeployment(merge);
        await assertEnvironmentsOnMain(git);
        return [
          ...environmentState(git),
          `Flux (simulated) applied ${short(bump)} to production; the job ended only then`,
          "every environment branch holds only commits that are on main",
        ];
      },
    );

    let secondDigest = "";
    let secondMerge = "";
    let secondBump = "";
    await step(
      "a second change, merged: its pipeline builds, bumps and promotes staging; preview-production shows production's image would change",
      async () => {
        await app.git("fetch", "-q", authUrl(git, TOKENS.developer), "main");
        await app.git("reset", "-q", "--hard", "FETCH_HEAD");
        await app.git("checkout", "-q", "-b", "feature/louder");
        await app.commit("feat: greet twice", {
          "app.sh": '#!/bin/sh\necho "hello from the gitops demo app!"\necho "hello from the gitops demo app, twice"\n',
        });
        await app.git("checkout", "-q", "main");
        await app.git(
          "merge",
          "-q",
          "--no-ff",
          "-m",
          `Merge branch 'feature/louder' into 'main'\n\nfeat: greet twice\n\nSee merge request ${APP}!8`,
          "feature/louder",
        );
        await pushAs(app, git, "main");
        secondMerge = (await app.git("rev-parse", "HEAD")).trim();
        const result = await run([], commitVariables(await app.git("log", "-1", "--format=%B")));
        const jobs = jobResults(result);
        check(result.code === 0 && jobs.failed.length === 0, `the second change's pipeline failed:\n${tail(result)}`);
        secondDigest = (await reg.digest(APP, secondMerge)) ?? "";
        check(
          secondDigest.startsWith("sha256:") && secondDigest !== digest,
          "the registry has no new image for the second change",
        );
        secondBump = git.branch(APP, "main") ?? "";
        check(
          git.branch(APP, "_gitlab/agents/staging") === secondBump && secondBump !== secondMerge,
          "staging is not at the second change's bump",
        );
        check(appliedBy(flux, "staging", secondBump), "the simulated Flux did not apply the second bump to staging");
        const summary = preview();
        check(
          previews[1]?.includes(`\`${imageName}@${digest}\` → \`${imageName}@${secondDigest}\``),
          "the production preview does not show production's image changing to the second change's",
        );
        check(previews[1]?.includes(`[${APP}!8]`), "the production preview does not name merge request !8");
        return [
          `jobs passed: ${jobs.passed.join(", ")}`,
          `registry ${APP}:${short(secondMerge)} → ${secondDigest}`,
          ...summary,
          ...environmentState(git),
        ];
      },
    );

    await step(
      "the manual production job of the second change's pipeline, once staging ran it for staging_soak: production gets the second image",
      async () => {
        const soaked = await soak(secondBump);
        await app.git("reset", "-q", "--hard", secondMerge);
        const result = await run(["promote-production"], commitVariables(await app.git("log", "-1", "--format=%B")));
        check(result.code === 0, `promote-production failed:\n${tail(result)}`);
        check(
          git.branch(APP, "_gitlab/agents/production") === secondBump,
          "production is not at the second change's bump",
        );
        check(
          appliedBy(flux, "production", secondBump),
          "the simulated Flux did not apply the second bump to production",
        );
        recordProductionDeployment(secondMerge);
        return [soaked, ...environmentState(git)];
      },
    );

    let rollback = "";
    await step(
      "rollback-production (manual): one commit on main reverts what production received in its last promotion",
      async () => {
        const result = await run(["rollback-production"], commitVariables(await app.git("log", "-1", "--format=%B")));
        check(result.code === 0, `rollback-production failed:\n${tail(result)}`);
        rollback = git.branch(APP, "main") ?? "";
        check(
          rollback !== secondBump && (await inRepo(git, "log", "-1", "--format=%P", rollback)) === secondBump,
          "the rollback job pushed no commit on top of main",
        );
        check(
          (await title(git, rollback)).includes("[gitops-rollback]"),
          "the rollback commit's title has no [gitops-rollback] marker",
        );
        check(
          (await manifestsImage(git, rollback)) === `${imageName}@${digest}`,
          "the rollback commit's manifests do not name the first change's image",
        );
        check(git.branch(APP, "_gitlab/agents/production") === secondBump, "the rollback job moved production itself");
        return [
          `main at ${short(rollback)}: "${await title(git, rollback)}"`,
          `its manifests name ${imageName}@${digest} again`,
          ...environmentState(git),
        ];
      },
    );

    await step("the rollback commit's pipeline: no build, no bump; promote-staging moves staging to it", async () => {
      await app.git("fetch", "-q", authUrl(git, TOKENS.developer), "main");
      await app.git("reset", "-q", "--hard", "FETCH_HEAD");
      const message = await app.git("log", "-1", "--format=%B");
      const planned = await pipelineJobs(run, message);
      check(
        !planned.some((j) => ["build", "test", "update-manifests"].includes(j)),
        `the rollback commit's pipeline would build or bump (${planned.join(", ")}), undoing the rollback`,
      );
      const result = await run([], commitVariables(message));
      const jobs = jobResults(result);
      check(
        result.code === 0 && jobs.failed.length === 0 && jobs.passed.includes("promote-staging"),
        `the rollback commit's pipeline failed:\n${tail(result)}`,
      );
      check(git.branch(APP, "_gitlab/agents/staging") === rollback, "staging is not at the rollback commit");
      check(appliedBy(flux, "staging", rollback), "the simulated Flux did not apply the rollback commit to staging");
      return [
        `jobs passed: ${jobs.passed.join(", ")}`,
        ...environmentState(git),
        `Flux (simulated) applied ${short(rollback)} to staging; promote-staging waited for it as for any change`,
      ];
    });

    await step(
      "the manual production job of the rollback commit's pipeline, once staging ran it for staging_soak: production returns to the first image",
      async () => {
        const soaked = await soak(rollback);
        const result = await run(["promote-production"], commitVariables(await app.git("log", "-1", "--format=%B")));
        check(result.code === 0, `promote-production failed:\n${tail(result)}`);
        check(
          result.stdout.includes("Production gate passed:"),
          `promote-production did not check staging:\n${tail(result)}`,
        );
        check(git.branch(APP, "_gitlab/agents/production") === rollback, "production is not at the rollback commit");
        check(
          appliedBy(flux, "production", rollback),
          "the simulated Flux did not apply the rollback commit to production",
        );
        recordProductionDeployment(rollback);
        await assertEnvironmentsOnMain(git);
        return [
          soaked,
          ...environmentState(git),
          `Flux (simulated) applied ${short(rollback)} to production`,
          "every environment branch holds only commits that are on main",
        ];
      },
    );

    // Each environment received each change's bump, naming the image built for that change, then the rollback commit naming the first image again.
    const expected = [
      { bumpOf: merge, image: digest },
      { bumpOf: secondMerge, image: secondDigest },
      { rollbackOf: secondBump, image: digest },
    ];
    for (const branch of ENVIRONMENT_BRANCHES) {
      const received = deliveries.filter((d) => d.branch === branch);
      check(
        received.length === expected.length,
        `${branch} received ${received.length} commits, expected ${expected.length}`,
      );
      received.forEach((delivery, i) => {
        const want = expected[i] as (typeof expected)[number];
        check(
          delivery.commit !== merge && delivery.commit !== secondMerge,
          `${branch} received a merge commit, whose manifests name the previous image`,
        );
        check(
          want.bumpOf ? delivery.bumpOf === want.bumpOf : delivery.rollbackOf === want.rollbackOf,
          `${branch} received ${short(delivery.commit)} ("${delivery.title}"), not the commit expected at that point`,
        );
        check(
          delivery.image === `${imageName}@${want.image}`,
          `${branch} received ${short(delivery.commit)}, whose manifests name ${delivery.image} instead of ${imageName}@${want.image}`,
        );
      });
      // Only forward: each commit the branch received contains the one before.
      for (let i = 1; i < received.length; i++)
        check(
          await isAncestor(git, (received[i - 1] as Delivery).commit, (received[i] as Delivery).commit),
          `${branch} moved backwards from ${short(received[i - 1]?.commit)} to ${short(received[i]?.commit)}`,
        );
    }

    const kustomization = await inRepo(git, "show", `${bump}:${MANIFESTS}`);
    return {
      steps,
      deliveries,
      branches: Object.fromEntries(
        ["main", "_gitlab/agents/staging", "_gitlab/agents/production"].map((b) => [b, git.branch(APP, b)]),
      ),
      digest,
      secondDigest,
      previews,
      kustomization,
      reviewNamespaces: cluster
        .list("namespaces")
        .map((n) => n.metadata.name)
        .filter((n) => n.startsWith("review-")),
      reconciliations,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Keep cleaning up the rest.
      }
    }
    await Promise.allSettled([server?.close(), registry?.stop(), kube?.close(), api?.close()]);
  }
}

/** Did the simulated Flux apply `commit` to `environment`? */
function appliedBy(flux: SimulatedFlux | undefined, environment: string, commit: string): boolean {
  return flux?.applied.some((e) => e.environment === environment && e.commit === commit) ?? false;
}

/** When staging first ran `commit` successfully, from its Kustomization's status.history (what the production gate reads). */
function soakStart(flux: SimulatedFlux, commit: string): number {
  const history =
    (
      flux.kustomization("staging").object().status as {
        history?: Array<{ firstReconciled: string; metadata: { revision: string } }>;
      }
    ).history ?? [];
  const entry = history.find((e) => e.metadata.revision.endsWith(`@sha1:${commit}`));
  check(entry, `staging's Flux history has no entry for ${short(commit)}`);
  return Date.parse(entry.firstReconciled);
}

function short(sha: string | undefined): string {
  return sha ? sha.slice(0, 8) : "(none)";
}

function tail(run: PipelineRun): string {
  return `${run.stdout}\n${run.stderr}`.split("\n").slice(-40).join("\n");
}

/** The jobs a pipeline of the commit with this message would run (`when: never` left out). */
async function pipelineJobs(
  run: (args: string[], variables?: Record<string, string>) => Promise<PipelineRun>,
  message: string,
): Promise<string[]> {
  const listed = await run(["--list-json"], commitVariables(message));
  check(listed.code === 0, `gitlab-ci-local could not list the pipeline:\n${tail(listed)}`);
  return (JSON.parse(listed.stdout.slice(listed.stdout.indexOf("["))) as Array<{ name: string; when: string }>)
    .filter((j) => j.when !== "never")
    .map((j) => j.name);
}

/** gitlab-ci-local does not read the commit message; rules on the title need the real one. */
function commitVariables(message: string): Record<string, string> {
  const text = message.trim();
  return { CI_COMMIT_TITLE: text.split("\n")[0] ?? "", CI_COMMIT_MESSAGE: text };
}

function authUrl(server: GitServer, token: string): string {
  return `${server.url.replace("http://", `http://developer:${token}@`)}/${APP}.git`;
}

async function pushAs(project: Project, server: GitServer, branch: string): Promise<void> {
  await project.git("push", "-q", authUrl(server, TOKENS.developer), `HEAD:refs/heads/${branch}`);
}

function environmentState(server: GitServer): string[] {
  return ["main", "_gitlab/agents/staging", "_gitlab/agents/production"].map(
    (b) => `${b.padEnd(26)} ${short(server.branch(APP, b))}`,
  );
}

/** Runs git in the application's repository on the server. */
async function inRepo(server: GitServer, ...args: string[]): Promise<string> {
  return (await exec("git", args, { cwd: path.join(server.root, `${APP}.git`) })).stdout.trim();
}

async function title(server: GitServer, sha: string): Promise<string> {
  return inRepo(server, "log", "-1", "--format=%s", sha);
}

/** The image the manifests name at `sha` (`images:` entry: name, then digest or newTag). */
async function manifestsImage(server: GitServer, sha: string): Promise<string> {
  const text = await inRepo(server, "show", `${sha}:${MANIFESTS}`);
  const name = /^\s*- name: (\S+)/m.exec(text)?.[1] ?? "?";
  const digest = /^\s*digest: "?(sha256:[0-9a-f]{64})"?/m.exec(text)?.[1];
  const tag = /^\s*newTag: "?([^"\s#]+)"?/m.exec(text)?.[1];
  return digest ? `${name}@${digest}` : `${name}:${tag ?? "?"}`;
}

/** The environment branches' moves since `known`: each new head, with its title and the image its manifests name. */
async function newDeliveries(server: GitServer, known: readonly Delivery[], step: string): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for (const branch of ENVIRONMENT_BRANCHES) {
    const head = server.branch(APP, branch);
    const last = [...known].reverse().find((d) => d.branch === branch);
    if (!head || head === last?.commit) continue;
    const bumpOf = await inRepo(server, "log", "-1", "--format=%(trailers:key=GitOps-Source-Commit,valueonly)", head);
    const rollbackOf = await inRepo(
      server,
      "log",
      "-1",
      "--format=%(trailers:key=GitOps-Rollback-From,valueonly)",
      head,
    );
    out.push({
      branch,
      commit: head,
      title: await title(server, head),
      ...(bumpOf ? { bumpOf } : {}),
      ...(rollbackOf ? { rollbackOf } : {}),
      image: await manifestsImage(server, head),
      step,
    });
  }
  return out;
}

/** Is `a` an ancestor of (or equal to) `b` in the application's repository on the server? */
async function isAncestor(server: GitServer, a: string, b: string): Promise<boolean> {
  return exec("git", ["merge-base", "--is-ancestor", a, b], { cwd: path.join(server.root, `${APP}.git`) }).then(
    () => true,
    () => false,
  );
}

/** Every environment branch holds only commits that are on main (its head is an ancestor of main). */
async function assertEnvironmentsOnMain(server: GitServer): Promise<void> {
  const repo = path.join(server.root, `${APP}.git`);
  for (const branch of ["_gitlab/agents/staging", "_gitlab/agents/production"]) {
    const head = server.branch(APP, branch);
    if (!head) continue;
    const onMain = await exec("git", ["merge-base", "--is-ancestor", head, "refs/heads/main"], { cwd: repo }).then(
      () => true,
      () => false,
    );
    check(onMain, `${branch} (${short(head)}) holds a commit that is not on main`);
  }
}

/** A compact timeline of the steps, then which commit each environment received, which image its manifests name, and when Flux applied it. */
export function timeline(
  steps: DemoStep[],
  deliveries: readonly Delivery[] = [],
  reconciliations: DemoResult["reconciliations"] = [],
): string {
  const total = steps.reduce((sum, s) => sum + s.ms, 0);
  const lines = steps.map((s) => {
    const moved = deliveries
      .filter((d) => d.step === s.name)
      .map(
        (d) =>
          `\n          → ${d.branch} received ${short(d.commit)} (${d.bumpOf ? `the bump for ${short(d.bumpOf)}` : d.rollbackOf ? `the rollback of ${short(d.rollbackOf)}` : `"${d.title}"`}), whose manifests name ${d.image}`,
      );
    const applied = reconciliations
      .filter((r) => r.step === s.name)
      .map(
        (r) =>
          `\n          → Flux (simulated) applied ${short(r.commit)} to ${r.environment}; the promotion job waited for it`,
      );
    return `${(s.ms / 1000).toFixed(1).padStart(6)} s  ${s.name}${moved.join("")}${applied.join("")}`;
  });
  return [...lines, `${(total / 1000).toFixed(1).padStart(6)} s  total`].join("\n");
}
