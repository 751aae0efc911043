/**
 * Verified deployments, as they ship: promote-staging and manual-production run from their
 * generated templates against the loopback git server, with real kubectl reading Flux
 * Kustomizations from the Kubernetes API stand-in through two agent contexts (staging, production).
 * A tiny Flux, driven by kubectl's own reads, follows the environment branch: the first read after
 * the branch moved finds the new commit fetched and reconciling, the next one applied (or failed,
 * as the test says). The job scripts run on virtual time (test/support/fake-clock.mjs): they poll
 * every few seconds for minutes, and no test sleeps.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fakeClockEnv } from "../support/fake-clock.ts";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { SimulatedKustomization } from "../../stand-ins/kube-api-flux.ts";
import { startKubeApi, type KubeApi } from "../../stand-ins/kube-api.ts";
import { requireTools } from "../support/tools.ts";
import { PRODUCTION, Project, PROMOTER, promote, STAGING } from "./history.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;
const STAGING_AGENT = "group/agents:staging";
const PRODUCTION_AGENT = "group/agents:production";
const MINUTE = 60_000;

/** What the tiny Flux does with a commit it fetched. */
type Outcome = { apply: true } | { fail: [reason: string, message: string] } | { ignore: true };

/** Makes `flux` follow its branch on `project`, one step per kubectl read of the object. */
function follow(api: KubeApi, project: Project, flux: SimulatedKustomization, outcome: () => Outcome): void {
  let handled = project.branch(flux.branch);
  let fetched: string | undefined;
  const previous = api.onRequest;
  api.onRequest = (request) => {
    previous?.(request);
    if (request.method !== "GET" || !request.path.endsWith(`/namespaces/${flux.namespace}/kustomizations/${flux.name}`))
      return;
    const head = project.branch(flux.branch);
    const next = outcome();
    if (head === undefined || head === handled || "ignore" in next) return;
    if (fetched !== head) {
      fetched = head;
      flux.progressing(head);
      return;
    }
    handled = head;
    if ("apply" in next) flux.applied(head);
    else flux.failed(head, ...next.fail);
  };
}

describe.skipIf(!requireTools("git", "kubectl"))("verified deployments", () => {
  let server: GitServer;
  let api: KubeApi;
  let project: Project;
  let main: string[];
  let dir: string;
  let kubeconfig: string;
  let staging: SimulatedKustomization;
  let production: SimulatedKustomization;
  let n = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
    dir = mkdtempSync(path.join(tmpdir(), "gitops-verify-"));
  });
  afterAll(async () => {
    await Promise.all([server?.close(), api?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await api?.close();
    api = await startKubeApi();
    kubeconfig = path.join(dir, `kubeconfig-${++n}`);
    api.writeKubeconfig(kubeconfig, [STAGING_AGENT, PRODUCTION_AGENT]);
    project = new Project(server, `group/app-${n}`);
    main = await project.chain(undefined, 4);
    await project.setBranch("main", at(3));
    await project.setBranch(STAGING, at(1));
    await project.setBranch(PRODUCTION, at(0));
    staging = new SimulatedKustomization(api, {
      namespace: "flux-system",
      name: "app-staging",
      branch: STAGING,
    }).applied(at(1), { at: new Date(Date.now() - 3 * 60 * MINUTE) });
    production = new SimulatedKustomization(api, {
      namespace: "flux-system",
      name: "app-production",
      branch: PRODUCTION,
    }).applied(at(0), { at: new Date(Date.now() - 9 * 60 * MINUTE) });
  });

  const at = (i: number) => main[i] as string;
  const short = (i: number) => at(i).slice(0, 12);
  const kubeEnv = (offsetMs = 0) => ({ KUBECONFIG: kubeconfig, ...fakeClockEnv(offsetMs) });
  const WAIT_STAGING = { verify_agent: STAGING_AGENT, flux_resource: "flux-system/app-staging" };
  const WAIT_PRODUCTION = { verify_agent: PRODUCTION_AGENT, flux_resource: "flux-system/app-production" };
  const GATE = { staging_agent: STAGING_AGENT, staging_flux_resource: "flux-system/app-staging" };
  const kustomizationReads = () => api.requests.filter((r) => r.path.includes("/kustomizations/"));

  describe("the reconcile wait", () => {
    it("succeeds once Flux applied the promoted commit, and the job says so", async () => {
      follow(api, project, staging, () => ({ apply: true }));
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(3),
        inputs: WAIT_STAGING,
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(0);
      expect(project.branch(STAGING)).toBe(at(3));
      expect(run.stdout).toContain(
        `Waiting up to 10m for Flux to apply ${short(3)} to staging: Kustomization flux-system/app-staging, through agent ${STAGING_AGENT}`,
      );
      expect(run.stdout).toContain(
        `Flux: last applied revision ${STAGING}@sha1:${at(1)}; last attempted ${STAGING}@sha1:${at(3)}; Ready=Unknown (Progressing): Reconciliation in progress`,
      );
      expect(run.stdout).toMatch(
        new RegExp(
          `staging runs ${short(3)}: Flux Kustomization flux-system/app-staging applied ${STAGING}@sha1:${at(3)}, which contains ${short(3)}: Ready=True \\(ReconciliationSucceeded\\): Applied revision: ${STAGING}@sha1:${at(3)} \\(after \\d+s\\)`,
        ),
      );
      expect(run.outputs?.GITOPS_PROMOTION).toBe("fast-forward");
      // Read-only: kubectl only ever asked the cluster, and asked nothing the stand-in does not serve.
      expect(api.writes()).toEqual([]);
      expect(api.unhandled).toEqual([]);
      expect(
        kustomizationReads().every(
          (r) =>
            r.method === "GET" &&
            r.path === "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/app-staging",
        ),
      ).toBe(true);
    });

    it("fails with Flux's reason and message when Flux reports the commit failed", async () => {
      const message = "timeout waiting for: [Deployment/apps/app status: 'InProgress']";
      follow(api, project, staging, () => ({ fail: ["HealthCheckFailed", message] }));
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(3),
        inputs: WAIT_STAGING,
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(6);
      expect(run.stderr).toContain(
        `ERROR: Flux Kustomization flux-system/app-staging reports a failure: last applied revision ${STAGING}@sha1:${at(1)}; last attempted ${STAGING}@sha1:${at(3)}; Ready=False (HealthCheckFailed): ${message}; ${short(3)} is not verified`,
      );
      expect(run.stdout).toContain(
        `Fix: fix what Flux names (kubectl events --for kustomization/app-staging -n flux-system), then retry this job: ${STAGING} already holds ${short(3)}`,
      );
      // The branch moved (Flux was given the commit); GitLab's deployment fails with the job.
      expect(project.branch(STAGING)).toBe(at(3));
    });

    it("fails at verify_timeout with Flux's last status when Flux never applies the commit", async () => {
      follow(api, project, staging, () => ({ ignore: true }));
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(3),
        inputs: { ...WAIT_STAGING, verify_timeout: "3m" },
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(4);
      expect(run.stderr).toContain(
        `ERROR: Flux did not report ${short(3)} applied and Ready within verify_timeout (3m); Flux Kustomization flux-system/app-staging: last applied revision ${STAGING}@sha1:${at(1)}; Ready=True (ReconciliationSucceeded): Applied revision: ${STAGING}@sha1:${at(1)}`,
      );
      // Polled until the timeout on the virtual clock: 2 s, then 1.5 times longer, at most 10 s.
      expect(kustomizationReads().length).toBeGreaterThan(15);
    });

    it("accepts a commit Flux already applied beyond the promoted one", async () => {
      // Flux runs main's tip on staging already (someone promoted it while this job waited).
      const later = await project.commit([at(3)], "later change");
      await project.setBranch("main", later);
      staging.applied(later);
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(3),
        inputs: WAIT_STAGING,
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain(
        `staging runs ${short(3)}: Flux Kustomization flux-system/app-staging applied ${STAGING}@sha1:${later}, which contains ${short(3)}`,
      );
    });

    it("refuses before pushing when the Kustomization is suspended", async () => {
      staging.suspend();
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(3),
        inputs: WAIT_STAGING,
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(3);
      expect(run.stderr).toContain(
        "ERROR: Flux Kustomization flux-system/app-staging is suspended (spec.suspend: true): Flux would not apply what this job pushes. Nothing was pushed",
      );
      expect(project.branch(STAGING)).toBe(at(1));
      expect(kustomizationReads()).toHaveLength(1);
    });

    it("refuses before pushing when flux_resource names no Kustomization, naming the input", async () => {
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(3),
        inputs: { ...WAIT_STAGING, flux_resource: "flux-system/app-stagin" },
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(2);
      expect(run.stderr).toContain(
        `ERROR: input flux_resource = "flux-system/app-stagin": no such Kustomization in the cluster of ${STAGING_AGENT}`,
      );
      expect(project.branch(STAGING)).toBe(at(1));
    });

    it("refuses before pushing when verify_agent names a context the job lacks, naming the input", async () => {
      const run = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(3),
        inputs: { ...WAIT_STAGING, verify_agent: "group/agents:stagin" },
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(2);
      expect(run.stderr).toContain(
        `ERROR: input verify_agent = "group/agents:stagin": this job's KUBECONFIG has no such context`,
      );
      expect(project.branch(STAGING)).toBe(at(1));
    });

    it("waits for the production Kustomization after a production push", async () => {
      await project.setBranch(STAGING, at(3));
      staging.applied(at(3), { at: new Date(Date.now() - 2 * 60 * MINUTE) });
      follow(api, project, production, () => ({ apply: true }));
      const run = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        inputs: { ...WAIT_PRODUCTION, ...GATE, staging_soak: "1h" },
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain(
        `production runs ${short(3)}: Flux Kustomization flux-system/app-production applied ${PRODUCTION}@sha1:${at(3)}`,
      );
    });
  });

  describe("the production gate", () => {
    beforeEach(async () => {
      await project.setBranch(STAGING, at(3));
    });

    it("refuses while staging's Flux has not applied the commit, and pushes nothing", async () => {
      const run = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        inputs: GATE,
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(3);
      expect(run.stderr).toContain(
        `ERROR: staging's Flux Kustomization flux-system/app-staging has not applied ${short(3)} yet: last applied revision ${STAGING}@sha1:${at(1)};`,
      );
      expect(project.branch(PRODUCTION)).toBe(at(0));
    });

    it("refuses while staging fails, naming Flux's reason", async () => {
      staging.failed(at(3), "HealthCheckFailed", "timeout waiting for: [Deployment/apps/app status: 'InProgress']");
      const run = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        inputs: GATE,
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(3);
      expect(run.stderr).toContain(
        "Ready=False (HealthCheckFailed): timeout waiting for: [Deployment/apps/app status: 'InProgress']; production only receives what staging runs healthily. Nothing was pushed",
      );
      expect(project.branch(PRODUCTION)).toBe(at(0));
    });

    it("refuses before the soak, saying how much is left, and passes after it", async () => {
      staging.applied(at(3), { at: new Date(Date.now() - 10 * MINUTE) });
      const before = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        inputs: { ...GATE, staging_soak: "1h" },
        env: kubeEnv(),
      });
      expect(before.code, before.output).toBe(3);
      expect(before.stderr).toMatch(
        new RegExp(
          `ERROR: staging has run ${short(3)} \\(or later\\) since \\S+, for 10m( \\d+s)?; staging_soak is 1h: (49m \\d+s|50m) left\\. Nothing was pushed`,
        ),
      );
      expect(project.branch(PRODUCTION)).toBe(at(0));

      // The same cluster state, 50 minutes later on the job's clock.
      const after = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        inputs: { ...GATE, staging_soak: "1h" },
        env: kubeEnv(50 * MINUTE),
      });
      expect(after.code, after.output).toBe(0);
      expect(after.stdout).toMatch(
        new RegExp(
          `Production gate passed: staging's Flux Kustomization flux-system/app-staging applied ${STAGING}@sha1:${at(3)}, which contains ${short(3)}: .*; staging has run it since \\S+, for 1h( \\d+s)? \\(staging_soak 1h\\)`,
        ),
      );
      expect(project.branch(PRODUCTION)).toBe(at(3));
    });

    it("refuses a soak when staging's Flux records no history (Flux before v2.7.0)", async () => {
      const old = new SimulatedKustomization(api, {
        namespace: "flux-system",
        name: "app-staging-old",
        branch: STAGING,
        history: false,
      }).applied(at(3), { at: new Date(Date.now() - 5 * 60 * MINUTE) });
      const run = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        inputs: { ...GATE, staging_flux_resource: `flux-system/${old.name}`, staging_soak: "30m" },
        env: kubeEnv(),
      });
      expect(run.code, run.output).toBe(3);
      expect(run.stderr).toContain("has no status.history (Flux records it from v2.7.0, kustomize-controller v1.7.0)");
      expect(project.branch(PRODUCTION)).toBe(at(0));
      // Without a soak, the same staging passes: applied and Ready is enough.
      const run0 = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        inputs: { ...GATE, staging_flux_resource: `flux-system/${old.name}` },
        env: kubeEnv(),
      });
      expect(run0.code, run0.output).toBe(0);
    });
  });

  describe("deploy freezes", () => {
    it("production does not run during a freeze, and says so before fetching anything", async () => {
      await project.setBranch(STAGING, at(3));
      const requestsBefore = server.requests.length;
      const run = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        env: { CI_DEPLOY_FREEZE: "true" },
      });
      expect(run.code, run.output).toBe(3);
      expect(run.stderr).toContain(
        "ERROR: GitLab reports a deploy freeze (CI_DEPLOY_FREEZE): production is not promoted during a freeze. Nothing was fetched or pushed",
      );
      expect(run.stdout).toContain(
        "Fix: run this job again after the freeze (Settings > CI/CD > Deploy freezes), or set respect_deploy_freeze: false",
      );
      expect(project.branch(PRODUCTION)).toBe(at(0));
      expect(server.requests.length).toBe(requestsBefore);
    });

    it("production promotes during a freeze when told not to respect it", async () => {
      await project.setBranch(STAGING, at(3));
      const run = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        inputs: { respect_deploy_freeze: false },
        env: { CI_DEPLOY_FREEZE: "true" },
      });
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain(
        "WARNING: GitLab reports a deploy freeze (CI_DEPLOY_FREEZE); respect_deploy_freeze is false: promoting production anyway",
      );
      expect(project.branch(PRODUCTION)).toBe(at(3));
    });

    it("staging ignores freezes by default and follows them when asked", async () => {
      const ignored = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(2),
        env: { CI_DEPLOY_FREEZE: "true" },
      });
      expect(ignored.code, ignored.output).toBe(0);
      expect(project.branch(STAGING)).toBe(at(2));
      const respected = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(3),
        inputs: { respect_deploy_freeze: true },
        env: { CI_DEPLOY_FREEZE: "true" },
      });
      expect(respected.code, respected.output).toBe(3);
      expect(respected.stderr).toContain("staging is not promoted during a freeze");
      expect(project.branch(STAGING)).toBe(at(2));
    });
  });

  describe("without verify_agent and staging_agent", () => {
    it("runs no kubectl and gives the outputs it always gave", async () => {
      // A kubectl first on PATH that records every call and fails.
      const shim = mkdtempSync(path.join(dir, "kubectl-shim-"));
      const calls = path.join(shim, "calls.log");
      writeFileSync(path.join(shim, "kubectl"), `#!/bin/sh\necho "$@" >> "${calls}"\nexit 1\n`);
      chmodSync(path.join(shim, "kubectl"), 0o755);
      writeFileSync(calls, "");
      const env = { PATH: `${shim}:${process.env.PATH}`, KUBECONFIG: kubeconfig };
      const run = await promote(project, TOKEN, { component: "promote-staging", target: at(3), env });
      expect(run.code, run.output).toBe(0);
      expect(run.outputs).toEqual({
        GITOPS_PREVIOUS_SHA: at(1),
        GITOPS_PROMOTED_SHA: at(3),
        GITOPS_PROMOTION: "fast-forward",
        GITOPS_COMMIT_COUNT: "2",
        GITOPS_PROMOTION_DRY_RUN: "false",
        GITOPS_MERGE_REQUEST_COUNT: "0",
        GITOPS_IMAGE_CHANGE_COUNT: "0",
      });
      const prod = await promote(project, TOKEN, { component: "manual-production", target: at(3), env });
      expect(prod.code, prod.output).toBe(0);
      expect(prod.outputs).toEqual({
        GITOPS_PREVIOUS_SHA: at(0),
        GITOPS_PROMOTED_SHA: at(3),
        GITOPS_PROMOTION: "fast-forward",
        GITOPS_COMMIT_COUNT: "3",
        GITOPS_PROMOTION_DRY_RUN: "false",
        GITOPS_MERGE_REQUEST_COUNT: "0",
        GITOPS_IMAGE_CHANGE_COUNT: "0",
      });
      expect(readFileSync(calls, "utf8")).toBe("");
      expect(api.requests).toEqual([]);
      expect(`${run.output}${prod.output}`).not.toMatch(/Flux|Waiting up to|gate/);
    });

    it("refuses inputs that would do nothing, naming them", async () => {
      const resourceOnly = await promote(project, TOKEN, {
        component: "promote-staging",
        target: at(3),
        inputs: { flux_resource: "flux-system/app-staging" },
      });
      expect(resourceOnly.code).toBe(2);
      expect(resourceOnly.stderr).toContain(
        'ERROR: input flux_resource = "flux-system/app-staging": is set, but verify_agent is empty',
      );
      const soakOnly = await promote(project, TOKEN, {
        component: "manual-production",
        target: at(3),
        inputs: { staging_soak: "1h" },
      });
      expect(soakOnly.code).toBe(2);
      expect(soakOnly.stderr).toContain(
        'ERROR: input staging_soak = "1h": is read from staging\'s Flux, but staging_agent is empty',
      );
      expect(project.branch(STAGING)).toBe(at(1));
      expect(project.branch(PRODUCTION)).toBe(at(0));
    });
  });
});
