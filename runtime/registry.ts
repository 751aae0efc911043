/**
 * Talking to a container registry with buildah and skopeo: one auth file per job (in a temporary
 * directory, removed at the end), passwords on stdin only, and registry failures turned into
 * messages that say which registry, what went wrong and what to check.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { InfrastructureError, InputError, JobError } from "./errors.ts";
import { run, type CommandResult } from "./exec.ts";
import { redact, registerSecret } from "./log.ts";
import { isNamespaceRefused, namespaceRefusedError } from "./buildah-privileges.ts";

/** An image repository split into the registry host and the path on it. */
export interface ImageName {
  /** `registry.gitlab.com`, `127.0.0.1:5000` */
  registry: string;
  /** `group/project` */
  repository: string;
  /** `registry/repository`, as written by the user (no tag, no digest). */
  name: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Parses an image repository name (`host[:port]/path`) without tag or digest; `input` names it in errors. */
export function parseImageName(value: string, input: string): ImageName {
  const fix = `set ${input} to a repository without tag or digest, such as registry.example.com/group/app (the default is $CI_REGISTRY_IMAGE, which GitLab sets when the project's container registry is enabled)`;
  if (value === "") throw new InputError(input, value, "is empty", fix);
  if (value.includes("@")) throw new InputError(input, value, "carries a digest", fix);
  const parts = value.split("/");
  const first = parts[0] ?? "";
  const hasHost = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasHost ? first : "docker.io";
  const repoParts = hasHost ? parts.slice(1) : parts;
  const last = repoParts[repoParts.length - 1] ?? "";
  if (last.includes(":")) throw new InputError(input, value, "carries a tag", `${fix}; put tags in the tags input`);
  if (hasHost && !/^[A-Za-z0-9.-]+(?::\d+)?$/.test(registry)) throw new InputError(input, value, `has an invalid registry host "${registry}"`, fix);
  const bad = repoParts.find((p) => !PATH_COMPONENT.test(p));
  if (bad !== undefined) throw new InputError(input, value, `has an invalid path component "${bad}" (lowercase letters, digits and . _ - only)`, fix);
  return { registry, repository: repoParts.join("/"), name: value };
}

/** How a registry operation failed, as far as the tools' words tell. */
export type RegistryFailure = "auth" | "unreachable" | "tls" | "missing" | "other";

/** Classifies buildah/skopeo stderr (for messages only: wording varies across versions). */
export function classifyRegistryFailure(stderr: string): RegistryFailure {
  if (/server gave HTTP response to HTTPS client|x509:|certificate|tls: /i.test(stderr)) return "tls";
  if (/unauthorized|authentication required|invalid username\/password|denied|status 401|status 403/i.test(stderr)) return "auth";
  if (/connection refused|no such host|dial tcp|i\/o timeout|network is unreachable|connection reset|EOF$|status 50\d/im.test(stderr)) return "unreachable";
  if (/manifest unknown|name unknown|not found|status 404/i.test(stderr)) return "missing";
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
    const args = ["login", ...this.flags, "--username", credentials.username, "--password-stdin", this.image.registry];
    const result = await run("buildah", args, { env: this.env(), input: `${credentials.password}\n` });
    if (result.code !== 0) throw this.failure(`cannot log in to ${this.image.registry}`, result, credentials);
  }

  /** The image at `reference` (a tag or `@sha256:…`), or undefined when the registry has no such manifest. */
  async inspect(reference: string): Promise<RemoteImage | undefined> {
    const ref = `${this.image.name}${reference.startsWith("@") ? reference : `:${reference}`}`;
    const result = await run("skopeo", ["inspect", ...this.flags, `docker://${ref}`], { env: this.env() });
    if (result.code !== 0) {
      if (classifyRegistryFailure(result.stderr) === "missing") return undefined;
      throw this.failure(`cannot inspect ${ref}`, result);
    }
    const report = JSON.parse(result.stdout) as { Digest?: string; Labels?: Record<string, string> | null };
    if (!report.Digest) throw new JobError(`skopeo reported no digest for ${ref}`, "check that the registry serves OCI or Docker v2 manifests");
    return { digest: report.Digest, labels: report.Labels ?? {} };
  }

  /** Tags the manifest `digest` as `tag` too, byte for byte (same digest). */
  async tag(digest: string, tag: string): Promise<void> {
    const args = ["copy", "--quiet", "--preserve-digests", "--authfile", this.authFile, `--src-tls-verify=${this.tlsVerify}`, `--dest-tls-verify=${this.tlsVerify}`, `docker://${this.image.name}@${digest}`, `docker://${this.image.name}:${tag}`];
    const result = await run("skopeo", args, { env: this.env() });
    if (result.code !== 0) throw this.failure(`cannot tag ${this.image.name}@${digest} as ${tag}`, result);
  }

  /**
   * The error for a failed registry command: which registry, what went wrong, and the fix.
   * Credentials are named by their variables, never shown.
   */
  failure(what: string, result: CommandResult, credentials?: Pick<RegistryCredentials, "userVariable" | "passwordVariable">): JobError {
    if (isNamespaceRefused(result.stderr)) return namespaceRefusedError(what, result.stderr);
    const registry = this.image.registry;
    const detail = lastLines(result);
    switch (classifyRegistryFailure(result.stderr)) {
      case "auth":
        return new InfrastructureError(
          `${what}: the registry ${registry} refused the credentials${credentials ? ` from the CI/CD variables ${credentials.userVariable} and ${credentials.passwordVariable}` : ""} (${detail})`,
          credentials
            ? `check that ${credentials.userVariable} and ${credentials.passwordVariable} hold a user and a password or token with write access to ${this.image.name} (registry_user_variable / registry_password_variable name them)`
            : `check that the credentials may read and write ${this.image.name}`,
        );
      case "unreachable":
        return new InfrastructureError(`${what}: the registry ${registry} cannot be reached (${detail})`, `check ${this.imageInput} (${this.image.name}) and that the registry is up and reachable from the runner, then retry the job`);
      case "tls":
        return new InfrastructureError(
          `${what}: TLS with the registry ${registry} failed (${detail})`,
          this.tlsVerify ? `if ${registry} serves plain HTTP or a certificate the runner does not trust, set tls_verify: false (or install its CA in the job image)` : `check ${this.imageInput} and the registry's TLS setup`,
        );
      default:
        return new JobError(`${what}: ${detail}`, `read the tool's message above; check ${this.imageInput} (${this.image.name})`);
    }
  }

  /** Removes the auth file and its directory. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
