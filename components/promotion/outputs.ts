/**
 * The promotion job's outputs: one dotenv report in the job's working directory, so later jobs and
 * `environment:url` can read `GITOPS_PROMOTED_SHA` and the rest.
 */

/** The dotenv report's file name (`artifacts:reports:dotenv`). */
export const PROMOTION_DOTENV = "gitops-promotion.env";
