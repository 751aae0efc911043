/** The dotenv report the rollback job leaves. */
export const ROLLBACK_DOTENV = "gitops-rollback.env";

/** The job variables that carry the rollback component's inputs (prefixed so no dotenv output of another job can shadow them). */
export const VARIABLES = {
  environment: "GITOPS_ROLLBACK_ENVIRONMENT",
  environmentBranch: "GITOPS_ROLLBACK_ENVIRONMENT_BRANCH",
  sourceBranch: "GITOPS_ROLLBACK_SOURCE_BRANCH",
  mode: "GITOPS_ROLLBACK_MODE",
  tokenVariable: "GITOPS_ROLLBACK_TOKEN_VARIABLE",
  repositoryUrl: "GITOPS_ROLLBACK_REPOSITORY_URL",
  ssh: { keyVariable: "GITOPS_ROLLBACK_SSH_KEY_VARIABLE", knownHosts: "GITOPS_ROLLBACK_SSH_KNOWN_HOSTS", repositoryUrl: "GITOPS_ROLLBACK_SSH_REPOSITORY_URL" },
  author: { name: "GITOPS_ROLLBACK_AUTHOR_NAME", email: "GITOPS_ROLLBACK_AUTHOR_EMAIL" },
} as const;

/**
 * The variable a person sets when running the manual job ("Run job" form; doc/ci/jobs/job_control.md,
 * "Specify variables when running manual jobs"): the commit to go back to. Not set in the template,
 * so nothing in the YAML competes with it.
 */
export const SINCE_VARIABLE = "GITOPS_ROLLBACK_SINCE";
