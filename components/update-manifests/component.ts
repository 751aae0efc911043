/**
 * `update-manifests`: after build (and test) on the default branch, repoint the manifests on that
 * branch at the new image (one commit, or a merge request). In commit mode the same pipeline's
 * promotion jobs then promote the bump commit; in merge_request mode the merge's pipeline does.
 */
import { defineComponent } from "../../generator/component.ts";
import { call } from "../../generator/inputs.ts";
import { declareOutputs, scriptVariables } from "../../generator/contract.ts";
import { job } from "../../generator/job.ts";
import { nodeScript } from "../../generator/script.ts";
import { BUMP_MARKER } from "../../runtime/bump-trailers.ts";
import { branch, oneOf, required, trimmedText } from "../../runtime/input-parsers.ts";
import { imageReference, relativePath } from "../../runtime/reference-parsers.ts";
import {
  BUILD_JOB_INPUT,
  CHANGE_GUARDS,
  commonInputs,
  DEFAULT_BRANCH_ONLY,
  guardedRules,
  needsBuild,
  rulesInput,
  sshInputs,
} from "../common.ts";
import { IMAGE_PLACEHOLDER } from "./bump-message.ts";

const OUTPUTS = declareOutputs("gitops-manifests.env", {
  GITOPS_MANIFESTS_SHA: "The commit that holds the bump (the branch's tip when nothing changed or the job stood down).",
  GITOPS_MANIFESTS_CHANGED:
    "true when the job pushed a bump, false when the manifests already named the image or a newer bump stood in.",
  GITOPS_MERGE_REQUEST_URL:
    "merge_request mode: the merge request that holds the bump. The promotion jobs read it and stand down: the merge's own pipeline promotes.",
});

export default defineComponent(import.meta.url, {
  name: "update-manifests",
  description:
    "Points the manifests on the default branch at the new image (kustomize images: entries and the container images kustomize's images transformer would change, edited in place so the diff is the value only): one commit pushed plainly and re-applied if the branch moved, or a merge request. No pipeline of a bump builds or bumps again (no loops); the pipeline that pushed a commit-mode bump promotes it, and the merge of a merge_request-mode bump is promoted by its own pipeline. Outputs GITOPS_MANIFESTS_SHA, GITOPS_MANIFESTS_CHANGED and GITOPS_MERGE_REQUEST_URL.",
  inputs: (catalog) => ({
    ...commonInputs(catalog, { stage: "deploy", job_name: "update-manifests" }),
    build_job: BUILD_JOB_INPUT,
    needs: {
      type: "array",
      description:
        "More jobs that must succeed before the manifests change, in GitLab's needs: form, after build_job: by default the test job (optional, so a pipeline without it still bumps; artifacts: false, since only build's GITOPS_IMAGE is read). List your own test jobs here.",
      default: [{ job: "test", artifacts: false, optional: true }],
    },
    manifests: {
      type: "string",
      description:
        "What to edit, relative to the repository root. A file is edited alone. A directory means every file kustomize or Flux would read from it: every .yaml and .yml file under it, every kustomization (kustomization.yaml, kustomization.yml or Kustomization), and each other file inside it that one of those kustomizations lists under resources, components, patches or configurations (a .json resource, for example); remote resources and files outside the directory are not read, and a symbolic link on the way to a file it reads is refused. In every file, only what kustomize's images: transformer changes is edited: the image of each containers and initContainers entry and of image volumes, the fields a kustomization adds under configurations:, never a CustomResourceDefinition or another image: field (such as Flux's ImageRepository), plus the matching images: entries of kustomizations.",
      example: "deploy/kustomization.yaml",
      variable: "GITOPS_BUMP_MANIFESTS",
      parse: call(relativePath, "set manifests to the path of a kustomization.yaml, a manifest, or a directory"),
    },
    image_name: {
      type: "string",
      description:
        "The image repository the manifests refer to, without tag or digest (container image: values with this repository, kustomize images: entries with this name or newName). CI/CD variables are expanded.",
      default: "$CI_REGISTRY_IMAGE",
      variable: "GITOPS_BUMP_IMAGE_NAME",
      parse: call(imageReference, [
        "name",
        "set image_name to the image repository the manifests refer to, without tag or digest",
      ]),
    },
    new_image: {
      type: "string",
      description:
        "The image to point at: repository@sha256:<digest> or repository:tag. The default is the digest reference build_job publishes (its GITOPS_IMAGE, and no other job's).",
      default: "$GITOPS_IMAGE",
      variable: "GITOPS_BUMP_NEW_IMAGE",
      parse: call(imageReference, [
        "pinned",
        "the default is $GITOPS_IMAGE, which the build job publishes: " +
          "run build in an earlier stage of this pipeline, or set new_image to an image reference",
      ]),
    },
    mode: {
      type: "string",
      description:
        "commit: push one commit to the branch. merge_request: push a gitops/bump-<digest> branch and open a merge request (the token then needs the api scope).",
      default: "commit",
      options: ["commit", "merge_request"],
      variable: "GITOPS_BUMP_MODE",
      parse: call(oneOf, ["commit", "merge_request"]),
    },
    branch: {
      type: "string",
      description: "The branch that holds the manifests.",
      default: "$CI_DEFAULT_BRANCH",
      variable: "GITOPS_BUMP_BRANCH",
      parse: call(branch, "set branch to the branch that holds the manifests (default: $CI_DEFAULT_BRANCH)"),
    },
    token_variable: {
      type: "string",
      description:
        "The name of the CI/CD variable holding a project access token (write_repository; api for merge_request mode; read_user to name the bump's author) allowed to push to the branch. Never the token itself. Not read in commit mode when ssh_key_variable is set.",
      default: "GITOPS_MANIFESTS_TOKEN",
      regex: "^[A-Za-z_][A-Za-z0-9_]*$",
      variable: "GITOPS_BUMP_TOKEN_VARIABLE",
      parse: trimmedText,
    },
    commit_message: {
      type: "string",
      description: `The bump commit's message (the merge request's title in merge_request mode). ${IMAGE_PLACEHOLDER} is replaced by the new image. Its first line must contain ${BUMP_MARKER}: the components' guards skip commits that carry it. Trailers naming the image, the source commit, the pipeline and the mode are appended.`,
      default: `chore(manifests): deploy ${IMAGE_PLACEHOLDER} ${BUMP_MARKER}`,
      variable: "GITOPS_BUMP_COMMIT_MESSAGE",
      parse: call(required, 'set commit_message, for example "chore(manifests): deploy {image} [gitops-bump]"'),
    },
    ...sshInputs("the branch (and, in merge_request mode, to create gitops/bump-* branches)", "GITOPS_BUMP_"),
    author_name: {
      type: "string",
      description:
        "The bump commit's author and committer name. Empty (the default) with author_email empty: the user of the token, as GitLab's GET /user tells it (a project access token's bot; the token then also needs the read_user, read_api or api scope), else the pipeline's user. Push rules that check the commit author or committer pass with the token's user.",
      default: "",
      example: "GitOps Bot",
      variable: "GITOPS_BUMP_AUTHOR_NAME",
      parse: trimmedText,
    },
    author_email: {
      type: "string",
      description:
        "The bump commit's author and committer email, set together with author_name. Empty (the default): the token's user's commit email.",
      default: "",
      example: "gitops-bot@example.com",
      variable: "GITOPS_BUMP_AUTHOR_EMAIL",
      parse: trimmedText,
    },
    rules: rulesInput(
      "When the job runs. Default: pipelines of the default branch (the script also refuses a pipeline commit that is not on the default branch). Guards before these rules keep it out of every pipeline of a bump (its commit, its merge commit, its merge request).",
      [{ if: DEFAULT_BRANCH_ONLY }],
    ),
  }),
  jobs: (inputs) => [
    job(inputs.job_name, {
      stage: inputs.stage,
      image: inputs.image,
      variables: {
        // The job clones what it needs itself (one commit, the manifests' blobs only).
        GIT_STRATEGY: "none",
        ...scriptVariables(inputs),
      },
      // build_job's image, once the listed jobs (the tests) passed; only build_job's dotenv report is read.
      needs: [needsBuild(inputs.build_job), inputs.needs],
      rules: guardedRules(CHANGE_GUARDS, inputs.rules),
      // Bumps of one branch queue instead of racing (the push still re-applies when the branch moved).
      resource_group: "gitops-update-manifests",
      script: nodeScript("components/update-manifests/update.ts"),
      artifacts: { reports: { dotenv: OUTPUTS.file } },
    }),
  ],
  outputs: OUTPUTS,
});
