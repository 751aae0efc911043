/**
 * The Kubernetes API stand-in itself: what it refuses and how, so the review tests cannot pass by
 * the stand-in being more lenient than a cluster in the ways these jobs depend on. Each expected
 * answer is kube-apiserver's (sources in stand-ins/kube-api-apply.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi } from "../../stand-ins/kube-api.ts";

const apply = (api: KubeApi, path: string, body: string, query: Record<string, string> = { fieldManager: "test" }) =>
  fetch(`${api.url}${path}?${new URLSearchParams(query)}`, {
    method: "PATCH",
    headers: { "content-type": "application/apply-patch+yaml" },
    body,
  });

const STRICT_DRY_RUN = { fieldManager: "test", fieldValidation: "Strict", dryRun: "All" };

const deployment = (spec: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ns3}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: app}]}\n${spec}`;

describe("Kubernetes API stand-in", () => {
  let api: KubeApi;
  beforeAll(async () => {
    api = await startKubeApi();
    await apply(api, "/api/v1/namespaces/ns3", "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns3}\n");
  });
  afterAll(async () => {
    await api.close();
  });

  it("answers 404 to what it does not implement and lists it as unhandled", async () => {
    const response = await fetch(`${api.url}/api/v1/namespaces/x/pods`);
    expect(response.status).toBe(404);
    expect(api.unhandled.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/v1/namespaces/x/pods"]);
    api.unhandled.length = 0;
  });

  it("refuses an object applied into a namespace that does not exist, in a dry run too (NamespaceLifecycle admission)", async () => {
    for (const query of [{ fieldManager: "test" }, STRICT_DRY_RUN]) {
      const response = await apply(
        api,
        "/api/v1/namespaces/nowhere/services/web",
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n",
        query,
      );
      expect(response.status).toBe(404);
      expect(((await response.json()) as { message: string }).message).toBe('namespaces "nowhere" not found');
    }
    expect(api.get("services", "nowhere", "web")).toBeUndefined();
  });

  it("refuses an apply patch without a field manager", async () => {
    const response = await apply(
      api,
      "/api/v1/namespaces/ns1",
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns1}\n",
      {},
    );
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      reason: "Invalid",
      details: {
        group: "meta.k8s.io",
        kind: "PatchOptions",
        causes: [
          {
            reason: "FieldValueRequired",
            message: "Required value: is required for apply patch",
            field: "fieldManager",
          },
        ],
      },
      code: 422,
    });
  });

  it("deletes a namespace with everything in it, then answers 404 for it", async () => {
    expect(
      (await apply(api, "/api/v1/namespaces/ns2", "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns2}\n")).status,
    ).toBe(201);
    expect(
      (
        await apply(
          api,
          "/api/v1/namespaces/ns2/configmaps/c",
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
        )
      ).status,
    ).toBe(201);
    expect((await fetch(`${api.url}/api/v1/namespaces/ns2`, { method: "DELETE" })).status).toBe(200);
    expect(api.list("configmaps", "ns2")).toEqual([]);
    expect((await fetch(`${api.url}/api/v1/namespaces/ns2`, { method: "DELETE" })).status).toBe(404);
  });

  describe("dry runs (dryRun=All)", () => {
    it("answers a valid object as it would be stored, and stores nothing", async () => {
      const before = api.requests.length;
      const response = await apply(
        api,
        "/apis/apps/v1/namespaces/ns3/deployments/web",
        deployment("  replicas: 2\n"),
        STRICT_DRY_RUN,
      );
      expect(response.status).toBe(201);
      expect(((await response.json()) as { spec: { replicas: number } }).spec.replicas).toBe(2);
      expect(api.get("deployments", "ns3", "web")).toBeUndefined();
      expect(api.writes().filter((r) => api.requests.indexOf(r) >= before)).toEqual([]);
    });

    it("deletes nothing", async () => {
      expect((await fetch(`${api.url}/api/v1/namespaces/ns3?dryRun=All`, { method: "DELETE" })).status).toBe(200);
      expect(api.get("namespaces", undefined, "ns3")).toBeDefined();
    });

    it("refuses a dryRun value other than All", async () => {
      const response = await apply(api, "/apis/apps/v1/namespaces/ns3/deployments/web", deployment(""), {
        fieldManager: "test",
        dryRun: "Everything",
      });
      expect(response.status).toBe(422);
      expect(api.get("deployments", "ns3", "web")).toBeUndefined();
    });
  });

  describe("what the apply handler refuses", () => {
    it.each([
      {
        given: "an unknown field (with or without fieldValidation=Strict: the typed patch fails first)",
        body: deployment("  replica: 2\n"),
        code: 500,
        message:
          "failed to create typed patch object (ns3/web; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema",
      },
      {
        given: "an unknown field inside a keyed list",
        body: deployment("").replace("image: app}", "image: app, imagePullPolicyy: Always}"),
        code: 500,
        message:
          'failed to create typed patch object (ns3/web; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="web"].imagePullPolicyy: field not declared in schema',
      },
      {
        given: "a wrong type",
        body: deployment('  replicas: "2"\n'),
        code: 500,
        message:
          "failed to create typed patch object (ns3/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string",
      },
      {
        given: "two errors at once",
        body: deployment('  replicas: "2"\n  paused: "no"\n'),
        code: 500,
        message:
          "failed to create typed patch object (ns3/web; apps/v1, Kind=Deployment): errors:\n  .spec.replicas: expected numeric (int or float), got string\n  .spec.paused: expected boolean, got &{no}",
      },
    ])(
      "$given: $code with no reason, as kube-apiserver answers a typed patch that fails",
      async ({ body, code, message }) => {
        for (const query of [STRICT_DRY_RUN, { fieldManager: "test", fieldValidation: "Ignore" }]) {
          const response = await apply(api, "/apis/apps/v1/namespaces/ns3/deployments/web", body, query);
          expect(response.status).toBe(code);
          expect(await response.json()).toEqual({
            kind: "Status",
            apiVersion: "v1",
            metadata: {},
            status: "Failure",
            message,
            code,
          });
        }
      },
    );

    it("a missing required field: 422 Invalid with a cause per field (errors.NewInvalid)", async () => {
      const response = await apply(
        api,
        "/api/v1/namespaces/ns3/services/web",
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n",
        STRICT_DRY_RUN,
      );
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: 'Service "web" is invalid: spec.ports: Required value',
        reason: "Invalid",
        details: {
          name: "web",
          kind: "Service",
          causes: [{ reason: "FieldValueRequired", message: "Required value", field: "spec.ports" }],
        },
        code: 422,
      });
    });

    it("several invalid fields: the message lists them in brackets", async () => {
      const body = deployment("")
        .replace("  selector: {matchLabels: {app: web}}\n", "")
        .replace("image: app}", "image: ''}");
      const response = await apply(api, "/apis/apps/v1/namespaces/ns3/deployments/web", body, STRICT_DRY_RUN);
      expect(response.status).toBe(422);
      expect(((await response.json()) as { message: string }).message).toBe(
        'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template.spec.containers[0].image: Required value]',
      );
    });

    it("duplicate keys: refused under fieldValidation=Strict only (400), the one thing Strict adds to an apply", async () => {
      const body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata:\n  a: one\n  a: two\n";
      const strict = await apply(api, "/api/v1/namespaces/ns3/configmaps/dup", body, STRICT_DRY_RUN);
      expect(strict.status).toBe(400);
      expect(((await strict.json()) as { message: string }).message).toBe(
        'error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 6: key "a" already set in map',
      );
      expect(
        (await apply(api, "/api/v1/namespaces/ns3/configmaps/dup", body, { fieldManager: "test", dryRun: "All" }))
          .status,
      ).toBe(201);
    });
  });

  describe("custom resources", () => {
    const monitor =
      "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\nspec: {endpoints: [{port: http}]}\n";

    it("serves a kind only once its CustomResourceDefinition is installed, then keeps any spec", async () => {
      const path = "/apis/monitoring.coreos.com/v1/namespaces/ns3/servicemonitors/web";
      expect((await apply(api, path, monitor)).status).toBe(404);
      api.unhandled.length = 0;
      api.installCustomResourceDefinition({ group: "monitoring.coreos.com", version: "v1", kind: "ServiceMonitor" });
      const discovery = (await (
        await fetch(`${api.url}/apis`, {
          headers: { accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" },
        })
      ).json()) as { items: Array<{ metadata: { name: string } }> };
      expect(discovery.items.map((g) => g.metadata.name)).toContain("monitoring.coreos.com");
      expect((await apply(api, path, monitor)).status).toBe(201);
      expect(api.get("servicemonitors", "ns3", "web")?.spec).toEqual({ endpoints: [{ port: "http" }] });
      const crds = (await (
        await fetch(`${api.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`)
      ).json()) as { items: Array<{ metadata: { name: string } }> };
      expect(crds.items.map((c) => c.metadata.name)).toEqual(["servicemonitors.monitoring.coreos.com"]);
    });
  });
});
