/**
 * `promote-staging`: in every pipeline of the default branch, fast-forward the staging branch
 * (`_gitlab/agents/staging`) to the pipeline's commit.
 */
import { defineComponent } from "../../generator/component.ts";
import { DEFAULT_BRANCH_ONLY } from "../common.ts";
import { promotionInputs, promotionJob } from "../promotion/inputs.ts";

export default defineComponent(import.meta.url, {
  name: "promote-staging",
  description:
    "Fast-forwards the staging branch to the pipeline's commit in every default-branch pipeline: a tree-less fetch of just the branches involved, ancestry checks and a plain push (never merge, rebase or force). An outdated pipeline is a no-op, a diverged branch is refused, a lost push race is retried. Publishes GITOPS_PREVIOUS_SHA, GITOPS_PROMOTED_SHA, GITOPS_PROMOTION and GITOPS_COMMIT_COUNT.",
  inputs: (catalog) =>
    promotionInputs(
      catalog,
      {
        job_name: "promote-staging",
        environment: "staging",
        environment_branch: catalog.config.environmentBranches.staging,
        token_variable: "GITOPS_STAGING_TOKEN",
        resource_group: "gitops-staging",
        rules: [{ if: DEFAULT_BRANCH_ONLY }],
        rulesDescription: "When the job runs. Default: pipelines of the default branch only (not merge-request, tag or environment-branch pipelines).",
      },
      {},
    ),
  jobs: (inputs) => [promotionJob(inputs, "staging")],
});
