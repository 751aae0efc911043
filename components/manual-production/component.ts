/**
 * `manual-production`: a manual job in default-branch pipelines that fast-forwards the production
 * branch (`_gitlab/agents/production`) to the commit staging received for this change.
 */
import { defineComponent } from "../../generator/component.ts";
import { PROMOTION_OUTPUTS, productionInputs, promotionJob } from "../promotion/inputs.ts";

export default defineComponent(import.meta.url, {
  name: "manual-production",
  description:
    "A manual job in default-branch pipelines, playable once update-manifests and promote-staging are done, that fast-forwards the production branch to the same commit promote-staging chose (the bump commit for this pipeline's change, or its own commit when nothing needed a bump), refused unless the staging branch already has it; it stands down when a newer pipeline supersedes this one. Same engine as promote-staging: tree-less fetch, ancestry checks, plain push, retried push races. Optional (allow_failure), so pipelines nobody deploys stay green.",
  inputs: (catalog) => productionInputs(catalog),
  jobs: (inputs) => [promotionJob(inputs, "production")],
  outputs: PROMOTION_OUTPUTS,
});
