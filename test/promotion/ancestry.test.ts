/**
 * The attempt's ancestry answers: each walk at most once, none whose answer is already implied;
 * and, on random commit graphs, `decide` reaches the same plan through them as with every question
 * answered directly, while git walks fewer questions than `ancestryQuestions` lists.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ancestry } from "../../components/promotion/ancestry.ts";
import { gatherAncestry } from "../../components/promotion/apply.ts";
import {
  ancestryQuestions,
  decide,
  type BranchTips,
  type PromotionBranches,
} from "../../components/promotion/decide.ts";

/** A walk over a parent table that records every question it is asked. */
function recordingWalk(parents: Record<string, string[]>) {
  const walked: string[] = [];
  const reach = (a: string, d: string): boolean => a === d || (parents[d] ?? []).some((p) => reach(a, p));
  return {
    walked,
    walk: async (a: string, d: string) => {
      walked.push(`${a}..${d}`);
      return reach(a, d);
    },
    reach,
  };
}

// A ── B ── C (main)
const LINE = { A: [], B: ["A"], C: ["B"] };

describe("Ancestry", () => {
  it("answers a commit is its own ancestor without walking", async () => {
    const { walk, walked } = recordingWalk(LINE);
    expect(await new Ancestry(walk).isAncestor("C", "C")).toBe(true);
    expect(walked).toEqual([]);
  });

  it("walks each question once, however often it is asked", async () => {
    const { walk, walked } = recordingWalk(LINE);
    const ancestry = new Ancestry(walk);
    expect(await Promise.all([ancestry.isAncestor("A", "C"), ancestry.isAncestor("A", "C")])).toEqual([true, true]);
    expect(await ancestry.isAncestor("A", "C")).toBe(true);
    expect(walked).toEqual(["A..C"]);
  });

  it("does not walk the reverse of a proper ancestor: a graph has no cycles", async () => {
    const { walk, walked } = recordingWalk(LINE);
    const ancestry = new Ancestry(walk);
    const [forward, reverse] = await Promise.all([ancestry.isAncestor("A", "C"), ancestry.isAncestor("C", "A")]);
    expect([forward, reverse]).toEqual([true, false]);
    expect(walked).toEqual(["A..C"]);
  });

  it("walks the reverse when the first answer is no", async () => {
    const { walk, walked } = recordingWalk(LINE);
    const ancestry = new Ancestry(walk);
    expect(await Promise.all([ancestry.isAncestor("C", "A"), ancestry.isAncestor("A", "C")])).toEqual([false, true]);
    expect(walked).toEqual(["C..A", "A..C"]);
  });

  it("answers no for a commit the fetch did not bring, without walking", async () => {
    const { walk, walked } = recordingWalk(LINE);
    const ancestry = new Ancestry(walk, new Set(["X"]));
    expect(
      await Promise.all([ancestry.isAncestor("X", "C"), ancestry.isAncestor("A", "X"), ancestry.isAncestor("X", "X")]),
    ).toEqual([false, false, false]);
    expect(walked).toEqual([]);
  });
});

const MAIN = "main";
const STAGING: PromotionBranches = { source: MAIN, environment: "staging" };
const PRODUCTION: PromotionBranches = { source: MAIN, environment: "production", required: "staging" };

/** A random commit graph: each commit has one or two parents among the earlier ones. */
const graph = fc
  .array(fc.tuple(fc.nat(), fc.option(fc.nat(), { nil: undefined })), { minLength: 1, maxLength: 30 })
  .map((links) => {
    const parents: Record<string, string[]> = { c0: [] };
    links.forEach(([first, second], i) => {
      const earlier = (n: number) => `c${n % (i + 1)}`;
      parents[`c${i + 1}`] = [...new Set([earlier(first), ...(second === undefined ? [] : [earlier(second)])])];
    });
    return parents;
  });

describe("decide through the attempt's ancestry answers", () => {
  it("reaches the same plan as with every question answered directly, walking each question at most once, none already implied, and one for a fast-forward to the source tip", async () => {
    await fc.assert(
      fc.asyncProperty(
        graph,
        fc.nat(),
        fc.nat(),
        fc.option(fc.nat(), { nil: undefined }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        fc.nat(4),
        async (parents, s, t, e, r, production, tipTarget) => {
          const commits = Object.keys(parents);
          const at = (n: number) => commits[n % commits.length] as string;
          const branches = production ? PRODUCTION : STAGING;
          const tips: BranchTips = {
            source: at(s),
            ...(e === undefined ? {} : { environment: at(e) }),
            ...(production && r !== undefined ? { required: at(r) } : {}),
          };
          // Often the target is the source tip: the case the shortcuts are for.
          const target = tipTarget === 0 ? at(t) : tips.source;
          const { walk, walked, reach } = recordingWalk(parents);

          const direct = decide({ branches, target, tips, isAncestor: reach });
          const through = decide({
            branches,
            target,
            tips,
            isAncestor: await gatherAncestry(new Ancestry(walk), target, tips),
          });

          expect(through).toEqual(direct);
          expect(new Set(walked).size, "a question walked twice").toBe(walked.length);
          walked.forEach((question, i) => {
            const [a, d] = question.split("..") as [string, string];
            expect(a, "a commit walked against itself").not.toBe(d);
            const reverseAt = walked.indexOf(`${d}..${a}`);
            if (reverseAt >= 0 && reverseAt < i)
              expect(reach(d, a), `${question} walked after its reverse said yes`).toBe(false);
          });
          const listed = new Set(
            ancestryQuestions(target, tips)
              .map(([a, d]) => `${a}..${d}`)
              .filter((q) => q.split("..")[0] !== q.split("..")[1]),
          );
          expect(walked.length).toBeLessThanOrEqual(listed.size);
          if (
            target === tips.source &&
            tips.environment !== undefined &&
            tips.environment !== target &&
            reach(tips.environment, target) &&
            !production
          )
            expect(walked, "fast-forward to the source tip: one walk").toEqual([`${tips.environment}..${target}`]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
