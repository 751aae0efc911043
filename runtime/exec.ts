/**
 * Running tools with argument arrays — never a shell string — and capturing what they print.
 */
import { spawn } from "node:child_process";
import { redact } from "./log.ts";

/** What a finished command left. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How to run a command. */
export interface RunOptions {
  cwd?: string;
  /** The full environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Bytes for the child's stdin. */
  input?: string;
  /** Also copy the child's output to this job's log as it arrives (secrets redacted): for long steps such as an image build. */
  echo?: boolean;
  /** How stdout is decoded. `latin1` keeps every byte as one character, for output that mixes binary and text (`git cat-file --batch`). @default "utf8" */
  encoding?: "utf8" | "latin1";
}

/** Runs `command` with `args` and resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => {
      out.push(d);
      if (options.echo) process.stdout.write(redact(d.toString("utf8")));
    });
    child.stderr.on("data", (d: Buffer) => {
      err.push(d);
      if (options.echo) process.stdout.write(redact(d.toString("utf8")));
    });
    child.on("error", reject);
    // A child that exits without reading its stdin (most git commands) makes the write below fail
    // with EPIPE; that is not a failure of the command, whose exit code tells the outcome.
    child.stdin.on("error", () => {});
    child.on("close", (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString(options.encoding ?? "utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    child.stdin.end(options.input ?? "");
  });
}

/** A one-line description of a failed command for messages (secrets redacted). */
export function describeFailure(command: string, args: readonly string[], result: CommandResult): string {
  const output = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-6).join("\n  ");
  return redact(`${command} ${args.join(" ")} exited ${result.code}${output ? `:\n  ${output}` : ""}`);
}
