/**
 * Reading the job's environment. Component inputs reach scripts only as job variables; these
 * helpers read them with the input's name in every error.
 */
import { InputError } from "./errors.ts";
import { parseListText } from "./list-text.ts";
import { registerSecret } from "./log.ts";

type Env = Record<string, string | undefined>;

/** A required variable that carries an input (`variable` holds input `input`). */
export function requireInput(env: Env, variable: string, input: string, fix: string): string {
  const value = env[variable];
  if (value === undefined || value === "")
    throw new InputError(input, value, `is empty (job variable ${variable})`, fix);
  return value;
}

/** An optional string input ("" when unset). */
export function optionalInput(env: Env, variable: string): string {
  return env[variable] ?? "";
}

/** A boolean input: `{"<input>":true}` as the templates pass it, or plain "true" / "false". */
export function booleanInput(env: Env, variable: string, input: string, fallback: boolean): boolean {
  return booleanText(env[variable], input, fallback);
}

/** {@link booleanInput} of the variable's text. */
export function booleanText(raw: string | undefined, input: string, fallback: boolean): boolean {
  if (raw === undefined || raw === "") return fallback;
  // The template's own form, `{"<input>":true}` (components/common.ts `inputVariable`).
  const wrapped = /^\{"([a-z0-9_]+)":(true|false)\}$/.exec(raw);
  const value = wrapped && wrapped[1] === input ? wrapped[2] : raw;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new InputError(input, value, "must be true or false", `set ${input}: true or ${input}: false`);
}

const TOKEN_HOLDER = "a protected, masked variable holding the project access token";

/**
 * The secret in the CI/CD variable `name`, which input `input` (`token_variable`,
 * `ssh_key_variable`, …) names. The value is registered for redaction before anything else can
 * print it. `holding` says what the variable must be, for the fix.
 */
export function readSecret(
  env: Env,
  name: string,
  input: string,
  holding = TOKEN_HOLDER,
): { name: string; value: string } {
  if (name === "")
    throw new InputError(
      input,
      name,
      "is empty",
      `set ${input} to the name of the CI/CD variable that holds the secret`,
    );
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new InputError(
      input,
      name,
      "is not a CI/CD variable name",
      `set ${input} to a name such as GITOPS_STAGING_TOKEN (letters, digits, _)`,
    );
  const value = env[name];
  registerSecret(value);
  if (value === undefined || value === "")
    throw new InputError(
      input,
      name,
      `the CI/CD variable ${name} is missing or empty`,
      `create ${name} under Settings > CI/CD > Variables as ${holding}. Protected variables exist only in pipelines of protected branches and tags, so also check that this pipeline's ref is protected`,
    );
  return { name, value };
}

/**
 * An `array` input passed through a job variable (components/common.ts `inputVariable`), as a list
 * of strings. Accepts every form the value takes on the way: `{"<input>":[…]}` (the template's
 * own), a bare list, and a comma-separated list (how some tools stringify an array). GitLab writes
 * the list as Ruby text (`Array#inspect`), other tools as JSON; runtime/list-text.ts reads both, so
 * every character of every item arrives as written.
 */
export function listInput(env: Env, variable: string, input: string): string[] {
  return listText(env[variable], input, variable);
}

/** {@link listInput} of the variable's text. */
export function listText(text: string | undefined, input: string, variable: string): string[] {
  const raw = (text ?? "").trim();
  if (raw === "") return [];
  if (!raw.startsWith("{") && !raw.startsWith("[")) return raw.split(",").map((item) => item.trim());
  let list = raw;
  if (raw.startsWith("{")) {
    // The template's own form: {"<input>":<list>}.
    const key = /^\{\s*"([a-z0-9_]+)"\s*:/.exec(raw);
    if (key?.[1] !== input)
      throw new InputError(
        input,
        raw,
        `is not a list (job variable ${variable} holds no {"${input}":[...]})`,
        `give ${input} as a YAML list of strings, for example [a, b]`,
      );
    list = raw.endsWith("}") ? raw.slice(key[0].length, -1) : raw.slice(key[0].length);
  }
  const parsed = raw.startsWith("{") && !raw.endsWith("}") ? { error: "no } at the end" } : parseListText(list);
  if ("error" in parsed)
    throw new InputError(
      input,
      raw,
      `is not a list of strings (job variable ${variable} holds neither JSON nor the Ruby text GitLab writes for a list: ${parsed.error})`,
      `give ${input} as a YAML list of strings, for example [a, b]`,
    );
  return parsed.items;
}
