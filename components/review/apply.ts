/**
 * Putting a rendered review app on the review cluster, validated by the cluster itself: the
 * review namespace first (a dry run of a namespaced object into a namespace that does not exist is
 * refused by kube-apiserver's NamespaceLifecycle admission, dry runs included), then a server-side
 * dry run of every object with strict field validation, and only when the cluster accepts all of
 * them, the real server-side apply. An object the cluster refuses (an unknown field, a missing
 * required field, a wrong type, a kind it does not serve) fails the job with the cluster's own
 * words and nothing of the app applied; a namespace this job created for the dry run is removed.
 *
 * `--dry-run=server` sends `dryRun=All`: the request passes admission and validation and is not
 * stored (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run). `--validate=strict`
 * (kubectl's default, written out because the job relies on it) makes kubectl 1.32 send
 * `fieldValidation=Strict` to a server that declares the parameter, as every server since 1.27 does.
 */
import { InfrastructureError, InputError, JobError, RefusedError } from "../../runtime/errors.ts";
import { info } from "../../runtime/log.ts";
import { describeObject, type KubeObject } from "./check-objects.ts";
import { FIELD_MANAGER, LABELS, MANAGED_BY } from "./ownership.ts";
import type { Kubectl } from "./kubectl.ts";
import { isReviewNamespace, readNamespace } from "./namespace.ts";

/**
 * The review jobs' server-side apply. The merge request's manifests are the truth for its own
 * namespace: `--force-conflicts` takes over fields another manager (a debugging `kubectl edit`,
 * say) changed, instead of failing every later deploy.
 */
const APPLY = [
  "apply",
  "--server-side",
  `--field-manager=${FIELD_MANAGER}`,
  "--force-conflicts",
  "--validate=strict",
  "-f",
  "-",
];

/** The objects as a stream of JSON documents for `kubectl apply -f -`. */
export function toApplyStream(objects: readonly KubeObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join("\n");
}

/**
 * Makes sure the review namespace exists and is the review jobs' own; returns whether this call
 * created it. An existing namespace without the review label, or one being deleted, is refused.
 */
export async function prepareNamespace(kubectl: Kubectl, namespace: KubeObject): Promise<boolean> {
  const name = namespace.metadata.name;
  const live = await readNamespace(kubectl, name);
  if (live && !isReviewNamespace(live))
    throw new RefusedError(
      `namespace ${name} exists but is not labelled ${LABELS.managedBy}=${MANAGED_BY}; the review jobs did not create it, so deploy will not take it over`,
      "delete or rename that namespace if it is a leftover, or change namespace_prefix so review namespaces cannot clash with others",
    );
  if (live?.phase === "Terminating")
    throw new RefusedError(
      `namespace ${name} is being deleted (the review app was stopped)`,
      "rerun this job once the namespace is gone (kubectl get namespace shows it until then)",
    );
  if (live) return false;
  info((await kubectl.run(APPLY, toApplyStream([namespace]))).trim());
  return true;
}

/** The fix for what the cluster said in a refused dry run: a kind it does not serve, fields it refused, or both. */
function dryRunFix(said: string, manifests: string): string {
  const kinds = [
    ...new Set(
      [...said.matchAll(/no matches for kind "([^"]+)" in version "([^"]+)"/g)].map((m) => `${m[1]} (${m[2]})`),
    ),
  ];
  const fixes: string[] = [];
  if (kinds.length > 0)
    fixes.push(
      `the review cluster does not serve ${kinds.join(", ")}: install its CustomResourceDefinition in the review cluster, or leave that kind out of ${manifests}`,
    );
  if (kinds.length === 0 || /^(Error from server|The \S+ "[^"]*" is invalid)/m.test(said))
    fixes.push(
      `fix what the cluster named above in ${manifests} (\`kubectl explain <kind>.<field>\` against the review cluster shows the fields it accepts), then rerun the job`,
    );
  return fixes.join("; ");
}

/**
 * Asks the cluster to validate every object in a server-side dry run. Throws with the cluster's
 * words when it refuses any: nothing is stored by a dry run.
 */
export async function dryRunApply(kubectl: Kubectl, objects: readonly KubeObject[], manifests: string): Promise<void> {
  const args = [...APPLY.slice(0, 1), "--dry-run=server", ...APPLY.slice(1)];
  const result = await kubectl.exec(args, toApplyStream(objects));
  if (result.code === 0) {
    // The cluster's warnings (a deprecated API version, say) come on stderr even when it accepts.
    info([result.stdout.trim(), result.stderr.trim()].filter(Boolean).join("\n"));
    return;
  }
  const failure = kubectl.failure(args, result);
  if (failure instanceof InfrastructureError || failure instanceof InputError) throw failure;
  const said = result.stderr.trim() || result.stdout.trim();
  throw new JobError(
    `the review cluster refused ${manifests} in a server-side dry run (strict field validation), so nothing was applied:\n  ${said.split("\n").join("\n  ")}`,
    dryRunFix(said, manifests),
  );
}

/** Applies every object for real (after {@link dryRunApply} accepted them). */
export async function applyObjects(kubectl: Kubectl, objects: readonly KubeObject[]): Promise<void> {
  info((await kubectl.run(APPLY, toApplyStream(objects))).trim());
}

/**
 * Removes the namespace {@link prepareNamespace} created when the dry run refused the app, so a
 * refused first deploy leaves nothing behind. Returns a sentence for the job's error message.
 */
export async function removeCreatedNamespace(
  kubectl: Kubectl,
  namespace: KubeObject,
  timeout: string,
): Promise<string> {
  const name = namespace.metadata.name;
  const result = await kubectl.exec([
    "delete",
    "namespace",
    name,
    "--ignore-not-found",
    "--wait=true",
    `--timeout=${timeout}`,
  ]);
  if (result.code === 0) return `The namespace ${name} this job created for the dry run was removed again.`;
  return `The namespace ${name} this job created for the dry run could not be removed (${(result.stderr.trim() || result.stdout.trim()).split("\n").at(-1)}); the stop job removes it.`;
}

/** `Kind/name, ...` of the objects, for the log. */
export function describeObjects(objects: readonly KubeObject[]): string {
  return objects.map(describeObject).join(", ");
}
