/**
 * The loopback git server's HTTP bridge (stand-ins/git-server.ts) passes git's output on at the
 * pace the client reads it: a paused client keeps git waiting instead of piling a whole pack into
 * the test process (a full clone in the benchmark is 200 MB), a client that goes away ends its
 * `git http-backend`, paused or not, and git refusing a request halfway through its body is no
 * error of the test process. The client here speaks git's smart HTTP protocol (v0) itself,
 * so the test can pause and drop it at will.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../runtime/exec.ts";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";

const SIZE = 24 << 20;

/** Waits until `test()` holds, checking every 50 ms for at most `ms`; returns whether it held. */
async function eventually(test: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (test()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return test();
}

describe.skipIf(!requireTools("git"))("the git server stand-in's HTTP bridge", () => {
  let server: GitServer;
  let work: string;
  let tip: string;

  beforeAll(async () => {
    server = await startGitServer();
    server.createRepo("group/big");
    work = mkdtempSync(path.join(tmpdir(), "gitops-git-server-test-"));
    const git = async (...args: string[]) => {
      const r = await run("git", args, { cwd: work });
      if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
      return r.stdout.trim();
    };
    await git("init", "-q", "-b", "main");
    // Incompressible: the pack is as big as the file.
    writeFileSync(path.join(work, "blob.bin"), randomBytes(SIZE));
    await git("add", "blob.bin");
    await git("-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "big");
    await git("push", "-q", path.join(server.root, "group/big.git"), "HEAD:refs/heads/main");
    tip = await git("rev-parse", "HEAD");
  });
  afterAll(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Starts a v0 upload-pack request for the whole history; resolves with the response once its first bytes arrived. */
  function fetchPack(): Promise<{ response: http.IncomingMessage; request: http.ClientRequest }> {
    const want = `want ${tip}\n`;
    const body = `${(want.length + 4).toString(16).padStart(4, "0")}${want}00000009done\n`;
    return new Promise((resolve, reject) => {
      const request = http.request(`${server.url}/group/big.git/git-upload-pack`, {
        method: "POST",
        headers: { "Content-Type": "application/x-git-upload-pack-request", "Content-Length": body.length },
      });
      request.on("error", reject);
      request.on("response", (response) => response.once("readable", () => resolve({ response, request })));
      request.end(body);
    });
  }

  it("keeps git waiting while the client does not read, and delivers every byte once it does", async () => {
    const { response } = await fetchPack();
    response.pause();
    // Without backpressure the bridge would have read git's 24 MB into memory and git would be done.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.backends()).toBe(1);
    let bytes = 0;
    response.on("data", (chunk: Buffer) => (bytes += chunk.length));
    const ended = new Promise((resolve) => response.on("end", resolve));
    response.resume();
    await ended;
    expect(bytes).toBeGreaterThan(SIZE);
    expect(await eventually(() => server.backends() === 0, 10_000)).toBe(true);
  });

  it("survives git refusing a request while its body is still arriving (an EPIPE on git's stdin)", async () => {
    // git http-backend refuses a body over http.maxRequestBuffer (10 MB) and exits while the rest
    // is still being sent: the bridge's writes to its stdin then fail with EPIPE, which must not
    // become an unhandled error of the test process (vitest would fail the run).
    const body = Buffer.alloc(32 << 20, "0");
    // Whatever git answered (its headers may already be out), the exchange ends.
    await new Promise<number>((resolve) => {
      const request = http.request(`${server.url}/group/big.git/git-upload-pack`, {
        method: "POST",
        headers: { "Content-Type": "application/x-git-upload-pack-request", "Content-Length": body.length },
      });
      request.on("error", () => resolve(0));
      request.on("response", (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      });
      request.end(body);
    });
    expect(await eventually(() => server.backends() === 0, 10_000)).toBe(true);
  });

  it("ends git http-backend when the client goes away while git waits", async () => {
    const { response, request } = await fetchPack();
    response.pause();
    expect(await eventually(() => server.backends() === 1, 1000)).toBe(true);
    request.destroy();
    expect(await eventually(() => server.backends() === 0, 10_000)).toBe(true);
  });
});
