/**
 * `review`: a review app per merge request, applied straight to the review cluster through the
 * GitLab agent's CI access (no token: a merge-request pipeline has no business holding one, and
 * GitLab 18 can hand protected variables to some), and removed when the merge request is merged or closed, by hand, or
 * when `auto_stop_in` passes.
 */
import { defineComponent } from "../../generator/component.ts";
import { declareOutputs, scriptVariables } from "../../generator/contract.ts";
import { call } from "../../generator/inputs.ts";
import { job } from "../../generator/job.ts";
import { nodeScript } from "../../generator/script.ts";
import { matching, required } from "../../runtime/input-parsers.ts";
import { imageName, imageReference } from "../../runtime/reference-parsers.ts";
import {
  BUILD_JOB_INPUT,
  CHANGE_GUARDS,
  commonInputs,
  GUARDS,
  guardedRules,
  MERGE_REQUEST_PIPELINE,
  needsBuild,
  rulesInput,
} from "../common.ts";
import { PREFIX_MAX } from "./names.ts";
import { reviewDomain } from "./parsers.ts";

/** The deploy job's dotenv report (`environment:url` reads the URL from it). */
const OUTPUTS = declareOutputs("gitops-review.env", {
  GITOPS_REVIEW_URL: "The review app's URL, https://<slug>.<domain>; the environment's URL in GitLab.",
  GITOPS_REVIEW_NAMESPACE: "The review app's namespace, <prefix><merge request IID>-<branch slug>-<hash>.",
});

/** A kubectl duration: what `kubectl --timeout` takes (`5m`, `90s`, `1h30m`). */
const DURATION = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

/** Review apps are for changes under review: never for a bump, never on a merge train (the request is already approved). */
const REVIEW_GUARDS = [...CHANGE_GUARDS, GUARDS.mergeTrain];

/** The environment of one merge request's review app (GitLab's slug of the source branch). */
const ENVIRONMENT = "review/$CI_COMMIT_REF_SLUG";

export default defineComponent(import.meta.url, {
  name: "review",
  description:
    "Deploys a review app per merge request: renders the application's kustomize directory into its own namespace with the new image and a <slug>.<domain> host, has the review cluster validate every object in a server-side dry run (strict field validation), applies it server-side through the GitLab agent's kube context and waits for the rollout; a stop job deletes the namespace when the merge request is merged or closed.",
  inputs: (catalog) => {
    const { stage, image } = commonInputs(catalog, { stage: "review", job_name: "review" });
    return {
      stage,
      job_prefix: {
        type: "string",
        description:
          "The jobs are named <job_prefix>-deploy and <job_prefix>-stop. Change it to include the component more than once in a pipeline.",
        default: "review",
        regex: "^[A-Za-z0-9_. /:-]+$",
      },
      image,
      build_job: BUILD_JOB_INPUT,
      agent: {
        type: "string",
        description:
          "The GitLab agent for the review cluster, as its kube context: path/to/agent-project:agent-name. Its config.yaml must authorize this project under ci_access (restrict it to environments review/*), and under user_access for the environment's Kubernetes dashboard. GitLab honours both only for projects under the agent configuration project's top-level group (unless a self-managed instance enables instance level authorization).",
        default: catalog.config.reviewAgent,
        regex: "^[^\\s:]+:[^\\s:]+$",
        variable: "GITOPS_REVIEW_AGENT",
        parse: call(matching, [
          "^[^\\s:]+:[^\\s:]+$",
          "is not an agent context",
          "set agent to path/to/agent-project:agent-name, for example platform/gitops-agents:review",
        ]),
      },
      manifests: {
        type: "string",
        description:
          "The application's kustomize directory for review apps, relative to the repository root. Its files are never changed; it must not declare a Namespace. It, and every directory its kustomizations name, must lie inside the repository once symbolic links are followed.",
        variable: "GITOPS_REVIEW_MANIFESTS",
        parse: call(
          required,
          "set manifests to the application's kustomize directory, relative to the repository root",
        ),
      },
      image_name: {
        type: "string",
        description:
          "The image name (without tag or digest) the manifests use; containers with this image run new_image instead.",
        default: "$CI_REGISTRY_IMAGE",
        variable: "GITOPS_REVIEW_IMAGE_NAME",
        parse: call(imageName, "set image_name to the image name your manifests use (without tag or digest)"),
      },
      new_image: {
        type: "string",
        description:
          "The image to deploy (registry/path[:tag][@digest]). The default is the output of build_job (its GITOPS_IMAGE, and no other job's).",
        default: "$GITOPS_IMAGE",
        variable: "GITOPS_REVIEW_NEW_IMAGE",
        parse: call(imageReference, [
          "any",
          "run the build component earlier in the pipeline (it outputs GITOPS_IMAGE), or set new_image to the image to deploy",
        ]),
      },
      domain: {
        type: "string",
        description:
          "The review cluster's wildcard domain: the review app is served at https://<branch slug>.<domain>. Give each project that shares a review cluster its own domain (such as app.review.example.com): hosts are unique per branch slug, not per project.",
        regex: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$",
        variable: "GITOPS_REVIEW_DOMAIN",
        parse: reviewDomain,
      },
      namespace_prefix: {
        type: "string",
        description: `Starts every review namespace: <prefix><merge request IID>-<branch slug>-<hash>, at most 63 characters. Lowercase letters, digits and -, at most ${PREFIX_MAX} characters.`,
        default: "review-",
        regex: `^[a-z][-a-z0-9]{0,${PREFIX_MAX - 1}}$`,
        variable: "GITOPS_REVIEW_NAMESPACE_PREFIX",
        parse: call(matching, [
          `^([a-z][-a-z0-9]{0,${PREFIX_MAX - 1}})?$`,
          `must be at most ${PREFIX_MAX} lowercase letters, digits and -, starting with a letter`,
          "set namespace_prefix to something like review-",
        ]),
      },
      auto_stop_in: {
        type: "string",
        description:
          "How long a review app lives without a new deployment before GitLab stops it (environment:auto_stop_in), such as 1 week, 3 days or never.",
        default: "1 week",
      },
      rollout_timeout: {
        type: "string",
        description:
          "How long the deploy job waits for every Deployment to roll out (and the stop job for the namespace to go): a kubectl duration such as 90s, 5m or 1h.",
        default: "5m",
        regex: DURATION,
        variable: "GITOPS_REVIEW_ROLLOUT_TIMEOUT",
        parse: call(matching, [
          DURATION,
          "is not a duration",
          "set rollout_timeout to a number with a unit: 90s, 5m, 1h",
        ]),
      },
      rules: rulesInput(
        "When the deploy and stop jobs exist. Default: merge-request pipelines. Guards before these rules keep both jobs out of merge-train pipelines and out of every pipeline of a bump (its merge request builds no image to review). The stop job uses the same rules and is manual (a rule's own when overrides that).",
        [{ if: MERGE_REQUEST_PIPELINE }],
      ),
    };
  },
  jobs: (inputs) => {
    return [
      job(`${inputs.job_prefix}-deploy`, {
        stage: inputs.stage,
        image: inputs.image,
        variables: scriptVariables(inputs),
        needs: [needsBuild(inputs.build_job)],
        rules: guardedRules(REVIEW_GUARDS, inputs.rules),
        environment: {
          name: ENVIRONMENT,
          url: `$${"GITOPS_REVIEW_URL" satisfies keyof typeof OUTPUTS.values}`,
          on_stop: `${inputs.job_prefix}-stop`,
          auto_stop_in: inputs.auto_stop_in,
          deployment_tier: "development",
          kubernetes: { agent: inputs.agent },
        },
        // One deploy or stop at a time per review app; GitLab also runs on_stop from the UI only
        // when deploy and stop share a resource group.
        resource_group: ENVIRONMENT,
        script: nodeScript("components/review/deploy.ts"),
        artifacts: { reports: { dotenv: OUTPUTS.file } },
      }),
      job(`${inputs.job_prefix}-stop`, {
        stage: inputs.stage,
        image: inputs.image,
        // The branch may be gone when the merge request is merged: check nothing out. `none`, not
        // `empty`: runners 17.3 to 18.2 still run the get-sources hooks for `empty` (runner issue 38703).
        variables: {
          GIT_STRATEGY: "none",
          ...scriptVariables(inputs, ["agent", "namespace_prefix", "rollout_timeout"]),
        },
        // Nothing from earlier jobs is needed; without this, once build's artifacts expire GitLab
        // fails the job for a missing dependency before it starts (Ci::Processable::Dependencies#valid_local?).
        dependencies: [],
        rules: guardedRules(REVIEW_GUARDS, inputs.rules),
        when: "manual",
        // A manual job that may not fail blocks the pipeline (and "Pipelines must succeed" blocks the
        // merge) until someone runs it. So a failed stop shows as "failed (allowed to fail)"
        // (Gitlab::Ci::Status::Build::FailedAllowed) and GitLab puts the environment back to available
        // (Environments::StopJobFailedWorker): the review app stays listed, and the job log says why.
        allow_failure: true,
        environment: { name: ENVIRONMENT, action: "stop", kubernetes: { agent: inputs.agent } },
        resource_group: ENVIRONMENT,
        script: nodeScript("components/review/stop.ts"),
      }),
    ];
  },
  outputs: OUTPUTS,
});
