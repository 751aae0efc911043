/**
 * The promotion job's configuration, read from its variables (the component's inputs arrive as
 * `GITOPS_*` job variables) and checked before anything touches the server: every problem names
 * the input, the value and the fix.
 */
import path from "node:path";
import { readInputs, type OutputName } from "../../runtime/contract.ts";
import { booleanInput, optionalInput, readSecret, requireInput } from "../../runtime/env.ts";
import { InputError } from "../../runtime/errors.ts";
import { checkRepositoryUrl, type GitOptions } from "../../runtime/git.ts";
import { sshCredentialFromInputs } from "../../runtime/ssh-credential.ts";
import type { OUTPUTS as BUMP_OUTPUTS } from "../update-manifests/update.contract.ts";
import type { PromotionBranches } from "./decide.ts";
import { readGitLabContext, type GitLabContext } from "./gitlab-context.ts";
import { PROMOTION_REPORT } from "./outputs.ts";
import { INPUTS } from "./promote.contract.ts";
import { readVerification, type VerificationConfig } from "./verify-config.ts";

/** update-manifests' output that says this change's bump waits in a merge request. */
const PENDING_MERGE_REQUEST = "GITOPS_MERGE_REQUEST_URL" satisfies OutputName<typeof BUMP_OUTPUTS>;

/** What the job was asked to do. */
export interface PromotionConfig {
  branches: PromotionBranches;
  /** The GitLab environment's name, for messages. */
  environment: string;
  /** The pipeline's commit (`CI_COMMIT_SHA`): the change whose bump, or itself, is promoted. */
  pipelineCommit: string;
  /** GITOPS_MERGE_REQUEST_URL from a needed update-manifests job: this change's bump waits in that merge request. */
  pendingMergeRequest?: string;
  /** The HTTPS clone URL (token), or the SSH clone URL (deploy key). */
  repositoryUrl: string;
  credential: PromotionCredential;
  skipCi: boolean;
  dryRun: boolean;
  /** The directory the dotenv report goes to (promote.contract.ts names the file). */
  outputDir: string;
  /** Where the promotion report (Markdown) goes. */
  report: string;
  /** The pipeline, job and API this job runs in (predefined variables). */
  gitlab: GitLabContext;
  /** Keep the promotion repository after the job (`GITOPS_KEEP_WORKDIR=true`, for debugging; it holds no token). */
  keepWorkdir: boolean;
  /** Deploy freezes, the production gate and the wait for Flux (verify-config.ts). */
  verification: VerificationConfig;
}

/** How the job authenticates: a project access token over HTTPS, or a deploy key over SSH. */
export interface PromotionCredential {
  kind: "token" | "deploy key";
  /** The CI/CD variable it came from. */
  variable: string;
  /** How git gets it. */
  git: GitOptions;
  /** Removes whatever it left on disk (a deploy key's files). */
  dispose(): void;
}

/** `the token in X` / `the deploy key in X`, for messages. */
export function describeCredential(credential: PromotionCredential): string {
  return `the ${credential.kind} in ${credential.variable}`;
}

/** Reads and checks the configuration; the credential (token or deploy key) is registered for redaction on the way. */
export function readConfig(env: NodeJS.ProcessEnv): PromotionConfig {
  const target = requireInput(
    env,
    "CI_COMMIT_SHA",
    "CI_COMMIT_SHA",
    "run the job in a GitLab pipeline, which sets CI_COMMIT_SHA to the pipeline's commit",
  );
  if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(target))
    throw new InputError(
      "CI_COMMIT_SHA",
      target,
      "is not a full commit SHA",
      "leave CI_COMMIT_SHA to GitLab: it is the pipeline's commit",
    );
  const inputs = readInputs(env, INPUTS);
  const branches: PromotionBranches = { source: inputs.source_branch, environment: inputs.environment_branch };
  if (inputs.require_branch !== undefined) branches.required = inputs.require_branch;
  if (branches.environment === branches.source)
    throw new InputError(
      "environment_branch",
      branches.environment,
      "is the source branch itself",
      "set environment_branch to the environment's own branch, such as _gitlab/agents/staging",
    );
  if (branches.required === branches.environment)
    throw new InputError(
      "require_branch",
      branches.required,
      "is the environment branch itself",
      "set require_branch to the branch that must already hold the commit (staging's branch)",
    );

  const pendingMergeRequest = optionalInput(env, PENDING_MERGE_REQUEST);
  const common = {
    branches,
    environment: inputs.environment || branches.environment,
    pipelineCommit: target,
    ...(pendingMergeRequest ? { pendingMergeRequest } : {}),
    skipCi: inputs.skip_ci,
    dryRun: inputs.dry_run,
    // Artifact paths are relative to the job's working directory, the project directory on a
    // runner (gitlab-ci-local's CI_PROJECT_DIR names a path that does not exist on a shell executor).
    outputDir: path.resolve(),
    report: path.resolve(PROMOTION_REPORT),
    gitlab: readGitLabContext(env),
    keepWorkdir: booleanInput(env, "GITOPS_KEEP_WORKDIR", "GITOPS_KEEP_WORKDIR", false),
    verification: readVerification(inputs, env),
  };

  if (inputs.ssh_key_variable !== "") {
    // A deploy key over SSH instead of the token (GitLab Free: runtime/ssh-credential.ts). Read last,
    // so no key is written for a job that fails its checks.
    const sshUrl = checkRepositoryUrl(inputs.ssh_repository_url, "ssh_repository_url", "ssh");
    const ssh = sshCredentialFromInputs(env, {
      keyVariable: inputs.ssh_key_variable,
      knownHosts: inputs.ssh_known_hosts,
    });
    if (ssh)
      return {
        ...common,
        repositoryUrl: sshUrl,
        credential: {
          kind: "deploy key",
          variable: ssh.variable,
          git: { sshCommand: ssh.command },
          dispose: ssh.dispose,
        },
      };
  }

  // An empty URL is no HTTP(S) URL either: checkRepositoryUrl names the input and the fix.
  const repositoryUrl = checkRepositoryUrl(inputs.repository_url, "repository_url", "https");

  const token = readSecret(env, inputs.token_variable, "token_variable");
  // Child processes need no copy of the variable itself: git gets the token through its helper.
  delete process.env[token.name];

  // A job token authenticates git only as user gitlab-ci-token (lib/gitlab/auth.rb, build_access_token_check):
  // the preview job reads with it, holding no protected token.
  const username = token.name === "CI_JOB_TOKEN" ? "gitlab-ci-token" : undefined;
  return {
    ...common,
    repositoryUrl,
    credential: {
      kind: "token",
      variable: token.name,
      git: { token: token.value, ...(username ? { username } : {}) },
      dispose: () => {},
    },
  };
}
