/**
 * How update-manifests reaches the repository and the API: a project access token over HTTPS, or a
 * deploy key over SSH (runtime/ssh-credential.ts; GitLab Free, where only a deploy key can be the
 * one credential allowed to push to a protected branch). merge_request mode still needs a token
 * with the api scope for the merge request itself; its pushes may go over SSH.
 */
import { readSecret } from "../../runtime/env.ts";
import { checkRepositoryUrl, type GitOptions } from "../../runtime/git.ts";
import { sshCredentialFromInputs } from "../../runtime/ssh-credential.ts";

/** The credential inputs, as the job read them (update.contract.ts). */
export interface CredentialInputs {
  token_variable: string;
  ssh_key_variable: string;
  ssh_known_hosts: string;
  ssh_repository_url: string;
}

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

/** Reads the credential; `needsToken` when the job calls the API (merge_request mode). */
export function readBumpCredential(
  env: NodeJS.ProcessEnv,
  inputs: CredentialInputs,
  needsToken: boolean,
): BumpCredential {
  const sshWanted = inputs.ssh_key_variable !== "";
  const secret = !sshWanted || needsToken ? readSecret(env, inputs.token_variable, "token_variable") : undefined;
  const token = secret?.value;
  const tokenDescription = `the token in ${secret?.name}`;
  if (!sshWanted) return { token, tokenDescription, description: tokenDescription, git: { token }, dispose: () => {} };
  const sshUrl = checkRepositoryUrl(inputs.ssh_repository_url, "ssh_repository_url", "ssh");
  const ssh = sshCredentialFromInputs(env, {
    keyVariable: inputs.ssh_key_variable,
    knownHosts: inputs.ssh_known_hosts,
  });
  return {
    token,
    tokenDescription,
    description: `the deploy key in ${ssh?.variable}`,
    git: { sshCommand: ssh?.command },
    sshUrl,
    dispose: () => ssh?.dispose(),
  };
}
