/**
 * `build`: build and push the application image with buildah (daemonless: no Docker engine or
 * socket, but a runner whose containers may create namespaces: privileged, or seccomp and AppArmor
 * unconfined) and publish the digest the registry reported.
 */
import { defineComponent } from "../../generator/component.ts";
import { call } from "../../generator/inputs.ts";
import { declareOutputs, scriptVariables } from "../../generator/contract.ts";
import { job } from "../../generator/job.ts";
import { nodeScript } from "../../generator/script.ts";
import { boolean, required, variableName } from "../../runtime/input-parsers.ts";
import { imageName } from "../../runtime/reference-parsers.ts";
import {
  CHANGE_GUARDS,
  commonInputs,
  guardedRules,
  MERGE_REQUEST_AND_DEFAULT_BRANCH_RULES,
  rulesInput,
} from "../common.ts";
import { buildArguments, imageTags } from "./parsers.ts";

const OUTPUTS = declareOutputs("gitops-build.env", {
  GITOPS_IMAGE:
    "The image pushed, by the digest the registry reported: name@sha256:<digest>. test, review and update-manifests read it.",
  GITOPS_IMAGE_DIGEST: "That digest alone: sha256:<64 hex digits>.",
  GITOPS_IMAGE_TAG: "The first of tags (the one a rerun checks for an image built from this commit).",
});

export default defineComponent(import.meta.url, {
  name: "build",
  description:
    "Builds the application image with buildah (no Docker engine; the runner must let it create namespaces: privileged, or seccomp and AppArmor unconfined) and pushes every tag; publishes the digest the registry reported as GITOPS_IMAGE (name@sha256:…), GITOPS_IMAGE_DIGEST and GITOPS_IMAGE_TAG. A rerun for a commit whose image already exists reuses it.",
  inputs: (catalog) => ({
    ...commonInputs(catalog, { stage: "build", job_name: "build" }),
    context: {
      type: "string",
      description:
        "The build context directory, relative to the project directory; it must lie inside it once symbolic links are followed.",
      default: ".",
      variable: "GITOPS_CONTEXT",
      parse: call(required, "set context to the build context directory, relative to the project (default .)"),
    },
    dockerfile: {
      type: "string",
      description:
        "The Dockerfile, relative to `context`; it must lie inside the project directory once symbolic links are followed.",
      default: "Dockerfile",
      variable: "GITOPS_DOCKERFILE",
      parse: call(required, "set dockerfile to the Dockerfile's path relative to context (default Dockerfile)"),
    },
    image_name: {
      type: "string",
      description:
        "The image repository to push to, without tag or digest. CI/CD variables are expanded; the default is the project's own container registry.",
      default: "$CI_REGISTRY_IMAGE",
      variable: "GITOPS_IMAGE_NAME",
      parse: call(
        imageName,
        "set image_name to the image repository to push to, without tag or digest (default $CI_REGISTRY_IMAGE)",
      ),
    },
    tags: {
      type: "array",
      description:
        "The tags to push (each gets the same digest). CI/CD variables are expanded. The first tag is GITOPS_IMAGE_TAG and is the one a rerun checks for an image built from this commit. The default is the commit SHA. Items are strings (numbers count as their text); GitLab hands the list to the job as Ruby text, which the job reads back character for character.",
      default: ["$CI_COMMIT_SHA"],
      variable: "GITOPS_TAGS",
      parse: imageTags,
    },
    build_args: {
      type: "array",
      description:
        "Build arguments, each `KEY=VALUE` (`--build-arg`). CI/CD variables in values are expanded. Values may hold any characters (quotes, backslashes, #{...}, non-ASCII): GitLab hands the list to the job as Ruby text, which the job reads back character for character.",
      default: [],
      variable: "GITOPS_BUILD_ARGS",
      parse: buildArguments,
    },
    registry_user_variable: {
      type: "string",
      description: "The name of the CI/CD variable that holds the registry user.",
      default: "CI_REGISTRY_USER",
      regex: "^[A-Za-z_][A-Za-z0-9_]*$",
      variable: "GITOPS_REGISTRY_USER_VARIABLE",
      parse: call(variableName, "CI_REGISTRY_USER"),
    },
    registry_password_variable: {
      type: "string",
      description:
        "The name of the CI/CD variable that holds the registry password or token (never the secret itself).",
      default: "CI_REGISTRY_PASSWORD",
      regex: "^[A-Za-z_][A-Za-z0-9_]*$",
      variable: "GITOPS_REGISTRY_PASSWORD_VARIABLE",
      parse: call(variableName, "CI_REGISTRY_PASSWORD"),
    },
    tls_verify: {
      type: "boolean",
      description:
        "Require HTTPS with a trusted certificate when talking to the registry. Set false only for a plain-HTTP or self-signed registry.",
      default: true,
      variable: "GITOPS_TLS_VERIFY",
      parse: call(boolean, true),
    },
    rules: rulesInput(
      "When the job runs. Default: merge-request and default-branch pipelines. Guards before these rules keep it out of every pipeline of a bump (its commit, its merge commit, its merge request).",
      [...MERGE_REQUEST_AND_DEFAULT_BRANCH_RULES],
    ),
  }),
  jobs: (inputs) => [
    job(inputs.job_name, {
      stage: inputs.stage,
      image: inputs.image,
      variables: scriptVariables(inputs),
      rules: guardedRules(CHANGE_GUARDS, inputs.rules),
      script: nodeScript("components/build/build.ts"),
      artifacts: { reports: { dotenv: OUTPUTS.file } },
    }),
  ],
  outputs: OUTPUTS,
});
