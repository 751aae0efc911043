/**
 * What every hostile case asserts of a job run: a non-zero exit, an error naming the input (or
 * variable), a fix, and no secret anywhere: not in the output, not in any file the job left.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import type { JobRun } from "../../harness/templates.ts";

/** A hostile case: what to run, and what the refusal must name. */
export interface HostileCase<Setup> {
  /** What the case is, in words. */
  name: string;
  /** The input or variable the error must name (`input branch`, `token_variable`, `CI_SERVER_URL/CI_PROJECT_PATH`). */
  names: string;
  setup: Setup;
}

/** The run failed, its `ERROR:` line names `names`, and a `Fix:` line follows. */
export function expectRefusal(run: JobRun, names: string): void {
  expect(run.code, run.output).not.toBe(0);
  const error = run.stderr.split("\n").find((line) => line.startsWith("ERROR: "));
  expect(error, run.output).toBeDefined();
  expect(error, run.output).toContain(names);
  expect(run.stdout, run.output).toMatch(/^Fix: \S/m);
}

/** Every regular file under `dirs` (links are not followed). */
export function filesUnder(...dirs: string[]): string[] {
  return dirs.flatMap(function walk(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      const stat = lstatSync(file);
      return stat.isDirectory() ? walk(file) : stat.isFile() ? [file] : [];
    });
  });
}

/** Neither the output nor any file under `dirs` holds one of `secrets` (as is, or base64 inside an HTTP Basic header). */
export function expectNoSecret(run: JobRun, secrets: string[], dirs: string[]): void {
  for (const secret of secrets) {
    const forms = [secret, Buffer.from(`oauth2:${secret}`).toString("base64")];
    for (const form of forms) {
      expect(run.output).not.toContain(form);
      for (const file of filesUnder(...dirs)) expect(readFileSync(file).includes(Buffer.from(form)), file).toBe(false);
    }
  }
}
