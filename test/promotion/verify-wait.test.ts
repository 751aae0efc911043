/**
 * The reconcile wait's loop (components/promotion/verify.ts `waitForReconcile`) and its ancestry
 * answers (`TargetLineage`), with every effect injected: a scripted sequence of Kustomization reads
 * and a virtual clock, so minutes of polling take no time and no test sleeps.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Kustomization } from "../../components/promotion/flux.ts";
import { UnreachableClusterError } from "../../components/promotion/flux-client.ts";
import { POLL_MS, TargetLineage, waitForReconcile, type Clock } from "../../components/promotion/verify.ts";
import { EXIT_CODES, JobError } from "../../runtime/errors.ts";
import type { Git } from "../../runtime/git.ts";

const BRANCH = "_gitlab/agents/staging";
const [OLD, TARGET, LATER] = ["1", "2", "3"].map((d) => d.repeat(40)) as [string, string, string];
const ORDER = [OLD, TARGET, LATER];
const rev = (commit: string) => `${BRANCH}@sha1:${commit}`;
const RESOURCE = { namespace: "flux-system", name: "app-staging" };

/** What Flux reports, in the shapes kustomize-controller writes. */
const STATES = {
  old: {
    lastAppliedRevision: rev(OLD),
    lastAttemptedRevision: rev(OLD),
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "ReconciliationSucceeded",
        message: `Applied revision: ${rev(OLD)}`,
        observedGeneration: 1,
      },
    ],
  },
  progressing: {
    lastAppliedRevision: rev(OLD),
    lastAttemptedRevision: rev(TARGET),
    conditions: [
      {
        type: "Ready",
        status: "Unknown",
        reason: "Progressing",
        message: "Reconciliation in progress",
        observedGeneration: 1,
      },
    ],
  },
  applied: {
    lastAppliedRevision: rev(TARGET),
    lastAttemptedRevision: rev(TARGET),
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "ReconciliationSucceeded",
        message: `Applied revision: ${rev(TARGET)}`,
        observedGeneration: 1,
      },
    ],
  },
  later: {
    lastAppliedRevision: rev(LATER),
    lastAttemptedRevision: rev(LATER),
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "ReconciliationSucceeded",
        message: `Applied revision: ${rev(LATER)}`,
        observedGeneration: 1,
      },
    ],
  },
  failed: {
    lastAppliedRevision: rev(OLD),
    lastAttemptedRevision: rev(TARGET),
    conditions: [
      {
        type: "Ready",
        status: "False",
        reason: "HealthCheckFailed",
        message: "timeout waiting for: [Deployment/apps/app status: 'InProgress']",
        observedGeneration: 1,
      },
    ],
  },
} as const satisfies Record<string, Kustomization["status"]>;
type StateName = keyof typeof STATES;
const object = (name: StateName): Kustomization => ({
  metadata: { name: "app-staging", namespace: "flux-system", generation: 1 },
  status: structuredClone(STATES[name]) as Kustomization["status"],
});

/** A clock that only moves when the code under test sleeps. */
function virtualClock(): Clock & { slept: number[]; elapsed(): number } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    elapsed: () => now,
  };
}

/** Reads that return the scripted states in order, then the last one again; a string item is thrown as an unreachable cluster. */
function scripted(states: Array<StateName | "unreachable" | "forbidden">) {
  let i = 0;
  const read = vi.fn(async () => {
    const state = states[Math.min(i++, states.length - 1)] as StateName | "unreachable" | "forbidden";
    if (state === "unreachable")
      throw new UnreachableClusterError("kubectl ... exited 1: Unable to connect to the server", "check the agent");
    if (state === "forbidden") throw new JobError("kubectl ... exited 1: Error from server (Forbidden)", "grant get");
    return object(state);
  });
  return read;
}

const lineage = {
  answer: async (commits: readonly string[]) => (commit: string) =>
    commits.includes(commit) && ORDER.indexOf(commit) >= ORDER.indexOf(TARGET),
};

function wait(read: ReturnType<typeof scripted>, clock: Clock, timeoutMs = 600_000) {
  return waitForReconcile({
    read,
    lineage,
    resource: RESOURCE,
    target: TARGET,
    branch: BRANCH,
    timeoutMs,
    timeout: `${timeoutMs / 60_000}m`,
    clock,
  });
}

let output: string[];
beforeEach(() => {
  output = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    output.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe("waitForReconcile", () => {
  it("returns once Flux applied the target, having polled soon and then less often", async () => {
    const clock = virtualClock();
    const read = scripted(["old", "old", "progressing", "progressing", "applied"]);
    const message = await wait(read, clock);
    expect(message).toBe(
      `Flux Kustomization flux-system/app-staging applied ${rev(TARGET)}, which contains 222222222222: Ready=True (ReconciliationSucceeded): Applied revision: ${rev(TARGET)} (after 17s)`,
    );
    expect(read).toHaveBeenCalledTimes(5);
    expect(clock.slept).toEqual([2000, 3000, 4500, 6750]);
  });

  it("logs each change of Flux's status once, not every poll", async () => {
    await wait(scripted(["old", "old", "old", "progressing", "progressing", "applied"]), virtualClock());
    const lines = output
      .join("")
      .split("\n")
      .filter((l) => l.startsWith("Flux: "));
    expect(lines).toEqual([
      `Flux: last applied revision ${rev(OLD)}; Ready=True (ReconciliationSucceeded): Applied revision: ${rev(OLD)}`,
      `Flux: last applied revision ${rev(OLD)}; last attempted ${rev(TARGET)}; Ready=Unknown (Progressing): Reconciliation in progress`,
    ]);
  });

  it("accepts a later commit Flux already moved on to", async () => {
    await expect(wait(scripted(["later"]), virtualClock())).resolves.toContain(
      `applied ${rev(LATER)}, which contains 222222222222`,
    );
  });

  it("fails with Flux's reason and message as soon as Flux reports the target failed", async () => {
    const clock = virtualClock();
    const error = await wait(scripted(["old", "progressing", "failed", "applied"]), clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobError);
    expect((error as JobError).exitCode).toBe(EXIT_CODES.deployFailed);
    expect((error as JobError).message).toContain(
      "Ready=False (HealthCheckFailed): timeout waiting for: [Deployment/apps/app status: 'InProgress']",
    );
    expect(clock.slept).toHaveLength(2);
  });

  it("fails at the timeout with Flux's last status, having waited exactly the timeout", async () => {
    const clock = virtualClock();
    const error = (await wait(scripted(["old", "progressing"]), clock, 60_000).catch((e: unknown) => e)) as JobError;
    expect(error.exitCode).toBe(EXIT_CODES.exhausted);
    expect(error.message).toBe(
      `Flux did not report 222222222222 applied and Ready within verify_timeout (1m); Flux Kustomization flux-system/app-staging: last applied revision ${rev(OLD)}; last attempted ${rev(TARGET)}; Ready=Unknown (Progressing): Reconciliation in progress`,
    );
    expect(clock.elapsed()).toBe(60_000);
  });

  it("tries again while the cluster cannot be reached, and fails at once on any other read failure", async () => {
    await expect(wait(scripted(["unreachable", "unreachable", "applied"]), virtualClock())).resolves.toContain(
      "applied",
    );
    expect(output.join("").match(/the cluster could not be reached/g)).toHaveLength(1);
    const read = scripted(["old", "forbidden", "applied"]);
    await expect(wait(read, virtualClock())).rejects.toThrow("(Forbidden)");
    expect(read).toHaveBeenCalledTimes(2);
  });

  it("reports the unreachable cluster when it never answered before the timeout", async () => {
    await expect(wait(scripted(["unreachable"]), virtualClock(), 30_000)).rejects.toBeInstanceOf(
      UnreachableClusterError,
    );
  });

  it("ends with the state at the first decisive read, whatever came before (random read sequences)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.constantFrom<StateName | "unreachable">("old", "progressing", "applied", "later", "failed", "unreachable"),
          { minLength: 1, maxLength: 30 },
        ),
        async (states) => {
          const clock = virtualClock();
          const outcome = await wait(scripted(states), clock, 120_000).then(
            () => "applied",
            (e: JobError) => (e.exitCode === EXIT_CODES.deployFailed ? "failed" : "timeout"),
          );
          // Polls before the timeout: the pauses 2 s, 3 s, 4.5 s, … (at most 10 s) add up to 120 s after 15 reads.
          let reads = 0;
          for (
            let t = 0, d: number = POLL_MS.first;
            t < 120_000;
            t += Math.min(d, 120_000 - t), d = Math.min(Math.round(d * 1.5), POLL_MS.max)
          )
            reads++;
          const seen = Array.from({ length: reads + 1 }, (_, i) => states[Math.min(i, states.length - 1)]);
          const decisive = seen.find((s) => s === "applied" || s === "later" || s === "failed");
          expect(outcome).toBe(decisive === undefined ? "timeout" : decisive === "failed" ? "failed" : "applied");
          expect(clock.elapsed()).toBeLessThanOrEqual(120_000);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("TargetLineage", () => {
  /** A repository that knows `known` commits on the line OLD-TARGET-LATER; `refresh` brings `arrives`. */
  function repository(known: string[], arrives: string[] = []) {
    const present = new Set(known);
    const git = {
      exec: vi.fn(async (args: string[]) => ({
        code: present.has((args[2] as string).replace("^{commit}", "")) ? 0 : 1,
        stdout: "",
        stderr: "",
      })),
      isAncestor: vi.fn(async (a: string, d: string) => ORDER.indexOf(a) <= ORDER.indexOf(d)),
    } as unknown as Git & { isAncestor: ReturnType<typeof vi.fn> };
    const refresh = vi.fn(async () => arrives.forEach((c) => present.add(c)));
    return { git, refresh, source: { git: async () => git, refresh } };
  }

  it("answers the target itself without asking git", async () => {
    const { git, source } = repository([]);
    const contains = await new TargetLineage(TARGET, source).answer([TARGET]);
    expect(contains(TARGET)).toBe(true);
    expect(git.isAncestor).not.toHaveBeenCalled();
  });

  it("walks the graph once per commit, however often it is asked", async () => {
    const { git, source } = repository([OLD, TARGET, LATER]);
    const lineage = new TargetLineage(TARGET, source);
    for (let i = 0; i < 3; i++) {
      const contains = await lineage.answer([OLD, LATER]);
      expect([contains(OLD), contains(LATER)]).toEqual([false, true]);
    }
    expect(git.isAncestor).toHaveBeenCalledTimes(2);
  });

  it("fetches once more for a commit it lacks, and a commit still unknown contains nothing", async () => {
    const { refresh, source } = repository([OLD, TARGET], [LATER]);
    const lineage = new TargetLineage(TARGET, source);
    expect((await lineage.answer([LATER]))(LATER)).toBe(true);
    const unknown = "9".repeat(40);
    expect((await lineage.answer([unknown]))(unknown)).toBe(false);
    expect((await lineage.answer([unknown]))(unknown)).toBe(false);
    expect(refresh).toHaveBeenCalledTimes(2);
  });
});
