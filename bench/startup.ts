/**
 * `npx tsx bench/startup.ts` (part of `npm run bench`): how long each job script takes to start,
 * from `node <script>.mjs` until its first log line or its first command (git, kubectl, buildah:
 * the job's real work), against bare node (until it exits) measured in the same run: wall-clock
 * milliseconds, and the CPU milliseconds the process reports at that point (process.cpuUsage(),
 * which other load on the machine barely moves). The scripts are the ones the committed templates
 * embed, written to files first with the modules they import beside them (a runner's heredocs do
 * that too); each gets its job's variables (defaults, as GitLab resolves them, and sample values
 * for required inputs) and a pipeline's predefined variables, and is stopped at that first line,
 * before it talks to any server. Prints medians and ratios, and the bytes node loads before that
 * line (the script and what it imports statically; modules behind an `import()` load when the job
 * reaches them) against all of the script's files; asserts nothing. Target: at most 50 ms over
 * bare node. BENCH_RUNS sets the number of runs (default 7); BENCH_SHORT=1 runs once.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import type { InputSpec } from "../generator/inputs.ts";
import { sampleValue } from "../generator/validate.ts";
import {
  expandVariables,
  heredocFiles,
  includeTemplate,
  ROOT,
  scriptCommands,
  type HeredocFile,
} from "../harness/templates.ts";

const SHORT = process.env.BENCH_SHORT === "1";
const RUNS = SHORT ? 1 : Number(process.env.BENCH_RUNS ?? 7);
const TARGET_MS = 50;

/**
 * Preloaded into each script (`node --require`): prints a line when the script starts its first
 * command, so a script that runs git before it logs anything is timed to that point. Builtin
 * exports patched here reach the bundle's ES imports through syncBuiltinESMExports. At its first
 * output the process also writes the CPU time it has used (user + system, µs) to fd 3: unlike the
 * wall clock, that barely moves when other processes load the machine.
 */
const FIRST_COMMAND_PRELOAD = `const fs = require("node:fs");
let cpuReported = false;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write;
  stream.write = function (...args) {
    if (!cpuReported) {
      cpuReported = true;
      const used = process.cpuUsage();
      fs.writeSync(3, String(used.user + used.system) + "\\n");
    }
    return write.apply(this, args);
  };
}
const cp = require("node:child_process");
for (const name of ["spawn", "spawnSync", "execFile", "execFileSync", "exec", "execSync"]) {
  const original = cp[name];
  cp[name] = function (...args) {
    process.stdout.write("(first command: " + String(args[0]).split(" ")[0] + ")\\n");
    return original.apply(this, args);
  };
}
require("node:module").syncBuiltinESMExports();
`;

/** Inputs that need a value the job accepts (a sample value would stop it at its input check). */
const INPUTS: Record<string, Record<string, unknown>> = {
  review: { manifests: "deploy/review", domain: "review.example.com" },
};

/** One embedded script: the file the job runs, every file it writes, the templates that embed it, and the environment of its first job. */
interface Script {
  file: string;
  files: HeredocFile[];
  templates: string[];
  env: Record<string, string>;
}

/** The files node loads before the script's first line runs: the script and what it imports statically, transitively (not its `import()`s). */
function loadedAtStart(script: Script): HeredocFile[] {
  const byName = new Map(script.files.map((f) => [f.file, f]));
  const loaded = new Map<string, HeredocFile>();
  const visit = (name: string) => {
    const file = byName.get(name);
    if (!file || loaded.has(name)) return;
    loaded.set(name, file);
    for (const m of file.code.matchAll(/^(?:import|export)\b[^;]*?\bfrom "\.\/([^"]+)";|^import "\.\/([^"]+)";/gm))
      visit((m[1] ?? m[2]) as string);
  };
  visit(script.file);
  return [...loaded.values()];
}

const bytes = (files: HeredocFile[]) => files.reduce((sum, f) => sum + f.code.length, 0);

/** What a pipeline of the default branch (or a merge request's, for review) sets. */
function predefined(scratch: string): Record<string, string> {
  return {
    CI: "true",
    GITLAB_CI: "true",
    CI_PROJECT_DIR: scratch,
    CI_PROJECT_PATH: "group/app",
    CI_PROJECT_ID: "42",
    CI_SERVER_URL: "https://gitlab.example.com",
    CI_SERVER_FQDN: "gitlab.example.com",
    CI_API_V4_URL: "https://gitlab.example.com/api/v4",
    CI_REPOSITORY_URL: "https://gitlab.example.com/group/app.git",
    CI_PIPELINE_ID: "1000",
    CI_PIPELINE_URL: "https://gitlab.example.com/group/app/-/pipelines/1000",
    CI_PIPELINE_SOURCE: "push",
    CI_JOB_ID: "2000",
    CI_JOB_TOKEN: "job-token-for-the-benchmark",
    CI_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
    CI_COMMIT_SHORT_SHA: "01234567",
    CI_COMMIT_BRANCH: "main",
    CI_COMMIT_REF_NAME: "main",
    CI_COMMIT_REF_SLUG: "main",
    CI_DEFAULT_BRANCH: "main",
    CI_MERGE_REQUEST_IID: "7",
    CI_REGISTRY: "registry.example.com",
    CI_REGISTRY_IMAGE: "registry.example.com/group/app",
    CI_REGISTRY_USER: "gitlab-ci-token",
    CI_REGISTRY_PASSWORD: "registry-password-for-the-benchmark",
    CI_ENVIRONMENT_NAME: "review/main",
    GITOPS_IMAGE: "registry.example.com/group/app@sha256:" + "a".repeat(64),
    GITOPS_STAGING_TOKEN: "glpat-benchmark-token-0000",
    GITOPS_PRODUCTION_TOKEN: "glpat-benchmark-token-0000",
    GITOPS_MANIFESTS_TOKEN: "glpat-benchmark-token-0000",
  };
}

/** Every script the committed templates embed, once each (promote.mjs is in two templates). */
function embeddedScripts(scratch: string): Script[] {
  const scripts = new Map<string, Script>();
  for (const name of readdirSync(path.join(ROOT, "templates")).sort()) {
    const text = readFileSync(path.join(ROOT, "templates", name, "template.yml"), "utf8");
    const [header, body] = parseAllDocuments(text).map((d) => d.toJS()) as [
      { spec: { inputs?: Record<string, InputSpec> } },
      Record<string, { script?: unknown }>,
    ];
    // Required inputs get the generator's sample value, as its validation does.
    const required = Object.entries(header.spec.inputs ?? {}).filter(([, spec]) => spec.default === undefined);
    const jobs = includeTemplate(name, {
      ...Object.fromEntries(required.map(([input, spec]) => [input, sampleValue(spec)])),
      ...INPUTS[name],
    });
    for (const [jobName, job] of Object.entries(body)) {
      for (const command of job.script === undefined ? [] : scriptCommands(job.script)) {
        const files = heredocFiles(command);
        // The file the job runs: `node "$gitops_script_dir/<file>"`.
        const file = /^node "\$gitops_script_dir\/([^"]+)"/m.exec(command)?.[1];
        if (!file || files.length === 0) continue;
        const known = scripts.get(file);
        if (known) {
          if (!known.templates.includes(name)) known.templates.push(name);
          continue;
        }
        const resolved = Object.values(jobs)[Object.keys(body).indexOf(jobName)] as {
          variables?: Record<string, unknown>;
        };
        const ci = predefined(scratch);
        const variables: Record<string, string> = {};
        for (const [key, value] of Object.entries(resolved.variables ?? {}))
          variables[key] = expandVariables(String(value), { ...ci, ...variables });
        scripts.set(file, { file, files, templates: [name], env: { ...ci, ...variables } });
      }
    }
  }
  return [...scripts.values()];
}

/** Bare node: writes the CPU time it used to fd 3, as the preload does at a script's first output. */
const BARE_NODE = [
  "-e",
  'const used = process.cpuUsage(); require("node:fs").writeSync(3, String(used.user + used.system) + "\\n");',
];

/**
 * Milliseconds from spawning `node args` until its first output (then it is killed), or until it
 * exits when `untilExit`; that first line; and the CPU milliseconds the process reported on fd 3.
 */
function time(
  args: string[],
  env: Record<string, string>,
  untilExit: boolean,
): Promise<{ ms: number; cpuMs: number; line: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? "", HOME: env.CI_PROJECT_DIR ?? tmpdir(), ...env },
      cwd: env.CI_PROJECT_DIR,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    let cpu = "";
    // Written before the first output; a pipe keeps it for the reader after the writer is killed.
    child.stdio[3]?.on("data", (d: Buffer) => (cpu += d));
    let first: { ms: number; line: string } | undefined;
    const onData = (chunk: Buffer) => {
      if (first || untilExit) return;
      first = {
        ms: performance.now() - started,
        line:
          chunk
            .toString("utf8")
            .split("\n")[0]
            ?.replace(/\x1b\[0K|\r/g, " ")
            .trim() ?? "",
      };
      child.kill("SIGKILL");
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => {
      const cpuMs = Number(cpu.split("\n")[0]) / 1000;
      if (cpu === "" || !Number.isFinite(cpuMs))
        reject(new Error(`node ${args.join(" ")} reported no CPU time (exit ${code})`));
      else if (untilExit) {
        if (code !== 0) reject(new Error(`node ${args.join(" ")} exited ${code}`));
        else resolve({ ms: performance.now() - started, cpuMs, line: "" });
      } else if (first) resolve({ ...first, cpuMs });
      else reject(new Error(`node ${args.join(" ")} exited ${code} without printing anything`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(tmpdir(), "gitops-bench-startup-"));
  try {
    const scripts = embeddedScripts(scratch);
    // Each script in a directory of its own, with the modules it imports beside it (as the job writes them).
    const dirs = new Map(scripts.map((s) => [s.file, path.join(scratch, "scripts", s.file.replace(/\.mjs$/, ""))]));
    for (const s of scripts) {
      mkdirSync(dirs.get(s.file) as string, { recursive: true });
      for (const f of s.files) writeFileSync(path.join(dirs.get(s.file) as string, f.file), f.code);
    }
    const preload = path.join(scratch, "first-command.cjs");
    writeFileSync(preload, FIRST_COMMAND_PRELOAD);
    // The checkout the jobs read before their first command: build's Dockerfile, review's manifests.
    writeFileSync(path.join(scratch, "Dockerfile"), "FROM scratch\n");
    mkdirSync(path.join(scratch, "deploy", "review"), { recursive: true });
    writeFileSync(path.join(scratch, "deploy", "review", "kustomization.yaml"), "resources: []\n");
    const baseline: number[] = [];
    const baselineCpu: number[] = [];
    const samples = new Map<string, number[]>(scripts.map((s) => [s.file, []]));
    const cpuSamples = new Map<string, number[]>(scripts.map((s) => [s.file, []]));
    const lines = new Map<string, string>();
    // Interleaved, after one warm-up round (the page cache), so other load affects all alike.
    for (let i = SHORT ? 0 : -1; i < RUNS; i++) {
      const bare = await time(BARE_NODE, {}, true);
      if (i >= 0) baseline.push(bare.ms);
      if (i >= 0) baselineCpu.push(bare.cpuMs);
      for (const s of scripts) {
        const run = await time(["--require", preload, path.join(dirs.get(s.file) as string, s.file)], s.env, false);
        if (i >= 0) samples.get(s.file)?.push(run.ms);
        if (i >= 0) cpuSamples.get(s.file)?.push(run.cpuMs);
        lines.set(s.file, run.line);
      }
    }
    const bare = median(baseline);
    const bareCpu = median(baselineCpu);
    console.log(
      `start-up: node <script>.mjs until its first log line or command, against bare node until it exits; wall-clock ms and CPU ms (user + system, process.cpuUsage()); median of ${RUNS} run${RUNS === 1 ? "" : "s"}${SHORT ? "" : " after one warm-up"}, Node ${process.version}\n`,
    );
    console.log(
      `| script | bytes loaded at start (files) | bytes of all its files (files) | in | first line | ms (median) | ms over bare node | x bare node | CPU ms (median) | CPU ms over bare node |`,
    );
    console.log("|---|---:|---:|---|---|---:|---:|---:|---:|---:|");
    console.log(`| bare node | | | | | ${bare.toFixed(0)} | 0 | 1.00 | ${bareCpu.toFixed(0)} | 0 |`);
    let worst = 0;
    for (const s of scripts) {
      const ms = median(samples.get(s.file) ?? []);
      const cpuMs = median(cpuSamples.get(s.file) ?? []);
      worst = Math.max(worst, ms - bare);
      const line = (lines.get(s.file) ?? "").replace(/\|/g, "\\|");
      const start = loadedAtStart(s);
      console.log(
        `| \`${s.file}\` | ${bytes(start).toLocaleString("en-US")} (${start.length}) | ${bytes(s.files).toLocaleString("en-US")} (${s.files.length}) | ${s.templates.join(", ")} | ${line.length > 60 ? `${line.slice(0, 57)}...` : line} | ${ms.toFixed(0)} | ${(ms - bare).toFixed(0)} | ${(ms / bare).toFixed(2)} | ${cpuMs.toFixed(0)} | ${(cpuMs - bareCpu).toFixed(0)} |`,
      );
    }
    console.log(
      `\nslowest start: ${worst.toFixed(0)} ms over bare node (target ≤ ${TARGET_MS} ms) ${worst <= TARGET_MS ? "✔" : "✘"}`,
    );
    console.log(
      `load average: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")} (${cpus().length} CPUs)`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
