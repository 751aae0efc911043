/**
 * Inputs every component shares: its stage, its job's name (so it can be included twice) and its
 * image (the tools image at this catalog version by default).
 */
import { toolsImageRef, type Catalog } from "../generator/config.ts";
import type { InputRef } from "../generator/inputs.ts";
import type { Rule } from "../generator/job.ts";
import {
  BUMP_BRANCH_PREFIX,
  BUMP_MARKER,
  ROLLBACK_BRANCH_PREFIX,
  ROLLBACK_MARKER,
  TRAILERS,
} from "../runtime/bump-trailers.ts";
import { anyText, trimmedText } from "../runtime/input-parsers.ts";

/** `stage`, `job_name` and `image`, with this component's defaults. */
export function commonInputs<const Stage extends string, const Name extends string>(
  catalog: Catalog,
  defaults: { stage: Stage; job_name: Name },
) {
  return {
    stage: { type: "string", description: "The stage the job runs in.", default: defaults.stage },
    job_name: {
      type: "string",
      description: "The job's name. Change it to include the component more than once in a pipeline.",
      default: defaults.job_name,
      regex: "^[A-Za-z0-9_. /:-]+$",
    },
    image: {
      type: "string",
      description:
        "The image the job runs in. The default is this catalog's tools image (node, git, ssh, buildah, kubectl, skopeo) at the same version as the component, in the registry of this GitLab instance; the pipeline's user must be able to pull it (the catalog project public, or this project on its CI/CD job token allowlist).",
      default: toolsImageRef(catalog),
    },
  } as const;
}

/**
 * A `rules` input: the consumer's conditions, which come after the component's guards in the
 * rendered `rules:` (see {@link guardedRules}), so replacing them never drops a guard.
 */
export function rulesInput(description: string, rules: Rule[]) {
  return {
    type: "array",
    description: `${description} Replacing them keeps the component's guards, which always come first.`,
    default: rules,
  } as const;
}

/**
 * A job's `rules:`: the guards, then the consumer's `rules` input as one more list item. GitLab
 * inserts an array input placed as a whole value as a nested list
 * (lib/gitlab/ci/config/interpolation/config.rb maps every array element, template.rb returns the
 * typed value) and flattens nested lists in `rules` (lib/gitlab/ci/config/entry/rules.rb is a
 * ComposableArray: `[@config].flatten`, the same that makes `- !reference [.x, rules]` work);
 * gitlab-ci-local flattens every nested list too. So the guards hold whatever the input says.
 */
export function guardedRules(
  guards: readonly Rule[],
  rules: InputRef<string, unknown[]>,
): Array<Rule | InputRef<string, unknown[]>> {
  return [...guards, rules];
}

/** Rules matching pipelines of the default branch only (not merge-request, tag or other branch pipelines). */
export const DEFAULT_BRANCH_ONLY = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";

/** Rules matching merge-request pipelines. */
export const MERGE_REQUEST_PIPELINE = '$CI_PIPELINE_SOURCE == "merge_request_event"';

/** `text` escaped for a `/…/` pattern in `rules:if` (RE2; `/` escaped for GitLab's lexer). */
function pattern(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/**
 * The guards: `when: never` rules rendered before the consumer's rules. None places an input in
 * `rules:if`; each compares a predefined variable with a fixed pattern.
 */
export const GUARDS = {
  /** A bump commit pushed by update-manifests (its title carries the marker). */
  bumpCommit: { if: `$CI_COMMIT_TITLE =~ /${pattern(BUMP_MARKER)}/`, when: "never" },
  /**
   * A commit whose message carries the marker or names a bump branch: a merge commit of a bump
   * merge request ("Merge branch 'gitops/bump-…' into 'main'", then the request's title, which is
   * the bump's title; app/models/merge_request.rb default_merge_commit_message), and a squash
   * commit (its message is the request's title or the bump's message).
   */
  bumpMessage: {
    if: `$CI_COMMIT_MESSAGE =~ /${pattern(BUMP_MARKER)}|Merge branch '${pattern(BUMP_BRANCH_PREFIX)}/`,
    when: "never",
  },
  /** Any pipeline of a bump merge request, merged-results and merge-train pipelines included (their title is "Merge <sha> into <sha>"). */
  bumpMergeRequest: { if: `$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME =~ /^${pattern(BUMP_BRANCH_PREFIX)}/`, when: "never" },
  /** A merge-train pipeline (CI_MERGE_REQUEST_EVENT_TYPE is detached, merged_result or merge_train). */
  mergeTrain: { if: '$CI_MERGE_REQUEST_EVENT_TYPE == "merge_train"', when: "never" },
  /** A bump that update-manifests pushed in commit mode: the pipeline that pushed it promotes it. */
  commitModeBump: { if: `$CI_COMMIT_MESSAGE =~ /${pattern(`${TRAILERS.mode}: commit`)}/`, when: "never" },
  /**
   * A rollback commit (its title carries the marker), or the merge or squash of a rollback merge
   * request: building and bumping it would point the manifests at a new image again and undo the
   * rollback. Its pipeline only promotes.
   */
  rollbackMessage: {
    if: `$CI_COMMIT_MESSAGE =~ /${pattern(ROLLBACK_MARKER)}|Merge branch '${pattern(ROLLBACK_BRANCH_PREFIX)}/`,
    when: "never",
  },
  /** Any pipeline of a rollback merge request. */
  rollbackMergeRequest: {
    if: `$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME =~ /^${pattern(ROLLBACK_BRANCH_PREFIX)}/`,
    when: "never",
  },
} as const satisfies Record<string, Rule>;

/** Guards of the jobs every change runs (build, test, update-manifests, review): never for a bump or a rollback, in any pipeline. */
export const CHANGE_GUARDS: readonly Rule[] = [
  GUARDS.bumpCommit,
  GUARDS.bumpMessage,
  GUARDS.bumpMergeRequest,
  GUARDS.rollbackMessage,
  GUARDS.rollbackMergeRequest,
];

/** The default rules of build and test: merge-request and default-branch pipelines. */
export const MERGE_REQUEST_AND_DEFAULT_BRANCH_RULES: readonly Rule[] = [
  { if: MERGE_REQUEST_PIPELINE },
  { if: DEFAULT_BRANCH_ONLY },
];

/** `needs:` of a job that consumes build's image: the producer by name, with its dotenv report. */
export function needsBuild(buildJob: InputRef<string, string>): { job: string; artifacts: true } {
  return { job: String(buildJob), artifacts: true };
}

/** The `build_job` input of the jobs that consume build's output. */
export const BUILD_JOB_INPUT = {
  type: "string",
  description:
    "The job that builds the image (the build component's job_name): this job needs it and reads its GITOPS_IMAGE, so a pipeline without it fails at creation. Name your own build job here when a pipeline has several.",
  default: "build",
  regex: "^[A-Za-z0-9_. /:-]+$",
} as const;

/** A job variable value carrying an `array` or `boolean` input (generator/contract.ts says why). */
export { inputVariable } from "../generator/contract.ts";

/**
 * The deploy-key alternative to a token (runtime/ssh-credential.ts): on GitLab Free a protected
 * branch can name a single deploy key under "Allowed to push and merge", but not a single token's
 * user. Shared by the components that push.
 */
export function sshInputs<const Prefix extends string>(what: string, variablePrefix: Prefix) {
  return {
    ssh_key_variable: {
      type: "string",
      description: `The name of the CI/CD variable (type File, protected) holding the private key of a deploy key with write access, allowed to push to ${what}. When set, the job pushes over SSH with it instead of the token. Empty (the default): the token.`,
      default: "",
      regex: "^([A-Za-z_][A-Za-z0-9_]*)?$",
      variable: `${variablePrefix}SSH_KEY_VARIABLE`,
      parse: trimmedText,
    },
    ssh_known_hosts: {
      type: "string",
      description:
        "With ssh_key_variable: the GitLab server's SSH host keys, as known_hosts lines (ssh-keyscan -p <port> <host>, checked against the fingerprints the instance publishes). The job trusts no other host key.",
      default: "",
      variable: `${variablePrefix}SSH_KNOWN_HOSTS`,
      parse: anyText,
    },
    ssh_repository_url: {
      type: "string",
      description:
        "With ssh_key_variable: the project's SSH clone URL. CI/CD variables are expanded. The default assumes GitLab's SSH user git.",
      default: "ssh://git@$CI_SERVER_SHELL_SSH_HOST:$CI_SERVER_SHELL_SSH_PORT/$CI_PROJECT_PATH.git",
      variable: `${variablePrefix}SSH_REPOSITORY_URL`,
      parse: anyText,
    },
  } as const;
}
