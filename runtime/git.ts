/**
 * The one git wrapper job scripts use. Tokens reach git through a credential helper that reads an
 * environment variable of the child process: never a URL, `.git/config`, argv or a trace line. A
 * deploy key reaches ssh through GIT_SSH_COMMAND (runtime/ssh-credential.ts).
 */
import { InputError, JobError } from "./errors.ts";
import { describeFailure, run, type CommandResult } from "./exec.ts";
import { registerSecret } from "./log.ts";
import { remoteFailure, type RemoteFailureKind, type RemoteParty } from "./remote-failure.ts";

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

/**
 * Why a git command failed, as far as git's and the server's words tell (wording differs across
 * servers and versions, so this is only for messages): a remote failure class
 * (runtime/remote-failure.ts), a lost push race (`rejected`) or a branch the server lacks.
 */
export type GitFailure = RemoteFailureKind | "rejected" | "missing-ref";

/** Classifies git's stderr; GitLab's refusals are matched by their words (runtime/remote-failure.ts cites them). */
export function classifyGitFailure(stderr: string): GitFailure {
  if (/Host key verification failed/i.test(stderr)) return "host-key";
  // A refused force push means the branch moved under the push (a race), not a missing right.
  if (/not allowed to force push/i.test(stderr)) return "rejected";
  if (
    /not allowed to push code to protected branch|only delete protected branches|protected branch hook declined/i.test(
      stderr,
    )
  )
    return "protected-branch";
  if (
    /not allowed to (push|download|upload) code|deploy key does not have write access|returned error: 403|insufficient_scope/i.test(
      stderr,
    )
  )
    return "permission";
  if (
    /Authentication failed|could not read (Username|Password)|HTTP Basic: Access denied|returned error: 401|terminal prompts disabled|Permission denied \(publickey/i.test(
      stderr,
    )
  )
    return "authentication";
  if (
    /repository '[^']*' not found|could not be found|does not appear to be a git repository|returned error: 404/i.test(
      stderr,
    )
  )
    return "not-found";
  if (
    /Could not resolve host|Failed to connect|Connection refused|Couldn't connect|Connection timed out|Empty reply from server|returned error: 5\d\d/i.test(
      stderr,
    )
  )
    return "unreachable";
  if (/SSL certificate problem|server certificate verification failed/i.test(stderr)) return "tls";
  if (
    /\[rejected\]|\[remote rejected\]|failed to push some refs|cannot lock ref|stale info|fetch first|non-fast-forward/i.test(
      stderr,
    )
  )
    return "rejected";
  if (/couldn't find remote ref|no such ref/i.test(stderr)) return "missing-ref";
  return "other";
}

/**
 * `url` as a clone URL over `transport`: HTTP(S), or SSH (`ssh://…` or `user@host:path`). No
 * password in it (it would land in .git/config and in traces: tokens come from a variable, keys
 * from ssh), and nothing git could read as an option (`--upload-pack=…`, `-oProxyCommand=…`).
 */
export function checkRepositoryUrl(url: string, input: string, transport: "https" | "ssh"): string {
  const ssh = transport === "ssh";
  if (ssh && /^[A-Za-z0-9_][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:[^/\s-]\S*$/.test(url)) return url;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed && (parsed.password || (!ssh && parsed.username)))
    throw new InputError(
      input,
      "(withheld: it contains credentials)",
      "holds credentials",
      `remove them from ${input}; the credential comes from its own variable`,
    );
  if (
    !parsed ||
    !(ssh ? ["ssh:"] : ["https:", "http:"]).includes(parsed.protocol) ||
    !/^[a-z0-9[]/i.test(parsed.hostname) ||
    parsed.pathname.length <= 1
  )
    throw new InputError(
      input,
      url,
      `is not an ${ssh ? "SSH" : "HTTP(S)"} URL`,
      `set ${input} to the project's ${ssh ? "SSH" : "HTTPS"} clone URL, such as ${ssh ? "ssh://git@" : "https://"}gitlab.example.com/group/project.git`,
    );
  return url;
}

/** A git repository directory and the way to reach its remote. */
export class Git {
  constructor(
    readonly dir: string,
    private readonly options: GitOptions = {},
  ) {
    registerSecret(options.token);
  }

  /**
   * The environment of every git child: credentials through the helper, never a prompt, and no
   * hooks: a runner's global `core.hooksPath` would otherwise run its hooks in the job's
   * repositories (`init` keeps `init.templateDir`'s out). A local remote's own hooks still run: git
   * clears GIT_CONFIG_COUNT for the process it starts in the other repository.
   */
  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.options.env,
      GIT_TERMINAL_PROMPT: "0",
      GCM_INTERACTIVE: "never",
    };
    const config: Array<[string, string]> = [
      ["credential.helper", ""],
      ["credential.interactive", "never"],
      ["advice.detachedHead", "false"],
      ["init.defaultBranch", "main"],
      ["core.hooksPath", "/dev/null"],
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

  /** Git in another directory, with this one's credential (a second repository of the same job). */
  sibling(dir: string): Git {
    return new Git(dir, this.options);
  }

  /**
   * `git init` of this directory, from an empty template: no sample hooks to write (and remove),
   * and no hooks a runner's `init.templateDir` would copy in (a `reference-transaction` hook runs
   * on every fetch, whatever `--no-verify` says; `env()` also points `core.hooksPath` nowhere).
   */
  async init(): Promise<void> {
    await run("git", ["init", "-q", "--template=", this.dir], { env: this.env() }).then((r) => {
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

/** A git command that failed; `failure` says how, as far as git's words tell. Jobs map remote failures to their inputs with runtime/remote-failure.ts. */
export class GitCommandError extends JobError {
  readonly failure: GitFailure;
  constructor(
    readonly args: readonly string[],
    readonly result: CommandResult,
  ) {
    const failure = classifyGitFailure(result.stderr);
    super(describeFailure("git", args, result), "read git's message above");
    this.failure = failure;
    this.name = "GitCommandError";
  }

  /** This failure in the user's terms (remote-failure.ts); a lost race or a missing branch stays as it is. */
  inTermsOf(party: RemoteParty): JobError {
    if (this.failure === "rejected" || this.failure === "missing-ref") return this;
    return remoteFailure(this.failure, this.message, party);
  }
}
