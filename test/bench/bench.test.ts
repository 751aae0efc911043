/**
 * `npm run bench` in its short mode (tiny sizes, one run each), so the benchmarks cannot rot: every
 * benchmark runs to the end and prints its table, everything it writes goes under $TMPDIR and is
 * removed, and a benchmark that fails does not keep the others from running. Timings are printed,
 * never asserted.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { requireTools } from "../support/tools.ts";
import { ROOT } from "../../harness/templates.ts";

const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

describe.skipIf(!requireTools("git", "bash"))("npm run bench -- --short", () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "gitops-bench-test-"));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs the benchmarks with TMPDIR pointing at a directory of their own. */
  const bench = (env: Record<string, string> = {}) => {
    const own = path.join(scratch, "tmp");
    mkdirSync(own);
    const run = spawnSync(TSX, ["bench/run.ts", "--short"], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: own, ...env },
      encoding: "utf8",
      timeout: 240_000,
    });
    // tsx keeps its own compile cache under $TMPDIR (tsx-<uid>); anything else was left behind by a benchmark.
    return { ...run, left: readdirSync(own).filter((entry) => !/^tsx-\d+$/.test(entry)) };
  };

  it("runs every benchmark to its table, leaving nothing under TMPDIR", () => {
    const run = bench();
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("| floor: tsx on an empty script |");
    expect(run.stdout).toContain("| synthetic 3 components |");
    for (const shape of ["short-lived", "merge-heavy"])
      expect(run.stdout).toMatch(
        new RegExp(
          `${shape} history: \\d+ commits \\(\\d+ merges\\), staging \\d+ behind, median of 1 run, loopback HTTP`,
        ),
      );
    expect(run.stdout).toContain("| promote-staging (embedded script) |");
    for (const script of ["build.mjs", "promote.mjs", "deploy.mjs", "stop.mjs", "update.mjs"])
      expect(run.stdout).toContain(`| \`${script}\` |`);
    expect(run.stdout).toContain("bench: 3 of 3 benchmarks ran\n");
    expect(run.left).toEqual([]);
    expect(run.status).toBe(0);
  }, 300_000);

  it("runs the rest when one fails, and exits 1 naming it", () => {
    // Without git on PATH the promotion benchmark cannot build its repositories.
    const bin = path.join(scratch, "bin");
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, "node"));
    const run = bench({ PATH: bin });
    expect(run.stdout).toContain("bench/generate.ts: done in");
    expect(run.stdout).toMatch(/bench\/promote\.ts: FAILED \(exit 1\) after/);
    expect(run.stdout).toContain("bench/startup.ts: done in");
    expect(run.stdout).toContain("bench: 2 of 3 benchmarks ran; failed: promote.ts\n");
    expect(run.left).toEqual([]);
    expect(run.status).toBe(1);
  }, 300_000);
});
