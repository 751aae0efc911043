/**
 * Hostile values and situations for the review jobs (deploy and stop), run as they ship (the
 * scripts embedded in templates/review) with real kubectl against the Kubernetes API stand-in.
 * Each case must fail, name the input or variable, print the fix, change nothing in the cluster
 * (and, where the value or the checkout alone is wrong, send it no request at all), read nothing
 * outside the checkout, and run no injected text.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectNoSecret, expectRefusal } from "../support/hostile.ts";
import { startKubeApi, type KubeApi } from "../../stand-ins/kube-api.ts";
import { runTemplateJob, type JobRun } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

const AGENT = "group/agents:review";
const IMAGE = "registry.example.com/group/app";
const DIGEST = `sha256:${"c".repeat(64)}`;
const DEPLOYMENT = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: "${IMAGE}:latest"}]\n`;
/** What a read outside the checkout would find: a ConfigMap holding something secret. */
const SECRET_CONFIGMAP =
  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-outside}\ndata: {secret: runner-only-secret-value}\n";
const MERGE_REQUEST = {
  CI_COMMIT_REF_NAME: "feature/x",
  CI_COMMIT_REF_SLUG: "feature-x",
  CI_MERGE_REQUEST_IID: "7",
  CI_PROJECT_ID: "4242",
  CI_PIPELINE_SOURCE: "merge_request_event",
};
const INJECTIONS = [
  "$(touch $CANARY)",
  "`touch $CANARY`",
  "x; touch $CANARY",
  "x\ntouch $CANARY",
  "--kubeconfig=$CANARY",
];

interface Situation {
  inputs?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Files of the checkout (`null` removes a default one). */
  files?: Record<string, string | null>;
  /** Symbolic links in the checkout: path -> target (`{outside}` is a directory outside the checkout). */
  links?: Record<string, string>;
}

describe.skipIf(!requireTools("kubectl"))("review refuses hostile values and situations", () => {
  let api: KubeApi;
  let scratch: string;
  let kubeEnv: Record<string, string>;
  let n = 0;

  beforeAll(async () => {
    api = await startKubeApi();
    scratch = mkdtempSync(path.join(tmpdir(), "gitops-hostile-review-"));
    api.writeKubeconfig(path.join(scratch, "kubeconfig"), AGENT);
    kubeEnv = { KUBECONFIG: path.join(scratch, "kubeconfig"), KUBECACHEDIR: path.join(scratch, "cache") };
  });
  afterAll(async () => {
    await api?.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  afterEach(() => {
    api.refuse = undefined;
  });

  /** A checkout (with `deploy/review` and a base outside it) and a directory outside, holding a kustomization and a component. */
  function checkout(situation: Situation) {
    const base = path.join(scratch, String(++n));
    const dir = path.join(base, "checkout");
    const outside = path.join(base, "outside");
    const files: Record<string, string | null> = {
      "deploy/review/kustomization.yaml": "resources: [deployment.yaml]\n",
      "deploy/review/deployment.yaml": DEPLOYMENT,
      ...situation.files,
    };
    const outsideFiles = {
      "kustomization.yaml": "resources: [configmap.yaml]\n",
      "configmap.yaml": SECRET_CONFIGMAP,
      "component/kustomization.yaml":
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [../configmap.yaml]\n",
    };
    for (const [root, all] of [
      [dir, files],
      [outside, outsideFiles],
    ] as const)
      for (const [file, text] of Object.entries(all)) {
        if (text === null) continue;
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      }
    for (const [link, target] of Object.entries(situation.links ?? {})) {
      mkdirSync(path.dirname(path.join(dir, link)), { recursive: true });
      symlinkSync(target.replace("{outside}", outside), path.join(dir, link));
    }
    return { dir, outside, canary: path.join(base, "canary") };
  }

  async function run(job: "review-deploy" | "review-stop", situation: Situation) {
    const c = checkout(situation);
    const before = api.requests.length;
    const result: JobRun = await runTemplateJob({
      component: "review",
      job,
      inputs: { agent: AGENT, manifests: "deploy/review", domain: "review.example.com", ...situation.inputs },
      env: {
        ...kubeEnv,
        ...MERGE_REQUEST,
        CI_REGISTRY_IMAGE: IMAGE,
        GITOPS_IMAGE: `${IMAGE}@${DIGEST}`,
        CANARY: c.canary,
        OUTSIDE: c.outside,
        ...situation.env,
      },
      cwd: c.dir,
    });
    const requests = api.requests.slice(before);
    return {
      job: result,
      requests,
      writes: requests.filter((r) => r.method !== "GET" && r.query.dryRun !== "All"),
      canary: existsSync(c.canary),
      c,
    };
  }

  function expectNothingChanged(r: Awaited<ReturnType<typeof run>>): void {
    expect(r.writes).toEqual([]);
    expect(r.canary).toBe(false);
    expect(existsSync(path.join(r.c.dir, "gitops-review.env"))).toBe(false);
    // Nothing from outside the checkout reached the output (or the cluster, which saw no write).
    expectNoSecret(r.job, ["runner-only-secret-value"], [r.c.dir]);
  }

  describe("deploy: refused before any request to the cluster", () => {
    it.each<{ name: string; names: string; situation: Situation }>([
      {
        name: "manifests leaving the repository (../x)",
        names: 'input manifests = "../outside"',
        situation: { inputs: { manifests: "../outside" } },
      },
      {
        name: "an absolute manifests path through a variable",
        names: 'input manifests = "',
        situation: { inputs: { manifests: "$OUTSIDE" } },
      },
      {
        name: "a manifests directory that is a link out",
        names: 'input manifests = "deploy/linked": resolves to',
        situation: { inputs: { manifests: "deploy/linked" }, links: { "deploy/linked": "{outside}" } },
      },
      {
        name: "a kustomization whose resource is a directory outside (../..)",
        names: 'deploy/review/kustomization.yaml lists "../../../outside" under resources, which resolves to',
        situation: {
          files: { "deploy/review/kustomization.yaml": "resources: [deployment.yaml, ../../../outside]\n" },
        },
      },
      {
        name: "a kustomization whose resource is a linked directory out",
        names: 'deploy/review/kustomization.yaml lists "shared" under resources, which resolves to',
        situation: {
          files: { "deploy/review/kustomization.yaml": "resources: [deployment.yaml, shared]\n" },
          links: { "deploy/review/shared": "{outside}" },
        },
      },
      {
        name: "a component outside the repository",
        names: "under components, which resolves to",
        situation: {
          files: {
            "deploy/review/kustomization.yaml":
              "resources: [deployment.yaml]\ncomponents: [../../../outside/component]\n",
          },
        },
      },
      {
        name: "a base inside whose own resource leaves",
        names: 'deploy/base/kustomization.yaml lists "../../../outside" under resources',
        situation: {
          files: {
            "deploy/review/kustomization.yaml": "resources: [../base]\n",
            "deploy/base/kustomization.yaml": "resources: [../review/deployment.yaml, ../../../outside]\n",
          },
        },
      },
      {
        name: "a resource hidden behind a YAML merge key",
        names: "under resources, which resolves to",
        situation: {
          files: {
            "deploy/review/kustomization.yaml":
              "x: &base {resources: [deployment.yaml, ../../../outside]}\n<<: *base\n",
          },
        },
      },
      {
        name: "a file: URL (a clone from the runner's disk)",
        names: 'lists "file:///etc" under resources, a file: URL',
        situation: { files: { "deploy/review/kustomization.yaml": "resources: [deployment.yaml, 'file:///etc']\n" } },
      },
      {
        name: "a kustomization file that is a link out",
        names: "deploy/review/kustomization.yaml resolves to",
        situation: {
          files: { "deploy/review/kustomization.yaml": null },
          links: { "deploy/review/kustomization.yaml": "{outside}/kustomization.yaml" },
        },
      },
      {
        name: "image_name with an upper-case path",
        names: 'input image_name = "registry.example.com/Group/App"',
        situation: { inputs: { image_name: "registry.example.com/Group/App" } },
      },
      {
        name: "image_name with a .. component",
        names: "input image_name",
        situation: { inputs: { image_name: "registry.example.com/group/../app" } },
      },
      {
        name: "image_name with a tag",
        names: "input image_name",
        situation: { inputs: { image_name: `${IMAGE}:v1` } },
      },
      {
        name: "new_image with a digest written as a tag",
        names: "input new_image",
        situation: { inputs: { new_image: `${IMAGE}:${DIGEST}` } },
      },
      {
        name: "new_image with a short digest",
        names: "input new_image",
        situation: { inputs: { new_image: `${IMAGE}@sha256:abc` } },
      },
      {
        name: "new_image with an upper-case path",
        names: "input new_image",
        situation: { inputs: { new_image: "registry.example.com/Group/app:v1" } },
      },
      {
        name: "an agent that is not in KUBECONFIG (another project's agent)",
        names: 'input agent = "other/agents:prod"',
        situation: { inputs: { agent: "other/agents:prod" } },
      },
      {
        name: "a namespace_prefix with a command",
        names: "input namespace_prefix",
        situation: { inputs: { namespace_prefix: "`touch $CANARY`" } },
      },
      {
        name: "a rollout_timeout with a command",
        names: "input rollout_timeout",
        situation: { inputs: { rollout_timeout: "5m; touch $CANARY" } },
      },
      {
        name: "a ref slug that is no DNS label",
        names: "input CI_COMMIT_REF_SLUG",
        situation: { env: { CI_COMMIT_REF_SLUG: "x;touch" } },
      },
      {
        name: "a merge request IID that is no number",
        names: "input CI_MERGE_REQUEST_IID",
        situation: { env: { CI_MERGE_REQUEST_IID: "7; touch $CANARY" } },
      },
      ...INJECTIONS.map((payload) => ({
        name: `an injection in agent: ${payload}`,
        names: "input agent",
        situation: { inputs: { agent: payload } },
      })),
      ...INJECTIONS.map((payload) => ({
        name: `an injection in new_image: ${payload}`,
        names: "input new_image",
        situation: { inputs: { new_image: payload } },
      })),
      ...INJECTIONS.map((payload) => ({
        name: `an injection in domain: ${payload}`,
        names: "input domain",
        situation: { inputs: { domain: payload } },
      })),
      ...INJECTIONS.map((payload) => ({
        name: `an injection in manifests: ${payload}`,
        names: "input manifests",
        situation: { inputs: { manifests: payload } },
      })),
    ])("$name", async ({ names, situation }) => {
      const r = await run("review-deploy", situation);
      expectRefusal(r.job, names);
      expect(r.requests).toEqual([]);
      expectNothingChanged(r);
    });
  });

  describe("the cluster refuses the job's credential", () => {
    it.each([
      {
        refuse: 401 as const,
        job: "review-deploy" as const,
        names: "kubectl get through the agent: the server refused this job's credential for the agent",
        fix: "Fix: check agent: this job's credential for the agent must be valid and unexpired",
      },
      {
        refuse: 403 as const,
        job: "review-deploy" as const,
        names: "this job's credential for the agent is not allowed to do this at agent (group/agents:review)",
        fix: "Fix: check agent: this job's credential for the agent must be a job of a project the agent's config.yaml authorizes",
      },
      {
        refuse: 401 as const,
        job: "review-stop" as const,
        names: "the server refused this job's credential for the agent",
        fix: "Fix: check agent:",
      },
      {
        refuse: 403 as const,
        job: "review-stop" as const,
        names: "is not allowed to do this at agent (group/agents:review)",
        fix: "Fix: check agent:",
      },
    ])("$job on $refuse names the agent and changes nothing", async ({ refuse, job, names, fix }) => {
      api.refuse = refuse;
      const r = await run(job, {});
      expectRefusal(r.job, names);
      expect(r.job.stdout).toContain(fix);
      expectNothingChanged(r);
    });
  });

  describe("stop: refused before any request to the cluster", () => {
    it.each<{ name: string; names: string; situation: Situation }>([
      { name: "an agent with a command", names: "input agent", situation: { inputs: { agent: "a:b; touch $CANARY" } } },
      {
        name: "an agent that is not in KUBECONFIG",
        names: 'input agent = "other/agents:prod"',
        situation: { inputs: { agent: "other/agents:prod" } },
      },
      {
        name: "a namespace_prefix with a command",
        names: "input namespace_prefix",
        situation: { inputs: { namespace_prefix: "$(touch $CANARY)" } },
      },
      {
        name: "a rollout_timeout with a command",
        names: "input rollout_timeout",
        situation: { inputs: { rollout_timeout: "`touch $CANARY`" } },
      },
      {
        name: "a ref slug that is no DNS label",
        names: "input CI_COMMIT_REF_SLUG",
        situation: { env: { CI_COMMIT_REF_SLUG: "-x; touch" } },
      },
    ])("$name", async ({ names, situation }) => {
      const r = await run("review-stop", situation);
      expectRefusal(r.job, names);
      expect(r.requests).toEqual([]);
      expectNothingChanged(r);
    });
  });

  it("carries a branch name with shell text literally (into a DNS-safe namespace), never running it", async () => {
    const r = await run("review-deploy", {
      env: { CI_COMMIT_REF_NAME: "x$(touch${IFS}$CANARY)`id`", CI_COMMIT_REF_SLUG: "" },
    });
    expect(r.job.code, r.job.output).toBe(0);
    expect(r.canary).toBe(false);
  });
});
