/**
 * What `promote-staging` and `manual-production` share: their inputs and their one job. Each
 * component passes its own defaults (environment, branch, token variable, rules) and tier.
 */
import type { Catalog } from "../../generator/config.ts";
import { declareOutputs, scriptVariables } from "../../generator/contract.ts";
import { call, type InputRefs, type InputSpecs } from "../../generator/inputs.ts";
import { job, type JobDefinition, type Rule } from "../../generator/job.ts";
import { nodeScript } from "../../generator/script.ts";
import { anyText, boolean, branch, optionalBranch, trimmedText } from "../../runtime/input-parsers.ts";
import { commonInputs, DEFAULT_BRANCH_ONLY, GUARDS, guardedRules, rulesInput, sshInputs } from "../common.ts";
import { PROMOTION_REPORT } from "./outputs.ts";
import { stagingGateInputs, verifyInputs } from "./verify-inputs.ts";

/** The promotion job's dotenv report: later jobs and `environment:url` read GITOPS_PROMOTED_SHA and the rest. */
export const PROMOTION_OUTPUTS = declareOutputs("gitops-promotion.env", {
  GITOPS_PREVIOUS_SHA: "The environment branch's tip before the job (empty when the job created the branch).",
  GITOPS_PROMOTED_SHA: "The environment branch's tip after the job (for a dry run: what it would be).",
  GITOPS_PROMOTION:
    "What happened: fast-forward, created, up-to-date, superseded or pending-merge-request (the last two push nothing).",
  GITOPS_COMMIT_COUNT: "How many commits the environment branch received (0 when nothing was pushed).",
  GITOPS_PROMOTION_DRY_RUN: "true when dry_run was set: the outputs describe what would have happened.",
});

/** The `require_branch` input of production: the branch that must already hold the commit. */
export function requireBranchInput(staging: string) {
  return {
    require_branch: {
      type: "string",
      description:
        "The branch that must already contain the promoted commit (staging's branch): production only receives what staging has.",
      default: staging,
      variable: "GITOPS_REQUIRE_BRANCH",
      parse: optionalBranch,
    },
  } as const;
}

/** The defaults that differ between staging and production. */
export interface PromotionDefaults<Name extends string> {
  job_name: Name;
  environment: string;
  environment_branch: string;
  token_variable: string;
  resource_group: string;
  /** The jobs it waits for: the update-manifests job (and, for production, staging's promotion). */
  needs: Array<{ job: string; artifacts: boolean; optional: true }>;
  rules: Rule[];
  /** How the default rules read in the `rules` input's description. */
  rulesDescription: string;
  /** The default of `respect_deploy_freeze`. */
  respectDeployFreeze: boolean;
}

/**
 * The promotion inputs, in the order the catalog shows them; `extra` (production's
 * `require_branch`) goes right after `source_branch`, `gate` (production's staging gate) after the
 * reconcile wait's inputs.
 */
export function promotionInputs<
  const Name extends string,
  const Extra extends InputSpecs,
  const Gate extends InputSpecs = Record<never, never>,
>(catalog: Catalog, defaults: PromotionDefaults<Name>, extra: Extra, gate?: Gate) {
  const { respect_deploy_freeze, ...wait } = verifyInputs(defaults.environment, defaults.respectDeployFreeze);
  return {
    ...commonInputs(catalog, { stage: "deploy", job_name: defaults.job_name }),
    needs: {
      type: "array",
      description:
        "The jobs this job waits for, in GitLab's needs: form. List every update-manifests job of the pipeline (a monorepo has several), each with optional: true (a pipeline that merges a bump has none) and artifacts: true (their GITOPS_MERGE_REQUEST_URL says a bump waits in a merge request). The job then promotes the bump commit they pushed for this pipeline's commit, or the pipeline's commit when nothing needed a bump.",
      default: defaults.needs,
    },
    environment: {
      type: "string",
      description: "The GitLab environment the job deploys to (environment:name).",
      default: defaults.environment,
      variable: "GITOPS_ENVIRONMENT",
      parse: trimmedText,
    },
    environment_branch: {
      type: "string",
      description:
        "The branch that is the environment's desired state (the GitOps agent syncs from it). It only ever moves forward, by fast-forward; it is created at the first promotion.",
      default: defaults.environment_branch,
      variable: "GITOPS_ENVIRONMENT_BRANCH",
      parse: call(branch, "set environment_branch to the branch the environment's GitOps agent syncs from"),
    },
    environment_url: {
      type: "string",
      description:
        "The environment's URL shown in GitLab (environment:url), written at every deployment. CI/CD variables are expanded, including GITOPS_ outputs of this job. Empty means no URL, and also clears a URL entered in GitLab's UI: GitLab writes the expanded value at each deployment even when it is empty (Deployments::UpdateEnvironmentService), and a component cannot leave the keyword out. Set the URL here, not in the UI.",
      default: "",
      example: "https://app.example.com",
    },
    source_branch: {
      type: "string",
      description:
        "The branch promoted commits must be on (the branch update-manifests bumps). The pipeline's commit is refused unless this branch contains it. CI/CD variables are expanded.",
      default: "$CI_DEFAULT_BRANCH",
      variable: "GITOPS_SOURCE_BRANCH",
      parse: call(branch, "set source_branch to the branch promoted commits come from (default $CI_DEFAULT_BRANCH)"),
    },
    ...extra,
    token_variable: {
      type: "string",
      description:
        "The name of the CI/CD variable holding the project access token allowed to push to environment_branch (never the token itself). Make it protected and masked: it then exists only in pipelines of protected branches and tags (and, since GitLab 18, of merge requests between protected branches; the job refuses any commit that is not on source_branch). Not read when ssh_key_variable is set.",
      default: defaults.token_variable,
      regex: "^[A-Za-z_][A-Za-z0-9_]*$",
      variable: "GITOPS_TOKEN_VARIABLE",
      parse: trimmedText,
    },
    repository_url: {
      type: "string",
      description: "The project's HTTPS clone URL, without credentials. CI/CD variables are expanded.",
      default: "$CI_SERVER_URL/$CI_PROJECT_PATH.git",
      variable: "GITOPS_REPOSITORY_URL",
      parse: anyText,
    },
    ...sshInputs("environment_branch", "GITOPS_"),
    resource_group: {
      type: "string",
      description:
        "The resource group that runs promotions to this environment one at a time (the job also retries a lost push race itself).",
      default: defaults.resource_group,
    },
    skip_ci: {
      type: "boolean",
      description: "Push with `-o ci.skip`, so the push starts no pipeline for environment_branch.",
      default: true,
      variable: "GITOPS_SKIP_CI",
      parse: call(boolean, true),
    },
    dry_run: {
      type: "boolean",
      description:
        "Decide and report what would be promoted, and push nothing. The outputs then describe what would happen, with GITOPS_PROMOTION_DRY_RUN=true; GitLab still records a deployment of the environment.",
      default: false,
      variable: "GITOPS_DRY_RUN",
      parse: call(boolean, false),
    },
    ...wait,
    ...(gate ?? ({} as Gate)),
    respect_deploy_freeze,
    rules: rulesInput(
      `${defaults.rulesDescription} A guard before these rules keeps it out of the pipeline of a commit-mode bump: the pipeline that pushed the bump promotes it.`,
      defaults.rules,
    ),
  } as const;
}

/**
 * The inputs of the production promotion (manual-production; preview-production reuses their job
 * variables and parsers): a manual job, staging's branch required, the staging gate available.
 */
export function productionInputs(catalog: Catalog) {
  return promotionInputs(
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
    requireBranchInput(catalog.config.environmentBranches.staging),
    stagingGateInputs(),
  );
}

/** References to the shared promotion inputs. */
export type PromotionInputRefs = InputRefs<ReturnType<typeof promotionInputs<string, Record<never, never>>>>;

/** The production gate's inputs, for the manual-production component. */
export { stagingGateInputs };

/**
 * The promotion job for one environment tier. Every input that names a job variable reaches the
 * script, production's `require_branch` and staging gate included (promote.contract.ts).
 */
export function promotionJob(inputs: PromotionInputRefs, tier: "staging" | "production"): JobDefinition {
  return job(inputs.job_name, {
    stage: inputs.stage,
    image: inputs.image,
    variables: {
      // The job fetches only the commit graph of the branches it needs; the runner's shallow
      // checkout would cost time and break the ancestry checks (docs/decisions/promotion.md, rule 1).
      GIT_STRATEGY: "none",
      ...scriptVariables(inputs),
    },
    // After update-manifests: only the needed jobs' artifacts (their dotenv reports) are downloaded.
    needs: inputs.needs,
    rules: guardedRules([GUARDS.commitModeBump], inputs.rules),
    environment: { name: inputs.environment, url: inputs.environment_url, deployment_tier: tier, action: "start" },
    resource_group: inputs.resource_group,
    script: nodeScript("components/promotion/promote.ts"),
    // The report (report-render.ts) is kept for people, and for the rollback job, which reads the
    // record of the last promotion back from it. No expose_as: GitLab shows exposed artifacts only
    // in the merge request widget, for the request's own head pipeline
    // (app/models/merge_request.rb, has_exposed_artifacts?), and promotions run on the default branch.
    artifacts: { paths: [PROMOTION_REPORT], reports: { dotenv: PROMOTION_OUTPUTS.file } },
  });
}
