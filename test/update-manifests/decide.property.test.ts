/**
 * `decideBump()` against simulated pipelines (fast-check): commits land on main one after another,
 * and their pipelines' update-manifests jobs run in any order, some twice (a retried job). Each job
 * sees the bumps already on the branch, decides, and a `commit` decision lands one more bump.
 * Whatever the order:
 * - the manifests end up naming the image of the newest commit whose job ran (never an older one);
 * - no job bumps once a newer pipeline's bump is on the branch, and none bumps twice to the same image;
 * - another image's bumps (a second include of the component) never make a job stand down.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideBump, type LaterBump } from "../../components/update-manifests/decide.ts";

const APP = "registry.example.com/group/app";
const OTHER = "registry.example.com/group/worker";

interface Bump {
  commit: string;
  /** The index of the main commit whose pipeline made it. */
  source: number;
  repository: string;
}

const sha = (i: number) => `c${i}`.padEnd(40, "0");

/** Runs the jobs in `order` (indexes of main commits, repeats allowed) and returns what landed. */
function simulate(commits: number, order: number[], mode: "commit" | "merge_request", foreign: number[]) {
  const bumps: Bump[] = foreign.map((source, i) => ({ commit: `f${i}`, source, repository: OTHER }));
  const decisions: Array<{ job: number; action: string }> = [];
  for (const job of order) {
    const current = [...bumps].reverse().find((b) => b.repository === APP);
    const later: LaterBump[] = bumps.map((b) => ({
      commit: b.commit,
      source: sha(b.source),
      repository: b.repository,
      sourceFollowsOurs: b.source >= job,
    }));
    const decision = decideBump({
      mode,
      changedFiles: current?.source === job ? 0 : 1,
      sourceCommit: sha(job),
      repository: APP,
      later,
    });
    decisions.push({ job, action: decision.action });
    if (decision.action === "commit") bumps.push({ commit: `b${bumps.length}`, source: job, repository: APP });
  }
  return { bumps: bumps.filter((b) => b.repository === APP), decisions, commits };
}

const scenario = fc.integer({ min: 1, max: 8 }).chain((commits) =>
  fc.record({
    commits: fc.constant(commits),
    order: fc.array(fc.integer({ min: 0, max: commits - 1 }), { minLength: 1, maxLength: 16 }),
    foreign: fc.array(fc.integer({ min: 0, max: commits - 1 }), { maxLength: 4 }),
  }),
);

describe("decideBump on simulated pipelines", () => {
  it("leaves the manifests at the newest commit whose job ran, whatever the order", () => {
    fc.assert(
      fc.property(scenario, ({ commits, order, foreign }) => {
        const { bumps } = simulate(commits, order, "commit", foreign);
        expect(bumps.at(-1)?.source).toBe(Math.max(...order));
      }),
      { numRuns: 1000 },
    );
  });

  it("never bumps after a newer pipeline's bump of the same image, nor twice to one image", () => {
    fc.assert(
      fc.property(scenario, ({ commits, order, foreign }) => {
        const { bumps } = simulate(commits, order, "commit", foreign);
        const sources = bumps.map((b) => b.source);
        expect(sources).toEqual([...sources].sort((a, b) => a - b));
        expect(new Set(sources).size).toBe(sources.length);
      }),
      { numRuns: 1000 },
    );
  });

  it("decides a merge request instead of a commit in merge_request mode, under the same rules", () => {
    fc.assert(
      fc.property(scenario, ({ commits, order, foreign }) => {
        const { decisions } = simulate(commits, order, "merge_request", foreign);
        // Nothing lands in merge_request mode, so no job ever stands down or finds its image in place.
        expect(decisions.every((d) => d.action === "merge-request")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    { name: "no edit", facts: { changedFiles: 0 }, action: "none" },
    { name: "an edit and no later bump", facts: { changedFiles: 2, later: [] }, action: "commit" },
    {
      name: "a commit not on the branch (nothing can tell)",
      facts: { changedFiles: 1, later: undefined },
      action: "commit",
    },
    {
      name: "a later bump of the same image from a newer pipeline",
      facts: { changedFiles: 1, later: [{ commit: "b", source: sha(2), repository: APP, sourceFollowsOurs: true }] },
      action: "stand-down",
    },
    {
      name: "a later bump of another image",
      facts: { changedFiles: 1, later: [{ commit: "b", source: sha(2), repository: OTHER, sourceFollowsOurs: true }] },
      action: "commit",
    },
    {
      name: "a later bump of this very pipeline (a rerun)",
      facts: { changedFiles: 1, later: [{ commit: "b", source: sha(1), repository: APP, sourceFollowsOurs: true }] },
      action: "commit",
    },
  ])("decides $action for $name", ({ facts, action }) => {
    expect(decideBump({ mode: "commit", sourceCommit: sha(1), repository: APP, ...facts }).action).toBe(action);
  });
});
