/**
 * The promotion job's report, kept as the job's artifact (not a dotenv output: those are declared
 * with the job's inputs, components/promotion/inputs.ts `PROMOTION_OUTPUTS`).
 */

/** The promotion report's file name (`artifacts:paths`; report-render.ts writes it, the rollback job reads it back). */
export const PROMOTION_REPORT = "gitops-promotion-report.md";
