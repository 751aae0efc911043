/**
 * GitLab's SSH side for tests: Debian's OpenSSH server on 127.0.0.1, at a port chosen at run time,
 * with a host key the test makes, serving the bare repositories of a loopback git server
 * (stand-ins/git-server.ts). Each deploy key is an authorized key whose forced command runs
 * git-upload-pack or git-receive-pack as a named user, so the repositories' pre-receive hook
 * enforces the same protected branches as over HTTP ("only this deploy key may push here").
 *
 * sshd runs as the user running the tests. As root it insists on its privilege-separation
 * directory /run/sshd (created by the system's service scripts, which do not run here), so root
 * needs `mkdir -m 0755 /run/sshd` once; `.ci/run` does it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import type { GitServer } from "./git-server.ts";
import { freePort } from "./registry.ts";

const SSHD = "/usr/sbin/sshd";
const INSTALL = "apt-get install -y openssh-server (as root also: mkdir -m 0755 /run/sshd)";

/**
 * True when sshd can run here. When it cannot: under CI=true, throws (the suite fails); otherwise
 * prints how to set it up and returns false (use with `describe.skipIf(!…)`).
 */
export function requireSshd(): boolean {
  const missing = !existsSync(SSHD)
    ? "sshd"
    : process.getuid?.() === 0 && !existsSync("/run/sshd")
      ? "/run/sshd (sshd's privilege separation directory)"
      : spawnSync("ssh-keygen", ["-?"]).error
        ? "ssh-keygen"
        : undefined;
  if (!missing) return true;
  if (process.env.CI === "true")
    throw new Error(`missing for the SSH tests under CI: ${missing}: ${INSTALL}. .ci/run must set it up.`);
  console.warn(`skipping the SSH deploy-key tests: ${missing} is missing — ${INSTALL}`);
  return false;
}

/** A running SSH server in front of a git server's repositories. */
export interface SshServer {
  /** The SSH clone URL of `repoPath` (`ssh://<user>@127.0.0.1:<port>/<repoPath>.git`). */
  url(repoPath: string): string;
  /** The server's host key as a known_hosts line. */
  knownHosts: string;
  /** Authorizes a new deploy key acting as `user`; returns its private key (OpenSSH format). */
  addDeployKey(user: string): string;
  /** The git services run over SSH, by user, oldest first. */
  sessions(): Array<{ user: string; service: string; repo: string }>;
  close(): Promise<void>;
}

/** The forced command of every key: one git service on one repository under the server's root, as `$1`. */
const FORCED_COMMAND = `#!/bin/sh
set -eu
user="$1"; root="$2"; log="$3"
set -- $SSH_ORIGINAL_COMMAND
service="$1"; repo=$(printf '%s' "$2" | tr -d "'" | sed 's|^/||')
case "$service" in git-upload-pack|git-receive-pack) ;; *) echo "only git" >&2; exit 1;; esac
case "$repo" in *..*|'') echo "bad path" >&2; exit 1;; esac
printf '%s %s %s\\n' "$user" "$service" "$repo" >> "$log"
REMOTE_USER="$user" exec "$service" "$root/$repo"
`;

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within 15 s: ${output()}`);
}

/** Starts sshd on 127.0.0.1 for `git`'s repositories, with a fresh host key. */
export async function startSshServer(git: GitServer): Promise<SshServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "gitops-sshd-"));
  const hostKey = path.join(dir, "host_key");
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test host", "-f", hostKey], { stdio: "ignore" });
  const authorizedKeys = path.join(dir, "authorized_keys");
  writeFileSync(authorizedKeys, "", { mode: 0o600 });
  const log = path.join(dir, "sessions.log");
  writeFileSync(log, "");
  const command = path.join(dir, "git-only");
  writeFileSync(command, FORCED_COMMAND);
  chmodSync(command, 0o755);
  const port = await freePort();
  const me = userInfo().username;
  const config = path.join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AllowUsers ${me}`,
      "AuthenticationMethods publickey",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "StrictModes no",
      "UsePAM no",
      "PermitUserEnvironment no",
      "LogLevel ERROR",
      "",
    ].join("\n"),
  );
  let output = "";
  const child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => (output += d));
  child.stderr?.on("data", (d: Buffer) => (output += d));
  await waitForPort(port, child, () => output);
  const publicHostKey = readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
  let keys = 0;
  return {
    url: (repoPath) => `ssh://${me}@127.0.0.1:${port}/${repoPath}.git`,
    knownHosts: `[127.0.0.1]:${port} ${publicHostKey}`,
    addDeployKey(user) {
      const keyFile = path.join(dir, `deploy_key_${++keys}`);
      spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `deploy key of ${user}`, "-f", keyFile], {
        stdio: "ignore",
      });
      const publicKey = readFileSync(`${keyFile}.pub`, "utf8").trim();
      appendFileSync(authorizedKeys, `command="${command} ${user} ${git.root} ${log}",restrict ${publicKey}\n`);
      return readFileSync(keyFile, "utf8");
    },
    sessions: () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [user = "", service = "", repo = ""] = line.split(" ");
          return { user, service, repo };
        }),
    close: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
      }),
  };
}
