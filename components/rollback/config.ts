/**
 * The rollback job's configuration, read from its variables and checked before anything touches the
 * server: every problem names the input (or variable), the value and the fix. The credential is the
 * default branch's (update-manifests' token or deploy key, read by the same code).
 */
import path from "node:path";
import { readInputs } from "../../runtime/contract.ts";
import { optionalInput, requireInput } from "../../runtime/env.ts";
import { InputError } from "../../runtime/errors.ts";
import { checkRepositoryUrl } from "../../runtime/git.ts";
import { registerSecret } from "../../runtime/log.ts";
import { authorFromInputs, bumpAuthor, type BumpAuthor } from "../update-manifests/bump-author.ts";
import { readBumpCredential, type BumpCredential } from "../update-manifests/credential.ts";
import { SINCE_VARIABLE } from "./outputs.ts";
import { INPUTS } from "./rollback.contract.ts";

/** How the job reaches GitLab's REST API, and with which token. */
export interface RollbackApi {
  url: string;
  projectId: string;
  /** A project access token goes in `PRIVATE-TOKEN`, the job token in `JOB-TOKEN`. */
  header: "PRIVATE-TOKEN" | "JOB-TOKEN";
  token: string;
  /** How messages name the token (`the token in X`, `the job token (CI_JOB_TOKEN)`), never its value. */
  description: string;
}

/** What the job was asked to do. */
export interface RollbackConfig {
  /** The GitLab environment rolled back (its deployments name its last promotion). */
  environment: string;
  branches: { source: string; environment: string };
  /** GITOPS_ROLLBACK_SINCE: revert what the environment received after this commit (full or abbreviated SHA). */
  since?: string;
  mode: "commit" | "merge_request";
  credential: BumpCredential;
  /** The HTTPS clone URL (token) or the SSH clone URL (deploy key). */
  repositoryUrl: string;
  /** The API, when the job runs in GitLab (always in merge_request mode, with the token in `PRIVATE-TOKEN`). */
  api?: RollbackApi;
  /** The directory the dotenv report goes to (rollback.contract.ts names the file). */
  outputDir: string;
  /** The rollback commit's author and committer (resolved after the checks: it may ask GitLab). */
  author(): Promise<BumpAuthor>;
}

/** Where the HTTPS clone URL comes from: predefined variables, named in messages (as update-manifests names them). */
export const REPOSITORY = "CI_SERVER_URL/CI_PROJECT_PATH";

/** Reads and checks the configuration; secrets are registered for redaction on the way. */
export function readRollbackConfig(env: NodeJS.ProcessEnv): RollbackConfig {
  const inputs = readInputs(env, INPUTS);
  const { environment, mode } = inputs;
  const branches = { source: inputs.source_branch, environment: inputs.environment_branch };
  if (branches.source === branches.environment)
    throw new InputError(
      "environment_branch",
      branches.environment,
      "is the source branch itself",
      "set environment_branch to the environment's own branch",
    );
  const since = optionalInput(env, SINCE_VARIABLE).trim();
  if (since !== "" && !/^[0-9a-f]{7,64}$/.test(since))
    throw new InputError(
      SINCE_VARIABLE,
      since,
      "is not a commit SHA",
      `set ${SINCE_VARIABLE} (when running the job) to the commit the environment should return to, as a SHA of at least 7 hex digits, or leave it unset to undo the environment's last promotion`,
    );
  // Predefined in every job (doc/ci/variables/predefined_variables.md: both "Pre-pipeline"); without
  // them the URL is no HTTP(S) URL, and the error names them.
  const httpsUrl = checkRepositoryUrl(
    `${env.CI_SERVER_URL ?? ""}/${env.CI_PROJECT_PATH ?? ""}.git`,
    REPOSITORY,
    "https",
  );
  // Checked now, before any remote call (the identity itself may ask GitLab later).
  authorFromInputs(inputs);
  // Read last: a deploy key is written to disk only for a job that passed its checks.
  const credential = readBumpCredential(env, inputs, mode === "merge_request");
  const jobToken = env.CI_JOB_TOKEN || undefined;
  registerSecret(jobToken);
  const apiToken = credential.token
    ? { header: "PRIVATE-TOKEN" as const, token: credential.token, description: credential.tokenDescription }
    : jobToken
      ? { header: "JOB-TOKEN" as const, token: jobToken, description: "the job token (CI_JOB_TOKEN)" }
      : undefined;
  const api =
    env.CI_API_V4_URL && env.CI_PROJECT_ID && apiToken
      ? { url: env.CI_API_V4_URL, projectId: env.CI_PROJECT_ID, ...apiToken }
      : undefined;
  // merge_request mode opens the request with the token (readBumpCredential required it).
  if (mode === "merge_request")
    for (const name of ["CI_API_V4_URL", "CI_PROJECT_ID"])
      requireInput(env, name, name, `run the job in a GitLab pipeline (GitLab sets ${name})`);
  return {
    environment,
    branches,
    ...(since ? { since } : {}),
    mode,
    credential,
    repositoryUrl: credential.sshUrl ?? httpsUrl,
    ...(api ? { api } : {}),
    // Artifact paths are relative to the job's working directory (the project directory on a runner).
    outputDir: path.resolve(),
    author: () => bumpAuthor(env, inputs, { token: credential.token }),
  };
}
