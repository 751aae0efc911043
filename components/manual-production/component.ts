/**
 * `manual-production`: a manual job in default-branch pipelines that fast-forwards the production
 * branch (`_gitlab/agents/production`) to the pipeline's commit, once staging already has it.
 */
import { defineComponent } from "../../generator/component.ts";
import { DEFAULT_BRANCH_ONLY } from "../common.ts";
import { promotionInputs, promotionJob } from "../promotion/inputs.ts";

export default defineComponent(import.meta.url, {
  name: "manual-production",
  description:
    "A manual job in default-branch pipelines that fast-forwards the production branch to the pipeline's commit, refused unless the staging branch already has that commit. Same engine as promote-staging: tree-less fetch, ancestry checks, plain push, retried push races. Optional (allow_failure), so pipelines nobody deploys stay green.",
  inputs: (catalog) =>
    promotionInputs(
      catalog,
      {
        job_name: "promote-production",
        environment: "production",
        environment_branch: catalog.config.environmentBranches.production,
        token_variable: "GITOPS_PRODUCTION_TOKEN",
        resource_group: "gitops-production",
        // Optional manual job: a blocking one would leave every default-branch pipeline that is
        // not deployed to production "blocked" instead of passed.
        rules: [{ if: DEFAULT_BRANCH_ONLY, when: "manual", allow_failure: true }],
        rulesDescription: "When the job runs. Default: a manual, optional job in pipelines of the default branch only.",
      },
      {
        require_branch: {
          type: "string",
          description: "The branch that must already contain the pipeline's commit (staging's branch): production only receives what staging has.",
          default: catalog.config.environmentBranches.staging,
        },
      },
    ),
  jobs: (inputs) => [promotionJob(inputs, "production", inputs.require_branch)],
});
