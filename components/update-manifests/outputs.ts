/** The dotenv report update-manifests leaves for later jobs. */
export const MANIFESTS_DOTENV = "gitops-manifests.env";

/** The job variables that carry update-manifests' inputs (prefixed so no dotenv output of another job can shadow them). */
export const VARIABLES = {
  manifests: "GITOPS_BUMP_MANIFESTS",
  imageName: "GITOPS_BUMP_IMAGE_NAME",
  newImage: "GITOPS_BUMP_NEW_IMAGE",
  mode: "GITOPS_BUMP_MODE",
  branch: "GITOPS_BUMP_BRANCH",
  tokenVariable: "GITOPS_BUMP_TOKEN_VARIABLE",
  commitMessage: "GITOPS_BUMP_COMMIT_MESSAGE",
  repositoryUrl: "GITOPS_BUMP_REPOSITORY_URL",
} as const;
