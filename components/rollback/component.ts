/**
 * `rollback`: a manual job that takes an environment back by a revert on the default branch,
 * since environment branches only move forward. See rollback.ts.
 */
import { defineComponent } from "../../generator/component.ts";
import { declareOutputs, scriptVariables } from "../../generator/contract.ts";
import { call } from "../../generator/inputs.ts";
import { job } from "../../generator/job.ts";
import { nodeScript } from "../../generator/script.ts";
import { ROLLBACK_MARKER } from "../../runtime/bump-trailers.ts";
import { branch, oneOf, required, trimmedText } from "../../runtime/input-parsers.ts";
import { commonInputs, DEFAULT_BRANCH_ONLY, GUARDS, guardedRules, rulesInput, sshInputs } from "../common.ts";
import { SINCE_VARIABLE } from "./outputs.ts";

const OUTPUTS = declareOutputs("gitops-rollback.env", {
  GITOPS_ROLLBACK: "What happened: committed, merge-request, already-rolled-back or nothing-to-revert.",
  GITOPS_ROLLBACK_SHA: "The rollback commit (the branch's tip when nothing was committed).",
  GITOPS_ROLLBACK_FROM: "The commit the environment had (what is undone).",
  GITOPS_ROLLBACK_TO: "The commit whose manifests the environment returns to.",
  GITOPS_ROLLBACK_COMMIT_COUNT: "How many commits the revert undoes.",
  GITOPS_ROLLBACK_MERGE_REQUEST_URL: "merge_request mode: the merge request that holds the rollback.",
});

export default defineComponent(import.meta.url, {
  name: "rollback",
  description: `A manual job that rolls an environment back the only way a branch that moves forward allows: one commit on the default branch (or a merge request) that reverts what the environment received in its last promotion (read from that promotion job's report), or since the commit ${SINCE_VARIABLE} names when the job is run. The commit's title carries ${ROLLBACK_MARKER}, so its pipeline builds and bumps nothing and promotes it like any change: staging automatically, production by its manual job. It refuses, committing nothing, when the revert conflicts with later changes on the default branch. Outputs GITOPS_ROLLBACK, GITOPS_ROLLBACK_SHA, GITOPS_ROLLBACK_FROM, GITOPS_ROLLBACK_TO and GITOPS_ROLLBACK_COMMIT_COUNT.`,
  inputs: (catalog) => ({
    ...commonInputs(catalog, { stage: "deploy", job_name: "rollback-production" }),
    environment: {
      type: "string",
      description:
        "The GitLab environment to roll back (its promotion job's environment). Its successful deployments name its last promotion, whose report artifact records what it received. The default job name, rollback-<environment>, is what the promotion jobs name when GitLab's Rollback environment button is pressed.",
      default: "production",
      variable: "GITOPS_ROLLBACK_ENVIRONMENT",
      parse: call(required, "set environment to the GitLab environment to roll back (such as production)"),
    },
    environment_branch: {
      type: "string",
      description: "The environment's branch (its promotion job's environment_branch).",
      default: catalog.config.environmentBranches.production,
      variable: "GITOPS_ROLLBACK_ENVIRONMENT_BRANCH",
      parse: call(branch, "set environment_branch to the branch the environment's GitOps agent syncs from"),
    },
    source_branch: {
      type: "string",
      description:
        "The branch the revert is committed to (the branch promotions take commits from). CI/CD variables are expanded.",
      default: "$CI_DEFAULT_BRANCH",
      variable: "GITOPS_ROLLBACK_SOURCE_BRANCH",
      parse: call(branch, "set source_branch to the branch promoted commits come from (default $CI_DEFAULT_BRANCH)"),
    },
    mode: {
      type: "string",
      description:
        "commit: push the rollback commit to source_branch. merge_request: push a gitops/rollback-<environment>-<12 hex> branch and open a merge request (the token then needs the api scope).",
      default: "commit",
      options: ["commit", "merge_request"],
      variable: "GITOPS_ROLLBACK_MODE",
      parse: call(oneOf, ["commit", "merge_request"]),
    },
    token_variable: {
      type: "string",
      description:
        "The name of the CI/CD variable holding the project access token allowed to push to source_branch: update-manifests' token (write_repository; read_api to read the last promotion's report, which the job token can do only on Premium and Ultimate; api for merge_request mode; read_user to name the author). Never the token itself. Not read in commit mode when ssh_key_variable is set (the job token then reads the report).",
      default: "GITOPS_MANIFESTS_TOKEN",
      regex: "^[A-Za-z_][A-Za-z0-9_]*$",
      variable: "GITOPS_ROLLBACK_TOKEN_VARIABLE",
      parse: trimmedText,
    },
    ...sshInputs("source_branch", "GITOPS_ROLLBACK_"),
    author_name: {
      type: "string",
      description:
        "The rollback commit's author and committer name. Empty with author_email empty: the token's user (GET /user), else the user who runs the job.",
      default: "",
      variable: "GITOPS_ROLLBACK_AUTHOR_NAME",
      parse: trimmedText,
    },
    author_email: {
      type: "string",
      description: "The rollback commit's author and committer email, set together with author_name.",
      default: "",
      variable: "GITOPS_ROLLBACK_AUTHOR_EMAIL",
      parse: trimmedText,
    },
    rules: rulesInput(
      `When the job exists. Default: a manual, optional job in pipelines of the default branch. Guards before these rules keep it out of the pipelines of a bump commit and of a bump merge request; a pipeline run by hand for the default branch (Build > Pipelines > Run pipeline) always offers it, so it can be run whatever commit the branch's tip is. Run it with ${SINCE_VARIABLE} set (select the job's name, not its play button) to choose the commit to return to.`,
      [{ if: DEFAULT_BRANCH_ONLY, when: "manual", allow_failure: true }],
    ),
  }),
  jobs: (inputs) => [
    job(inputs.job_name, {
      stage: inputs.stage,
      image: inputs.image,
      variables: { GIT_STRATEGY: "none", ...scriptVariables(inputs) },
      // Nothing from earlier jobs: a manual job whose needed artifacts expired would not start.
      dependencies: [],
      rules: [
        // Before the guards: a pipeline someone runs by hand for the default branch is for this job
        // (the branch's tip is usually a bump, whose pipelines the guards keep empty).
        { if: `$CI_PIPELINE_SOURCE == "web" && ${DEFAULT_BRANCH_ONLY}`, when: "manual", allow_failure: true },
        // No job in a bump's own pipelines (a bump commit, its merge request). The message guard of
        // the other jobs is left out: a rollback commit lists the bumps it reverts in its message,
        // and its pipeline, like the merge of a bump merge request, should offer the rollback too.
        ...guardedRules([GUARDS.bumpCommit, GUARDS.bumpMergeRequest], inputs.rules),
      ],
      // Writers of the default branch queue (update-manifests uses the same group); the push still
      // re-computes the revert when the branch moved meanwhile.
      resource_group: "gitops-update-manifests",
      script: nodeScript("components/rollback/rollback.ts"),
      artifacts: { reports: { dotenv: OUTPUTS.file } },
    }),
  ],
  outputs: OUTPUTS,
});
