/**
 * A stand-in for the Kubernetes API server, for tests: a plain-HTTP Node server on 127.0.0.1 (port
 * chosen at run time) that implements exactly what `kubectl` 1.32 uses for the review jobs —
 * version and aggregated discovery, the OpenAPI v3 documents kubectl reads to learn that the
 * server validates fields, server-side apply, get, list, watch and delete — for namespaces,
 * deployments (with a ready or never-ready status), services, config maps and ingresses. Objects
 * live in memory; every request is recorded; anything else answers 404 and is listed in
 * `unhandled`, so a test sees what kubectl asked for that the stand-in does not know.
 *
 * No real API server can be had on this machine (research/tooling.md §6); this is the closest
 * thing, and the README says so.
 */
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";

/** A Kubernetes object as stored (plain JSON). */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
};

/** One resource type the stand-in serves. */
interface ResourceType {
  group: string;
  version: string;
  /** Plural, as in URLs. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
}

/** Namespaces: a namespaced object can only be applied into one that exists. */
const NAMESPACES: ResourceType = { group: "", version: "v1", resource: "namespaces", kind: "Namespace", singular: "namespace", namespaced: false, shortNames: ["ns"] };
/** The resource types served. Adding one here makes discovery, OpenAPI, apply, get, list, watch and delete work for it. */
const RESOURCES: readonly ResourceType[] = [
  NAMESPACES,
  { group: "", version: "v1", resource: "services", kind: "Service", singular: "service", namespaced: true, shortNames: ["svc"] },
  { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", singular: "configmap", namespaced: true, shortNames: ["cm"] },
  { group: "apps", version: "v1", resource: "deployments", kind: "Deployment", singular: "deployment", namespaced: true, shortNames: ["deploy"] },
  { group: "networking.k8s.io", version: "v1", resource: "ingresses", kind: "Ingress", singular: "ingress", namespaced: true, shortNames: ["ing"] },
];

/**
 * How the stand-in's deployments report their rollout: all replicas available; none available
 * and still progressing (kubectl waits until its timeout); or past the progress deadline.
 */
export type RolloutMode = "ready" | "never-ready" | "deadline-exceeded";

/** A request the stand-in received. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  contentType?: string;
  /** The request body (apply patches). */
  body?: string;
}

/** A running stand-in. */
export interface KubeApi {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request, oldest first. */
  requests: RecordedRequest[];
  /** Requests the stand-in does not implement (answered 404). A passing test expects none. */
  unhandled: RecordedRequest[];
  /** How deployments applied from now on report their rollout (default `ready`). */
  rollout: RolloutMode;
  /** A stored object, or undefined. `resource` is the plural (`deployments`). */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Stored objects of a resource, optionally in one namespace, sorted by namespace and name. */
  list(resource: string, namespace?: string): KubeObject[];
  /** Stores an object directly, as if someone else had created it. */
  put(object: KubeObject): void;
  /** The apply patches received (`PATCH` with `application/apply-patch+yaml`), parsed, in order. */
  applied(): Array<{ path: string; fieldManager?: string; force?: string; object: KubeObject }>;
  /** Writes a kubeconfig to `file` whose context `context` points at this server. */
  writeKubeconfig(file: string, context: string): void;
  close(): Promise<void>;
}

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
}

const APPLY_PATCH = "application/apply-patch+yaml";

function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: code < 300 ? "Success" : "Failure", message, reason, details, code };
}

function groupVersion(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

function prefix(type: ResourceType): string {
  return type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
}

/** Aggregated discovery (`apidiscovery.k8s.io/v2`) for the core group (`/api`) or the named groups (`/apis`). */
function discovery(core: boolean) {
  const groups = [...new Set(RESOURCES.filter((r) => (r.group === "") === core).map((r) => r.group))];
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: [
        {
          version: "v1",
          freshness: "Current",
          resources: RESOURCES.filter((r) => r.group === group).map((r) => ({
            resource: r.resource,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: r.namespaced ? "Namespaced" : "Cluster",
            singularResource: r.singular,
            shortNames: r.shortNames,
            verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
          })),
        },
      ],
    })),
  };
}

/**
 * The OpenAPI v3 index and one document per group version, holding only what kubectl reads: each
 * resource's PATCH operation, tagged with its kind and declaring the `fieldValidation` parameter
 * (which tells kubectl that the server validates fields itself, so `--validate=strict` needs no schema).
 */
function openapiIndex() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of new Set(RESOURCES.map((r) => prefix(r).slice(1)))) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=standin` };
  return { paths };
}

function openapiDocument(gvPath: string) {
  const paths: Record<string, unknown> = {};
  for (const type of RESOURCES.filter((r) => prefix(r).slice(1) === gvPath)) {
    const item = type.namespaced ? `/${gvPath}/namespaces/{namespace}/${type.resource}/{name}` : `/${gvPath}/${type.resource}/{name}`;
    paths[item] = {
      patch: {
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": { group: type.group, version: type.version, kind: type.kind },
        parameters: [
          { name: "dryRun", in: "query", schema: { type: "string" } },
          { name: "fieldManager", in: "query", schema: { type: "string" } },
          { name: "fieldValidation", in: "query", schema: { type: "string" } },
          { name: "force", in: "query", schema: { type: "boolean" } },
        ],
      },
    };
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes stand-in", version: "v1.32.0" }, paths, components: { schemas: {} } };
}

/** Parses `/api/v1/...` or `/apis/<group>/<version>/...` into a resource route. */
function route(pathname: string): Route | undefined {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const core = parts[0] === "api";
  if (!(core && parts.length >= 2) && !(parts[0] === "apis" && parts.length >= 3)) return undefined;
  const group = core ? "" : (parts[1] as string);
  const version = (core ? parts[1] : parts[2]) as string;
  const rest = parts.slice(core ? 2 : 3);
  const find = (resource: string | undefined) => RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
  // namespaces/<ns>/<resource>[/<name>]
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const type = find(rest[2]);
    return type?.namespaced && rest.length <= 4 ? { type, namespace: rest[1], name: rest[3] } : undefined;
  }
  // <resource>[/<name>] (cluster-scoped objects, or a list across namespaces)
  const type = find(rest[0]);
  if (!type || rest.length > 2 || (type.namespaced && rest.length === 2)) return undefined;
  return { type, name: rest[1] };
}

function key(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${type.group}/${type.resource}/${namespace ?? ""}/${name}`;
}

/** Deep merge for apply: maps merge, everything else (lists included) is replaced — enough for these tests. */
function merge(base: unknown, patch: unknown): unknown {
  if (typeof base !== "object" || base === null || Array.isArray(base) || typeof patch !== "object" || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) out[k] = merge(out[k], v);
  return out;
}

/** The status a deployment reports: rolled out, or stuck with no available replica. */
function deploymentStatus(object: KubeObject, mode: RolloutMode) {
  const replicas = ((object.spec as { replicas?: number } | undefined)?.replicas ?? 1) as number;
  const generation = (object.metadata.generation as number) ?? 1;
  const now = new Date().toISOString();
  if (mode === "ready")
    return {
      observedGeneration: generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability.", lastUpdateTime: now, lastTransitionTime: now },
        { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet "${object.metadata.name}-5d8c7b9f4" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: now },
      ],
    };
  const progressing =
    mode === "never-ready"
      ? { type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: `ReplicaSet "${object.metadata.name}-5d8c7b9f4" is progressing.` }
      : { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: `ReplicaSet "${object.metadata.name}-5d8c7b9f4" has timed out progressing.` };
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    unavailableReplicas: replicas,
    conditions: [
      { type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability.", lastUpdateTime: now, lastTransitionTime: now },
      { ...progressing, lastUpdateTime: now, lastTransitionTime: now },
    ],
  };
}

function parseQuery(search: URLSearchParams): Record<string, string> {
  return Object.fromEntries(search.entries());
}

/** `metadata.name=x` field selectors and `k=v,k2=v2` label selectors, the forms kubectl sends here. */
function matches(object: KubeObject, query: Record<string, string>): boolean {
  for (const term of (query.fieldSelector ?? "").split(",").filter(Boolean)) {
    const [field, value] = term.split("=");
    if (field === "metadata.name" && object.metadata.name !== value) return false;
    if (field === "metadata.namespace" && object.metadata.namespace !== value) return false;
  }
  for (const term of (query.labelSelector ?? "").split(",").filter(Boolean)) {
    const [label = "", value] = term.split("=");
    if (object.metadata.labels?.[label] !== value) return false;
  }
  return true;
}

/** Starts the stand-in on 127.0.0.1 at a free port. */
export async function startKubeApi(): Promise<KubeApi> {
  const objects = new Map<string, KubeObject>();
  const requests: RecordedRequest[] = [];
  const unhandled: RecordedRequest[] = [];
  const watchers = new Set<{ type: ResourceType; namespace?: string; query: Record<string, string>; res: http.ServerResponse }>();
  let resourceVersion = 1;
  let uid = 0;

  const api: KubeApi = {
    url: "",
    requests,
    unhandled,
    rollout: "ready",
    get: (resource, namespace, name) => {
      const type = RESOURCES.find((r) => r.resource === resource);
      if (!type) throw new Error(`the stand-in serves no ${resource}`);
      return objects.get(key(type, type.namespaced ? namespace : undefined, name));
    },
    list: (resource, namespace) =>
      [...objects.values()]
        .filter((o) => RESOURCES.find((r) => r.resource === resource && r.kind === o.kind && groupVersion(r) === o.apiVersion) && (namespace === undefined || o.metadata.namespace === namespace))
        .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`)),
    put: (object) => {
      const type = RESOURCES.find((r) => r.kind === object.kind && groupVersion(r) === object.apiVersion);
      if (!type) throw new Error(`the stand-in serves no ${object.apiVersion} ${object.kind}`);
      store(type, structuredClone(object));
    },
    applied: () =>
      requests
        .filter((r) => r.method === "PATCH" && r.contentType === APPLY_PATCH)
        .map((r) => ({ path: r.path, fieldManager: r.query.fieldManager, force: r.query.force, object: parse(r.body ?? "") as KubeObject })),
    writeKubeconfig: (file, context) => {
      const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "stand-in", cluster: { server: api.url } }],
        users: [{ name: "ci-job", user: { token: "stand-in-token" } }],
        contexts: [{ name: context, context: { cluster: "stand-in", user: "ci-job" } }],
        "current-context": "",
      };
      writeFileSync(file, JSON.stringify(config, null, 2));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of watchers) w.res.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function store(type: ResourceType, object: KubeObject): KubeObject {
    const k = key(type, object.metadata.namespace, object.metadata.name);
    const existing = objects.get(k);
    object.metadata.resourceVersion = String(++resourceVersion);
    objects.set(k, object);
    notify(type, existing ? "MODIFIED" : "ADDED", object);
    return object;
  }

  function notify(type: ResourceType, event: "ADDED" | "MODIFIED" | "DELETED", object: KubeObject): void {
    for (const w of watchers) {
      if (w.type !== type || (w.namespace !== undefined && w.namespace !== object.metadata.namespace) || !matches(object, w.query)) continue;
      w.res.write(`${JSON.stringify({ type: event, object })}\n`);
    }
  }

  function send(res: http.ServerResponse, code: number, body: unknown, contentType = "application/json"): void {
    res.writeHead(code, { "content-type": contentType });
    res.end(JSON.stringify(body));
  }

  function notFound(res: http.ServerResponse, type: ResourceType, name: string): void {
    send(res, 404, status(404, "NotFound", `${type.resource}${type.group ? `.${type.group}` : ""} "${name}" not found`, { name, group: type.group, kind: type.resource }));
  }

  /** Server-side apply: creates the object or merges the patch into it. */
  function apply(res: http.ServerResponse, r: Route, request: RecordedRequest): void {
    const { type, namespace, name } = r as Required<Route>;
    if (!request.query.fieldManager) return send(res, 422, status(422, "Invalid", "PATCH is not supported with apply without a fieldManager"));
    let patch: KubeObject;
    try {
      patch = parse(request.body ?? "") as KubeObject;
    } catch (e) {
      return send(res, 400, status(400, "BadRequest", `error decoding YAML: ${(e as Error).message}`));
    }
    if (patch?.kind !== type.kind || patch.apiVersion !== groupVersion(type) || patch.metadata?.name !== name)
      return send(res, 400, status(400, "BadRequest", `the body (${patch?.apiVersion} ${patch?.kind} ${patch?.metadata?.name}) does not match the URL (${groupVersion(type)} ${type.kind} ${name})`));
    if (type.namespaced) {
      if (patch.metadata.namespace !== undefined && patch.metadata.namespace !== namespace)
        return send(res, 400, status(400, "BadRequest", `the namespace of the provided object does not match the namespace sent on the request`));
      if (!objects.has(key(NAMESPACES, undefined, namespace))) return send(res, 404, status(404, "NotFound", `namespaces "${namespace}" not found`, { name: namespace, kind: "namespaces" }));
    }
    const existing = objects.get(key(type, namespace, name));
    const { status: _ignored, ...desired } = patch;
    const merged = merge(existing ?? {}, desired) as KubeObject;
    merged.metadata.namespace = type.namespaced ? namespace : undefined;
    if (!type.namespaced) delete merged.metadata.namespace;
    merged.metadata.uid ??= `00000000-0000-4000-8000-${String(++uid).padStart(12, "0")}`;
    merged.metadata.creationTimestamp ??= new Date().toISOString();
    const specChanged = JSON.stringify(existing?.spec) !== JSON.stringify(merged.spec);
    merged.metadata.generation = ((existing?.metadata.generation as number | undefined) ?? 0) + (existing && !specChanged ? 0 : 1);
    merged.metadata.managedFields = [{ manager: request.query.fieldManager, operation: "Apply", apiVersion: groupVersion(type), time: new Date().toISOString(), fieldsType: "FieldsV1", fieldsV1: {} }];
    if (type.kind === "Deployment") merged.status = deploymentStatus(merged, api.rollout);
    if (type.kind === "Namespace") merged.status = { phase: "Active" };
    send(res, existing ? 200 : 201, store(type, merged));
  }

  function remove(res: http.ServerResponse, r: Route): void {
    const { type, namespace, name } = r as Required<Route>;
    const k = key(type, type.namespaced ? namespace : undefined, name);
    const object = objects.get(k);
    if (!object) return notFound(res, type, name);
    objects.delete(k);
    notify(type, "DELETED", object);
    if (type.kind === "Namespace") {
      // A real namespace terminates over time; here its contents go at once.
      for (const [k2, o] of objects) if (o.metadata.namespace === name) objects.delete(k2);
    }
    send(res, 200, { ...object, status: type.kind === "Namespace" ? { phase: "Terminating" } : object.status });
  }

  function getOrList(req: http.IncomingMessage, res: http.ServerResponse, r: Route, query: Record<string, string>): void {
    const { type, namespace, name } = r;
    if (name !== undefined) {
      const object = objects.get(key(type, type.namespaced ? namespace : undefined, name));
      return object ? send(res, 200, object) : notFound(res, type, name);
    }
    if (query.watch === "true" || query.watch === "1") {
      res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
      res.flushHeaders();
      const watcher = { type, namespace, query, res };
      watchers.add(watcher);
      req.on("close", () => watchers.delete(watcher));
      return;
    }
    const items = api.list(type.resource, namespace).filter((o) => o.kind === type.kind && matches(o, query));
    send(res, 200, { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: { resourceVersion: String(resourceVersion) }, items });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://stand-in");
      const request: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, query: parseQuery(url.searchParams), contentType: req.headers["content-type"]?.split(";")[0] };
      if (chunks.length > 0) request.body = Buffer.concat(chunks).toString("utf8");
      requests.push(request);
      const p = url.pathname;
      if (req.method === "GET" && p === "/version") return send(res, 200, { major: "1", minor: "32", gitVersion: "v1.32.0-stand-in", platform: "linux/amd64" });
      if (req.method === "GET" && (p === "/api" || p === "/apis")) {
        const accept = req.headers.accept ?? "";
        if (!accept.includes("as=APIGroupDiscoveryList")) {
          unhandled.push(request);
          return send(res, 406, status(406, "NotAcceptable", "the stand-in serves aggregated discovery only"));
        }
        const v = accept.includes("v=v2;") || accept.includes("v=v2,") ? "v2" : "v2beta1";
        return send(res, 200, { ...discovery(p === "/api"), apiVersion: `apidiscovery.k8s.io/${v}` }, `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
      }
      if (req.method === "GET" && p === "/openapi/v3") return send(res, 200, openapiIndex());
      if (req.method === "GET" && p.startsWith("/openapi/v3/")) return send(res, 200, openapiDocument(p.slice("/openapi/v3/".length)));
      const r = route(p);
      if (r) {
        if (req.method === "GET") return getOrList(req, res, r, request.query);
        if (req.method === "PATCH" && request.contentType === APPLY_PATCH && r.name !== undefined) return apply(res, r, request);
        if (req.method === "DELETE" && r.name !== undefined) return remove(res, r);
      }
      unhandled.push(request);
      send(res, 404, status(404, "NotFound", `the Kubernetes stand-in does not implement ${req.method} ${req.url}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
