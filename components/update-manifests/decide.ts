/**
 * The bump decision, pure: from what the job found on the branch (the planned edit, the bumps that
 * landed after this pipeline's commit), what to do. No git here, so it is property-tested against
 * simulated pipelines (test/update-manifests/decide.property.test.ts); update.ts gathers the facts
 * from git and carries the decision out.
 *
 * The rules:
 * - manifests that already name the image: nothing to commit;
 * - a bump of the same image already on the branch, made by a pipeline of a later commit: stand
 *   down, so an older pipeline that ran late never moves the manifests back to an older image;
 * - otherwise one commit on the branch (`commit` mode) or on a bump branch for a merge request.
 */

/** A bump commit on the branch after this pipeline's commit, from its trailers. */
export interface LaterBump {
  commit: string;
  /** Its GitOps-Source-Commit: the commit whose pipeline made it. */
  source: string;
  /** The repository of its GitOps-Image (undefined when the trailer is not an image reference). */
  repository?: string;
  /** Is `source` this pipeline's commit or one after it (the git side answers)? */
  sourceFollowsOurs: boolean;
}

/** Everything {@link decideBump} needs. */
export interface BumpFacts {
  mode: "commit" | "merge_request";
  /** The files the edit changes (none: the manifests already name the image). */
  changedFiles: number;
  /** This pipeline's commit (`CI_COMMIT_SHA`). */
  sourceCommit?: string;
  /** The image repository being bumped. */
  repository: string;
  /**
   * The bumps after this pipeline's commit on the branch; undefined when the commit is not on the
   * branch (nothing can tell whether a newer bump exists).
   */
  later?: readonly LaterBump[];
}

/** The decision. */
export type BumpDecision =
  | { action: "none" }
  | { action: "stand-down"; newer: LaterBump }
  | { action: "commit" }
  | { action: "merge-request" };

/** What to do with the branch. */
export function decideBump(facts: BumpFacts): BumpDecision {
  if (facts.changedFiles === 0) return { action: "none" };
  // Only bumps of the same image count: another image's bump (a second include) is no reason to stop.
  const newer = facts.later?.find(
    (bump) => bump.source !== facts.sourceCommit && bump.repository === facts.repository && bump.sourceFollowsOurs,
  );
  if (newer) return { action: "stand-down", newer };
  return { action: facts.mode === "commit" ? "commit" : "merge-request" };
}
