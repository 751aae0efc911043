/**
 * The promotion job's outputs: one dotenv report in the job's working directory, so later jobs and
 * `environment:url` can read `GITOPS_PROMOTED_SHA` and the rest, and the promotion report, kept as
 * the job's artifact.
 */

/** The dotenv report's file name (`artifacts:reports:dotenv`). */
export const PROMOTION_DOTENV = "gitops-promotion.env";

/** The promotion report's file name (`artifacts:paths`; report-render.ts writes it, the rollback job reads it back). */
export const PROMOTION_REPORT = "gitops-promotion-report.md";
