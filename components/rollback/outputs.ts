/**
 * The variable a person sets when running the manual job ("Run job" form; doc/ci/jobs/job_control.md,
 * "Specify variables when running manual jobs"): the commit to go back to. Not set in the template,
 * so nothing in the YAML competes with it. (The job's inputs and dotenv outputs are declared with the
 * component, components/rollback/component.ts, and reach the script through rollback.contract.ts.)
 */
export const SINCE_VARIABLE = "GITOPS_ROLLBACK_SINCE";
