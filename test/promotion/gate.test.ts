/**
 * The verified-deployment decisions (components/promotion/gate.ts) and Flux's vocabulary
 * (flux.ts), case by case. Commits are letters on a small graph; the Kustomizations are what
 * kustomize-controller writes (stand-ins/kube-api-flux.ts builds the same shapes for kubectl).
 *
 *   A ── B ── C ── D      main; the target is B unless a case says otherwise
 */
import { describe, expect, it } from "vitest";
import {
  formatDuration,
  parseDuration,
  parseFluxResource,
  parseRevision,
  type FluxCondition,
  type FluxHistoryEntry,
  type Kustomization,
} from "../../components/promotion/flux.ts";
import {
  gateQuestions,
  judgeFreeze,
  judgeReconcile,
  judgeStaging,
  pointerMismatch,
  reconcileQuestions,
  reconcileTimeout,
} from "../../components/promotion/gate.ts";

const BRANCH = "_gitlab/agents/staging";
const sha = (letter: string) =>
  letter
    .repeat(40)
    .toLowerCase()
    .replace(/[^0-9a-f]/g, "e");
const [A, B, C, D] = ["a", "b", "c", "d"].map(sha) as [string, string, string, string];
const ORDER = [A, B, C, D];
/** Does `commit` contain `target` on the line A-B-C-D? */
const containsFrom = (target: string) => (commit: string) =>
  ORDER.indexOf(commit) >= ORDER.indexOf(target) && ORDER.includes(commit);
const rev = (commit: string) => `${BRANCH}@sha1:${commit}`;
const RESOURCE = { namespace: "flux-system", name: "app-staging" };
const HOUR = 3_600_000;
const NOW = Date.parse("2026-12-01T12:00:00Z");
const at = (msBeforeNow: number) => new Date(NOW - msBeforeNow).toISOString();

function ready(
  status: FluxCondition["status"],
  reason: string,
  message: string,
  observedGeneration = 2,
): FluxCondition {
  return { type: "Ready", status, reason, message, observedGeneration };
}

function kustomization(
  status: Kustomization["status"],
  options: { generation?: number; suspend?: boolean } = {},
): Kustomization {
  return {
    metadata: { name: "app-staging", namespace: "flux-system", generation: options.generation ?? 2 },
    spec: options.suspend ? { suspend: true } : {},
    status,
  };
}

const appliedAt = (commit: string) =>
  kustomization({
    lastAppliedRevision: rev(commit),
    lastAttemptedRevision: rev(commit),
    conditions: [ready("True", "ReconciliationSucceeded", `Applied revision: ${rev(commit)}`)],
  });

describe("Flux revisions, resources and durations", () => {
  it.each([
    { text: `${BRANCH}@sha1:${A}`, want: { pointer: BRANCH, commit: A } },
    { text: `sha1:${A}`, want: { commit: A } },
    { text: `feature@x@sha1:${A}`, want: { pointer: "feature@x", commit: A } },
    { text: `main@sha256:${"f".repeat(64)}`, want: { pointer: "main", commit: "f".repeat(64) } },
    { text: `main/${A}`, want: { pointer: "main", commit: A } },
    { text: `${BRANCH}/${A}`, want: { pointer: BRANCH, commit: A } },
    { text: "latest@sha256:1234", want: { pointer: "latest" } },
    { text: "v1.0.0", want: {} },
  ])("reads $text", ({ text, want }) => {
    expect(parseRevision(text)).toEqual(want);
  });

  it.each([
    ["flux-system/app-staging", { namespace: "flux-system", name: "app-staging" }],
    ["apps/my.app", { namespace: "apps", name: "my.app" }],
    ["app-staging", undefined],
    ["Flux/app", undefined],
    ["a/b/c", undefined],
    ["", undefined],
  ])("reads flux_resource %j", (text, want) => {
    expect(parseFluxResource(text)).toEqual(want);
  });

  it.each([
    ["0", 0],
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["250ms", 250],
    ["10", undefined],
    ["1d", undefined],
    ["", undefined],
  ])("reads the duration %j", (text, want) => {
    expect(parseDuration(text)).toBe(want);
  });

  it.each([
    [0, "0s"],
    [1, "1s"],
    [59_001, "1m"],
    [HOUR + 5_000, "1h 5s"],
    [2 * HOUR + 3 * 60_000 + 4_000, "2h 3m 4s"],
  ])("writes %i ms as %j", (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });
});

describe("the reconcile wait's judgement", () => {
  const judge = (k: Kustomization, target = B) =>
    judgeReconcile({ kustomization: k, resource: RESOURCE, target, branch: BRANCH, contains: containsFrom(target) });

  it("asks about the applied and the attempted commits only", () => {
    expect(
      reconcileQuestions(kustomization({ lastAppliedRevision: rev(A), lastAttemptedRevision: rev(B), conditions: [] })),
    ).toEqual([A, B]);
    expect(reconcileQuestions(kustomization({ conditions: [] }))).toEqual([]);
  });

  it("is applied when the target was applied and Ready is True for this generation", () => {
    const verdict = judge(appliedAt(B));
    expect(verdict).toEqual({
      state: "applied",
      message: `Flux Kustomization flux-system/app-staging applied ${rev(B)}, which contains bbbbbbbbbbbb: Ready=True (ReconciliationSucceeded): Applied revision: ${rev(B)}`,
    });
  });

  it("is applied when Flux already applied a later commit", () => {
    expect(judge(appliedAt(D)).state).toBe("applied");
  });

  it("waits while Ready is True for the previous revision (Ready alone proves nothing)", () => {
    expect(judge(appliedAt(A))).toEqual({
      state: "waiting",
      summary: `last applied revision ${rev(A)}; Ready=True (ReconciliationSucceeded): Applied revision: ${rev(A)}`,
    });
  });

  it("waits while Ready is True for an older generation of the object", () => {
    const k = appliedAt(B);
    k.metadata.generation = 3;
    expect(judge(k).state).toBe("waiting");
  });

  it("waits while the reconciliation of the target runs", () => {
    const k = kustomization({
      lastAppliedRevision: rev(A),
      lastAttemptedRevision: rev(B),
      conditions: [ready("Unknown", "Progressing", "Reconciliation in progress")],
    });
    expect(judge(k)).toEqual({
      state: "waiting",
      summary: `last applied revision ${rev(A)}; last attempted ${rev(B)}; Ready=Unknown (Progressing): Reconciliation in progress`,
    });
  });

  it("waits on a failure of an older revision (Flux has not tried the target yet)", () => {
    const k = kustomization({
      lastAppliedRevision: rev(A),
      lastAttemptedRevision: rev(A),
      conditions: [ready("False", "ArtifactFailed", "Source artifact not found, retrying in 30s")],
    });
    expect(judge(k).state).toBe("waiting");
  });

  it("fails with Flux's reason and message when the target's health checks fail", () => {
    const message = "timeout waiting for: [Deployment/apps/app status: 'InProgress']";
    const k = kustomization({
      lastAppliedRevision: rev(A),
      lastAttemptedRevision: rev(B),
      conditions: [ready("False", "HealthCheckFailed", message)],
    });
    expect(judge(k)).toEqual({
      state: "failed",
      reason: "failing",
      message: `Flux Kustomization flux-system/app-staging reports a failure: last applied revision ${rev(A)}; last attempted ${rev(B)}; Ready=False (HealthCheckFailed): ${message}; bbbbbbbbbbbb is not verified`,
      fix: `fix what Flux names (kubectl events --for kustomization/app-staging -n flux-system), then retry this job: ${BRANCH} already holds bbbbbbbbbbbb`,
    });
  });

  it("fails when a later commit than the target fails", () => {
    const k = kustomization({
      lastAppliedRevision: rev(A),
      lastAttemptedRevision: rev(C),
      conditions: [ready("False", "BuildFailed", "kustomize build failed: accumulating resources")],
    });
    expect(judge(k)).toMatchObject({ state: "failed", reason: "failing" });
  });

  it("fails when the Kustomization is stalled, whatever revision it tried", () => {
    const k = kustomization({
      lastAppliedRevision: rev(A),
      conditions: [
        ready("False", "AccessDenied", "cross-namespace references are not allowed"),
        {
          type: "Stalled",
          status: "True",
          reason: "AccessDenied",
          message: "cross-namespace references are not allowed",
          observedGeneration: 2,
        },
      ],
    });
    const verdict = judge(k);
    expect(verdict).toMatchObject({ state: "failed", reason: "stalled" });
    expect(verdict.state === "failed" && verdict.message).toContain(
      "is stalled: Stalled=True (AccessDenied): cross-namespace references are not allowed",
    );
  });

  it("fails at once when the Kustomization is suspended, even if it once applied the target", () => {
    const k = kustomization(
      {
        lastAppliedRevision: rev(A),
        conditions: [ready("True", "ReconciliationSucceeded", `Applied revision: ${rev(A)}`)],
      },
      { suspend: true },
    );
    expect(judge(k)).toMatchObject({
      state: "failed",
      reason: "suspended",
      message:
        "Flux Kustomization flux-system/app-staging is suspended (spec.suspend: true): Flux applies nothing to it; bbbbbbbbbbbb is not verified",
    });
    expect(judge({ ...appliedAt(B), spec: { suspend: true } }).state).toBe("failed");
  });

  it("times out with Flux's last status, and notes a Kustomization that tracks another branch", () => {
    const k = kustomization({
      lastAppliedRevision: `main@sha1:${A}`,
      conditions: [ready("True", "ReconciliationSucceeded", `Applied revision: main@sha1:${A}`)],
    });
    expect(pointerMismatch(k, BRANCH)).toBe(
      `the Kustomization applies main, not ${BRANCH}: its GitRepository should track ${BRANCH}`,
    );
    expect(pointerMismatch(appliedAt(A), BRANCH)).toBeUndefined();
    expect(
      pointerMismatch(kustomization({ lastAppliedRevision: `refs/heads/${BRANCH}@sha1:${A}`, conditions: [] }), BRANCH),
    ).toBeUndefined();
    const { message } = reconcileTimeout(
      { kustomization: k, resource: RESOURCE, target: B, branch: BRANCH, contains: containsFrom(B) },
      "10m",
    );
    expect(message).toBe(
      `Flux did not report bbbbbbbbbbbb applied and Ready within verify_timeout (10m); Flux Kustomization flux-system/app-staging: last applied revision main@sha1:${A}; Ready=True (ReconciliationSucceeded): Applied revision: main@sha1:${A}; the Kustomization applies main, not ${BRANCH}: its GitRepository should track ${BRANCH}`,
    );
  });
});

describe("the production gate on staging", () => {
  const entry = (
    commit: string,
    first: number,
    outcome = "ReconciliationSucceeded",
    digest = commit,
  ): FluxHistoryEntry => ({
    digest: `sha256:${digest}`,
    firstReconciled: at(first),
    lastReconciled: at(0),
    lastReconciledStatus: outcome,
    totalReconciliations: 3,
    metadata: { revision: rev(commit) },
  });
  const staging = (applied: string, history?: FluxHistoryEntry[]) => {
    const k = appliedAt(applied);
    if (history) (k.status as NonNullable<Kustomization["status"]>).history = history;
    return k;
  };
  const gate = (k: Kustomization, soak: string, target = B, now = NOW) =>
    judgeStaging({
      kustomization: k,
      resource: RESOURCE,
      target,
      contains: containsFrom(target),
      soakMs: parseDuration(soak) as number,
      soak,
      now,
    });

  it("asks about the applied commit and every history entry's", () => {
    expect(gateQuestions(staging(C, [entry(C, 1000), entry(B, 2000), entry(A, 3000)]))).toEqual([C, B, A]);
  });

  it("passes without a soak once staging applied the target and is Ready", () => {
    expect(gate(staging(B), "0")).toEqual({
      action: "pass",
      message: `staging's Flux Kustomization flux-system/app-staging applied ${rev(B)}, which contains bbbbbbbbbbbb: Ready=True (ReconciliationSucceeded): Applied revision: ${rev(B)}`,
    });
  });

  it("refuses while staging has not applied the target", () => {
    const verdict = gate(staging(A, [entry(A, HOUR)]), "0");
    expect(verdict).toEqual({
      action: "refuse",
      reason: "not-applied",
      message: `staging's Flux Kustomization flux-system/app-staging has not applied bbbbbbbbbbbb yet: last applied revision ${rev(A)}; Ready=True (ReconciliationSucceeded): Applied revision: ${rev(A)}. Nothing was pushed`,
      fix: "run this job again once Flux applied bbbbbbbbbbbb to staging (promote-staging with verify_agent waits for that)",
    });
  });

  it("refuses while staging fails, even for an earlier good commit", () => {
    const k = kustomization({
      lastAppliedRevision: rev(C),
      lastAttemptedRevision: rev(D),
      conditions: [
        ready("False", "HealthCheckFailed", "timeout waiting for: [Deployment/apps/app status: 'InProgress']"),
      ],
      history: [entry(C, 5 * HOUR)],
    });
    expect(gate(k, "1h")).toMatchObject({ action: "refuse", reason: "failing" });
  });

  it("refuses a suspended or stalled staging", () => {
    expect(gate({ ...staging(B, [entry(B, 5 * HOUR)]), spec: { suspend: true } }, "1h")).toMatchObject({
      action: "refuse",
      reason: "suspended",
    });
    const stalled = staging(B, [entry(B, 5 * HOUR)]);
    stalled.status?.conditions?.push({
      type: "Stalled",
      status: "True",
      reason: "InvalidCELExpression",
      message: "invalid expression",
      observedGeneration: 2,
    });
    expect(gate(stalled, "1h")).toMatchObject({ action: "refuse", reason: "stalled" });
  });

  it("refuses before the soak and says how much is left", () => {
    expect(gate(staging(B, [entry(B, 20 * 60_000)]), "1h")).toEqual({
      action: "refuse",
      reason: "soaking",
      message: `staging has run bbbbbbbbbbbb (or later) since ${at(20 * 60_000)}, for 20m; staging_soak is 1h: 40m left. Nothing was pushed`,
      fix: `run this job again after ${new Date(NOW + 40 * 60_000).toISOString()}`,
    });
  });

  it("passes once the soak has passed", () => {
    const k = staging(B, [entry(B, 20 * 60_000)]);
    expect(gate(k, "1h", B, NOW + 40 * 60_000)).toMatchObject({ action: "pass" });
    expect(gate(k, "1h", B, NOW + 40 * 60_000 - 1)).toMatchObject({
      action: "refuse",
      reason: "soaking",
      message: expect.stringContaining("1s left"),
    });
  });

  it("counts from the earliest successful entry that contains the target, not from the newest", () => {
    // B ran for 3h, then C (new manifests) for 10m: B has soaked.
    expect(gate(staging(C, [entry(C, 10 * 60_000), entry(B, 3 * HOUR)]), "2h")).toMatchObject({
      action: "pass",
      message: expect.stringContaining(`since ${at(3 * HOUR)}, for 3h (staging_soak 2h)`),
    });
  });

  it("ignores failed entries and entries of commits before the target", () => {
    const history = [entry(B, 10 * 60_000), entry(B, 5 * HOUR, "HealthCheckFailed", "other"), entry(A, 9 * HOUR)];
    expect(gate(staging(B, history), "1h")).toMatchObject({
      action: "refuse",
      reason: "soaking",
      message: expect.stringContaining("for 10m;"),
    });
  });

  it("refuses a soak when staging's Flux records no history (before v2.7.0), and says so", () => {
    const verdict = gate(staging(B), "30m");
    expect(verdict).toMatchObject({ action: "refuse", reason: "no-history" });
    expect(verdict.action === "refuse" && verdict.message).toContain(
      "has no status.history (Flux records it from v2.7.0, kustomize-controller v1.7.0)",
    );
    expect(verdict.action === "refuse" && verdict.fix).toContain("set staging_soak: 0");
  });

  it("refuses a soak when no successful entry contains the target", () => {
    expect(gate(staging(B, [entry(A, 5 * HOUR)]), "30m")).toMatchObject({ action: "refuse", reason: "no-record" });
  });

  it("never counts a negative time when the runner's clock is behind the cluster's", () => {
    expect(gate(staging(B, [entry(B, -5 * 60_000)]), "1h")).toMatchObject({
      action: "refuse",
      message: expect.stringContaining("for 0s; staging_soak is 1h: 1h left"),
    });
  });
});

describe("deploy freezes", () => {
  const base = { frozen: true, respect: true, dryRun: false, environment: "production" };

  it("refuses during a respected freeze, saying so", () => {
    expect(judgeFreeze(base)).toEqual({
      action: "refuse",
      message:
        "GitLab reports a deploy freeze (CI_DEPLOY_FREEZE): production is not promoted during a freeze. Nothing was fetched or pushed",
      fix: "run this job again after the freeze (Settings > CI/CD > Deploy freezes), or set respect_deploy_freeze: false",
    });
  });

  it.each([
    { name: "outside a freeze", facts: { ...base, frozen: false }, note: undefined },
    {
      name: "when freezes are not respected",
      facts: { ...base, respect: false },
      note: "GitLab reports a deploy freeze (CI_DEPLOY_FREEZE); respect_deploy_freeze is false: promoting production anyway",
    },
    {
      name: "for a dry run",
      facts: { ...base, dryRun: true },
      note: "GitLab reports a deploy freeze (CI_DEPLOY_FREEZE); a dry run pushes nothing, so it runs",
    },
  ])("proceeds $name", ({ facts, note }) => {
    expect(judgeFreeze(facts)).toEqual(note ? { action: "proceed", note } : { action: "proceed" });
  });
});
