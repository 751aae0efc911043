/**
 * `build`: build and push the application image with buildah (daemonless: no Docker engine or
 * socket, but a runner whose containers may create namespaces: privileged, or seccomp and AppArmor
 * unconfined) and publish the digest the registry reported.
 */
import { defineComponent } from "../../generator/component.ts";
import { job } from "../../generator/job.ts";
import { nodeScript } from "../../generator/script.ts";
import { CHANGE_GUARDS, commonInputs, guardedRules, inputVariable, MERGE_REQUEST_AND_DEFAULT_BRANCH_RULES, rulesInput } from "../common.ts";
import { BUILD_DOTENV } from "./outputs.ts";

export default defineComponent(import.meta.url, {
  name: "build",
  description:
    "Builds the application image with buildah (no Docker engine; the runner must let it create namespaces: privileged, or seccomp and AppArmor unconfined) and pushes every tag; publishes the digest the registry reported as GITOPS_IMAGE (name@sha256:…), GITOPS_IMAGE_DIGEST and GITOPS_IMAGE_TAG. A rerun for a commit whose image already exists reuses it.",
  inputs: (catalog) => ({
    ...commonInputs(catalog, { stage: "build", job_name: "build" }),
    context: { type: "string", description: "The build context directory, relative to the project directory; it must lie inside it once symbolic links are followed.", default: "." },
    dockerfile: { type: "string", description: "The Dockerfile, relative to `context`; it must lie inside the project directory once symbolic links are followed.", default: "Dockerfile" },
    image_name: {
      type: "string",
      description: "The image repository to push to, without tag or digest. CI/CD variables are expanded; the default is the project's own container registry.",
      default: "$CI_REGISTRY_IMAGE",
    },
    tags: {
      type: "array",
      description:
        "The tags to push (each gets the same digest). CI/CD variables are expanded. The first tag is GITOPS_IMAGE_TAG and is the one a rerun checks for an image built from this commit. The default is the commit SHA. Items are strings (numbers count as their text); GitLab hands the list to the job as Ruby text, which the job reads back character for character.",
      default: ["$CI_COMMIT_SHA"],
    },
    build_args: {
      type: "array",
      description:
        "Build arguments, each `KEY=VALUE` (`--build-arg`). CI/CD variables in values are expanded. Values may hold any characters (quotes, backslashes, #{...}, non-ASCII): GitLab hands the list to the job as Ruby text, which the job reads back character for character.",
      default: [],
    },
    registry_user_variable: { type: "string", description: "The name of the CI/CD variable that holds the registry user.", default: "CI_REGISTRY_USER", regex: "^[A-Za-z_][A-Za-z0-9_]*$" },
    registry_password_variable: {
      type: "string",
      description: "The name of the CI/CD variable that holds the registry password or token (never the secret itself).",
      default: "CI_REGISTRY_PASSWORD",
      regex: "^[A-Za-z_][A-Za-z0-9_]*$",
    },
    tls_verify: { type: "boolean", description: "Require HTTPS with a trusted certificate when talking to the registry. Set false only for a plain-HTTP or self-signed registry.", default: true },
    rules: rulesInput(
      "When the job runs. Default: merge-request and default-branch pipelines. Guards before these rules keep it out of every pipeline of a bump (its commit, its merge commit, its merge request).",
      [...MERGE_REQUEST_AND_DEFAULT_BRANCH_RULES],
    ),
  }),
  jobs: (inputs) => [
    job(inputs.job_name, {
      stage: inputs.stage,
      image: inputs.image,
      variables: {
        GITOPS_CONTEXT: inputs.context,
        GITOPS_DOCKERFILE: inputs.dockerfile,
        GITOPS_IMAGE_NAME: inputs.image_name,
        GITOPS_TAGS: inputVariable(inputs.tags),
        GITOPS_BUILD_ARGS: inputVariable(inputs.build_args),
        GITOPS_REGISTRY_USER_VARIABLE: inputs.registry_user_variable,
        GITOPS_REGISTRY_PASSWORD_VARIABLE: inputs.registry_password_variable,
        GITOPS_TLS_VERIFY: inputVariable(inputs.tls_verify),
      },
      rules: guardedRules(CHANGE_GUARDS, inputs.rules),
      script: nodeScript("components/build/build.ts"),
      artifacts: { reports: { dotenv: BUILD_DOTENV } },
    }),
  ],
});
