/**
 * A git server for tests: `git http-backend` behind a small Node HTTP bridge on 127.0.0.1, on a
 * port chosen at run time. It plays the GitLab instance: bare repositories under one root, HTTP
 * Basic auth with tokens, and protected branches enforced by a pre-receive hook (each protected
 * pattern names the one token allowed to push; force pushes and deletions are refused).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** A branch pattern (git wildmatch, e.g. `_gitlab/agents/*`) and the only user allowed to push to it. */
export interface ProtectedBranch {
  pattern: string;
  /** The username (token owner) allowed to push. */
  user: string;
}

/** A running git server. */
export interface GitServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The directory holding `<group>/<project>.git`. */
  root: string;
  /** Creates (or returns) a bare repository `path` (`group/project`) and returns its clone URL. */
  createRepo(repoPath: string, options?: { protect?: ProtectedBranch[]; private?: boolean }): string;
  /** Adds a token: requests authenticated with it act as `user`. */
  addToken(token: string, user: string): void;
  /** The commit a branch points at on the server, or undefined. */
  branch(repoPath: string, branch: string): string | undefined;
  /** Every request seen (method, path, user, and the Basic auth login it came with), newest last. */
  requests: Array<{ method: string; path: string; user?: string; login?: string; service?: string }>;
  /** The push options received by the pre-receive hook, per push. */
  pushOptions(repoPath: string): string[][];
  /** Makes every request fail with 503 while `down` is true. */
  setDown(down: boolean): void;
  /** How many `git http-backend` processes are running now. */
  backends(): number;
  close(): Promise<void>;
}

const HOOK = `#!/bin/sh
# Protected branches: only the named user may push, never a force push, never a deletion.
zero=0000000000000000000000000000000000000000
opts=""
i=0
while [ "$i" -lt "\${GIT_PUSH_OPTION_COUNT:-0}" ]; do
  eval "opt=\\$GIT_PUSH_OPTION_$i"
  opts="$opts$opt	"
  i=$((i + 1))
done
printf '%s\\n' "$opts" >> "$GIT_DIR/push-options.log"
while read -r old new ref; do
  branch=\${ref#refs/heads/}
  while read -r pattern user; do
    [ -z "$pattern" ] && continue
    case "$branch" in
      $pattern)
        if [ "$REMOTE_USER" != "$user" ]; then
          echo "GitLab: You are not allowed to push code to protected branches on this project." >&2
          exit 1
        fi
        if [ "$new" = "$zero" ]; then
          echo "GitLab: You can only delete protected branches using the web interface." >&2
          exit 1
        fi
        if [ "$old" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new"; then
          echo "GitLab: You are not allowed to force push code to a protected branch on this project." >&2
          exit 1
        fi
        ;;
    esac
  done < "$GIT_DIR/protected-branches"
done
exit 0
`;

function git(args: string[], cwd?: string): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Starts a git server on 127.0.0.1 with a fresh, empty root. */
export async function startGitServer(): Promise<GitServer> {
  const root = mkdtempSync(path.join(tmpdir(), "gitops-git-server-"));
  const tokens = new Map<string, string>();
  const requests: GitServer["requests"] = [];
  let down = false;
  const running = new Set<ChildProcess>();
  const privateRepos = new Set<string>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    let user: string | undefined;
    let login: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith("Basic ")) {
      const [name = "", password = ""] = Buffer.from(auth.slice(6), "base64").toString("utf8").split(/:(.*)/s);
      login = name;
      user = tokens.get(password);
      if (!user) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="GitLab"' });
        res.end("HTTP Basic: Access denied\n");
        return;
      }
    }
    const service =
      url.searchParams.get("service") ??
      (url.pathname.endsWith("/git-receive-pack")
        ? "git-receive-pack"
        : url.pathname.endsWith("/git-upload-pack")
          ? "git-upload-pack"
          : undefined);
    requests.push({ method: req.method ?? "GET", path: url.pathname, user, login, service });
    if (down) {
      res.writeHead(503);
      res.end("server is down\n");
      return;
    }
    // Pushing needs an authenticated user (GitLab never accepts anonymous pushes); so does
    // anything in a private repository.
    const repo = [...privateRepos].find((r) => url.pathname.startsWith(`/${r}.git/`));
    if ((service === "git-receive-pack" || repo) && !user) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="GitLab"' });
      res.end("HTTP Basic: Access denied\n");
      return;
    }
    const child = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? "GET",
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        CONTENT_LENGTH: req.headers["content-length"] ?? "",
        HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
        GIT_PROTOCOL: (req.headers["git-protocol"] as string | undefined) ?? "",
        REMOTE_USER: user ?? "",
        REMOTE_ADDR: "127.0.0.1",
      },
    });
    running.add(child);
    child.on("exit", () => running.delete(child));
    // A client that goes away (killed, timed out) ends its backend too, paused or not.
    res.on("close", () => {
      if (!res.writableFinished) child.kill();
    });
    // A backend that ended early (killed above, or git refusing the request) closes its stdin
    // while the request may still be arriving: that EPIPE is not the test process's failure.
    child.stdin.on("error", () => {});
    req.pipe(child.stdin);
    // git's CGI headers are read here; the body is piped, so it goes at the pace the client reads
    // it (a full clone is hundreds of MB, which must not pile up in this process's memory).
    let head = Buffer.alloc(0);
    let headersDone = false;
    const readHeaders = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      child.stdout.off("data", readHeaders);
      let status = 200;
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const [name = "", ...rest] = line.split(":");
        const value = rest.join(":").trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else if (name) res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
      child.stdout.pipe(res);
    };
    child.stdout.on("data", readHeaders);
    child.stderr.on("data", () => {});
    // With the headers out, the pipe ends the response; without them, git failed.
    child.on("close", () => {
      if (headersDone) return;
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    root,
    requests,
    createRepo(repoPath, options = {}) {
      const dir = path.join(root, `${repoPath}.git`);
      if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true });
        git(["init", "-q", "--bare", "-b", "main", dir]);
        for (const [key, value] of [
          ["http.receivepack", "true"],
          ["uploadpack.allowFilter", "true"],
          ["uploadpack.allowAnySHA1InWant", "true"],
          ["receive.advertisePushOptions", "true"],
          ["receive.denyDeletes", "false"],
        ])
          git(["config", key as string, value as string], dir);
        writeFileSync(path.join(dir, "hooks", "pre-receive"), HOOK);
        chmodSync(path.join(dir, "hooks", "pre-receive"), 0o755);
      }
      if (options.private) privateRepos.add(repoPath);
      else privateRepos.delete(repoPath);
      writeFileSync(
        path.join(dir, "protected-branches"),
        (options.protect ?? []).map((p) => `${p.pattern} ${p.user}\n`).join(""),
      );
      return `${url}/${repoPath}.git`;
    },
    addToken(token, user) {
      tokens.set(token, user);
    },
    branch(repoPath, branch) {
      const result = spawnSync("git", ["rev-parse", "--verify", "-q", `refs/heads/${branch}`], {
        cwd: path.join(root, `${repoPath}.git`),
        encoding: "utf8",
      });
      return result.status === 0 ? result.stdout.trim() : undefined;
    },
    pushOptions(repoPath) {
      const log = path.join(root, `${repoPath}.git`, "push-options.log");
      if (!existsSync(log)) return [];
      return readFileSync(log, "utf8")
        .split("\n")
        .filter((line, i, all) => i < all.length - 1 || line !== "")
        .map((line) => line.split("\t").filter(Boolean));
    },
    setDown(value) {
      down = value;
    },
    backends: () => running.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(root, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
