/**
 * `promote-staging`: in default-branch pipelines, after update-manifests, fast-forward the staging
 * branch (`_gitlab/agents/staging`) to the commit whose manifests name this change's image.
 */
import { defineComponent } from "../../generator/component.ts";
import { DEFAULT_BRANCH_ONLY } from "../common.ts";
import { PROMOTION_OUTPUTS, promotionInputs, promotionJob } from "../promotion/inputs.ts";

export default defineComponent(import.meta.url, {
  name: "promote-staging",
  description:
    "Fast-forwards the staging branch, after update-manifests, to the commit whose manifests name the image built for this pipeline's change: the bump commit update-manifests pushed for it, or the pipeline's own commit when nothing needed a bump; it stands down (success, nothing pushed) when a newer pipeline's bump supersedes it or the bump waits in a merge request. A tree-less fetch of just the branches involved, ancestry checks and a plain push (never merge, rebase or force): an environment never moves backwards, a diverged branch is refused, a lost push race is retried. Publishes GITOPS_PREVIOUS_SHA, GITOPS_PROMOTED_SHA, GITOPS_PROMOTION and GITOPS_COMMIT_COUNT.",
  inputs: (catalog) =>
    promotionInputs(
      catalog,
      {
        job_name: "promote-staging",
        environment: "staging",
        environment_branch: catalog.config.environmentBranches.staging,
        token_variable: "GITOPS_STAGING_TOKEN",
        resource_group: "gitops-staging",
        needs: [{ job: "update-manifests", artifacts: true, optional: true }],
        rules: [{ if: DEFAULT_BRANCH_ONLY }],
        respectDeployFreeze: false,
        rulesDescription:
          "When the job runs. Default: pipelines of the default branch only (not merge-request, tag or environment-branch pipelines).",
      },
      {},
    ),
  jobs: (inputs) => [promotionJob(inputs, "staging")],
  outputs: PROMOTION_OUTPUTS,
});
