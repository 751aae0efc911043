/**
 * Talking to a container registry with buildah and skopeo: one auth file per job (in a temporary
 * directory, removed at the end), passwords on stdin only, and registry failures turned into
 * messages that say which registry, what went wrong and what to check.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { JobError } from "./errors.ts";
import { remoteFailure, type RemoteFailureKind } from "./remote-failure.ts";
import type { ImageName } from "./image-reference.ts";
import { run, type CommandResult } from "./exec.ts";
import { redact, registerSecret } from "./log.ts";
import { isNamespaceRefused, namespaceRefusedError } from "./buildah-privileges.ts";

/** Classifies buildah/skopeo stderr (for messages only: wording varies across versions; distribution answers 401 "unauthorized" and 403 "denied"). */
export function classifyRegistryFailure(stderr: string): RemoteFailureKind {
  if (/server gave HTTP response to HTTPS client|x509:|certificate|tls: /i.test(stderr)) return "tls";
  if (/unauthorized|authentication required|invalid username\/password|status 401/i.test(stderr))
    return "authentication";
  if (/denied|forbidden|status 403/i.test(stderr)) return "permission";
  if (
    /connection refused|no such host|dial tcp|i\/o timeout|network is unreachable|connection reset|EOF$|status 50\d/im.test(
      stderr,
    )
  )
    return "unreachable";
  if (/manifest unknown|name unknown|not found|status 404/i.test(stderr)) return "not-found";
  return "other";
}

/** The last meaningful lines of a tool's output, redacted. */
function lastLines(result: CommandResult, count = 4): string {
  const text = (result.stderr.trim() || result.stdout.trim())
    .split("\n")
    .map((l) => l.replace(/^time="[^"]*" level=\w+ msg="(.*)"$/, "$1").trim())
    .filter(Boolean);
  return redact(text.slice(-count).join("\n  "));
}

/** The credentials a job logs in with: where they came from, never their values in messages. */
export interface RegistryCredentials {
  username: string;
  password: string;
  /** The CI/CD variables that held them (named in errors). */
  userVariable: string;
  passwordVariable: string;
}

/** What `skopeo inspect` reports about one image. */
export interface RemoteImage {
  digest: string;
  labels: Record<string, string>;
}

/** A registry session: a private auth file, the TLS setting, and error messages that name the registry. */
export class RegistrySession {
  /** The variables the login's credentials came from (named in errors). */
  private credentialVariables?: Pick<RegistryCredentials, "userVariable" | "passwordVariable">;
  private readonly dir = mkdtempSync(path.join(tmpdir(), "gitops-registry-"));
  /** The auth file buildah and skopeo share (`--authfile`). */
  readonly authFile = path.join(this.dir, "auth.json");

  constructor(
    readonly image: ImageName,
    readonly tlsVerify: boolean,
    /** The input that names the image (for error messages). */
    private readonly imageInput = "image_name",
  ) {}

  /** The flags every buildah/skopeo call against this registry takes. */
  get flags(): string[] {
    return ["--authfile", this.authFile, `--tls-verify=${this.tlsVerify}`];
  }

  /** Environment for the tools: the auth file also through `REGISTRY_AUTH_FILE`, so nothing reads another one. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...extra, REGISTRY_AUTH_FILE: this.authFile };
  }

  /** Logs in to the image's registry; the password goes on stdin, never argv. */
  async login(credentials: RegistryCredentials): Promise<void> {
    registerSecret(credentials.password);
    this.credentialVariables = credentials;
    const args = ["login", ...this.flags, "--username", credentials.username, "--password-stdin", this.image.registry];
    const result = await run("buildah", args, { env: this.env(), input: `${credentials.password}\n` });
    if (result.code !== 0) throw this.failure(`cannot log in to ${this.image.registry}`, result);
  }

  /** The image at `reference` (a tag or `@sha256:…`), or undefined when the registry has no such manifest. */
  async inspect(reference: string): Promise<RemoteImage | undefined> {
    const ref = `${this.image.name}${reference.startsWith("@") ? reference : `:${reference}`}`;
    const result = await run("skopeo", ["inspect", ...this.flags, `docker://${ref}`], { env: this.env() });
    if (result.code !== 0) {
      if (classifyRegistryFailure(result.stderr) === "not-found") return undefined;
      throw this.failure(`cannot inspect ${ref}`, result);
    }
    const report = JSON.parse(result.stdout) as { Digest?: string; Labels?: Record<string, string> | null };
    if (!report.Digest)
      throw new JobError(
        `skopeo reported no digest for ${ref}`,
        "check that the registry serves OCI or Docker v2 manifests",
      );
    return { digest: report.Digest, labels: report.Labels ?? {} };
  }

  /** Tags the manifest `digest` as `tag` too, byte for byte (same digest). */
  async tag(digest: string, tag: string): Promise<void> {
    const args = [
      "copy",
      "--quiet",
      "--preserve-digests",
      "--authfile",
      this.authFile,
      `--src-tls-verify=${this.tlsVerify}`,
      `--dest-tls-verify=${this.tlsVerify}`,
      `docker://${this.image.name}@${digest}`,
      `docker://${this.image.name}:${tag}`,
    ];
    const result = await run("skopeo", args, { env: this.env() });
    if (result.code !== 0) throw this.failure(`cannot tag ${this.image.name}@${digest} as ${tag}`, result);
  }

  /** The error for a failed registry command (runtime/remote-failure.ts): names image_name and the credential variables, never their values. */
  failure(what: string, result: CommandResult): JobError {
    if (isNamespaceRefused(result.stderr)) return namespaceRefusedError(what, result.stderr);
    const names = this.credentialVariables;
    return remoteFailure(classifyRegistryFailure(result.stderr), lastLines(result), {
      action: what,
      remote: { input: this.imageInput, value: this.image.name },
      credential: {
        description: names
          ? `the credentials in ${names.userVariable} and ${names.passwordVariable}`
          : "the registry credentials",
        input: "registry_user_variable and registry_password_variable",
        needs: `user and password or token allowed to push to ${this.image.name}`,
      },
    });
  }

  /** Removes the auth file and its directory. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
