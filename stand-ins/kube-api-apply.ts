/**
 * Server-side apply as the Kubernetes API stand-in answers it: one pure function from the request
 * to the object that would be stored, or to the `Status` kube-apiserver would refuse it with.
 *
 * The checks and their order follow kube-apiserver's apply handler
 * (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go`, `applyPatcher`):
 * 1. the patch options (`dryRun` may only be `All`, `fieldValidation` one of Ignore/Warn/Strict,
 *    a `fieldManager` is required) → 422 Invalid PatchOptions;
 * 2. the YAML is decoded (duplicate keys allowed) → 400 "error decoding YAML";
 * 3. the body must name the URL's kind, version, name and namespace → 400;
 * 4. the patch is made a typed object (`structuredmerge.go`, structured-merge-diff): an undeclared
 *    field or a value of the wrong type fails here, whatever `fieldValidation` says, with a plain
 *    error that kube-apiserver answers as 500 with no reason ("failed to create typed patch
 *    object (…): .spec.x: field not declared in schema"; kubernetes/kubernetes#122480 shows the
 *    body, #139253 the pending change to 400);
 * 5. with `fieldValidation=Strict`, duplicate keys → 400 "error strict decoding YAML" (the only
 *    thing Strict adds to an apply: unknown fields were refused in step 4 already);
 * 6. admission: a namespaced object needs its namespace (NamespaceLifecycle, which dry runs pass
 *    through too) → 404 NotFound;
 * 7. the registry validates the merged object → 422 Invalid with one cause per field
 *    (`errors.NewInvalid`).
 * A dry run (`dryRun=All`) goes through every step and stores nothing
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run); the caller decides that.
 */
import { parseDocument } from "yaml";
import { type ResourceType } from "./kube-api-kinds.ts";
import { groupVersion } from "./kube-api-discovery.ts";
import { joinStructuralErrors, structuralErrors } from "./kube-api-schema.ts";

/** A Kubernetes object as stored (plain JSON). */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
};

/** A `metav1.Status` body. */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message: string;
  /** Absent for errors kube-apiserver did not classify (StatusReasonUnknown). */
  reason?: string;
  details?: Record<string, unknown>;
  code: number;
}

/** A `metav1.Status` body for `code`. */
export function status(
  code: number,
  reason: string | undefined,
  message: string,
  details?: Record<string, unknown>,
): Status {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: code < 300 ? "Success" : "Failure",
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
}

/** kube-apiserver's `utilerrors.Aggregate` message: one error alone, several in brackets. */
function aggregate(messages: readonly string[]): string {
  return messages.length === 1 ? (messages[0] as string) : `[${messages.join(", ")}]`;
}

/** `errors.NewInvalid`: 422, reason Invalid, a cause per field, "<Kind>.<group> "<name>" is invalid: …". */
function invalid(
  group: string,
  kind: string,
  name: string,
  causes: ReadonlyArray<{ field: string; reason: string; message: string }>,
): Status {
  const qualified = group ? `${kind}.${group}` : kind;
  const message = `${qualified} ${JSON.stringify(name)} is invalid: ${aggregate(causes.map((c) => `${c.field}: ${c.message}`))}`;
  // Go's omitempty: an empty name or group (the core group) is left out of the details.
  return status(422, "Invalid", message, {
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
    kind,
    causes: causes.map(({ reason, message, field }) => ({ reason, message, field })),
  });
}

/** Deep merge for apply: maps merge, everything else (lists included) is replaced — enough for these tests. */
export function merge(base: unknown, patch: unknown): unknown {
  if (
    typeof base !== "object" ||
    base === null ||
    Array.isArray(base) ||
    typeof patch !== "object" ||
    patch === null ||
    Array.isArray(patch)
  )
    return structuredClone(patch);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) out[k] = merge(out[k], v);
  return out;
}

/** What an apply request brings and finds. */
export interface ApplyRequest {
  type: ResourceType;
  /** The URL's namespace (namespaced types) and name. */
  namespace?: string;
  name: string;
  query: Record<string, string>;
  body: string;
  /** The stored object, if any. */
  existing?: KubeObject;
  /** Does the URL's namespace exist? */
  namespaceExists: boolean;
}

/** The outcome: the object as it would be stored, or the refusal. */
export type ApplyOutcome = { ok: true; object: KubeObject } | { ok: false; status: Status };

const DRY_RUN_VALUES = ["All"];
const FIELD_VALIDATION_VALUES = ["Ignore", "Strict", "Warn"];

/** Checks and merges one apply patch (see the module comment for the steps). */
export function applyPatch(request: ApplyRequest): ApplyOutcome {
  const { type, namespace, name, query } = request;
  const refuse = (s: Status): ApplyOutcome => ({ ok: false, status: s });

  const optionErrors: Array<{ field: string; reason: string; message: string }> = [];
  if (query.dryRun !== undefined && !DRY_RUN_VALUES.includes(query.dryRun))
    optionErrors.push({
      field: "dryRun",
      reason: "FieldValueNotSupported",
      message: `Unsupported value: []string{${JSON.stringify(query.dryRun)}}: supported values: "All"`,
    });
  if (query.fieldValidation && !FIELD_VALIDATION_VALUES.includes(query.fieldValidation))
    optionErrors.push({
      field: "fieldValidation",
      reason: "FieldValueNotSupported",
      message: `Unsupported value: ${JSON.stringify(query.fieldValidation)}: supported values: ${FIELD_VALIDATION_VALUES.map((v) => `"${v}"`).join(", ")}`,
    });
  if (!query.fieldManager)
    optionErrors.push({
      field: "fieldManager",
      reason: "FieldValueRequired",
      message: "Required value: is required for apply patch",
    });
  if (optionErrors.length > 0) return refuse(invalid("meta.k8s.io", "PatchOptions", "", optionErrors));

  const document = parseDocument(request.body, { uniqueKeys: false });
  if (document.errors.length > 0)
    return refuse(status(400, "BadRequest", `error decoding YAML: ${document.errors[0]?.message}`));
  const patch = document.toJS() as KubeObject;
  if (patch?.kind !== type.kind || patch.apiVersion !== groupVersion(type) || patch.metadata?.name !== name)
    return refuse(
      status(
        400,
        "BadRequest",
        `the body (${patch?.apiVersion} ${patch?.kind} ${patch?.metadata?.name}) does not match the URL (${groupVersion(type)} ${type.kind} ${name})`,
      ),
    );
  if (type.namespaced && patch.metadata.namespace !== undefined && patch.metadata.namespace !== namespace)
    return refuse(
      status(
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
      ),
    );
  if (patch.metadata.managedFields !== undefined)
    return refuse(status(400, "BadRequest", "metadata.managedFields must be nil"));

  const structural = structuralErrors(type.schema, patch);
  if (structural.length > 0) {
    const where = `${patch.metadata.namespace ?? ""}/${name}; ${type.group}/${type.version}, Kind=${type.kind}`;
    return refuse(
      status(500, undefined, `failed to create typed patch object (${where}): ${joinStructuralErrors(structural)}`),
    );
  }
  if (query.fieldValidation === "Strict") {
    const strict = parseDocument(request.body, { uniqueKeys: true });
    const duplicate = strict.errors.find((e) => e.code === "DUPLICATE_KEY");
    if (duplicate) {
      const key = /^["']?([^"':\s]*)/.exec(request.body.slice(duplicate.pos[0]))?.[1] ?? "";
      const line = duplicate.linePos?.[0]?.line ?? 0;
      return refuse(
        status(
          400,
          "BadRequest",
          `error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line ${line}: key ${JSON.stringify(key)} already set in map`,
        ),
      );
    }
  }
  if (type.namespaced && !request.namespaceExists)
    return refuse(
      status(404, "NotFound", `namespaces "${namespace}" not found`, { name: namespace, kind: "namespaces" }),
    );

  const { status: _ignored, ...desired } = patch;
  const merged = merge(request.existing ?? {}, desired) as KubeObject;
  if (type.namespaced) merged.metadata.namespace = namespace;
  else delete merged.metadata.namespace;
  const fieldErrors = type.validate?.(merged) ?? [];
  if (fieldErrors.length > 0) return refuse(invalid(type.group, type.kind, name, fieldErrors));
  return { ok: true, object: merged };
}
