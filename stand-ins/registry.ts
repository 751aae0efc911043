/**
 * A real container registry for tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1,
 * on a free port, with storage in a temporary directory and, optionally, htpasswd (bcrypt) auth.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: the registry part of image names. */
  host: string;
  /** The user and password that may push, when auth is on. */
  credentials?: { username: string; password: string };
  /** An auth file for buildah/skopeo holding `credentials` (or an empty one). */
  authFile: string;
  /** The manifest digest of `repository:tag` as the registry serves it (`skopeo inspect`), or undefined. */
  digest(repository: string, tag: string): Promise<string | undefined>;
  /** The tags of `repository`. */
  tags(repository: string): Promise<string[]>;
  /** What the registry has logged so far (requests, errors). */
  log(): string;
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function waitForRegistry(host: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}: ${output()}`);
    try {
      const response = await fetch(`http://${host}/v2/`);
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on ${host} within 15 s: ${output()}`);
}

/**
 * Starts a registry. With `auth`, only that user may pull or push (bcrypt htpasswd written with
 * apache2-utils' `htpasswd`, the one format distribution accepts).
 */
export async function startRegistry(
  options: { auth?: { username: string; password: string } } = {},
): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(tmpdir(), "gitops-registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let authSection = "";
  if (options.auth) {
    const { stdout } = await exec("htpasswd", ["-Bbn", options.auth.username, options.auth.password]);
    writeFileSync(path.join(dir, "htpasswd"), stdout);
    authSection = `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${path.join(dir, "htpasswd")}\n`;
  }
  writeFileSync(
    path.join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n  secret: test-registry-secret\n${authSection}`,
  );
  const authFile = path.join(dir, "auth.json");
  const auths = options.auth
    ? { [host]: { auth: Buffer.from(`${options.auth.username}:${options.auth.password}`).toString("base64") } }
    : {};
  writeFileSync(authFile, JSON.stringify({ auths }));
  let output = "";
  const child = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => (output += d));
  child.stderr?.on("data", (d: Buffer) => (output += d));
  try {
    await waitForRegistry(host, child, () => output);
  } catch (error) {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const skopeo = (args: string[]) =>
    exec("skopeo", [...args.slice(0, 1), "--authfile", authFile, "--tls-verify=false", ...args.slice(1)], {
      maxBuffer: 16 << 20,
    });
  return {
    host,
    credentials: options.auth,
    authFile,
    async digest(repository, tag) {
      try {
        const { stdout } = await skopeo([
          "inspect",
          "--format",
          "{{.Digest}}",
          `docker://${host}/${repository}:${tag}`,
        ]);
        return stdout.trim();
      } catch (error) {
        if (/manifest unknown|name unknown/.test(String((error as { stderr?: string }).stderr))) return undefined;
        throw error;
      }
    },
    async tags(repository) {
      const { stdout } = await skopeo(["list-tags", `docker://${host}/${repository}`]);
      return ((JSON.parse(stdout) as { Tags: string[] }).Tags ?? []).sort();
    },
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once("exit", done);
        child.kill();
      }),
  };
}
