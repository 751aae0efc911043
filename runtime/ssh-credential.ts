/**
 * An SSH deploy key as the credential of a job that pushes. On GitLab Free only roles can be
 * chosen under "Allowed to push and merge" of a protected branch, except deploy keys, which can be
 * chosen one by one on every tier (doc/user/project/repository/branches/protected.md, "Allow deploy
 * keys to push to a protected branch"); on GitLab.com Free there are no project access tokens at
 * all. A write deploy key per environment branch keeps "exactly one credential may push to it".
 *
 * The private key comes from the CI/CD variable an input names: a File variable (GitLab puts the
 * key in a file and the variable holds its path, the documented way to hand a job an SSH key) or a
 * plain variable holding the key. It is written, with the known_hosts the job was given, into a
 * fresh directory only this user can read, reaches ssh through GIT_SSH_COMMAND, and is removed
 * when the job ends. It is never printed: the value is registered for redaction first.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readSecret } from "./env.ts";
import { InputError } from "./errors.ts";
import { registerSecret } from "./log.ts";

type Env = Record<string, string | undefined>;

/** The key and known hosts on disk, and the command git runs ssh with. */
export interface SshCredential {
  /** The CI/CD variable the key came from (for messages). */
  variable: string;
  /** `GIT_SSH_COMMAND`: ssh with only this key, only these host keys, never a prompt. */
  command: string;
  /** Removes the key and known hosts. */
  dispose(): void;
}

/** The deploy-key inputs, as the job read them. */
export interface SshInputs {
  /** `ssh_key_variable`: the name of the CI/CD variable with the key; empty for none. */
  keyVariable: string;
  /** `ssh_known_hosts`: the known_hosts lines. */
  knownHosts: string;
}

const PRIVATE_KEY = /^-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----\n[\s\S]+\n-----END ([A-Z0-9]+ )*PRIVATE KEY-----\n$/;
/** One known_hosts entry: optional marker, host patterns, key type, base64 key, optional comment. */
const KNOWN_HOST =
  /^(@(cert-authority|revoked)\s+)?\S+\s+(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-\S+)\s+[A-Za-z0-9+/]+={0,3}(\s+.*)?$/;

/** Single-quotes a path for the shell git runs GIT_SSH_COMMAND with. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The SSH credential the job's inputs name, or undefined when `ssh_key_variable` is empty (the job
 * then uses its token). Every problem is an {@link InputError} naming the input; the key itself
 * never appears in one.
 */
export function sshCredentialFromInputs(env: Env, inputs: SshInputs): SshCredential | undefined {
  if (inputs.keyVariable.trim() === "") return undefined;
  const { name, value: raw } = readSecret(
    env,
    inputs.keyVariable.trim(),
    "ssh_key_variable",
    "a protected variable of type File holding the deploy key's private key",
  );
  // A File variable holds the path of a file with the key; a plain one holds the key itself.
  const isFile = !raw.includes("\n") && !raw.startsWith("-----") && existsSync(raw) && statSync(raw).isFile();
  const key = `${(isFile ? readFileSync(raw, "utf8") : raw).replace(/\r\n?/g, "\n").trim()}\n`;
  registerSecret(key);
  for (const line of key.split("\n")) if (line.length >= 16) registerSecret(line);
  // Child processes need no copy of the variable itself.
  delete process.env[name];
  if (!PRIVATE_KEY.test(key))
    throw new InputError(
      "ssh_key_variable",
      name,
      `the CI/CD variable ${name} holds no private key (the value is withheld)`,
      `put the deploy key's private key, from -----BEGIN ... PRIVATE KEY----- to -----END ... PRIVATE KEY-----, into ${name} (type File), without a passphrase`,
    );
  const knownHosts = inputs.knownHosts
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const knownHostsFix =
    "set ssh_known_hosts to the server's host keys in known_hosts form (the output of ssh-keyscan -p <port> <host>), checked against the fingerprints your GitLab instance publishes (Help > SSH host keys fingerprints)";
  if (knownHosts.length === 0)
    throw new InputError(
      "ssh_known_hosts",
      "",
      "is empty, and ssh_key_variable is set: the job would not know the server's host key",
      knownHostsFix,
    );
  const bad = knownHosts.find((line) => !KNOWN_HOST.test(line));
  if (bad !== undefined)
    throw new InputError("ssh_known_hosts", bad, "is not a known_hosts line (host key-type base64-key)", knownHostsFix);

  const dir = mkdtempSync(path.join(tmpdir(), "gitops-ssh-"));
  const keyFile = path.join(dir, "deploy_key");
  const knownHostsFile = path.join(dir, "known_hosts");
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(knownHostsFile, `${knownHosts.join("\n")}\n`, { mode: 0o600 });
  const command = [
    "ssh",
    ...["-F", "/dev/null"],
    ...["-i", shellQuote(keyFile)],
    ...["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"],
    ...[
      "-o",
      `UserKnownHostsFile=${shellQuote(knownHostsFile)}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "StrictHostKeyChecking=yes",
    ],
    ...["-o", "BatchMode=yes", "-o", "PasswordAuthentication=no", "-o", "ConnectTimeout=30"],
  ].join(" ");
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  // The key must not outlive the job, whichever way it ends.
  process.once("exit", dispose);
  return { variable: name, command, dispose };
}
