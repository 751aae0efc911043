/**
 * Inputs every component shares: its stage, its job's name (so it can be included twice) and its
 * image (the tools image at this catalog version by default).
 */
import { toolsImageRef, type Catalog } from "../generator/config.ts";
import type { Rule } from "../generator/job.ts";

/** `stage`, `job_name` and `image`, with this component's defaults. */
export function commonInputs<const Stage extends string, const Name extends string>(catalog: Catalog, defaults: { stage: Stage; job_name: Name }) {
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

/** A `rules` input whose default holds the component's own rules, replaceable whole by a consumer. */
export function rulesInput(description: string, rules: Rule[]) {
  return { type: "array", description: `${description} Replaces the component's rules whole.`, default: rules } as const;
}

/** Rules matching pipelines of the default branch only (not merge-request, tag or other branch pipelines). */
export const DEFAULT_BRANCH_ONLY = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";

/**
 * The marker update-manifests puts in the title of its bump commit. Build, test and the bump itself
 * never run for a commit whose title carries it (no loops); promotion still does.
 */
export const BUMP_MARKER = "[gitops-bump]";

/** `rules:` entry that skips a job in pipelines of a bump commit (its title carries {@link BUMP_MARKER}). */
export const SKIP_BUMP_COMMITS: Rule = { if: `$CI_COMMIT_TITLE =~ /${BUMP_MARKER.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")}/`, when: "never" };

/**
 * A job variable value carrying an `array` or `boolean` input. The placeholder sits inside a
 * longer string on purpose: GitLab replaces a placeholder that is a whole value by the typed value
 * itself, and a job variable must be a string (arrays are always refused, booleans by GitLab
 * versions before their variables accepted scalars), but inside a string by the value's Ruby
 * text: `["a", "b"]` (`Array#inspect`, generator/ruby-text.ts), `true`. The value is
 * `{"<input>":…}`; scripts read it with `listInput` (runtime/list-text.ts) or `booleanInput`
 * (runtime/env.ts). The generator refuses such an input placed whole.
 */
export function inputVariable(input: { name: string; toString(): string }): string {
  return `{"${input.name}":${String(input)}}`;
}

/** Rules for jobs of every change (build, test): merge-request and default-branch pipelines, never a bump commit's. */
export const MERGE_REQUEST_AND_DEFAULT_BRANCH_RULES: readonly Rule[] = [SKIP_BUMP_COMMITS, { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }, { if: DEFAULT_BRANCH_ONLY }];

/**
 * The deploy-key alternative to a token (runtime/ssh-credential.ts): on GitLab Free a protected
 * branch can name a single deploy key under "Allowed to push and merge", but not a single token's
 * user. Shared by the components that push.
 */
export function sshInputs(what: string) {
  return {
    ssh_key_variable: {
      type: "string",
      description: `The name of the CI/CD variable (type File, protected) holding the private key of a deploy key with write access, allowed to push to ${what}. When set, the job pushes over SSH with it instead of the token. Empty (the default): the token.`,
      default: "",
      regex: "^([A-Za-z_][A-Za-z0-9_]*)?$",
    },
    ssh_known_hosts: {
      type: "string",
      description: "With ssh_key_variable: the GitLab server's SSH host keys, as known_hosts lines (ssh-keyscan -p <port> <host>, checked against the fingerprints the instance publishes). The job trusts no other host key.",
      default: "",
    },
    ssh_repository_url: {
      type: "string",
      description: "With ssh_key_variable: the project's SSH clone URL. CI/CD variables are expanded. The default assumes GitLab's SSH user git.",
      default: "ssh://git@$CI_SERVER_SHELL_SSH_HOST:$CI_SERVER_SHELL_SSH_PORT/$CI_PROJECT_PATH.git",
    },
  } as const;
}
