/**
 * `npm test` (test/run.sh) stopped by a signal stops what it started: the signal reaches vitest's
 * whole process group (its workers, the servers the tests started), and the script still prints
 * its summary line and exits non-zero. vitest is stood in for by an `npx` on PATH whose `vitest`
 * starts a long-lived child, so the script itself is what is tested, as shipped.
 */
import { spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../../harness/templates.ts";

/** `npx tsc` passes; `npx vitest` is a node process with a node child (a worker, a test server), both waiting. */
const FAKE_NPX = `#!/usr/bin/env bash
case "$1" in
  tsc) exit 0 ;;
  vitest) exec node -e '
    const { spawn } = require("node:child_process");
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    require("node:fs").writeFileSync(process.env.PIDS_FILE, process.pid + " " + child.pid);
    setInterval(() => {}, 1000);
  ' ;;
esac
`;

const dirs: string[] = [];
const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it holds (the processes react to signals asynchronously); false if it never does. */
async function eventually(check: () => boolean, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i += 1) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe("test/run.sh", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "passes %s on to vitest's process group, then prints the summary line and exits non-zero",
    async (signal) => {
      const dir = mkdtempSync(path.join(tmpdir(), "gitops-run-sh-"));
      dirs.push(dir);
      mkdirSync(path.join(dir, "test"));
      mkdirSync(path.join(dir, "bin"));
      copyFileSync(path.join(ROOT, "test", "run.sh"), path.join(dir, "test", "run.sh"));
      writeFileSync(path.join(dir, "bin", "npx"), FAKE_NPX);
      chmodSync(path.join(dir, "bin", "npx"), 0o755);
      const pidsFile = path.join(dir, "pids");

      const run = spawn("bash", [path.join(dir, "test", "run.sh")], {
        env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, PIDS_FILE: pidsFile },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      run.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      // "exit", not "close": a process left running would hold the output pipe open.
      let code: number | null | undefined;
      run.on("exit", (exitCode, killedBy) => (code = killedBy ? 128 : exitCode));
      const closed = new Promise<void>((resolve) => run.on("close", () => resolve()));

      expect(
        await eventually(() => existsSync(pidsFile) && readFileSync(pidsFile, "utf8").trim().split(" ").length === 2),
        "the stand-in vitest never started",
      ).toBe(true);
      const [vitest, child] = readFileSync(pidsFile, "utf8").trim().split(" ").map(Number) as [number, number];
      leftovers.push(vitest, child);

      run.kill(signal);
      expect(await eventually(() => code !== undefined, 200), `run.sh did not end on ${signal}`).toBe(true);
      expect(
        await eventually(() => !alive(vitest) && !alive(child)),
        "vitest or its child still runs after run.sh ended",
      ).toBe(true);
      await closed;
      expect(stdout).toMatch(/0 passed, 1 failed\n$/);
      expect(code).not.toBe(0);
    },
  );
});
