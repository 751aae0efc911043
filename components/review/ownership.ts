/**
 * How the review jobs mark what they own: the labels on every object and the server-side apply
 * field manager. One place, so deploy and stop cannot disagree.
 */

/** The server-side apply field manager: the owner of every field the review jobs set. */
export const FIELD_MANAGER = "gitops-components";

/** Labels put on every object of a review app. */
export const LABELS = {
  /** Marks what these jobs manage; stop refuses to delete a namespace without it. */
  managedBy: "app.kubernetes.io/managed-by",
  /** The branch slug, so a cluster operator can find a merge request's objects. */
  review: "gitops-components/review",
  /** The merge request IID (absent outside merge-request pipelines). */
  mergeRequest: "gitops-components/merge-request",
} as const;

/** The value of {@link LABELS.managedBy}. */
export const MANAGED_BY = "gitops-components";
