/**
 * Job outputs as a dotenv report (`artifacts:reports:dotenv`): later jobs and `environment:url`
 * read them. GitLab's rules: keys of letters, digits and `_`; single-line values; at most 5 KB.
 */
import { writeFileSync } from "node:fs";
import type { DotenvOutputs, OutputValues } from "./contract.ts";
import { JobError } from "./errors.ts";

/** Every output key carries this prefix. */
export const OUTPUT_PREFIX = "GITOPS_";

/**
 * Writes `values` to the report `report` declares (its file, in `dir`) in dotenv form, checking
 * GitLab's rules first (nothing written on error). A key the report does not declare is a type error.
 */
export function writeOutputs<Name extends string>(
  report: DotenvOutputs<Name>,
  dir: string,
  values: OutputValues<DotenvOutputs<Name>>,
): void {
  const lines: string[] = [];
  for (const [key, raw] of Object.entries<string | number | boolean | undefined>(values)) {
    if (raw === undefined) continue;
    const value = String(raw);
    if (!key.startsWith(OUTPUT_PREFIX) || !/^[A-Z0-9_]+$/.test(key))
      throw new JobError(`output ${key} is not a valid dotenv key`, `name outputs ${OUTPUT_PREFIX}UPPER_SNAKE_CASE`);
    if (/[\r\n]/.test(value))
      throw new JobError(`output ${key} has a line break`, "dotenv values are single-line; encode the value");
    lines.push(`${key}=${value}`);
  }
  const text = `${lines.join("\n")}\n`;
  if (Buffer.byteLength(text) > 5 * 1024)
    throw new JobError(
      `the dotenv report would be ${Buffer.byteLength(text)} bytes`,
      "GitLab accepts at most 5 KB; output less",
    );
  writeFileSync(`${dir}/${report.file}`, text);
}
