/**
 * The script side of a component's contract: the inputs a job script reads (each carried by one
 * job variable, checked by one parser) and the dotenv outputs it may write. Declared once, in the
 * component's inputs (generator/inputs.ts `variable` and `parse`) and outputs; `npm run generate`
 * writes the script's copy, `<script>.contract.ts`, without the catalog texts (they would only make
 * the embedded script bigger). Tiny on purpose: every job script bundles it.
 */
import { JobError } from "./errors.ts";

type Env = Record<string, string | undefined>;

/** Where a parser's value came from, for its messages. */
export interface InputSource {
  /** The input's name as the consumer writes it. */
  input: string;
  /** The job variable that carries it. */
  variable: string;
}

/**
 * Turns a job variable's text into a typed setting, or throws an `InputError` naming the input,
 * the value and the fix; `arg` is its one argument (a fix, options…), given with the input.
 * `Accepts` (phantom) is the GitLab input type whose text it reads.
 */
export type Parser<T, Accepts extends string = "string", Arg = undefined> = ((
  raw: string | undefined,
  from: InputSource,
  arg: Arg,
) => T) & { readonly accepts?: Accepts };

/** One input as the script reads it: the job variable that carries it, its parser and the parser's argument. */
export type ScriptInput<T = unknown> = readonly [
  variable: string,
  parse: (raw: string | undefined, from: InputSource, arg: never) => T,
  arg?: unknown,
];

/** The typed settings a script gets from its inputs. */
export type SettingsOf<I extends Record<string, ScriptInput>> = { -readonly [K in keyof I]: ReturnType<I[K][1]> };

/**
 * Reads every input of `inputs` from `env`: the typed settings, or one error listing every input
 * that is wrong (a single wrong input keeps its own error). Nothing else is read.
 */
export function readInputs<I extends Record<string, ScriptInput>>(env: Env, inputs: I): SettingsOf<I> {
  const settings: Record<string, unknown> = {};
  const problems: JobError[] = [];
  for (const [input, [variable, parse, arg]] of Object.entries(inputs)) {
    try {
      settings[input] = parse(env[variable], { input, variable }, arg as never);
    } catch (error) {
      if (!(error instanceof JobError)) throw error;
      problems.push(error);
    }
  }
  // One wrong input keeps its own error; several are listed together, each with its fix.
  if (problems.length === 1) throw problems[0];
  // (Line breaks only inside an argument: esbuild keeps a call on one line then, and the script small.)
  if (problems.length > 1)
    throw new JobError(
      `${problems.length} inputs are wrong:${problems.map((p) => `\n  - ${p.message} (fix: ${p.fix})`).join("")}`,
      "fix every input listed above",
    );
  return settings as SettingsOf<I>;
}

/**
 * A job's dotenv report: its file, and (as a type only, so the script carries no list) the only
 * keys it may hold.
 */
export interface DotenvOutputs<Name extends string> {
  readonly file: string;
  /** Phantom: the declared keys. */
  readonly keys?: Name;
}

/** The keys a report declares. */
export type OutputName<O> = O extends DotenvOutputs<infer Name> ? Name : never;

/** Values for the keys a report declares (an undefined value is left out of the report). */
export type OutputValues<O> = { readonly [K in OutputName<O>]?: string | number | boolean };
