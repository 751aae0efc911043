/**
 * Runs jobs exactly as they ship: the job is read from the generated `templates/<name>/template.yml`,
 * its inputs interpolated the way GitLab does, its `variables:` expanded against the CI
 * environment, and its `script:` run by bash with the runner's `set -eo pipefail`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { interpolate } from "../generator/interpolate.ts";

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, "..");

/** A template's two documents. */
export interface LoadedTemplate {
  header: { spec: { inputs?: Record<string, { type?: string; default?: unknown }> } };
  body: Record<string, Record<string, unknown>>;
  text: string;
}

/** Reads and parses `templates/<component>/template.yml` under `root`. */
export function loadTemplate(component: string, root = ROOT): LoadedTemplate {
  const text = readFileSync(path.join(root, "templates", component, "template.yml"), "utf8");
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  return { header: docs[0], body: docs[1], text };
}

/** A job's `script:` as the commands GitLab runs: a string is a list of one (lib/gitlab/ci/config/entry/commands.rb). */
export function scriptCommands(script: unknown): string[] {
  if (typeof script === "string") return [script];
  if (Array.isArray(script) && script.every((line) => typeof line === "string")) return script;
  throw new Error(`a job's script is neither a string nor a list of strings: ${JSON.stringify(script)?.slice(0, 80)}`);
}

/** One file a job script writes through a quoted heredoc (`cat > "$dir/<file>" <<'DELIMITER'`). */
export interface HeredocFile {
  file: string;
  code: string;
}

/** Every file `command` writes through a quoted heredoc, in order: the embedded script and its modules. */
export function heredocFiles(command: string): HeredocFile[] {
  return [...command.matchAll(/\/([A-Za-z0-9_.-]+\.mjs)" <<'([A-Z_]+)'\n([\s\S]*?\n)\2(?:\n|$)/g)].map((m) => ({
    file: m[1] as string,
    code: m[3] as string,
  }));
}

/** The template's jobs with `inputs` (plus defaults) interpolated, as GitLab would include them. */
export function includeTemplate(
  component: string,
  inputs: Record<string, unknown> = {},
  root = ROOT,
): Record<string, Record<string, unknown>> {
  const t = loadTemplate(component, root);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(t.header.spec.inputs ?? {}))
    if (spec.default !== undefined) values[name] = spec.default;
  for (const [name, value] of Object.entries(inputs)) {
    if (!Object.hasOwn(t.header.spec.inputs ?? {}, name)) throw new Error(`${component} has no input ${name}`);
    values[name] = value;
  }
  for (const name of Object.keys(t.header.spec.inputs ?? {}))
    if (!Object.hasOwn(values, name)) throw new Error(`${component}: input ${name} is required`);
  return interpolate(t.body, values) as Record<string, Record<string, unknown>>;
}

/** Expands `$NAME` and `${NAME}` from `env`, as GitLab expands job variables. */
export function expandVariables(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, braced?: string, bare?: string) => (all === "$$" ? "$" : (env[braced ?? bare ?? ""] ?? "")),
  );
}

/** What a job run left behind. */
export interface JobRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, in arrival order. */
  output: string;
  /** The job's variables as the script saw them. */
  variables: Record<string, string>;
}

/** How to run one job of a template. */
export interface RunJobOptions {
  component: string;
  /** The job's name after interpolation (default: the template's only job). */
  job?: string;
  inputs?: Record<string, unknown>;
  /** Predefined CI variables and secrets (CI_COMMIT_SHA, GITOPS_STAGING_TOKEN, …). */
  env?: Record<string, string | undefined>;
  /** The job's working directory (default: a fresh temporary directory, removed afterwards). */
  cwd?: string;
  root?: string;
}

/** Runs a job's `script:` from the generated template. */
export async function runTemplateJob(options: RunJobOptions): Promise<JobRun> {
  const jobs = includeTemplate(options.component, options.inputs, options.root);
  const names = Object.keys(jobs);
  const name = options.job ?? (names.length === 1 ? names[0] : undefined);
  if (!name || !jobs[name])
    throw new Error(`${options.component}: no job ${options.job ?? "(unnamed)"}; jobs are ${names.join(", ")}`);
  const job = jobs[name];
  if (job.script === undefined) throw new Error(`${options.component} › ${name} has no script`);
  const script = scriptCommands(job.script);
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C.UTF-8",
    CI: "true",
    GITLAB_CI: "true",
    CI_JOB_NAME: name,
    ...options.env,
  };
  const variables: Record<string, string> = {};
  for (const [key, value] of Object.entries((job.variables ?? {}) as Record<string, unknown>)) {
    const raw =
      typeof value === "object" && value !== null ? String((value as { value: unknown }).value) : String(value);
    variables[key] = expandVariables(raw, { ...env, ...variables });
  }
  const scratch = options.cwd ? undefined : mkdtempSync(path.join(tmpdir(), "gitops-job-"));
  const cwd = options.cwd ?? (scratch as string);
  const file = path.join(mkdtempSync(path.join(tmpdir(), "gitops-script-")), "job.sh");
  writeFileSync(file, `set -eo pipefail\n${script.join("\n")}\n`);
  try {
    return await new Promise<JobRun>((resolve, reject) => {
      const child = spawn("bash", [file], {
        cwd,
        env: { ...env, ...variables, CI_PROJECT_DIR: env.CI_PROJECT_DIR ?? cwd },
      });
      let stdout = "";
      let stderr = "";
      let output = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d;
        output += d;
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d;
        output += d;
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr, output, variables }));
    });
  } finally {
    rmSync(path.dirname(file), { recursive: true, force: true });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

/** Reads a dotenv report into an object. */
export function readDotenv(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}
