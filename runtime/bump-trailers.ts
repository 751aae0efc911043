/**
 * The trailers update-manifests writes into every bump commit, and the marker in its title. The
 * components' rules read them from `$CI_COMMIT_TITLE` and `$CI_COMMIT_MESSAGE`; the promotion job
 * reads them from the fetched commit graph to find the bump made for its pipeline's commit.
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
