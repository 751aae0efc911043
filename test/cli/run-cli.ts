/**
 * Runs the CLI in-process as `npx gitops-components` would, with its output captured, a fixed
 * clock and this checkout as the catalog.
 */
import { main } from "../../cli/main.ts";
import { loadCheckout } from "../../cli/io.ts";
import { ROOT } from "../../harness/templates.ts";

/** What a run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `gitops-components <argv>` in `cwd` with `env`. */
export async function runCli(
  argv: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; now?: Date },
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    cwd: options.cwd,
    env: options.env ?? {},
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    now: () => options.now ?? new Date("2026-12-01T10:00:00Z"),
    catalog: () => loadCheckout(ROOT),
  });
  return { code, stdout, stderr };
}
