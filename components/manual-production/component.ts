/**
 * `manual-production`: a manual job in default-branch pipelines that fast-forwards the production
 * branch (`_gitlab/agents/production`) to the commit staging received for this change.
 */
import { defineComponent } from "../../generator/component.ts";
import { DEFAULT_BRANCH_ONLY } from "../common.ts";
import { promotionInputs, promotionJob, stagingGateInputs } from "../promotion/inputs.ts";

export default defineComponent(import.meta.url, {
  name: "manual-production",
  description:
    "A manual job in default-branch pipelines, playable once update-manifests and promote-staging are done, that fast-forwards the production branch to the same commit promote-staging chose (the bump commit for this pipeline's change, or its own commit when nothing needed a bump), refused unless the staging branch already has it; it stands down when a newer pipeline supersedes this one. Same engine as promote-staging: tree-less fetch, ancestry checks, plain push, retried push races. Optional (allow_failure), so pipelines nobody deploys stay green.",
  inputs: (catalog) =>
    promotionInputs(
      catalog,
      {
        job_name: "promote-production",
        environment: "production",
        environment_branch: catalog.config.environmentBranches.production,
        token_variable: "GITOPS_PRODUCTION_TOKEN",
        resource_group: "gitops-production",
        // Playable once staging has had its turn (its dotenv report is not needed).
        needs: [
          { job: "update-manifests", artifacts: true, optional: true },
          { job: "promote-staging", artifacts: false, optional: true },
        ],
        // Optional manual job: a blocking one would leave every default-branch pipeline that is
        // not deployed to production "blocked" instead of passed.
        rules: [{ if: DEFAULT_BRANCH_ONLY, when: "manual", allow_failure: true }],
        respectDeployFreeze: true,
        rulesDescription: "When the job runs. Default: a manual, optional job in pipelines of the default branch only.",
      },
      {
        require_branch: {
          type: "string",
          description: "The branch that must already contain the promoted commit (staging's branch): production only receives what staging has.",
          default: catalog.config.environmentBranches.staging,
        },
      },
      stagingGateInputs(),
    ),
  jobs: (inputs) => [promotionJob(inputs, "production", inputs.require_branch, inputs)],
});
