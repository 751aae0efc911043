/**
 * What a Flux `Kustomization` (kustomize.toolkit.fluxcd.io/v1) reports, read from its JSON as
 * `kubectl get -o json` prints it, and the small vocabulary around it: revisions, conditions,
 * durations. Pure; `gate.ts` decides with it, `verify.ts` fetches it.
 *
 * Field meanings are kustomize-controller's (`api/v1/kustomization_types.go`, `KustomizationStatus`;
 * `internal/controller/kustomization_controller.go` writes them): `lastAppliedRevision` moves only
 * after the apply and the health checks passed, together with `Ready=True`; `lastAttemptedRevision`
 * moves once the source artifact is fetched; every condition carries the `observedGeneration` it
 * was written for (fluxcd/pkg `runtime/conditions/setter.go`).
 */

/** A `metav1.Condition`. */
export interface FluxCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

/**
 * One `status.history` snapshot (fluxcd/pkg `apis/meta/history.go`, kustomize-controller v1.7.0,
 * Flux v2.7.0): one entry per rendered-manifests digest and outcome, newest first, at most five.
 */
export interface FluxHistoryEntry {
  digest?: string;
  firstReconciled?: string;
  lastReconciled?: string;
  lastReconciledStatus?: string;
  totalReconciliations?: number;
  metadata?: { revision?: string; originRevision?: string };
}

/** The parts of a Kustomization the gates read. */
export interface Kustomization {
  metadata: { name: string; namespace?: string; generation?: number };
  spec?: { suspend?: boolean };
  status?: {
    observedGeneration?: number;
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    conditions?: FluxCondition[];
    /** Absent before Flux v2.7.0; then soak time cannot be read from the cluster. */
    history?: FluxHistoryEntry[];
  };
}

/** A Kustomization named `namespace/name`, as the `flux_resource` inputs give it. */
export interface FluxResource {
  namespace: string;
  name: string;
}

/** `namespace/name`, for messages. */
export function describeResource(resource: FluxResource): string {
  return `${resource.namespace}/${resource.name}`;
}

/** Reads `flux_resource`: `namespace/name`, each a Kubernetes name. Undefined when malformed. */
export function parseFluxResource(text: string): FluxResource | undefined {
  const match = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)$/.exec(text);
  return match ? { namespace: match[1] as string, name: match[3] as string } : undefined;
}

/** A revision split into its parts. */
export interface Revision {
  /** The named pointer: the branch (`_gitlab/agents/staging`), a tag, or absent for a bare commit. */
  pointer?: string;
  /** The commit, when the revision names a git commit (40 hex digits for sha1, 64 for sha256). */
  commit?: string;
}

/**
 * Splits a source revision. The format is `[<pointer>@]<algo>:<digest>` (flux2 RFC 0005, "artifact
 * revision and digest", since Flux v0.40): the pointer may itself contain `/` and `@`, so the digest
 * is what follows the last `@`. The format before it, `<branch>/<sha1>`, is read too (split at the
 * last `/`, and only with 40 hex digits after it, so a branch name cannot be mistaken for a commit).
 */
export function parseRevision(text: string | undefined): Revision | undefined {
  if (!text) return undefined;
  const at = text.lastIndexOf("@");
  const digest = at >= 0 ? text.slice(at + 1) : text;
  const pointer = at >= 0 ? text.slice(0, at) : undefined;
  const current = /^(sha1|sha256):([0-9a-f]+)$/.exec(digest);
  if (current) {
    const [, algorithm, hex = ""] = current;
    const commit =
      (algorithm === "sha1" && hex.length === 40) || (algorithm === "sha256" && hex.length === 64) ? hex : undefined;
    return { ...(pointer ? { pointer } : {}), ...(commit ? { commit } : {}) };
  }
  const legacy = /^(.+)\/([0-9a-f]{40})$/.exec(text);
  if (legacy) return { pointer: legacy[1] as string, commit: legacy[2] as string };
  return pointer ? { pointer } : {};
}

/** The commit a revision names, if any. */
export function revisionCommit(text: string | undefined): string | undefined {
  return parseRevision(text)?.commit;
}

/** The condition of `type`, if Flux wrote one. */
export function condition(kustomization: Kustomization, type: string): FluxCondition | undefined {
  return kustomization.status?.conditions?.find((c) => c.type === type);
}

/**
 * Was the condition written for the object's current generation? A condition for an older
 * generation describes a spec that no longer exists (someone edited the Kustomization since).
 * Without both numbers there is nothing to compare, and the condition counts as current.
 */
export function isCurrent(kustomization: Kustomization, c: FluxCondition): boolean {
  const generation = kustomization.metadata.generation;
  return generation === undefined || c.observedGeneration === undefined || c.observedGeneration === generation;
}

/** `Ready=False (HealthCheckFailed): timeout waiting for: [...]`, Flux's words as they are. */
export function describeCondition(c: FluxCondition | undefined, type = "Ready"): string {
  if (!c) return `${type}: not reported yet`;
  return `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ""}${c.message ? `: ${c.message}` : ""}`;
}

/** One line of the object's state: applied and attempted revisions, Ready, and Stalled if set. */
export function describeStatus(kustomization: Kustomization): string {
  const status = kustomization.status ?? {};
  const stalled = condition(kustomization, "Stalled");
  const parts = [
    `last applied revision ${status.lastAppliedRevision || "(none)"}`,
    ...(status.lastAttemptedRevision && status.lastAttemptedRevision !== status.lastAppliedRevision
      ? [`last attempted ${status.lastAttemptedRevision}`]
      : []),
    describeCondition(condition(kustomization, "Ready")),
    ...(stalled?.status === "True" ? [describeCondition(stalled, "Stalled")] : []),
  ];
  return parts.join("; ");
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration as Go and kubectl write them (`90s`, `10m`, `1h30m`, `0`): milliseconds, or undefined. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g))
    total += Number(amount) * (UNIT_MS[unit as string] as number);
  return Math.round(total);
}

/** `1h 5m 3s`, `42s`, `0s`: whole seconds, rounded up so "left" never reads 0s while time is left. */
export function formatDuration(ms: number): string {
  let seconds = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const parts = [
    ...(hours ? [`${hours}h`] : []),
    ...(minutes ? [`${minutes}m`] : []),
    ...(seconds || (!hours && !minutes) ? [`${seconds}s`] : []),
  ];
  return parts.join(" ");
}
