/**
 * The failures a job script reports: each says what went wrong and what to do, and maps to an
 * exit code. `runJob` turns them into a clean message and exit status.
 */
import { error, info } from "./log.ts";

/** Exit codes shared by every job script. */
export const EXIT_CODES = {
  ok: 0,
  /** Bad input or configuration: a human must change something. */
  usage: 2,
  /** Refused for safety (diverged branch, target not on the source branch, …). */
  refused: 3,
  /** Gave up after retries (lost push races, registry busy, …). */
  exhausted: 4,
  /** Infrastructure: server down, authentication failed, tool missing. */
  infrastructure: 5,
  /** The change reached the environment branch, but the cluster reports it failed (Flux's reason in the message). */
  deployFailed: 6,
} as const;

/** A failure with a message, the fix, and an exit code. */
export class JobError extends Error {
  constructor(
    message: string,
    /** What the user should do. */
    readonly fix: string,
    readonly exitCode: number = EXIT_CODES.usage,
  ) {
    super(message);
    this.name = "JobError";
  }
}

/** Bad input: names the input (or variable), the value and the fix. */
export class InputError extends JobError {
  constructor(input: string, value: string | undefined, problem: string, fix: string) {
    super(`input ${input}${value === undefined ? "" : ` = ${JSON.stringify(value)}`}: ${problem}`, fix, EXIT_CODES.usage);
    this.name = "InputError";
  }
}

/** A safety refusal: nothing was changed. */
export class RefusedError extends JobError {
  constructor(message: string, fix: string) {
    super(message, fix, EXIT_CODES.refused);
    this.name = "RefusedError";
  }
}

/** A failure of something outside the job (server, credentials, tool). */
export class InfrastructureError extends JobError {
  constructor(message: string, fix: string) {
    super(message, fix, EXIT_CODES.infrastructure);
    this.name = "InfrastructureError";
  }
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
    process.exitCode = 1;
  }
}
