/**
 * A stand-in for the Kubernetes API server, for tests: a plain-HTTP Node server on 127.0.0.1 (port
 * chosen at run time) that implements exactly what `kubectl` 1.32 uses for the review jobs —
 * version and aggregated discovery, the OpenAPI documents kubectl reads to learn that the server
 * validates fields (kube-api-discovery.ts), server-side apply with dry runs and the schema and
 * validation checks of kube-api-apply.ts, get, list, watch and delete — for the kinds of
 * kube-api-kinds.ts and for custom resources whose definition a test installs (Flux
 * Kustomizations with a status the test writes: kube-api-flux.ts). Objects live in
 * memory; every request is recorded; anything else answers 404 and is listed in `unhandled`, so a
 * test sees what kubectl asked for that the stand-in does not know.
 *
 * No real API server can be had on this machine (docs/decisions/kubernetes-stand-in.md); this is the closest
 * thing, and the README says so.
 */
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";
import { applyPatch, status, type KubeObject } from "./kube-api-apply.ts";
import { discovery, groupVersion, openapiDocument, openapiIndex, urlPrefix } from "./kube-api-discovery.ts";
import {
  BUILT_IN_RESOURCES,
  CUSTOM_RESOURCE_DEFINITIONS,
  customResourceDefinition,
  customResourceType,
  NAMESPACES,
  type CustomResourceDefinitionSpec,
  type ResourceType,
} from "./kube-api-kinds.ts";
import { deploymentStatus, type RolloutMode } from "./kube-api-rollout.ts";

export type { KubeObject } from "./kube-api-apply.ts";
export type { RolloutMode } from "./kube-api-rollout.ts";

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
  /**
   * Called with every request before it is answered: a test that drives an object's status per
   * request (a Flux Kustomization that applies a commit at the third read) sets it.
   */
  onRequest?: (request: RecordedRequest) => void;
  /**
   * Refuse every request as the API server refuses a credential: 401 (not authenticated: a wrong or
   * expired token) or 403 (authenticated, not authorized: RBAC). kubectl sends no bearer token over
   * plain HTTP, so the stand-in cannot tell tokens apart; the test says which answer to give.
   */
  refuse?: 401 | 403;
  /** A stored object, or undefined. `resource` is the plural (`deployments`). */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Stored objects of a resource, optionally in one namespace, sorted by namespace and name. */
  list(resource: string, namespace?: string): KubeObject[];
  /** Stores an object directly, as if someone else had created it. */
  put(object: KubeObject): void;
  /** Installs a custom resource definition: its kind is served from now on, as after `kubectl apply` of a CRD. */
  installCustomResourceDefinition(spec: CustomResourceDefinitionSpec): void;
  /** The apply patches that were not dry runs (`PATCH` with `application/apply-patch+yaml`), parsed, in order. */
  applied(): Array<{ path: string; fieldManager?: string; force?: string; object: KubeObject }>;
  /** Requests that change something: every non-GET request that is not a dry run (`dryRun=All`). */
  writes(): RecordedRequest[];
  /** Writes a kubeconfig to `file` whose context `context` (or each of several, as one agent per environment) points at this server. */
  writeKubeconfig(file: string, context: string | string[]): void;
  close(): Promise<void>;
}

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
}

const APPLY_PATCH = "application/apply-patch+yaml";

/** kubectl's OpenAPI v2 media type; an empty protobuf message is an empty document. */
const OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

function key(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${type.group}/${type.resource}/${namespace ?? ""}/${name}`;
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
  const watchers = new Set<{
    type: ResourceType;
    namespace?: string;
    query: Record<string, string>;
    res: http.ServerResponse;
  }>();
  let resourceVersion = 1;
  let uid = 0;

  /** The built-in types plus one per stored CustomResourceDefinition. */
  function types(): ResourceType[] {
    const custom = [...objects.values()]
      .filter((o) => o.kind === CUSTOM_RESOURCE_DEFINITIONS.kind)
      .map(customResourceType);
    return [...BUILT_IN_RESOURCES, ...custom];
  }

  function typeOf(object: KubeObject): ResourceType | undefined {
    return types().find((r) => r.kind === object.kind && groupVersion(r) === object.apiVersion);
  }

  /** Parses `/api/v1/...` or `/apis/<group>/<version>/...` into a resource route. */
  function route(pathname: string): Route | undefined {
    const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const core = parts[0] === "api";
    if (!(core && parts.length >= 2) && !(parts[0] === "apis" && parts.length >= 3)) return undefined;
    const group = core ? "" : (parts[1] as string);
    const version = (core ? parts[1] : parts[2]) as string;
    const rest = parts.slice(core ? 2 : 3);
    const find = (resource: string | undefined) =>
      types().find((r) => r.group === group && r.version === version && r.resource === resource);
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

  const api: KubeApi = {
    url: "",
    requests,
    unhandled,
    rollout: "ready",
    get: (resource, namespace, name) => {
      const type = types().find((r) => r.resource === resource);
      if (!type) throw new Error(`the stand-in serves no ${resource}`);
      return objects.get(key(type, type.namespaced ? namespace : undefined, name));
    },
    list: (resource, namespace) =>
      [...objects.values()]
        .filter(
          (o) => typeOf(o)?.resource === resource && (namespace === undefined || o.metadata.namespace === namespace),
        )
        .sort((a, b) =>
          `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
        ),
    put: (object) => {
      const type = typeOf(object);
      if (!type) throw new Error(`the stand-in serves no ${object.apiVersion} ${object.kind}`);
      store(type, structuredClone(object));
    },
    installCustomResourceDefinition: (spec) => api.put(customResourceDefinition(spec) as KubeObject),
    applied: () =>
      api
        .writes()
        .filter((r) => r.method === "PATCH" && r.contentType === APPLY_PATCH)
        .map((r) => ({
          path: r.path,
          fieldManager: r.query.fieldManager,
          force: r.query.force,
          object: parse(r.body ?? "") as KubeObject,
        })),
    writes: () => requests.filter((r) => r.method !== "GET" && r.query.dryRun !== "All"),
    writeKubeconfig: (file, context) => {
      const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "stand-in", cluster: { server: api.url } }],
        users: [{ name: "ci-job", user: { token: "stand-in-token" } }],
        contexts: [context].flat().map((name) => ({ name, context: { cluster: "stand-in", user: "ci-job" } })),
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
      if (
        w.type !== type ||
        (w.namespace !== undefined && w.namespace !== object.metadata.namespace) ||
        !matches(object, w.query)
      )
        continue;
      w.res.write(`${JSON.stringify({ type: event, object })}\n`);
    }
  }

  function send(res: http.ServerResponse, code: number, body: unknown, contentType = "application/json"): void {
    res.writeHead(code, { "content-type": contentType });
    res.end(JSON.stringify(body));
  }

  function notFound(res: http.ServerResponse, type: ResourceType, name: string): void {
    send(
      res,
      404,
      status(404, "NotFound", `${type.resource}${type.group ? `.${type.group}` : ""} "${name}" not found`, {
        name,
        group: type.group,
        kind: type.resource,
      }),
    );
  }

  /** Server-side apply: creates the object or merges the patch into it; a dry run stores nothing. */
  function apply(res: http.ServerResponse, r: Route, request: RecordedRequest): void {
    const { type, namespace, name } = r as Required<Route>;
    const existing = objects.get(key(type, namespace, name));
    const outcome = applyPatch({
      type,
      namespace,
      name,
      query: request.query,
      body: request.body ?? "",
      existing,
      namespaceExists: objects.has(key(NAMESPACES, undefined, namespace)),
    });
    if (!outcome.ok) return send(res, outcome.status.code, outcome.status);
    const merged = outcome.object;
    merged.metadata.uid ??= `00000000-0000-4000-8000-${String(++uid).padStart(12, "0")}`;
    merged.metadata.creationTimestamp ??= new Date().toISOString();
    const specChanged = JSON.stringify(existing?.spec) !== JSON.stringify(merged.spec);
    merged.metadata.generation =
      ((existing?.metadata.generation as number | undefined) ?? 0) + (existing && !specChanged ? 0 : 1);
    merged.metadata.managedFields = [
      {
        manager: request.query.fieldManager,
        operation: "Apply",
        apiVersion: groupVersion(type),
        time: new Date().toISOString(),
        fieldsType: "FieldsV1",
        fieldsV1: {},
      },
    ];
    if (type.kind === "Deployment") merged.status = deploymentStatus(merged, api.rollout);
    if (type.kind === "Namespace") merged.status = { phase: "Active" };
    send(res, existing ? 200 : 201, request.query.dryRun === "All" ? merged : store(type, merged));
  }

  function remove(res: http.ServerResponse, r: Route, query: Record<string, string>): void {
    const { type, namespace, name } = r as Required<Route>;
    const k = key(type, type.namespaced ? namespace : undefined, name);
    const object = objects.get(k);
    if (!object) return notFound(res, type, name);
    if (query.dryRun !== "All") {
      objects.delete(k);
      notify(type, "DELETED", object);
      // A real namespace terminates over time; here its contents go at once.
      if (type.kind === "Namespace")
        for (const [k2, o] of objects) if (o.metadata.namespace === name) objects.delete(k2);
    }
    send(res, 200, { ...object, status: type.kind === "Namespace" ? { phase: "Terminating" } : object.status });
  }

  function getOrList(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    r: Route,
    query: Record<string, string>,
  ): void {
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
    send(res, 200, {
      kind: `${type.kind}List`,
      apiVersion: groupVersion(type),
      metadata: { resourceVersion: String(resourceVersion) },
      items,
    });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://stand-in");
      const request: RecordedRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: parseQuery(url.searchParams),
        contentType: req.headers["content-type"]?.split(";")[0],
      };
      if (chunks.length > 0) request.body = Buffer.concat(chunks).toString("utf8");
      requests.push(request);
      api.onRequest?.(request);
      if (api.refuse === 401) return send(res, 401, status(401, "Unauthorized", "Unauthorized"));
      if (api.refuse === 403)
        return send(
          res,
          403,
          status(
            403,
            "Forbidden",
            `${url.pathname} is forbidden: User "gitlab:ci_job:1" cannot ${req.method?.toLowerCase()} it`,
          ),
        );
      const p = url.pathname;
      if (req.method === "GET" && p === "/version")
        return send(res, 200, { major: "1", minor: "32", gitVersion: "v1.32.0-stand-in", platform: "linux/amd64" });
      if (req.method === "GET" && (p === "/api" || p === "/apis")) {
        const accept = req.headers.accept ?? "";
        if (!accept.includes("as=APIGroupDiscoveryList")) {
          unhandled.push(request);
          return send(res, 406, status(406, "NotAcceptable", "the stand-in serves aggregated discovery only"));
        }
        const v = accept.includes("v=v2;") || accept.includes("v=v2,") ? "v2" : "v2beta1";
        return send(
          res,
          200,
          { ...discovery(types(), p === "/api"), apiVersion: `apidiscovery.k8s.io/${v}` },
          `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`,
        );
      }
      if (req.method === "GET" && p === "/openapi/v3") return send(res, 200, openapiIndex(types()));
      if (req.method === "GET" && p.startsWith("/openapi/v3/")) {
        const gv = p.slice("/openapi/v3/".length);
        if (types().some((t) => urlPrefix(t).slice(1) === gv)) return send(res, 200, openapiDocument(types(), gv));
      }
      if (req.method === "GET" && p === "/openapi/v2") {
        res.writeHead(200, { "content-type": OPENAPI_V2_PROTOBUF });
        return res.end();
      }
      const r = route(p);
      if (r) {
        if (req.method === "GET") return getOrList(req, res, r, request.query);
        if (req.method === "PATCH" && request.contentType === APPLY_PATCH && r.name !== undefined)
          return apply(res, r, request);
        if (req.method === "DELETE" && r.name !== undefined) return remove(res, r, request.query);
      }
      unhandled.push(request);
      send(res, 404, status(404, "NotFound", `the Kubernetes stand-in does not implement ${req.method} ${req.url}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
