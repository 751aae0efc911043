/**
 * The promotion decision, pure, in two steps. `chooseTarget`: which commit this pipeline's change
 * is promoted as (the bump update-manifests pushed for it, the pipeline's own commit, or nothing
 * when a newer pipeline's bump supersedes it or the bump waits in a merge request). `decide`: from
 * the branch tips just fetched and the commit graph, what to do with the environment branch. No
 * git here, so both are property-tested against simulated histories; `apply.ts` gathers the facts
 * from git and carries the plan out.
 *
 * The rules (docs/decisions/promotion.md, with the failure modes and measurements behind them):
 * - only commits of the source branch are promoted, and production only receives commits the
 *   required branch (staging) already has;
 * - an environment branch holding a commit the source branch lacks is refused, never merged,
 *   rebased or forced;
 * - a target the environment already contains is a success with nothing pushed: that is what keeps
 *   an outdated or retried pipeline from moving an environment backwards;
 * - otherwise the environment branch fast-forwards to the target, or is created at it.
 */

/** The branches a promotion reads. */
export interface PromotionBranches {
  /** Where promoted commits come from (`main`). */
  source: string;
  /** The branch being moved (`_gitlab/agents/staging`). */
  environment: string;
  /** Production only: the branch that must already contain the target (`_gitlab/agents/staging`). */
  required?: string;
}

/** The branch tips as fetched; a branch that does not exist is `undefined`. */
export interface BranchTips {
  source: string;
  environment?: string;
  required?: string;
}

/** Is `ancestor` an ancestor of `descendant`, or the same commit? */
export type IsAncestor = (ancestor: string, descendant: string) => boolean;

/** Everything `decide` needs. */
export interface PromotionFacts {
  branches: PromotionBranches;
  /** The commit to promote (the pipeline's `CI_COMMIT_SHA`). */
  target: string;
  tips: BranchTips;
  /** Answers the questions {@link ancestryQuestions} lists (and no others). */
  isAncestor: IsAncestor;
}

/** How the environment branch changes: the values of `GITOPS_PROMOTION` (the last two push nothing). */
export type Promotion = "fast-forward" | "created" | "up-to-date" | StandDownReason;

/** Why a promotion is refused (nothing is pushed). */
export type RefusalReason =
  | "target-not-on-source"
  | "required-branch-missing"
  | "target-not-in-required"
  | "diverged"
  | "not-fast-forward";

/** The decision. */
export type PromotionPlan =
  | { action: "push"; promotion: "fast-forward" | "created"; target: string; previous?: string }
  | { action: "none"; promotion: "up-to-date"; target: string; previous: string }
  | { action: "refuse"; reason: RefusalReason; message: string; fix: string };

/** A plan that refuses. */
export type Refusal = Extract<PromotionPlan, { action: "refuse" }>;

/** The first 12 hex digits of a commit, for messages. */
export function shortSha(sha: string): string {
  return sha.slice(0, 12);
}

/**
 * The ancestry questions `decide` may ask for these tips, as `[ancestor, descendant]` pairs, so the
 * git side can answer them all at once (in parallel) before deciding.
 */
export function ancestryQuestions(target: string, tips: BranchTips): Array<[string, string]> {
  const questions: Array<[string, string]> = [[target, tips.source]];
  if (tips.required) questions.push([target, tips.required]);
  if (tips.environment)
    questions.push([tips.environment, tips.source], [target, tips.environment], [tips.environment, target]);
  return questions;
}

/** Decides what to do with the environment branch. Pure. */
export function decide(facts: PromotionFacts): PromotionPlan {
  const { branches, target, tips, isAncestor } = facts;
  const t = shortSha(target);

  if (!isAncestor(target, tips.source))
    return refuse(
      "target-not-on-source",
      `commit ${t} is not on ${branches.source}: only commits of ${branches.source} are promoted to ${branches.environment}`,
      `run the promotion in a pipeline of ${branches.source} (merge the change into ${branches.source} first)`,
    );

  if (branches.required !== undefined) {
    if (tips.required === undefined)
      return refuse(
        "required-branch-missing",
        `${branches.required} does not exist, so no commit has been promoted there yet; ${branches.environment} only receives commits ${branches.required} already has`,
        `promote to ${branches.required} first (its promotion job creates the branch), then run this job again`,
      );
    if (!isAncestor(target, tips.required))
      return refuse(
        "target-not-in-required",
        `commit ${t} is not on ${branches.required} (at ${shortSha(tips.required)}); ${branches.environment} only receives commits ${branches.required} already has`,
        `promote ${t} to ${branches.required} first, or run this job in the pipeline of a commit ${branches.required} already has`,
      );
  }

  if (tips.environment === undefined) return { action: "push", promotion: "created", target };

  const e = shortSha(tips.environment);
  if (!isAncestor(tips.environment, tips.source))
    return refuse(
      "diverged",
      `${branches.environment} (at ${e}) has diverged from ${branches.source}: it holds commits that ${branches.source} lacks (list them with git log ${branches.source}..${branches.environment}). Promotion never merges, rebases or force-pushes`,
      `bring those commits into ${branches.source} with a merge request that merges ${branches.environment} into ${branches.source}; once ${branches.source} contains ${e}, the next promotion fast-forwards`,
    );

  if (isAncestor(target, tips.environment))
    return { action: "none", promotion: "up-to-date", target, previous: tips.environment };

  if (isAncestor(tips.environment, target))
    return { action: "push", promotion: "fast-forward", target, previous: tips.environment };

  return refuse(
    "not-fast-forward",
    `${branches.environment} is at ${e}, which commit ${t} does not contain: moving it to ${t} would drop commits of ${branches.source} that are already promoted`,
    `promote a newer commit of ${branches.source} that contains both (run this job in the latest pipeline of ${branches.source})`,
  );
}

function refuse(reason: RefusalReason, message: string, fix: string): Refusal {
  return { action: "refuse", reason, message, fix };
}

/** One commit of the source branch that the pipeline's commit lacks, as `git log` lists it. */
export interface LaterCommit {
  commit: string;
  parents: string[];
  /** Its GitOps-Source-Commit trailer, if it is a bump: the pipeline commit whose image it names. */
  bumpOf?: string;
  /** Its GitOps-Pipeline trailer (the pipeline that made the bump), for messages. */
  pipeline?: string;
}

/** Everything `chooseTarget` needs. */
export interface TargetFacts {
  /** The pipeline's commit (`CI_COMMIT_SHA`), already known to be on the source branch. */
  pipelineCommit: string;
  /** Every commit of the source branch the pipeline's commit lacks (`git log <pipeline>..<source>`), in any order. */
  later: LaterCommit[];
  /** The merge request update-manifests left this change's bump in (its GITOPS_MERGE_REQUEST_URL), if any. */
  pendingMergeRequest?: string;
}

/** Why a pipeline promotes nothing. */
export type StandDownReason = "superseded" | "pending-merge-request";

/** The commit to promote, or why there is none. */
export type TargetChoice =
  | { action: "promote"; target: string; kind: "bump" | "pipeline-commit"; message: string }
  | { action: "stand-down"; reason: StandDownReason; message: string };

/**
 * Which commit this pipeline's change is promoted as. The environment must receive a commit whose
 * manifests name the images built for this change, or newer ones:
 * - the bump update-manifests made for this change waits in a merge request: nothing (the merge's
 *   own pipeline promotes it);
 * - bumps made for this change are on the branch: the newest of them, unless a bump made for a
 *   later commit landed after it (that pipeline promotes a commit holding both: standing down lets
 *   no environment receive this change's manifests without the newer image);
 * - no bump for this change, but one for a later commit: nothing (superseded, as above);
 * - no bump at all: the pipeline's own commit (a change that needed none, such as a manifests-only
 *   commit or the merge of a bump merge request).
 */
export function chooseTarget(facts: TargetFacts): TargetChoice {
  const { pipelineCommit, later, pendingMergeRequest } = facts;
  const p = shortSha(pipelineCommit);
  if (pendingMergeRequest)
    return {
      action: "stand-down",
      reason: "pending-merge-request",
      message: `the manifests bump for ${p} waits in merge request ${pendingMergeRequest}; the pipeline of its merge promotes it. Nothing to promote from this pipeline`,
    };
  const laterSet = new Set(later.map((c) => c.commit));
  const own = later.filter((c) => c.bumpOf === pipelineCommit);
  // A bump made for a commit this pipeline's commit lacks: a newer change's (or a side branch merged later).
  const newer = later.filter((c) => c.bumpOf !== undefined && c.bumpOf !== pipelineCommit && laterSet.has(c.bumpOf));
  const supersededBy = (bump: LaterCommit): TargetChoice => ({
    action: "stand-down",
    reason: "superseded",
    message:
      `bump ${shortSha(bump.commit)} for the later commit ${shortSha(bump.bumpOf as string)}${bump.pipeline ? ` (pipeline ${bump.pipeline})` : ""} supersedes this pipeline's change ${p}: ` +
      "that pipeline promotes a commit holding both. Nothing to promote from this pipeline",
  });
  if (own.length === 0) {
    if (newer[0]) return supersededBy(newer[0]);
    return {
      action: "promote",
      target: pipelineCommit,
      kind: "pipeline-commit",
      message: `no bump was needed for ${p}: promoting the pipeline's own commit`,
    };
  }
  const parents = new Map(later.map((c) => [c.commit, c.parents]));
  const ancestry = (from: string): Set<string> => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const at = stack.pop() as string;
      if (seen.has(at) || !laterSet.has(at)) continue;
      seen.add(at);
      stack.push(...(parents.get(at) ?? []));
    }
    return seen;
  };
  const newest = own.filter((b) => own.every((other) => ancestry(b.commit).has(other.commit)));
  if (newest.length !== 1)
    return {
      action: "stand-down",
      reason: "superseded",
      message: `the bumps for ${p} (${own.map((b) => shortSha(b.commit)).join(", ")}) are on separate lines of history; the pipeline of the commit that joins them promotes them all. Nothing to promote from this pipeline`,
    };
  const bump = newest[0] as LaterCommit;
  const holds = ancestry(bump.commit);
  const outside = newer.find((n) => !holds.has(n.commit));
  if (outside) return supersededBy(outside);
  return {
    action: "promote",
    target: bump.commit,
    kind: "bump",
    message: `promoting ${shortSha(bump.commit)}, the manifests bump update-manifests pushed for ${p}`,
  };
}
