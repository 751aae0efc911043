/**
 * What the Kubernetes API stand-in tells kubectl about itself: aggregated discovery and the
 * OpenAPI v3 documents kubectl 1.32 reads to learn that the server validates fields itself.
 *
 * kubectl asks `k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go` whether a kind's PATCH
 * operation declares the `fieldValidation` parameter; if it does, `--validate=strict` sends
 * `fieldValidation=Strict` and leaves validation to the server. For a group version the server
 * does not publish, kubectl lists the CustomResourceDefinitions; if none defines the kind it falls
 * back to the OpenAPI v2 document (client-side validation), which the stand-in serves empty, so
 * kubectl then fails as against a real cluster: "no matches for kind … ensure CRDs are installed first".
 */
import { createHash } from "node:crypto";
import type { ResourceType } from "./kube-api-kinds.ts";

/** `group/version`, or `version` for the core group. */
export function groupVersion(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** The URL prefix of a resource type's group version. */
export function urlPrefix(type: ResourceType): string {
  return type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
}

/** Aggregated discovery (`apidiscovery.k8s.io/v2`) for the core group (`/api`) or the named groups (`/apis`). */
export function discovery(types: readonly ResourceType[], core: boolean) {
  const groups = [...new Set(types.filter((r) => (r.group === "") === core).map((r) => r.group))];
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: [...new Set(types.filter((r) => r.group === group).map((r) => r.version))].map((version) => ({
        version,
        freshness: "Current",
        resources: types
          .filter((r) => r.group === group && r.version === version)
          .map((r) => ({
            resource: r.resource,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: r.namespaced ? "Namespaced" : "Cluster",
            singularResource: r.singular,
            shortNames: r.shortNames,
            verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
          })),
      })),
    })),
  };
}

/** One OpenAPI v3 document per group version, holding only what kubectl reads: each resource's PATCH operation. */
export function openapiDocument(types: readonly ResourceType[], gvPath: string) {
  const paths: Record<string, unknown> = {};
  for (const type of types.filter((r) => urlPrefix(r).slice(1) === gvPath)) {
    const item = type.namespaced
      ? `/${gvPath}/namespaces/{namespace}/${type.resource}/{name}`
      : `/${gvPath}/${type.resource}/{name}`;
    paths[item] = {
      patch: {
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": { group: type.group, version: type.version, kind: type.kind },
        parameters: ["dryRun", "fieldManager", "fieldValidation", "force"].map((name) => ({
          name,
          in: "query",
          schema: { type: name === "force" ? "boolean" : "string" },
        })),
      },
    };
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes stand-in", version: "v1.32.0" },
    paths,
    components: { schemas: {} },
  };
}

/** The OpenAPI v3 index; each document's hash changes with its content, so kubectl's cache never serves a stale one. */
export function openapiIndex(types: readonly ResourceType[]) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of new Set(types.map((r) => urlPrefix(r).slice(1)))) {
    const hash = createHash("sha256")
      .update(JSON.stringify(openapiDocument(types, gv)))
      .digest("hex")
      .slice(0, 16);
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return { paths };
}
