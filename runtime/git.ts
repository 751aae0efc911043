/**
 * The one git wrapper job scripts use. Tokens reach git through a credential helper that reads an
 * environment variable of the child process: never a URL, `.git/config`, argv or a trace line. A
 * deploy key reaches ssh through GIT_SSH_COMMAND (runtime/ssh-credential.ts).
 */
import { EXIT_CODES, InfrastructureError, JobError } from "./errors.ts";
import { describeFailure, run, type CommandResult } from "./exec.ts";
import { registerSecret } from "./log.ts";

/** The environment variable the credential helper reads; set only on git's own process. */
const PASSWORD_VARIABLE = "GITOPS_GIT_PASSWORD";
const CREDENTIAL_HELPER = `!f() { test "$1" = get || exit 0; echo username=$GITOPS_GIT_USERNAME; echo password=$${PASSWORD_VARIABLE}; }; f`;

/** How a git working directory talks to its remote. */
export interface GitOptions {
  /** The token for the remote, if it needs one. */
  token?: string;
  /** The HTTP username sent with the token (GitLab accepts any non-empty name). @default "oauth2" */
  username?: string;
  /** The ssh command for SSH remotes (a deploy key: `SshCredential.command`). */
  sshCommand?: string;
  /** Extra environment for every git command. */
  env?: NodeJS.ProcessEnv;
}

/** Why a remote operation failed, as far as git's words tell. */
export type RemoteFailure = "auth" | "host-key" | "unreachable" | "rejected" | "missing-ref" | "other";

/** Classifies git's stderr (wording differs across servers and versions, so this is only for messages). */
export function classifyRemoteFailure(stderr: string): RemoteFailure {
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No [A-Z0-9-]+ host key is known/i.test(stderr)) return "host-key";
  if (/Authentication failed|could not read (Username|Password)|HTTP Basic: Access denied|The requested URL returned error: 40[13]|terminal prompts disabled|Permission denied \(publickey/i.test(stderr)) return "auth";
  if (/Could not resolve host|Failed to connect|Connection refused|Couldn't connect|Connection timed out|Empty reply from server|The requested URL returned error: 5\d\d/i.test(stderr)) return "unreachable";
  if (/\[rejected\]|\[remote rejected\]|failed to push some refs|cannot lock ref|stale info|fetch first|non-fast-forward/i.test(stderr)) return "rejected";
  if (/couldn't find remote ref|no such ref/i.test(stderr)) return "missing-ref";
  return "other";
}

/** A git repository directory and the way to reach its remote. */
export class Git {
  constructor(
    readonly dir: string,
    private readonly options: GitOptions = {},
  ) {
    registerSecret(options.token);
  }

  /** The environment of every git child: credentials through the helper, never a prompt. */
  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.options.env, GIT_TERMINAL_PROMPT: "0", GCM_INTERACTIVE: "never" };
    const config: Array<[string, string]> = [
      ["credential.helper", ""],
      ["credential.interactive", "never"],
      ["advice.detachedHead", "false"],
      ["init.defaultBranch", "main"],
    ];
    if (this.options.token) {
      config.push(["credential.helper", CREDENTIAL_HELPER]);
      env[PASSWORD_VARIABLE] = this.options.token;
      env.GITOPS_GIT_USERNAME = this.options.username ?? "oauth2";
    }
    if (this.options.sshCommand) {
      env.GIT_SSH_COMMAND = this.options.sshCommand;
      env.GIT_SSH_VARIANT = "ssh";
    }
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
    return env;
  }

  /** Runs git; resolves with the result whatever the exit code. `encoding` decodes stdout (runtime/exec.ts). */
  exec(args: readonly string[], input?: string, encoding?: "utf8" | "latin1"): Promise<CommandResult> {
    return run("git", args, { cwd: this.dir, env: this.env(), input, encoding });
  }

  /** Runs git and returns its trimmed stdout; a non-zero exit throws with git's words. */
  async run(args: readonly string[], input?: string): Promise<string> {
    const result = await this.exec(args, input);
    if (result.code !== 0) throw new GitCommandError(args, result);
    return result.stdout.trim();
  }

  /** `git init` of this directory. */
  async init(): Promise<void> {
    await run("git", ["init", "-q", this.dir], { env: this.env() }).then((r) => {
      if (r.code !== 0) throw new GitCommandError(["init", this.dir], r);
    });
  }

  /** The commit a ref or object name resolves to, or undefined if it does not exist. */
  async resolve(ref: string): Promise<string | undefined> {
    const result = await this.exec(["rev-parse", "--verify", "-q", `${ref}^{commit}`]);
    return result.code === 0 ? result.stdout.trim() : undefined;
  }

  /** Is `ancestor` an ancestor of (or equal to) `descendant`? Uses the commit graph only. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const result = await this.exec(["merge-base", "--is-ancestor", ancestor, descendant]);
    if (result.code === 0) return true;
    if (result.code === 1) return false;
    throw new GitCommandError(["merge-base", "--is-ancestor", ancestor, descendant], result);
  }
}

/** A git command that failed; `failure` says how, as far as git's words tell. */
export class GitCommandError extends JobError {
  readonly failure: RemoteFailure;
  constructor(
    readonly args: readonly string[],
    readonly result: CommandResult,
  ) {
    const failure = classifyRemoteFailure(result.stderr);
    super(describeFailure("git", args, result), GitCommandError.fixFor(failure), failure === "auth" || failure === "unreachable" || failure === "host-key" ? EXIT_CODES.infrastructure : EXIT_CODES.usage);
    this.failure = failure;
    this.name = "GitCommandError";
  }

  private static fixFor(failure: RemoteFailure): string {
    switch (failure) {
      case "auth":
        return "the credential was refused: check that the variable holds a valid project access token with write_repository scope (or a deploy key with write access), allowed to push to this branch";
      case "host-key":
        return "the server's SSH host key is not one of ssh_known_hosts: check ssh_known_hosts against the fingerprints your GitLab instance publishes (Help > SSH host keys fingerprints)";
      case "unreachable":
        return "the git server could not be reached: check repository_url and that the server is up, then retry the job";
      case "rejected":
        return "the server refused the push: check the branch protection and that only this token may push";
      case "missing-ref":
        return "a branch this job needs does not exist on the server";
      default:
        return "read git's message above";
    }
  }
}

/** Throws an {@link InfrastructureError} for unreachable/auth failures, else rethrows. */
export function asInfrastructure(error: unknown): never {
  if (error instanceof GitCommandError && (error.failure === "auth" || error.failure === "unreachable" || error.failure === "host-key")) throw new InfrastructureError(error.message, error.fix);
  throw error;
}
