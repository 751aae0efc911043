/**
 * The parsers a component's inputs name (generator/inputs.ts `parse`): each reads one job variable's
 * text and returns the typed setting, or throws an `InputError` naming the input, the value and
 * the fix. A parser is an export of this module (or of a component's own `parsers.ts`), used as is
 * or called with JSON arguments, so the generator can write the same call into the script's
 * contract. Small, and importing only what the scripts already bundle.
 */
import { parseBranchName } from "./branch-name.ts";
import type { InputSource, Parser } from "./contract.ts";
import { booleanText, listText } from "./env.ts";
import { InputError } from "./errors.ts";

/** Any text, `""` when unset. */
export const anyText: Parser<string> = (raw) => raw ?? "";

/** Any text, trimmed, `""` when unset. */
export const trimmedText: Parser<string> = (raw) => (raw ?? "").trim();

/** `raw`, or an `InputError` when it is empty. */
export function present(raw: string | undefined, { input, variable }: InputSource, fix: string): string {
  if (raw === undefined || raw === "") throw new InputError(input, raw, `is empty (job variable ${variable})`, fix);
  return raw;
}

/** Text that must not be empty; the argument is the fix. */
export const required: Parser<string, "string", string> = (raw, from, fix) => present(raw, from, fix);

/** A branch's short name (runtime/branch-name.ts), required; the argument is the fix when empty. */
export const branch: Parser<string, "string", string> = (raw, from, fix) =>
  parseBranchName(from.input, present(raw, from, fix));

/** A branch's short name, or `undefined` when empty (an input a component may leave out). */
export const optionalBranch: Parser<string | undefined> = (raw, { input }) =>
  raw ? parseBranchName(input, raw) : undefined;

/** The name of a CI/CD variable (letters, digits, `_`), required; the argument is an example name. */
export const variableName: Parser<string, "string", string> = (raw, from, example) => {
  const fix = `set ${from.input} to the name of the CI/CD variable, such as ${example} (letters, digits, _)`;
  const name = present(raw, from, fix);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new InputError(from.input, name, "is not a CI/CD variable name", fix);
  return name;
};

/** One of the options the argument lists (the script's contract names their type: `oneOf<"a" | "b">`). */
export function oneOf<const O extends string>(
  raw: string | undefined,
  { input }: InputSource,
  options: readonly O[],
): O {
  if (!(options as readonly string[]).includes(raw ?? ""))
    throw new InputError(
      input,
      raw ?? "",
      `must be ${options.join(" or ")}`,
      options.map((o) => `set ${input}: ${o}`).join(" or "),
    );
  return raw as O;
}

/** Trimmed text matching a pattern; the argument is `[pattern, what it is not, the fix]`. */
export const matching: Parser<string, "string", readonly [string, string, string]> = (
  raw,
  { input },
  [pattern, problem, fix],
) => {
  const value = (raw ?? "").trim();
  if (!new RegExp(pattern).test(value)) throw new InputError(input, value, problem, fix);
  return value;
};

/** A `boolean` input, as the template wraps it (`{"<input>":true}`), or plain true / false; the argument is the default. */
export const boolean: Parser<boolean, "boolean", boolean> = (raw, { input }, fallback) =>
  booleanText(raw, input, fallback);

/** An `array` input of strings, as the template wraps it (`{"<input>":[...]}`). */
export const stringList: Parser<string[], "array"> = (raw, { input, variable }) => listText(raw, input, variable);
