/**
 * The Kubernetes API stand-in itself: what it refuses, so the review tests cannot pass by the
 * stand-in being more lenient than a cluster in the ways these jobs depend on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi } from "../support/kube-api.ts";

const apply = (api: KubeApi, path: string, body: string, fieldManager = "test") =>
  fetch(`${api.url}${path}?fieldManager=${fieldManager}`, { method: "PATCH", headers: { "content-type": "application/apply-patch+yaml" }, body });

describe("Kubernetes API stand-in", () => {
  let api: KubeApi;
  beforeAll(async () => {
    api = await startKubeApi();
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

  it("refuses an object applied into a namespace that does not exist", async () => {
    const response = await apply(api, "/api/v1/namespaces/nowhere/services/web", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n");
    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toBe('namespaces "nowhere" not found');
    expect(api.get("services", "nowhere", "web")).toBeUndefined();
  });

  it("refuses an apply patch without a field manager", async () => {
    const response = await apply(api, "/api/v1/namespaces/ns1", "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns1}\n", "");
    expect(response.status).toBe(422);
  });

  it("deletes a namespace with everything in it, then answers 404 for it", async () => {
    expect((await apply(api, "/api/v1/namespaces/ns2", "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns2}\n")).status).toBe(201);
    expect((await apply(api, "/api/v1/namespaces/ns2/configmaps/c", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")).status).toBe(201);
    expect((await fetch(`${api.url}/api/v1/namespaces/ns2`, { method: "DELETE" })).status).toBe(200);
    expect(api.list("configmaps", "ns2")).toEqual([]);
    expect((await fetch(`${api.url}/api/v1/namespaces/ns2`, { method: "DELETE" })).status).toBe(404);
  });
});
