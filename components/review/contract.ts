/**
 * What the review template and its scripts agree on: the job variables that carry inputs, the
 * outputs, the labels and the field manager. One place, so the names cannot drift apart.
 */

/** Job variables carrying the component's inputs (inputs never appear in script text). */
export const VARIABLES = {
  agent: "GITOPS_REVIEW_AGENT",
  manifests: "GITOPS_REVIEW_MANIFESTS",
  image_name: "GITOPS_REVIEW_IMAGE_NAME",
  new_image: "GITOPS_REVIEW_NEW_IMAGE",
  domain: "GITOPS_REVIEW_DOMAIN",
  namespace_prefix: "GITOPS_REVIEW_NAMESPACE_PREFIX",
  rollout_timeout: "GITOPS_REVIEW_ROLLOUT_TIMEOUT",
} as const;

/** The deploy job's dotenv report (`environment:url` reads the URL from it). */
export const DOTENV_FILE = "gitops-review.env";

/** The deploy job's outputs. */
export const OUTPUTS = { url: "GITOPS_REVIEW_URL", namespace: "GITOPS_REVIEW_NAMESPACE" } as const;

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
