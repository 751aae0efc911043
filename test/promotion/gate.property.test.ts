/**
 * The gate decisions against random Flux states (fast-check): a line of commits, a target on it,
 * what staging's Kustomization applied and attempted, its conditions, up to five history entries
 * and the clock. Whatever the state:
 * - the production gate passes only if staging is neither suspended, stalled nor failing, applied
 *   a commit containing the target and (with a soak) ran such a commit successfully for the soak;
 * - a pass stays a pass later and with a shorter soak; a soak refusal's "run this job again after"
 *   time is exactly when it passes;
 * - the reconcile wait says "applied" exactly when the applied commit contains the target and
 *   Ready is True for the current generation of an object that is not suspended, and fails on
 *   Ready=False only once Flux attempted a commit containing the target.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FluxCondition, Kustomization } from "../../components/promotion/flux.ts";
import { judgeReconcile, judgeStaging } from "../../components/promotion/gate.ts";

const COMMITS = Array.from({ length: 8 }, (_, i) => `${i}`.repeat(40));
const rev = (i: number) => `_gitlab/agents/staging@sha1:${COMMITS[i]}`;
const RESOURCE = { namespace: "flux-system", name: "app-staging" };
const NOW = Date.parse("2026-12-01T12:00:00Z");
const MINUTE = 60_000;

const arbitraryState = fc.record({
  target: fc.integer({ min: 0, max: 7 }),
  applied: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
  attempted: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
  ready: fc.constantFrom<FluxCondition["status"] | "none">("True", "False", "Unknown", "none"),
  reason: fc.constantFrom(
    "ReconciliationSucceeded",
    "Progressing",
    "HealthCheckFailed",
    "ArtifactFailed",
    "BuildFailed",
  ),
  readyGeneration: fc.constantFrom(1, 2),
  stalled: fc.boolean(),
  suspended: fc.boolean(),
  history: fc.option(
    fc.array(
      fc.record({
        commit: fc.integer({ min: 0, max: 7 }),
        minutesAgo: fc.integer({ min: -5, max: 600 }),
        succeeded: fc.boolean(),
      }),
      { maxLength: 5 },
    ),
    { nil: undefined },
  ),
  soakMinutes: fc.constantFrom(0, 1, 30, 60, 240),
});

type State = typeof arbitraryState extends fc.Arbitrary<infer T> ? T : never;

function build(s: State): Kustomization {
  const conditions: FluxCondition[] = [];
  if (s.ready !== "none")
    conditions.push({
      type: "Ready",
      status: s.ready,
      reason: s.reason,
      message: "m",
      observedGeneration: s.readyGeneration,
    });
  if (s.stalled)
    conditions.push({
      type: "Stalled",
      status: "True",
      reason: "AccessDenied",
      message: "denied",
      observedGeneration: 2,
    });
  return {
    metadata: { name: "app-staging", namespace: "flux-system", generation: 2 },
    spec: s.suspended ? { suspend: true } : {},
    status: {
      ...(s.applied === undefined ? {} : { lastAppliedRevision: rev(s.applied) }),
      ...(s.attempted === undefined ? {} : { lastAttemptedRevision: rev(s.attempted) }),
      conditions,
      ...(s.history === undefined
        ? {}
        : {
            history: s.history.map((h) => ({
              digest: `sha256:${h.commit}`,
              firstReconciled: new Date(NOW - h.minutesAgo * MINUTE).toISOString(),
              lastReconciledStatus: h.succeeded ? "ReconciliationSucceeded" : "HealthCheckFailed",
              metadata: { revision: rev(h.commit) },
            })),
          }),
    },
  };
}

const contains = (target: number) => (commit: string) => COMMITS.indexOf(commit) >= target;

function gate(s: State, now = NOW, soakMinutes: number = s.soakMinutes) {
  return judgeStaging({
    kustomization: build(s),
    resource: RESOURCE,
    target: COMMITS[s.target] as string,
    contains: contains(s.target),
    soakMs: soakMinutes * MINUTE,
    soak: `${soakMinutes}m`,
    now,
  });
}

const RUNS = { numRuns: 2000 };

describe("the production gate, on random staging states", () => {
  it("passes only when staging is healthy, applied the target and soaked", () => {
    let passes = 0;
    fc.assert(
      fc.property(arbitraryState, (s) => {
        if (gate(s).action !== "pass") return;
        passes++;
        const readyFalse = s.ready === "False" && s.readyGeneration === 2 && s.reason !== "Progressing";
        expect(s.suspended || s.stalled || readyFalse).toBe(false);
        expect(s.applied !== undefined && s.applied >= s.target).toBe(true);
        if (s.soakMinutes > 0)
          expect(
            s.history?.some((h) => h.succeeded && h.commit >= s.target && Math.max(0, h.minutesAgo) >= s.soakMinutes),
          ).toBe(true);
      }),
      RUNS,
    );
    // The generator reaches passing states, not only refusals.
    expect(passes).toBeGreaterThan(0);
  });

  it("keeps passing later and with a shorter soak", () => {
    fc.assert(
      fc.property(
        arbitraryState,
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 240 }),
        (s, laterMinutes, shorter) => {
          if (gate(s).action !== "pass") return;
          expect(gate(s, NOW + laterMinutes * MINUTE).action).toBe("pass");
          expect(gate(s, NOW, Math.min(shorter, s.soakMinutes)).action).toBe("pass");
        },
      ),
      RUNS,
    );
  });

  it("passes exactly at the time a soak refusal names, and not a millisecond before", () => {
    let soaking = 0;
    fc.assert(
      fc.property(arbitraryState, (s) => {
        const verdict = gate(s);
        if (verdict.action !== "refuse" || verdict.reason !== "soaking") return;
        soaking++;
        const after = Date.parse(/run this job again after (\S+)$/.exec(verdict.fix)?.[1] ?? "");
        expect(after).toBeGreaterThan(NOW);
        expect(gate(s, after).action).toBe("pass");
        expect(gate(s, after - 1)).toMatchObject({ action: "refuse", reason: "soaking" });
      }),
      RUNS,
    );
    expect(soaking).toBeGreaterThan(0);
  });
});

describe("the reconcile wait, on random states", () => {
  it("says applied exactly when a commit containing the target is applied and Ready for this generation", () => {
    fc.assert(
      fc.property(arbitraryState, (s) => {
        const verdict = judgeReconcile({
          kustomization: build(s),
          resource: RESOURCE,
          target: COMMITS[s.target] as string,
          branch: "_gitlab/agents/staging",
          contains: contains(s.target),
        });
        const applied =
          !s.suspended &&
          s.ready === "True" &&
          s.readyGeneration === 2 &&
          s.applied !== undefined &&
          s.applied >= s.target;
        expect(verdict.state === "applied").toBe(applied);
        if (verdict.state === "failed" && verdict.reason === "failing")
          expect(s.attempted !== undefined && s.attempted >= s.target).toBe(true);
        if (s.suspended) expect(verdict).toMatchObject({ state: "failed", reason: "suspended" });
      }),
      RUNS,
    );
  });
});
