/**
 * What `promote-staging` and `manual-production` share: their inputs and their one job. Each
 * component passes its own defaults (environment, branch, token variable, rules) and tier.
 */
import type { Catalog } from "../../generator/config.ts";
import type { InputRef, InputRefs, InputSpecs } from "../../generator/inputs.ts";
import { job, type JobDefinition, type Rule } from "../../generator/job.ts";
import { nodeScript } from "../../generator/script.ts";
import { commonInputs, GUARDS, guardedRules, inputVariable, rulesInput, sshInputs } from "../common.ts";
import { PROMOTION_DOTENV, PROMOTION_REPORT } from "./outputs.ts";
import { stagingGateInputs, verifyInputs, verifyVariables, type StagingGateInputRefs } from "./verify-inputs.ts";

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
export function promotionInputs<const Name extends string, const Extra extends InputSpecs, const Gate extends InputSpecs = Record<never, never>>(
  catalog: Catalog,
  defaults: PromotionDefaults<Name>,
  extra: Extra,
  gate?: Gate,
) {
  const { respect_deploy_freeze, ...wait } = verifyInputs(defaults.environment, defaults.respectDeployFreeze);
  return {
    ...commonInputs(catalog, { stage: "deploy", job_name: defaults.job_name }),
    needs: {
      type: "array",
      description:
        "The jobs this job waits for, in GitLab's needs: form. List every update-manifests job of the pipeline (a monorepo has several), each with optional: true (a pipeline that merges a bump has none) and artifacts: true (their GITOPS_MERGE_REQUEST_URL says a bump waits in a merge request). The job then promotes the bump commit they pushed for this pipeline's commit, or the pipeline's commit when nothing needed a bump.",
      default: defaults.needs,
    },
    environment: { type: "string", description: "The GitLab environment the job deploys to (environment:name).", default: defaults.environment },
    environment_branch: {
      type: "string",
      description: "The branch that is the environment's desired state (the GitOps agent syncs from it). It only ever moves forward, by fast-forward; it is created at the first promotion.",
      default: defaults.environment_branch,
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
      description: "The branch promoted commits must be on (the branch update-manifests bumps). The pipeline's commit is refused unless this branch contains it. CI/CD variables are expanded.",
      default: "$CI_DEFAULT_BRANCH",
    },
    ...extra,
    token_variable: {
      type: "string",
      description:
        "The name of the CI/CD variable holding the project access token allowed to push to environment_branch (never the token itself). Make it protected and masked: it then exists only in pipelines of protected branches and tags (and, since GitLab 18, of merge requests between protected branches; the job refuses any commit that is not on source_branch). Not read when ssh_key_variable is set.",
      default: defaults.token_variable,
      regex: "^[A-Za-z_][A-Za-z0-9_]*$",
    },
    repository_url: {
      type: "string",
      description: "The project's HTTPS clone URL, without credentials. CI/CD variables are expanded.",
      default: "$CI_SERVER_URL/$CI_PROJECT_PATH.git",
    },
    ...sshInputs("environment_branch"),
    resource_group: {
      type: "string",
      description: "The resource group that runs promotions to this environment one at a time (the job also retries a lost push race itself).",
      default: defaults.resource_group,
    },
    skip_ci: { type: "boolean", description: "Push with `-o ci.skip`, so the push starts no pipeline for environment_branch.", default: true },
    dry_run: { type: "boolean", description: "Decide and report what would be promoted, and push nothing. The outputs then describe what would happen, with GITOPS_PROMOTION_DRY_RUN=true; GitLab still records a deployment of the environment.", default: false },
    ...wait,
    ...(gate ?? ({} as Gate)),
    respect_deploy_freeze,
    rules: rulesInput(`${defaults.rulesDescription} A guard before these rules keeps it out of the pipeline of a commit-mode bump: the pipeline that pushed the bump promotes it.`, defaults.rules),
  } as const;
}

/** References to the shared promotion inputs. */
export type PromotionInputRefs = InputRefs<ReturnType<typeof promotionInputs<string, Record<never, never>>>>;

/** The production gate's inputs, for the manual-production component. */
export { stagingGateInputs };

/**
 * The promotion job for one environment tier. `requireBranch` (production) names the branch that
 * must already hold the commit, `gate` (production) staging's Flux to check before the push.
 */
export function promotionJob(inputs: PromotionInputRefs, tier: "staging" | "production", requireBranch?: InputRef<string, string>, gate?: StagingGateInputRefs): JobDefinition {
  return job(inputs.job_name, {
    stage: inputs.stage,
    image: inputs.image,
    variables: {
      // The job fetches only the commit graph of the branches it needs; the runner's shallow
      // checkout would cost time and break the ancestry checks (research/promotion.md A4).
      GIT_STRATEGY: "none",
      GITOPS_ENVIRONMENT: inputs.environment,
      GITOPS_ENVIRONMENT_BRANCH: inputs.environment_branch,
      GITOPS_SOURCE_BRANCH: inputs.source_branch,
      ...(requireBranch ? { GITOPS_REQUIRE_BRANCH: requireBranch } : {}),
      GITOPS_TOKEN_VARIABLE: inputs.token_variable,
      GITOPS_REPOSITORY_URL: inputs.repository_url,
      GITOPS_SSH_KEY_VARIABLE: inputs.ssh_key_variable,
      GITOPS_SSH_KNOWN_HOSTS: inputs.ssh_known_hosts,
      GITOPS_SSH_REPOSITORY_URL: inputs.ssh_repository_url,
      GITOPS_SKIP_CI: inputVariable(inputs.skip_ci),
      GITOPS_DRY_RUN: inputVariable(inputs.dry_run),
      ...verifyVariables(inputs, gate),
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
    artifacts: { paths: [PROMOTION_REPORT], reports: { dotenv: PROMOTION_DOTENV } },
  });
}
