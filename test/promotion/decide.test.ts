/**
 * `decide()` case by case, on a small graph:
 *
 *   A ── B ── C ── M      main (M merges S)
 *    \            /
 *     S ─────────┘       S: side commit, on main through M
 *   B ── H               H: hotfix on an environment branch, not on main
 *   C ── F               F: feature commit, not on main
 */
import { describe, expect, it } from "vitest";
import {
  ancestryQuestions,
  decide,
  type BranchTips,
  type PromotionBranches,
  type PromotionPlan,
} from "../../components/promotion/decide.ts";

const parents: Record<string, string[]> = { A: [], B: ["A"], C: ["B"], S: ["A"], M: ["C", "S"], H: ["B"], F: ["C"] };
const isAncestor = (a: string, b: string): boolean => a === b || (parents[b] ?? []).some((p) => isAncestor(a, p));

const STAGING: PromotionBranches = { source: "main", environment: "staging" };
const PRODUCTION: PromotionBranches = { source: "main", environment: "production", required: "staging" };

interface Case {
  name: string;
  branches: PromotionBranches;
  target: string;
  tips: BranchTips;
  want: Partial<PromotionPlan> & { action: PromotionPlan["action"] };
}

const CASES: Case[] = [
  {
    name: "fast-forwards",
    branches: STAGING,
    target: "M",
    tips: { source: "M", environment: "B" },
    want: { action: "push", promotion: "fast-forward", previous: "B" },
  },
  {
    name: "creates a missing environment branch",
    branches: STAGING,
    target: "C",
    tips: { source: "M" },
    want: { action: "push", promotion: "created" },
  },
  {
    name: "is up to date at the same commit",
    branches: STAGING,
    target: "C",
    tips: { source: "M", environment: "C" },
    want: { action: "none", promotion: "up-to-date", previous: "C" },
  },
  {
    name: "is up to date for an older commit",
    branches: STAGING,
    target: "B",
    tips: { source: "M", environment: "M" },
    want: { action: "none", promotion: "up-to-date", previous: "M" },
  },
  {
    name: "refuses a commit not on main",
    branches: STAGING,
    target: "F",
    tips: { source: "M", environment: "B" },
    want: { action: "refuse", reason: "target-not-on-source" },
  },
  {
    name: "refuses a diverged environment branch",
    branches: STAGING,
    target: "M",
    tips: { source: "M", environment: "H" },
    want: { action: "refuse", reason: "diverged" },
  },
  {
    name: "refuses a diverged branch even when it contains the target",
    branches: STAGING,
    target: "B",
    tips: { source: "M", environment: "H" },
    want: { action: "refuse", reason: "diverged" },
  },
  {
    name: "refuses dropping a promoted side commit",
    branches: STAGING,
    target: "C",
    tips: { source: "M", environment: "S" },
    want: { action: "refuse", reason: "not-fast-forward" },
  },
  {
    name: "production fast-forwards to a commit staging has",
    branches: PRODUCTION,
    target: "C",
    tips: { source: "M", environment: "A", required: "M" },
    want: { action: "push", promotion: "fast-forward" },
  },
  {
    name: "production refuses a commit staging lacks",
    branches: PRODUCTION,
    target: "M",
    tips: { source: "M", environment: "A", required: "C" },
    want: { action: "refuse", reason: "target-not-in-required" },
  },
  {
    name: "production refuses while staging does not exist",
    branches: PRODUCTION,
    target: "C",
    tips: { source: "M" },
    want: { action: "refuse", reason: "required-branch-missing" },
  },
];

describe("decide", () => {
  it.each(CASES)("$name", ({ branches, target, tips, want }) => {
    const asked = new Set(ancestryQuestions(target, tips).map(([a, d]) => `${a}>${d}`));
    const plan = decide({
      branches,
      target,
      tips,
      isAncestor: (a, d) => {
        // decide may ask only what ancestryQuestions announced (the git side answers exactly those).
        expect(asked.has(`${a}>${d}`)).toBe(true);
        return isAncestor(a, d);
      },
    });
    expect(plan).toMatchObject(want);
  });

  it("explains a refusal with the branch names and the fix", () => {
    const plan = decide({ branches: STAGING, target: "M", tips: { source: "M", environment: "H" }, isAncestor });
    expect(plan).toEqual({
      action: "refuse",
      reason: "diverged",
      message:
        "staging (at H) has diverged from main: it holds commits that main lacks (list them with git log main..staging). Promotion never merges, rebases or force-pushes",
      fix: "bring those commits into main with a merge request that merges staging into main; once main contains H, the next promotion fast-forwards",
    });
  });
});
