/**
 * `npx tsx bench/generate.ts` (part of `npm run bench`): wall time of `generate --check` on the
 * real catalog, on a synthetic 30-component catalog (GitLab's limit from 16.9) and on a
 * 100-component one (current GitLab's), each against the floor of starting the same runtime (tsx)
 * on an empty script, all measured in this run. Prints medians and ratios; asserts nothing.
 * Everything it writes (synthetic catalogs, the generator's caches) goes to a temporary directory
 * under $TMPDIR, removed at the end. BENCH_RUNS sets the number of runs (default 7); BENCH_SHORT=1
 * runs once, with a 3-component synthetic catalog.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CACHE_DIR_VARIABLE } from "../generator/cache.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const SHORT = process.env.BENCH_SHORT === "1";
const RUNS = SHORT ? 1 : Number(process.env.BENCH_RUNS ?? 7);
const SIZES = SHORT ? [3] : [30, 100];
const scratch = mkdtempSync(path.join(tmpdir(), "gitops-bench-generate-"));
/** The generator's caches go to the scratch directory, warmed by the first run of each. */
const ENV = { ...process.env, [CACHE_DIR_VARIABLE]: path.join(scratch, "cache") };

/** Median wall time in ms of running `args` under tsx, after one warm-up run. */
function time(args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(TSX, args, { cwd: ROOT, encoding: "utf8", env: ENV });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`tsx ${args.join(" ")} failed: ${result.stderr}`);
    if (i > 0) samples.push(ms); // the first run warms caches (tsx transform cache, validator cache)
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

/** A synthetic catalog of `count` components shaped like the real ones (inputs, two jobs, a bundled script). */
function syntheticCatalog(dir: string, count: number): void {
  const gen = (file: string) => JSON.stringify(path.join(ROOT, file));
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "synthetic", version: "1.0.0", type: "module", private: true }),
  );
  writeFileSync(path.join(dir, "gitops.config.ts"), `export { default } from ${gen("gitops.config.ts")};\n`);
  for (let i = 0; i < count; i++) {
    const name = `component-${String(i).padStart(3, "0")}`;
    mkdirSync(path.join(dir, "components", name), { recursive: true });
    writeFileSync(
      path.join(dir, "components", name, "main.ts"),
      `import { runJob } from ${gen("runtime/errors.ts")};\nimport { requireInput } from ${gen("runtime/env.ts")};\nimport { section, info } from ${gen("runtime/log.ts")};\n` +
        `await runJob(async () => { const target = requireInput(process.env, "GITOPS_TARGET", "target", "set target"); await section("work ${i}", () => info(target)); });\n`,
    );
    writeFileSync(
      path.join(dir, "components", name, "component.ts"),
      `import { defineComponent } from ${gen("generator/component.ts")};\nimport { job } from ${gen("generator/job.ts")};\nimport { nodeScript } from ${gen("generator/script.ts")};\nimport { commonInputs, inputVariable, rulesInput } from ${gen("components/common.ts")};\n` +
        `export default defineComponent(import.meta.url, {\n  name: "${name}",\n  description: "Synthetic component ${i}.",\n` +
        `  inputs: (catalog) => ({ ...commonInputs(catalog, { stage: "deploy", job_name: "${name}" }), target: { type: "string", description: "Target.", default: "t${i}" }, dry_run: { type: "boolean", description: "Dry run.", default: false }, level: { type: "string", description: "Level.", default: "low", options: ["low", "high"] }, rules: rulesInput("When it runs.", [{ if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" }]) }),\n` +
        `  jobs: (inputs) => [\n    job(inputs.job_name, { stage: inputs.stage, image: inputs.image, variables: { GITOPS_TARGET: inputs.target, GITOPS_DRY_RUN: inputVariable(inputs.dry_run), GITOPS_LEVEL: inputs.level }, rules: inputs.rules, environment: { name: "env-${i}", on_stop: \`\${inputs.job_name}-stop\` }, script: nodeScript("components/${name}/main.ts"), artifacts: { reports: { dotenv: "out.env" } } }),\n` +
        `    job(\`\${inputs.job_name}-stop\`, { stage: inputs.stage, image: inputs.image, variables: { GITOPS_TARGET: inputs.target }, rules: inputs.rules, when: "manual", allow_failure: true, environment: { name: "env-${i}", action: "stop" }, script: nodeScript("components/${name}/main.ts") }),\n  ],\n});\n`,
    );
  }
}

try {
  writeFileSync(path.join(scratch, "empty.ts"), "export {};\n");
  const floor = time([path.join(scratch, "empty.ts")]);
  const rows: Array<[string, number]> = [["real catalog", time(["generator/cli.ts", "--check"])]];
  for (const count of SIZES) {
    const dir = path.join(scratch, `c${count}`);
    mkdirSync(dir);
    syntheticCatalog(dir, count);
    const written = spawnSync(TSX, ["generator/cli.ts", "--root", dir, "--max-components", String(count)], {
      cwd: ROOT,
      encoding: "utf8",
      env: ENV,
    });
    if (written.status !== 0)
      throw new Error(`generating the ${count}-component synthetic catalog failed: ${written.stderr}`);
    rows.push([
      `synthetic ${count} components`,
      time(["generator/cli.ts", "--root", dir, "--check", "--max-components", String(count)]),
    ]);
  }
  const real = rows[0]?.[1] as number;
  console.log(
    `generate: median wall time of ${RUNS} run${RUNS === 1 ? "" : "s"} (after one warm-up), Node ${process.version}`,
  );
  console.log("| run | wall ms | × floor | × real catalog |");
  console.log("|---|---|---|---|");
  console.log(`| floor: tsx on an empty script | ${floor.toFixed(0)} | 1.00 | |`);
  for (const [label, ms] of rows)
    console.log(`| ${label} | ${ms.toFixed(0)} | ${(ms / floor).toFixed(2)} | ${(ms / real).toFixed(2)} |`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
