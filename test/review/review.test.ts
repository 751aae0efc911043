/**
 * The review jobs as they ship (scripts embedded in templates/review/template.yml), run with real
 * kubectl against the loopback Kubernetes API stand-in (stand-ins/kube-api.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi, type KubeObject } from "../../stand-ins/kube-api.ts";
import { readDotenv, runTemplateJob, type JobRun } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

const AGENT = "group/agents:review";
const REGISTRY_IMAGE = "registry.example.com/group/app";
/** What the build component outputs as GITOPS_IMAGE: name@digest. */
const NEW_IMAGE = `${REGISTRY_IMAGE}@sha256:${"c".repeat(64)}`;
const DOMAIN = "review.example.com";

/** GitLab's CI_COMMIT_REF_SLUG, written out here independently of the component's own. */
function gitlabSlug(ref: string): string {
  return Array.from(ref.toLowerCase(), (c) => (/[a-z0-9]/.test(c) ? c : "-"))
    .slice(0, 63)
    .join("")
    .replace(/^-+|-+$/g, "");
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ${REGISTRY_IMAGE}:latest
          ports: [{containerPort: 8080}]
`;
const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;
const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  tls:
    - hosts: [app.example.com]
      secretName: review-tls
  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
`;

const HPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`;
/** A custom resource (Prometheus operator's ServiceMonitor): the cluster serves it only once its definition is installed. */
const SERVICE_MONITOR =
  "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\nspec: {endpoints: [{port: http}]}\n";

/** A checkout of the application: its review kustomize directory and whatever files the test wants. */
function checkout(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), "review-app-"));
  const all: Record<string, string> = {
    "deploy/review/kustomization.yaml": "resources: [deployment.yaml, service.yaml, ingress.yaml]\n",
    "deploy/review/deployment.yaml": DEPLOYMENT,
    "deploy/review/service.yaml": SERVICE,
    "deploy/review/ingress.yaml": INGRESS,
    ...files,
  };
  for (const [file, text] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** A merge request's predefined variables. */
function mergeRequest(branch: string, iid: string) {
  return {
    CI_COMMIT_REF_NAME: branch,
    CI_COMMIT_REF_SLUG: gitlabSlug(branch),
    CI_MERGE_REQUEST_IID: iid,
    CI_PROJECT_ID: "4242",
    CI_PIPELINE_SOURCE: "merge_request_event",
  };
}

describe.skipIf(!requireTools("kubectl"))("review deploy and stop against the Kubernetes API stand-in", () => {
  let api: KubeApi;
  let scratch: string;
  let kubeEnv: Record<string, string>;
  const dirs: string[] = [];

  beforeAll(async () => {
    api = await startKubeApi();
    scratch = mkdtempSync(path.join(tmpdir(), "review-kube-"));
    const kubeconfig = path.join(scratch, "kubeconfig");
    api.writeKubeconfig(kubeconfig, AGENT);
    kubeEnv = { KUBECONFIG: kubeconfig, KUBECACHEDIR: path.join(scratch, "cache") };
  });
  afterAll(async () => {
    await api?.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  afterEach(() => {
    api.rollout = "ready";
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function app(files?: Record<string, string>): string {
    const dir = checkout(files);
    dirs.push(dir);
    return dir;
  }

  function deploy(
    cwd: string,
    mr: Record<string, string>,
    inputs: Record<string, unknown> = {},
    image = NEW_IMAGE,
  ): Promise<JobRun> {
    return runTemplateJob({
      component: "review",
      job: "review-deploy",
      inputs: { agent: AGENT, manifests: "deploy/review", domain: DOMAIN, ...inputs },
      env: { ...kubeEnv, ...mr, CI_REGISTRY_IMAGE: REGISTRY_IMAGE, GITOPS_IMAGE: image },
      cwd,
    });
  }

  /** The stop job runs in an empty directory: GIT_STRATEGY none, the branch may be gone. */
  async function stop(mr: Record<string, string>, inputs: Record<string, unknown> = {}): Promise<JobRun> {
    return runTemplateJob({
      component: "review",
      job: "review-stop",
      inputs: { agent: AGENT, manifests: "deploy/review", domain: DOMAIN, ...inputs },
      env: { ...kubeEnv, ...mr },
    });
  }

  /** `METHOD path` of every request since `count` that changed something (dry runs change nothing). */
  function writesSince(count: number): string[] {
    return api
      .writes()
      .filter((r) => api.requests.indexOf(r) >= count)
      .map((r) => `${r.method} ${r.path}`);
  }

  function patchesSince(count: number) {
    return api.requests.slice(count).filter((r) => r.method === "PATCH");
  }

  function expectOk(run: JobRun): void {
    if (run.code !== 0) throw new Error(`job failed (${run.code}):\n${run.output}`);
  }

  it("deploys the merge request's app into its own namespace with the new image, the review host and the review labels", async () => {
    const dir = app();
    const before = api.requests.length;
    const run = await deploy(dir, mergeRequest("feature/login-page", "7"));
    expectOk(run);

    const outputs = readDotenv(path.join(dir, "gitops-review.env"));
    const namespace = outputs.GITOPS_REVIEW_NAMESPACE as string;
    expect(namespace).toMatch(/^review-7-feature-login-page-[0-9a-f]{8}$/);
    expect(outputs.GITOPS_REVIEW_URL).toBe(`https://feature-login-page.${DOMAIN}`);

    const ns = api.get("namespaces", undefined, namespace);
    expect(ns?.metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "gitops-components",
      "gitops-components/review": "feature-login-page",
      "gitops-components/merge-request": "7",
    });
    const deployment = api.get("deployments", namespace, "web") as KubeObject & {
      spec: {
        template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ image: string }> } };
      };
    };
    expect(deployment.spec.template.spec.containers[0]?.image).toBe(NEW_IMAGE);
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      app: "web",
      "gitops-components/review": "feature-login-page",
    });
    const ingress = api.get("ingresses", namespace, "web") as KubeObject & {
      spec: { rules: Array<{ host: string }>; tls: Array<{ hosts: string[] }> };
    };
    expect(ingress.spec.rules.map((r) => r.host)).toEqual([`feature-login-page.${DOMAIN}`]);
    expect(ingress.spec.tls[0]?.hosts).toEqual([`feature-login-page.${DOMAIN}`]);

    const applied = api.applied().slice(-4);
    // The namespace first, so everything else has somewhere to go.
    expect(applied[0]?.object.metadata.name).toBe(namespace);
    expect(applied.map((a) => `${a.object.kind}/${a.object.metadata.name}`).sort()).toEqual([
      "Deployment/web",
      "Ingress/web",
      `Namespace/${namespace}`,
      "Service/web",
    ]);
    for (const a of applied) {
      expect(a.fieldManager).toBe("gitops-components");
      expect(a.object.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("gitops-components");
      if (a.object.kind !== "Namespace") expect(a.object.metadata.namespace).toBe(namespace);
    }
    // kubectl asked the server to validate every field strictly, and the cluster saw every object
    // in a dry run before any of the app's objects was written.
    const patches = patchesSince(before);
    expect(patches.every((r) => r.query.fieldValidation === "Strict")).toBe(true);
    const dryRuns = patches.filter((r) => r.query.dryRun === "All").map((r) => r.path);
    expect(dryRuns.sort()).toEqual(applied.map((a) => a.path).sort());
    const firstAppWrite = patches.findIndex(
      (r) => r.query.dryRun !== "All" && r.path !== `/api/v1/namespaces/${namespace}`,
    );
    expect(patches.slice(firstAppWrite).some((r) => r.query.dryRun === "All")).toBe(false);
    expect(run.output).toContain(`Review app ready: https://feature-login-page.${DOMAIN}`);
    expect(api.unhandled).toEqual([]);
  });

  it("a later pipeline of the same merge request updates the review app in place", async () => {
    const mr = mergeRequest("feature/second-push", "23");
    const dir = app();
    expectOk(await deploy(dir, mr));
    const namespace = readDotenv(path.join(dir, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE as string;
    const tagged = `${REGISTRY_IMAGE}:mr-23-2@sha256:${"d".repeat(64)}`;
    expectOk(await deploy(dir, mr, {}, tagged));
    expect(readDotenv(path.join(dir, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE).toBe(namespace);
    const deployment = api.get("deployments", namespace, "web") as KubeObject & {
      metadata: { generation: number };
      spec: { template: { spec: { containers: Array<{ image: string }> } } };
    };
    expect(deployment.spec.template.spec.containers[0]?.image).toBe(tagged);
    expect(deployment.metadata.generation).toBe(2);
    expect(api.list("namespaces").filter((n) => n.metadata.name.startsWith("review-23-"))).toHaveLength(1);
  });

  it("fails at once with the reason when a deployment exceeds its progress deadline", async () => {
    api.rollout = "deadline-exceeded";
    const run = await deploy(app(), mergeRequest("feature/crash-loop", "24"));
    expect(run.code).toBe(2);
    expect(run.output).toContain('deployment/web: error: deployment "web" exceeded its progress deadline');
    expect(run.output).toContain("condition Progressing=False (ProgressDeadlineExceeded)");
  });

  it("fails with the deployment's status in the log when the rollout does not finish within rollout_timeout", async () => {
    const dir = app();
    api.rollout = "never-ready";
    const run = await deploy(dir, mergeRequest("feature/slow-start", "8"), { rollout_timeout: "2s" });
    expect(run.code).toBe(2);
    expect(run.output).toContain(
      "1 deployment(s) did not roll out within 2s in namespace review-8-feature-slow-start-",
    );
    expect(run.output).toContain("deployment/web: error: timed out waiting for the condition");
    expect(run.output).toContain("replicas: desired 2, updated 2, ready 0, available 0, unavailable 2");
    expect(run.output).toContain(
      "condition Available=False (MinimumReplicasUnavailable): Deployment does not have minimum availability.",
    );
    expect(existsSync(path.join(dir, "gitops-review.env"))).toBe(false);
    expect(api.unhandled).toEqual([]);
  });

  it("stop deletes the review namespace and everything in it, without a checkout", async () => {
    const mr = mergeRequest("feature/to-merge", "9");
    const dir = app();
    expectOk(await deploy(dir, mr));
    const namespace = readDotenv(path.join(dir, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE as string;
    expect(api.list("deployments", namespace)).toHaveLength(1);

    const run = await stop(mr);
    expectOk(run);
    expect(run.variables.GIT_STRATEGY).toBe("none");
    expect(run.output).toContain(`Deleted namespace ${namespace} and everything in it.`);
    expect(api.get("namespaces", undefined, namespace)).toBeUndefined();
    expect(api.list("deployments", namespace)).toEqual([]);
    expect(api.list("ingresses", namespace)).toEqual([]);
  });

  it("stop succeeds when the namespace is already gone (stopping twice)", async () => {
    const mr = mergeRequest("feature/stop-twice", "10");
    expectOk(await deploy(app(), mr));
    expectOk(await stop(mr));
    const again = await stop(mr);
    expectOk(again);
    expect(again.output).toMatch(
      /Namespace review-10-feature-stop-twice-[0-9a-f]{8} does not exist: the review app is already removed\./,
    );
    expect(api.unhandled).toEqual([]);
  });

  it("stop refuses to delete a namespace the review jobs did not create", async () => {
    const mr = mergeRequest("feature/foreign", "11");
    const dir = app();
    expectOk(await deploy(dir, mr));
    const namespace = readDotenv(path.join(dir, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE as string;
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { team: "someone-else" } } });
    const run = await stop(mr);
    expect(run.code).toBe(3);
    expect(run.output).toContain(
      `ERROR: the review app was NOT removed (namespace ${namespace}): namespace ${namespace} exists but is not labelled app.kubernetes.io/managed-by=gitops-components`,
    );
    expect(api.get("namespaces", undefined, namespace)).toBeDefined();
  });

  it("fails with kustomize's own words and applies nothing when the manifests cannot be rendered", async () => {
    const dir = app({ "deploy/review/kustomization.yaml": "resources: [deployment.yaml, missing-service.yaml]\n" });
    const before = api.requests.length;
    const run = await deploy(dir, mergeRequest("feature/broken-kustomization", "12"));
    expect(run.code).toBe(2);
    expect(run.output).toContain(
      "ERROR: kustomize cannot render deploy/review:\n  accumulating resources: accumulation err='accumulating resources from 'missing-service.yaml'",
    );
    // In the user's terms: nothing about the temporary overlay.
    expect(run.output).not.toContain("gitops-review-");
    expect(run.output).toContain(
      "Fix: fix the manifests so that `kubectl kustomize <manifests>` renders them; nothing was applied",
    );
    expect(api.requests.slice(before)).toEqual([]);
    expect(existsSync(path.join(dir, "gitops-review.env"))).toBe(false);
  });

  it("reports every problem that needs no schema before contacting the cluster", async () => {
    const dir = app({
      "deploy/review/kustomization.yaml":
        "resources: [deployment.yaml, service.yaml, ingress.yaml, namespace.yaml, reader.yaml]\n",
      "deploy/review/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: mine}\n",
      "deploy/review/reader.yaml":
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules: []\n",
    });
    const before = api.requests.length;
    const run = await deploy(dir, mergeRequest("feature/local-problems", "13"), {
      image_name: "registry.example.com/group/other",
    });
    expect(run.code).toBe(2);
    expect(run.output).toContain("the rendered review app is not valid (nothing was applied)");
    // kustomize's namespace transformer renames a Namespace object to the review namespace.
    expect(run.output).toMatch(
      /Namespace\/review-13-feature-local-problems-[0-9a-f]{8}: the manifests declare a Namespace; review apps create their own/,
    );
    expect(run.output).toContain(
      "ClusterRole/reader (rbac.authorization.k8s.io/v1): kustomize set no namespace on it, so it is cluster-scoped",
    );
    expect(run.output).toContain(
      `no container runs ${NEW_IMAGE}: no container image in deploy/review is named registry.example.com/group/other`,
    );
    expect(api.requests.slice(before)).toEqual([]);
  });

  describe("the cluster validates every object in a server-side dry run before anything is applied", () => {
    const refusals: Array<{ given: string; files: Record<string, string>; said: (namespace: string) => string }> = [
      {
        given: "an unknown field",
        files: { "deploy/review/deployment.yaml": DEPLOYMENT.replace("replicas: 2", "replica: 2") },
        said: (ns: string) =>
          `Error from server: failed to create typed patch object (${ns}/web; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema`,
      },
      {
        given: "a missing required field",
        files: { "deploy/review/service.yaml": SERVICE.replace("  ports: [{port: 80, targetPort: 8080}]\n", "") },
        said: () => 'The Service "web" is invalid: spec.ports: Required value',
      },
      {
        given: "a wrong type",
        files: { "deploy/review/deployment.yaml": DEPLOYMENT.replace("replicas: 2", 'replicas: "2"') },
        said: (ns: string) =>
          `Error from server: failed to create typed patch object (${ns}/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string`,
      },
    ];

    it.each(refusals.map((r, i) => ({ ...r, iid: String(30 + i) })))(
      "refuses $given with the cluster's words, applies nothing and removes the namespace it made for the dry run",
      async ({ files, said, iid }) => {
        const dir = app(files);
        const before = api.requests.length;
        const run = await deploy(dir, mergeRequest(`feature/refused-${iid}`, iid));
        expect(run.code).toBe(2);
        const namespace = /namespace (review-\S+)/.exec(run.output)?.[1] as string;
        expect(run.output).toContain(
          "ERROR: the review cluster refused deploy/review in a server-side dry run (strict field validation), so nothing was applied:",
        );
        expect(run.output).toContain(said(namespace));
        expect(run.output).toContain(`The namespace ${namespace} this job created for the dry run was removed again.`);
        expect(run.output).toContain("Fix: fix what the cluster named above in deploy/review");
        // The only writes: the namespace the dry run needed, and its removal.
        expect(writesSince(before)).toEqual([
          `PATCH /api/v1/namespaces/${namespace}`,
          `DELETE /api/v1/namespaces/${namespace}`,
        ]);
        expect(api.get("namespaces", undefined, namespace)).toBeUndefined();
        expect(existsSync(path.join(dir, "gitops-review.env"))).toBe(false);
        expect(api.unhandled).toEqual([]);
      },
    );

    it("leaves a running review app exactly as it was when a later push is refused", async () => {
      const mr = mergeRequest("feature/later-typo", "33");
      const good = app();
      expectOk(await deploy(good, mr));
      const namespace = readDotenv(path.join(good, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE as string;
      const running = structuredClone(api.get("deployments", namespace, "web"));
      const before = api.requests.length;
      const run = await deploy(app(refusals[0]?.files), mr, {}, `${REGISTRY_IMAGE}@sha256:${"e".repeat(64)}`);
      expect(run.code).toBe(2);
      expect(run.output).toContain(".spec.replica: field not declared in schema");
      expect(run.output).not.toContain("this job created for the dry run");
      expect(writesSince(before)).toEqual([]);
      expect(api.get("deployments", namespace, "web")).toEqual(running);
    });

    it("accepts a kind the offline schemas never knew: a HorizontalPodAutoscaler", async () => {
      const dir = app({
        "deploy/review/kustomization.yaml": "resources: [deployment.yaml, service.yaml, ingress.yaml, hpa.yaml]\n",
        "deploy/review/hpa.yaml": HPA,
      });
      expectOk(await deploy(dir, mergeRequest("feature/autoscaled", "34")));
      const namespace = readDotenv(path.join(dir, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE as string;
      expect(api.get("horizontalpodautoscalers", namespace, "web")?.spec).toMatchObject({
        scaleTargetRef: { kind: "Deployment", name: "web" },
        maxReplicas: 4,
      });
      expect(api.unhandled).toEqual([]);
    });

    it("refuses a custom resource the cluster does not serve, naming the missing definition, and accepts it once the definition is installed", async () => {
      const files = {
        "deploy/review/kustomization.yaml": "resources: [deployment.yaml, service.yaml, ingress.yaml, monitor.yaml]\n",
        "deploy/review/monitor.yaml": SERVICE_MONITOR,
      };
      const mr = mergeRequest("feature/monitored", "35");
      const before = api.requests.length;
      const refused = await deploy(app(files), mr);
      expect(refused.code).toBe(2);
      expect(refused.output).toContain('no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"');
      expect(refused.output).toContain(
        "Fix: the review cluster does not serve ServiceMonitor (monitoring.coreos.com/v1): install its CustomResourceDefinition in the review cluster, or leave that kind out of deploy/review",
      );
      const made = /namespace (review-\S+)/.exec(refused.output)?.[1] as string;
      expect(writesSince(before)).toEqual([`PATCH /api/v1/namespaces/${made}`, `DELETE /api/v1/namespaces/${made}`]);

      api.installCustomResourceDefinition({ group: "monitoring.coreos.com", version: "v1", kind: "ServiceMonitor" });
      const dir = app(files);
      expectOk(await deploy(dir, mr));
      const namespace = readDotenv(path.join(dir, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE as string;
      expect(api.get("servicemonitors", namespace, "web")?.spec).toEqual({ endpoints: [{ port: "http" }] });
      expect(api.unhandled).toEqual([]);
    });

    it("refuses to take over a namespace of the review app's name that the review jobs did not create", async () => {
      const mr = mergeRequest("feature/foreign-namespace", "36");
      const dir = app();
      expectOk(await deploy(dir, mr));
      const namespace = readDotenv(path.join(dir, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE as string;
      api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { team: "someone-else" } } });
      const before = api.requests.length;
      const run = await deploy(app(), mr);
      expect(run.code).toBe(3);
      expect(run.output).toContain(
        `namespace ${namespace} exists but is not labelled app.kubernetes.io/managed-by=gitops-components; the review jobs did not create it, so deploy will not take it over`,
      );
      expect(writesSince(before)).toEqual([]);
    });
  });

  it("refuses when no container uses image_name, naming the images it found", async () => {
    const run = await deploy(app(), mergeRequest("feature/other-image", "14"), {
      image_name: "registry.example.com/group/other",
    });
    expect(run.code).toBe(2);
    expect(run.output).toContain(
      `no container runs ${NEW_IMAGE}: no container image in deploy/review is named registry.example.com/group/other (found: ${REGISTRY_IMAGE}:latest)`,
    );
  });

  it("names new_image when the build output GITOPS_IMAGE is missing", async () => {
    const run = await runTemplateJob({
      component: "review",
      job: "review-deploy",
      inputs: { agent: AGENT, manifests: "deploy/review", domain: DOMAIN },
      env: { ...kubeEnv, ...mergeRequest("feature/no-build", "15"), CI_REGISTRY_IMAGE: REGISTRY_IMAGE },
      cwd: app(),
    });
    expect(run.code).toBe(2);
    expect(run.output).toContain('input new_image = "": is empty');
    expect(run.output).toContain("run the build component earlier in the pipeline");
  });

  it("names the agent when KUBECONFIG has no such context", async () => {
    const run = await deploy(app(), mergeRequest("feature/wrong-agent", "16"), { agent: "group/agents:production" });
    expect(run.code).toBe(2);
    expect(run.output).toContain('input agent = "group/agents:production": this job\'s KUBECONFIG has no such context');
    expect(run.output).toContain(
      "Fix: most often this project is not under the same top-level group as the agent's configuration project",
    );
  });

  describe("branch names", () => {
    it("a 200-character branch name gets a namespace and host label of at most 63 characters, and stop finds it", async () => {
      const branch = `feature/${"very-long-branch-name-".repeat(10)}`.slice(0, 200);
      expect(branch).toHaveLength(200);
      const mr = mergeRequest(branch, "17");
      const dir = app();
      expectOk(await deploy(dir, mr));
      const outputs = readDotenv(path.join(dir, "gitops-review.env"));
      const namespace = outputs.GITOPS_REVIEW_NAMESPACE as string;
      expect(namespace.length).toBeLessThanOrEqual(63);
      expect(namespace).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      const hostLabel = new URL(outputs.GITOPS_REVIEW_URL as string).hostname.split(".")[0] as string;
      expect(hostLabel).toBe(gitlabSlug(branch));
      expect(hostLabel.length).toBeLessThanOrEqual(63);
      expectOk(await stop(mr));
      expect(api.get("namespaces", undefined, namespace)).toBeUndefined();
    });

    it("two branches whose slugs collide after truncation get separate namespaces, and stopping one leaves the other", async () => {
      const common = `feature/${"shared-prefix-".repeat(5)}`; // 78 characters: both slugs are cut inside it
      const first = mergeRequest(`${common}first`, "18");
      const second = mergeRequest(`${common}second`, "19");
      expect(first.CI_COMMIT_REF_SLUG).toBe(second.CI_COMMIT_REF_SLUG);
      const [a, b] = [app(), app()];
      expectOk(await deploy(a, first));
      expectOk(await deploy(b, second));
      const nsA = readDotenv(path.join(a, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE as string;
      const nsB = readDotenv(path.join(b, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE as string;
      expect(nsA).not.toBe(nsB);
      expectOk(await stop(first));
      expect(api.get("namespaces", undefined, nsA)).toBeUndefined();
      expect(api.get("deployments", nsB, "web")).toBeDefined();
      expectOk(await stop(second));
    });

    it("the same slug in two merge requests of one branch name still gets separate namespaces (the hash covers the IID)", async () => {
      const [a, b] = [app(), app()];
      expectOk(await deploy(a, mergeRequest("fix/typo", "20")));
      expectOk(await deploy(b, mergeRequest("fix/typo", "21")));
      const nsA = readDotenv(path.join(a, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE;
      const nsB = readDotenv(path.join(b, "gitops-review.env")).GITOPS_REVIEW_NAMESPACE;
      expect(nsA).toMatch(/^review-20-fix-typo-/);
      expect(nsB).toMatch(/^review-21-fix-typo-/);
    });

    it("unicode in the branch name becomes dashes in the slug, as GitLab's CI_COMMIT_REF_SLUG", async () => {
      const branch = "feature/übersicht-ページ-✓";
      const mr = mergeRequest(branch, "22");
      expect(mr.CI_COMMIT_REF_SLUG).toBe("feature--bersicht");
      const dir = app();
      expectOk(await deploy(dir, mr));
      const outputs = readDotenv(path.join(dir, "gitops-review.env"));
      expect(outputs.GITOPS_REVIEW_URL).toBe(`https://feature--bersicht.${DOMAIN}`);
      expect(outputs.GITOPS_REVIEW_NAMESPACE).toMatch(/^review-22-feature--bersicht-[0-9a-f]{8}$/);
      expectOk(await stop(mr));
      expect(api.get("namespaces", undefined, outputs.GITOPS_REVIEW_NAMESPACE as string)).toBeUndefined();
    });
  });
});
