/**
 * The failures a job script reports: each says what went wrong and what to do, and maps to an
 * exit code. `runJob` turns them into a clean message and exit status. One kind of failure, one
 * class: the exit code comes with the class, never from the call site.
 */
import { error, info } from "./log.ts";

/**
 * The exit codes of every job script, `npm run generate` and `npm run release` (README, "Exit
 * codes"): one table, so a refusal is 3 wherever it happens.
 * - `failed` (1): a check found a difference (`generate --check`: stale files), the catalog is
 *   invalid, or an unexpected failure (a bug; the stack is printed);
 * - `usage` (2): bad input or configuration, a human must change something;
 * - `refused` (3): refused for safety (diverged branch, target not on the source branch, …);
 * - `exhausted` (4): gave up after retries (lost push races, a cluster that did not settle, …);
 * - `infrastructure` (5): server down, authentication failed, tool missing;
 * - `deployFailed` (6): the change reached the environment branch, but the cluster reports that
 *   applying it failed (Flux's reason in the message).
 * (The meanings are here, not on each key: comments inside an object literal reach every bundle.)
 */
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  exhausted: 4,
  infrastructure: 5,
  deployFailed: 6,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/**
 * A failure a human fixes (bad input, configuration, a file the job cannot use): the message and
 * the fix. `exitCode` is the process exit status it ends the job with; each subclass sets its own.
 */
export class JobError extends Error {
  readonly exitCode: ExitCode = EXIT_CODES.usage;
  constructor(
    message: string,
    /** What the user should do. */
    readonly fix: string,
  ) {
    super(message);
    this.name = "JobError";
  }
}

/** Bad input: names the input (or variable), the value and the fix. */
export class InputError extends JobError {
  constructor(input: string, value: string | undefined, problem: string, fix: string) {
    super(`input ${input}${value === undefined ? "" : ` = ${JSON.stringify(value)}`}: ${problem}`, fix);
    this.name = "InputError";
  }
}

/** A safety refusal: nothing was changed. */
export class RefusedError extends JobError {
  override readonly exitCode = EXIT_CODES.refused;
  override name = "RefusedError";
}

/** Gave up after its bounded retries (lost push races, a cluster that did not settle in time). */
export class ExhaustedError extends JobError {
  override readonly exitCode = EXIT_CODES.exhausted;
  override name = "ExhaustedError";
}

/** A failure of something outside the job (server, credentials, tool). */
export class InfrastructureError extends JobError {
  override readonly exitCode = EXIT_CODES.infrastructure;
  override name = "InfrastructureError";
}

/** The change reached the environment branch, but the cluster reports that applying it failed. */
export class DeployFailedError extends JobError {
  override readonly exitCode = EXIT_CODES.deployFailed;
  override name = "DeployFailedError";
}

/** Runs a job's main function: a `JobError` prints its message and fix and sets its exit code. */
export async function runJob(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof JobError) {
      error(e.message);
      info(`Fix: ${e.fix}`);
      process.exitCode = e.exitCode;
      return;
    }
    error(`unexpected failure: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = EXIT_CODES.failed;
  }
}
