/**
 * How update-manifests reaches the repository and the API: a project access token over HTTPS, or a
 * deploy key over SSH (runtime/ssh-credential.ts; GitLab Free, where only a deploy key can be the
 * one credential allowed to push to a protected branch). merge_request mode still needs a token
 * with the api scope for the merge request itself; its pushes may go over SSH.
 */
import { requireInput, secretFromVariable } from "../../runtime/env.ts";
import { checkRepositoryUrl, type GitOptions } from "../../runtime/git.ts";
import { sshCredentialFromInputs } from "../../runtime/ssh-credential.ts";
import { VARIABLES } from "./outputs.ts";

/** The job variables that carry the deploy-key inputs. */
export const SSH_VARIABLES = {
  keyVariable: "GITOPS_BUMP_SSH_KEY_VARIABLE",
  knownHosts: "GITOPS_BUMP_SSH_KNOWN_HOSTS",
  repositoryUrl: "GITOPS_BUMP_SSH_REPOSITORY_URL",
} as const;

/** What the job pushes and calls with. */
export interface BumpCredential {
  /** The token: for HTTPS pushes, the merge-request API and naming the bump's author. */
  token?: string;
  /** How git reaches the remote. */
  git: GitOptions;
  /** How messages name what pushes: `the token in X` or `the deploy key in X` (never the value). */
  description: string;
  /** How messages name the token (`the token in X`), which the API calls use. */
  tokenDescription: string;
  /** The SSH clone URL when a deploy key pushes; undefined for the HTTPS URL. */
  sshUrl?: string;
  /** Removes a deploy key's files. */
  dispose(): void;
}

/** The job variables a job that pushes to the default branch reads its credential from (update-manifests' by default; the rollback job has its own). */
export interface CredentialVariables {
  tokenVariable: string;
  ssh: { keyVariable: string; knownHosts: string; repositoryUrl: string };
}

/** Reads the credential from `names` (update-manifests' variables by default); `needsToken` when the job calls the API (merge_request mode). */
export function readBumpCredential(env: NodeJS.ProcessEnv, needsToken: boolean, names: CredentialVariables = { tokenVariable: VARIABLES.tokenVariable, ssh: SSH_VARIABLES }): BumpCredential {
  const sshVariables = names.ssh;
  const sshWanted = (env[sshVariables.keyVariable] ?? "").trim() !== "";
  const secret = !sshWanted || needsToken ? secretFromVariable(env, names.tokenVariable, "token_variable") : undefined;
  const token = secret?.value;
  const tokenDescription = `the token in ${secret?.name}`;
  if (!sshWanted) return { token, tokenDescription, description: tokenDescription, git: { token }, dispose: () => {} };
  const sshUrl = checkRepositoryUrl(requireInput(env, sshVariables.repositoryUrl, "ssh_repository_url", "set ssh_repository_url to the project's SSH clone URL"), "ssh_repository_url", "ssh");
  const ssh = sshCredentialFromInputs(env, { keyVariable: sshVariables.keyVariable, knownHostsVariable: sshVariables.knownHosts });
  return { token, tokenDescription, description: `the deploy key in ${ssh?.variable}`, git: { sshCommand: ssh?.command }, sshUrl, dispose: () => ssh?.dispose() };
}
