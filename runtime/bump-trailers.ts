/**
 * The trailers update-manifests writes into every bump commit, and the marker in its title (and
 * the rollback job's marker, branch prefix and trailers). The components' rules read them from
 * `$CI_COMMIT_TITLE` and `$CI_COMMIT_MESSAGE`; the promotion job reads them from the fetched commit
 * graph to find the bump made for its pipeline's commit.
 */

/** In the bump commit's title: build, test, review and update-manifests never run for it (no loops). */
export const BUMP_MARKER = "[gitops-bump]";

/** The branch prefix of merge_request-mode bumps (`gitops/bump-<digest>`). */
export const BUMP_BRANCH_PREFIX = "gitops/bump-";

/** Trailer keys, as `git interpret-trailers` spells them. */
export const TRAILERS = {
  /** The image the bump points the manifests at. */
  image: "GitOps-Image",
  /** `CI_COMMIT_SHA` of the pipeline that built the image: the change the bump belongs to. */
  sourceCommit: "GitOps-Source-Commit",
  /** `CI_PIPELINE_URL` of that pipeline. */
  pipeline: "GitOps-Pipeline",
  /**
   * How the bump reached the branch: `commit` (pushed by the change's own pipeline, which then
   * promotes it) or `merge_request`. Only a `commit` bump's own pipeline skips promotion; a bump
   * merged from a merge request (fast-forward, squash or merge commit) is promoted by its pipeline.
   */
  mode: "GitOps-Bump-Mode",
} as const;

/** The bump modes, as update-manifests' `mode` input spells them. */
export type BumpMode = "commit" | "merge_request";

/**
 * In the title of a rollback commit (components/rollback): build, test, review and
 * update-manifests never run for it, so its pipeline promotes the manifests it restores instead of
 * building and bumping them forward again (which would undo the rollback).
 */
export const ROLLBACK_MARKER = "[gitops-rollback]";

/** The branch prefix of merge_request-mode rollbacks (`gitops/rollback-<environment>-<12 hex>`). */
export const ROLLBACK_BRANCH_PREFIX = "gitops/rollback-";

/** The trailers of a rollback commit: what it undid, so a second run of the same rollback finds it. */
export const ROLLBACK_TRAILERS = {
  /** The GitLab environment rolled back. */
  environment: "GitOps-Rollback-Environment",
  /** The environment branch's head whose changes the commit reverts. */
  from: "GitOps-Rollback-From",
  /** The commit whose content the reverted files return to. */
  to: "GitOps-Rollback-To",
} as const;
