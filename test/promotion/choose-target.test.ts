/**
 * `chooseTarget()` case by case: which commit a pipeline's change is promoted as. Commits are named
 * by letters; `bumpOf` is the GitOps-Source-Commit trailer update-manifests writes.
 */
import { describe, expect, it } from "vitest";
import { chooseTarget, type LaterCommit, type TargetChoice } from "../../components/promotion/decide.ts";

/** A commit after the pipeline's commit: `name`, its parents, and the pipeline commit it bumps for (if a bump). */
const c = (commit: string, parents: string[], bumpOf?: string): LaterCommit => ({
  commit,
  parents,
  ...(bumpOf ? { bumpOf } : {}),
});

interface Case {
  name: string;
  later: LaterCommit[];
  pendingMergeRequest?: string;
  want: Pick<TargetChoice, "action"> & ({ target: string; kind: string } | { reason: string });
}

// The pipeline's commit is always P; Q and R are later changes of main; O an earlier one.
const CASES: Case[] = [
  {
    name: "promotes the bump update-manifests pushed for the pipeline's commit",
    later: [c("B", ["P"], "P")],
    want: { action: "promote", target: "B", kind: "bump" },
  },
  {
    name: "promotes the pipeline's own commit when nothing needed a bump (a manifests-only commit)",
    later: [],
    want: { action: "promote", target: "P", kind: "pipeline-commit" },
  },
  {
    name: "promotes the pipeline's own commit when only later changes without bumps follow",
    later: [c("Q", ["P"])],
    want: { action: "promote", target: "P", kind: "pipeline-commit" },
  },
  {
    name: "promotes the newest of two bumps for the same change (two update-manifests jobs)",
    later: [c("B2", ["B1"], "P"), c("B1", ["P"], "P")],
    want: { action: "promote", target: "B2", kind: "bump" },
  },
  {
    name: "promotes its bump when a later change's bump landed before it (the bump holds the newer image)",
    later: [c("B", ["N"], "P"), c("N", ["Q"], "Q"), c("Q", ["P"])],
    want: { action: "promote", target: "B", kind: "bump" },
  },
  {
    name: "is not stopped by a late bump of an earlier change",
    later: [c("Ob", ["B"], "O"), c("B", ["P"], "P")],
    want: { action: "promote", target: "B", kind: "bump" },
  },
  {
    name: "promotes its own commit over a late bump of an earlier change",
    later: [c("Ob", ["P"], "O")],
    want: { action: "promote", target: "P", kind: "pipeline-commit" },
  },
  {
    name: "stands down when a later change's bump supersedes its change (no bump of its own)",
    later: [c("N", ["Q"], "Q"), c("Q", ["P"])],
    want: { action: "stand-down", reason: "superseded" },
  },
  {
    name: "stands down when a later change's bump landed after its own bump",
    later: [c("N", ["Q"], "Q"), c("Q", ["B"]), c("B", ["P"], "P")],
    want: { action: "stand-down", reason: "superseded" },
  },
  {
    name: "stands down while its bump waits in a merge request",
    later: [],
    pendingMergeRequest: "https://gitlab.example.com/group/app/-/merge_requests/3",
    want: { action: "stand-down", reason: "pending-merge-request" },
  },
  {
    name: "stands down for a pending merge request even when another bump of its change is on the branch",
    later: [c("B", ["P"], "P")],
    pendingMergeRequest: "https://gitlab.example.com/group/app/-/merge_requests/3",
    want: { action: "stand-down", reason: "pending-merge-request" },
  },
  {
    name: "stands down when its bumps are on separate lines (the commit joining them is promoted by its own pipeline)",
    later: [c("M", ["B1", "S"]), c("S", ["P"], "P"), c("B1", ["P"], "P")],
    want: { action: "stand-down", reason: "superseded" },
  },
  {
    name: "promotes a bump merged from a merge request when its pipeline runs after the merge",
    later: [c("M", ["Q", "S"]), c("S", ["P"], "P"), c("Q", ["P"])],
    want: { action: "promote", target: "S", kind: "bump" },
  },
];

describe("chooseTarget", () => {
  it.each(CASES)("$name", ({ later, pendingMergeRequest, want }) => {
    const choice = chooseTarget({
      pipelineCommit: "P",
      later,
      ...(pendingMergeRequest ? { pendingMergeRequest } : {}),
    });
    expect(choice).toMatchObject(want);
  });

  it("says which later change supersedes it, and its pipeline", () => {
    const later = [
      {
        ...c("N".repeat(40), ["Q".repeat(40)], "Q".repeat(40)),
        pipeline: "https://gitlab.example.com/group/app/-/pipelines/9",
      },
      c("Q".repeat(40), ["P".repeat(40)]),
    ];
    const choice = chooseTarget({ pipelineCommit: "P".repeat(40), later });
    expect(choice).toEqual({
      action: "stand-down",
      reason: "superseded",
      message: `bump ${"N".repeat(12)} for the later commit ${"Q".repeat(12)} (pipeline https://gitlab.example.com/group/app/-/pipelines/9) supersedes this pipeline's change ${"P".repeat(12)}: that pipeline promotes a commit holding both. Nothing to promote from this pipeline`,
    });
  });
});
