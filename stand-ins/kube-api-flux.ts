/**
 * Flux Kustomizations (kustomize.toolkit.fluxcd.io/v1) on the Kubernetes API stand-in, with a
 * status the test writes the way kustomize-controller writes it: no controller runs, the test
 * says "Flux started reconciling X", "applied X", "failed X with this reason".
 *
 * The shapes follow kustomize-controller (`api/v1/kustomization_types.go`; the controller sets
 * `lastAttemptedRevision` with `Ready=Unknown, Progressing` once it has the artifact, and
 * `lastAppliedRevision` with `Ready=True, ReconciliationSucceeded, "Applied revision: <rev>"`
 * after the health checks; on failure `Ready=False` with the reason and `Reconciling=True,
 * ProgressingWithRetry`; every condition carries the generation it was written for) and fluxcd/pkg
 * `apis/meta/history.go` (Flux v2.7.0 and later: `status.history`, newest first, at most five, one
 * entry per digest and outcome, `firstReconciled` kept when an entry is reused). Revisions are
 * `<branch>@sha1:<commit>` (flux2 RFC 0005).
 */
import { createHash } from "node:crypto";
import type { KubeApi, KubeObject } from "./kube-api.ts";

/** The custom resource definition to install on the stand-in before Kustomizations are stored. */
export const FLUX_KUSTOMIZATION_CRD = {
  group: "kustomize.toolkit.fluxcd.io",
  version: "v1",
  kind: "Kustomization",
} as const;

/** Serves Kustomizations from now on (idempotent). */
export function installFlux(api: KubeApi): void {
  if (!api.get("customresourcedefinitions", undefined, "kustomizations.kustomize.toolkit.fluxcd.io"))
    api.installCustomResourceDefinition(FLUX_KUSTOMIZATION_CRD);
}

/** The outcomes Flux records in `status.history` (`meta.*Reason`). */
export type HistoryStatus = "ReconciliationSucceeded" | "ReconciliationFailed" | "PruneFailed" | "HealthCheckFailed";

interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

interface HistoryEntry {
  digest: string;
  firstReconciled: string;
  lastReconciled: string;
  lastReconciledDuration: string;
  lastReconciledStatus: HistoryStatus;
  totalReconciliations: number;
  metadata: { revision: string };
}

/** How a simulated Kustomization starts. */
export interface SimulatedKustomizationOptions {
  namespace: string;
  name: string;
  /** The branch its GitRepository tracks (revisions name it). */
  branch: string;
  /** Record `status.history`, as Flux v2.7.0 and later do (default true). */
  history?: boolean;
}

/** One Kustomization on the stand-in whose status the test drives; each change is stored at once. */
export class SimulatedKustomization {
  readonly namespace: string;
  readonly name: string;
  readonly branch: string;
  generation = 1;
  private suspended = false;
  private readonly status: {
    observedGeneration?: number;
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    conditions: Condition[];
    history?: HistoryEntry[];
  };

  constructor(
    readonly api: KubeApi,
    options: SimulatedKustomizationOptions,
  ) {
    this.namespace = options.namespace;
    this.name = options.name;
    this.branch = options.branch;
    this.status = { conditions: [], ...(options.history === false ? {} : { history: [] }) };
    installFlux(api);
    this.publish();
  }

  /** The revision string Flux writes for a commit of the tracked branch. */
  revision(commit: string): string {
    return `${this.branch}@sha1:${commit}`;
  }

  /** The object as stored. */
  object(): KubeObject {
    return {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name: this.name, namespace: this.namespace, generation: this.generation },
      spec: {
        interval: "10m",
        path: "./deploy",
        prune: true,
        wait: true,
        timeout: "5m",
        sourceRef: { kind: "GitRepository", name: this.name },
        ...(this.suspended ? { suspend: true } : {}),
      },
      status: structuredClone(this.status),
    };
  }

  /** Source-controller fetched `commit`; a reconciliation of it is running. */
  progressing(commit: string, at = new Date()): this {
    this.status.lastAttemptedRevision = this.revision(commit);
    this.setCondition("Ready", "Unknown", "Progressing", "Reconciliation in progress", at);
    this.setCondition(
      "Reconciling",
      "True",
      "Progressing",
      `Building manifests for revision ${this.revision(commit)} with a timeout of 5m0s`,
      at,
    );
    return this.publish();
  }

  /** `commit` was applied and passed its health checks at `at`; `manifests` stands for the rendered manifests (default: the commit). */
  applied(commit: string, options: { at?: Date; manifests?: string } = {}): this {
    const at = options.at ?? new Date();
    this.status.lastAttemptedRevision = this.status.lastAppliedRevision = this.revision(commit);
    this.status.observedGeneration = this.generation;
    this.setCondition("Ready", "True", "ReconciliationSucceeded", `Applied revision: ${this.revision(commit)}`, at);
    this.status.conditions = this.status.conditions.filter((c) => c.type !== "Reconciling" && c.type !== "Stalled");
    this.record(commit, "ReconciliationSucceeded", options.manifests ?? commit, at);
    return this.publish();
  }

  /** Reconciling `commit` failed with Flux's `reason` and `message`; the last applied revision stays. */
  failed(commit: string, reason: string, message: string, options: { at?: Date; manifests?: string } = {}): this {
    const at = options.at ?? new Date();
    this.status.lastAttemptedRevision = this.revision(commit);
    this.setCondition("Ready", "False", reason, message, at);
    this.setCondition("Reconciling", "True", "ProgressingWithRetry", message, at);
    if (reason === "HealthCheckFailed" || reason === "ReconciliationFailed" || reason === "PruneFailed")
      this.record(commit, reason, options.manifests ?? commit, at);
    return this.publish();
  }

  /** A terminal error (Flux gives up until the spec changes): `Stalled=True` and Ready False with the same reason. */
  stalled(reason: string, message: string, at = new Date()): this {
    this.setCondition("Ready", "False", reason, message, at);
    this.setCondition("Stalled", "True", reason, message, at);
    return this.publish();
  }

  /** `spec.suspend: true`: Flux skips it entirely (its status stays as it was). */
  suspend(): this {
    this.suspended = true;
    this.generation += 1;
    return this.publish();
  }

  /** Upserts the history entry of this digest and outcome, as fluxcd/pkg `History.Upsert` does. */
  private record(commit: string, outcome: HistoryStatus, manifests: string, at: Date): void {
    const history = this.status.history;
    if (!history) return;
    const digest = `sha256:${createHash("sha256").update(manifests).digest("hex")}`;
    const time = at.toISOString();
    const index = history.findIndex((e) => e.digest === digest && e.lastReconciledStatus === outcome);
    const entry: HistoryEntry =
      index >= 0
        ? {
            ...(history[index] as HistoryEntry),
            lastReconciled: time,
            totalReconciliations: (history[index] as HistoryEntry).totalReconciliations + 1,
            metadata: { revision: this.revision(commit) },
          }
        : {
            digest,
            firstReconciled: time,
            lastReconciled: time,
            lastReconciledDuration: "1.2s",
            lastReconciledStatus: outcome,
            totalReconciliations: 1,
            metadata: { revision: this.revision(commit) },
          };
    if (index >= 0) history.splice(index, 1);
    history.unshift(entry);
    history.splice(5);
  }

  private setCondition(type: string, status: Condition["status"], reason: string, message: string, at: Date): void {
    const existing = this.status.conditions.find((c) => c.type === type);
    // lastTransitionTime moves only when status, reason or message change (fluxcd/pkg conditions).
    const same = existing && existing.status === status && existing.reason === reason && existing.message === message;
    const next: Condition = {
      type,
      status,
      reason,
      message,
      observedGeneration: this.generation,
      lastTransitionTime: same ? existing.lastTransitionTime : at.toISOString(),
    };
    this.status.conditions = [...this.status.conditions.filter((c) => c.type !== type), next].sort((a, b) =>
      a.type === "Ready" ? -1 : b.type === "Ready" ? 1 : a.type.localeCompare(b.type),
    );
  }

  private publish(): this {
    this.api.put(this.object());
    return this;
  }
}
