/**
 * Job outputs as a dotenv report (`artifacts:reports:dotenv`): later jobs and `environment:url`
 * read them. GitLab's rules: keys of letters, digits and `_`; single-line values; at most 5 KB.
 */
import { writeFileSync } from "node:fs";
import { JobError } from "./errors.ts";

/** Every output key carries this prefix. */
export const OUTPUT_PREFIX = "GITOPS_";

/** Writes `outputs` to `file` in dotenv form, checking GitLab's rules first (nothing written on error). */
export function writeDotenv(file: string, outputs: Record<string, string | number>): void {
  const lines: string[] = [];
  for (const [key, raw] of Object.entries(outputs)) {
    const value = String(raw);
    if (!key.startsWith(OUTPUT_PREFIX) || !/^[A-Z0-9_]+$/.test(key)) throw new JobError(`output ${key} is not a valid dotenv key`, `name outputs ${OUTPUT_PREFIX}UPPER_SNAKE_CASE`);
    if (/[\r\n]/.test(value)) throw new JobError(`output ${key} has a line break`, "dotenv values are single-line; encode the value");
    lines.push(`${key}=${value}`);
  }
  const text = `${lines.join("\n")}\n`;
  if (Buffer.byteLength(text) > 5 * 1024) throw new JobError(`the dotenv report would be ${Buffer.byteLength(text)} bytes`, "GitLab accepts at most 5 KB; output less");
  writeFileSync(file, text);
}
