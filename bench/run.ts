/**
 * `npm run bench [-- --short]`: every benchmark, one after the other, each in its own process.
 * One that fails does not stop the others: all run, all are reported, and the exit code is 1 at
 * the end if any failed. `--short` (BENCH_SHORT=1) runs tiny sizes once: the test that keeps the
 * benchmarks from rotting runs that.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";

/** The benchmarks, in the order they run. */
export const BENCHMARKS = ["generate.ts", "promote.ts", "startup.ts"] as const;

const ROOT = path.resolve(import.meta.dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

const { values } = parseArgs({ options: { short: { type: "boolean", default: false } } });
const env = { ...process.env, ...(values.short ? { BENCH_SHORT: "1" } : {}) };
const failed: string[] = [];
for (const bench of BENCHMARKS) {
  console.log(`\n# bench/${bench}\n`);
  const started = performance.now();
  const run = spawnSync(TSX, [path.join(ROOT, "bench", bench)], { cwd: ROOT, env, stdio: "inherit" });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (run.status === 0) console.log(`\nbench/${bench}: done in ${seconds} s`);
  else {
    failed.push(bench);
    console.log(`\nbench/${bench}: FAILED (${run.signal ?? `exit ${run.status}`}) after ${seconds} s`);
  }
}
console.log(
  `\nbench: ${BENCHMARKS.length - failed.length} of ${BENCHMARKS.length} benchmarks ran${failed.length > 0 ? `; failed: ${failed.join(", ")}` : ""}`,
);
process.exitCode = failed.length > 0 ? 1 : 0;
