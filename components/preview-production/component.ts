/**
 * `preview-production`: the production promotion in a dry run, automatic in default-branch
 * pipelines once promote-staging has had its turn, so the report of what the manual production job
 * would ship is in the pipeline before anyone runs it. Optional: include it next to manual-production.
 *
 * A component of its own, not a second job of manual-production: each job embeds its script, and
 * two copies of the promotion script would take that template over its size budget.
 */
import { defineComponent } from "../../generator/component.ts";
import { fixedVariables, scriptVariables } from "../../generator/contract.ts";
import { job } from "../../generator/job.ts";
import { nodeScript } from "../../generator/script.ts";
import { commonInputs, DEFAULT_BRANCH_ONLY, GUARDS, guardedRules, rulesInput } from "../common.ts";
import { productionInputs } from "../promotion/inputs.ts";
import { PROMOTION_REPORT } from "../promotion/outputs.ts";

export default defineComponent(import.meta.url, {
  name: "preview-production",
  description:
    "Shows what the manual production job would ship, before anyone runs it: the production promotion in a dry run, automatic in default-branch pipelines once promote-staging has had its turn. Its report (a collapsed log section and the gitops-promotion-report.md artifact) lists the commits, the merge requests and the image changes production would receive, or why it would receive nothing. It reads with the job token, pushes nothing, creates no deployment and never fails the pipeline.",
  // The promotion inputs it shares with manual-production keep their job variables and parsers
  // (the script is the same), with descriptions of their own.
  inputs: (catalog, production = productionInputs(catalog)) => ({
    ...commonInputs(catalog, { stage: "deploy", job_name: "promote-production-preview" }),
    needs: {
      type: "array",
      description:
        "The jobs it waits for, as manual-production's needs input lists them: the update-manifests job(s) with artifacts (a bump waiting in a merge request means nothing to ship) and promote-staging.",
      default: [
        { job: "update-manifests", artifacts: true, optional: true },
        { job: "promote-staging", artifacts: false, optional: true },
      ],
    },
    environment: {
      ...production.environment,
      description:
        "The environment's name, as manual-production's environment input (for the report; no deployment is recorded).",
    },
    environment_branch: {
      ...production.environment_branch,
      description: "The production branch, as manual-production's environment_branch input.",
    },
    source_branch: {
      ...production.source_branch,
      description:
        "The branch promoted commits come from, as manual-production's source_branch input. CI/CD variables are expanded.",
    },
    require_branch: {
      ...production.require_branch,
      description: "The branch production only takes commits from, as manual-production's require_branch input.",
    },
    repository_url: {
      ...production.repository_url,
      description:
        "The project's HTTPS clone URL, without credentials; the job token reads it. CI/CD variables are expanded.",
    },
    rules: rulesInput(
      "When the job runs. Default: pipelines of the default branch only. A guard before these rules keeps it out of the pipeline of a commit-mode bump, like manual-production.",
      [{ if: DEFAULT_BRANCH_ONLY }],
    ),
  }),
  jobs: (inputs, catalog) => [
    job(inputs.job_name, {
      stage: inputs.stage,
      image: inputs.image,
      variables: {
        GIT_STRATEGY: "none",
        ...scriptVariables(inputs),
        ...fixedVariables(productionInputs(catalog), {
          // Reading needs no protected token: the job token clones its own project (as user
          // gitlab-ci-token, lib/gitlab/auth.rb build_access_token_check).
          token_variable: "CI_JOB_TOKEN",
          dry_run: true,
          // During a deploy freeze the preview still runs (a dry run pushes nothing) and says so in
          // production's terms (verify.ts, judgeFreeze). It reads no cluster: the staging gate and
          // the Flux wait are the production job's, and their inputs stay empty here.
          respect_deploy_freeze: true,
        }),
      },
      needs: inputs.needs,
      rules: guardedRules([GUARDS.commitModeBump], inputs.rules),
      // Informational: a preview that cannot tell never turns a pipeline red.
      allow_failure: true,
      // No environment: a job with `action: prepare` creates no deployment (only `start` does,
      // app/models/concerns/ci/deployable.rb), but on a protected environment only users allowed to
      // deploy may run it (gitlab-org/gitlab#300784), and with deployment approvals GitLab before
      // 18.0 holds it as a manual job (gitlab-org/gitlab#390025): an automatic preview would fail or wait.
      script: nodeScript("components/promotion/promote.ts"),
      // The report only: a dry run's dotenv outputs must not reach later jobs.
      artifacts: { paths: [PROMOTION_REPORT] },
    }),
  ],
});
