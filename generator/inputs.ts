/**
 * `spec:inputs` — typed input declarations and the references that render `$[[ inputs.<name> ]]`.
 *
 * A component declares its inputs once; its jobs receive an object of references keyed by exactly
 * those names, so `inputs.nope` is a TypeScript error, not a runtime surprise. An input that reaches
 * a job script also names its job variable and its parser there (generator/contract.ts).
 */
import type { InputSource } from "../runtime/contract.ts";

/** The four input types GitLab knows (`spec:inputs:type`). */
export type InputType = "string" | "number" | "boolean" | "array";

/** The TypeScript value an input of each type holds once interpolated. */
export interface InputValueOf {
  string: string;
  number: number;
  boolean: boolean;
  array: unknown[];
}

/** One `spec:inputs` entry, spelled as GitLab spells it. */
export interface InputSpec<T extends InputType = InputType> {
  /** `string` when omitted (GitLab's default); always written out in the template. */
  type?: T;
  /** Shown in the catalog; at most 1,024 characters. */
  description: string;
  /** Makes the input optional. `""` means optional with no value. */
  default?: InputValueOf[T];
  /** The closed set of allowed values (at most 50; not for booleans). */
  options?: readonly InputValueOf[T][];
  /** RE2 pattern without delimiters, checked before variable expansion (strings only). */
  regex?: string;
  /**
   * A value used only by the generator's validation pass ("interpolate with sample values").
   * @default derived from the type, options and default
   */
  example?: InputValueOf[T];
  /**
   * The job variable that carries the input to the job's script; the job's `variables:` get it from
   * `scriptVariables` (generator/contract.ts). Not written to `spec:inputs`.
   */
  variable?: string;
  /**
   * How the script reads that variable, into its typed settings: an export of
   * runtime/input-parsers.ts or of the component's `parsers.ts`, or such a factory and its JSON
   * arguments ({@link call}).
   */
  parse?: ParseDeclaration<T>;
}

/** A parser of a job variable's text (its argument, if any, comes with the input); `accepts` (phantom) is the input type it reads. */
type AnyParser<T extends InputType> = ((raw: string | undefined, from: InputSource, arg: never) => unknown) & {
  readonly accepts?: T;
};

/** An input's parser: the parser itself, or a parser and its argument ({@link call}). */
export type ParseDeclaration<T extends InputType = InputType> = AnyParser<T> | ParserCall<T>;

/** A parser and the argument (JSON) it is given. */
export interface ParserCall<T extends InputType = InputType> {
  readonly parser: AnyParser<T>;
  readonly arg: unknown;
}

/** `parser` given `arg` as an input's parser, recorded so the script's contract passes the same argument. */
export function call<A, T extends InputType = "string">(
  parser: ((raw: string | undefined, from: InputSource, arg: A) => unknown) & { readonly accepts?: T },
  arg: A,
): ParserCall<T> {
  return { parser: parser as AnyParser<T>, arg };
}

/** A declared set of inputs: input name → spec. */
export type InputSpecs = Record<string, InputSpec>;

const REF = Symbol.for("gitops-components.input-ref");

/**
 * A reference to a declared input. Used as a whole value it renders `$[[ inputs.<name> ]]`, which
 * GitLab replaces with the typed value; inside a template string it becomes that text.
 */
export interface InputRef<Name extends string = string, Value = unknown> {
  readonly [REF]: true;
  /** The input's name as declared. */
  readonly name: Name;
  /** Phantom: the value type, so a boolean input fits `allow_failure` but not `script`. */
  readonly __value?: Value;
  /** The input's declared type. */
  readonly type: InputType;
  /** The job variable that carries it to a script, if it reaches one. */
  readonly variable?: string;
  toString(): string;
}

/** The value type an input of spec `S` interpolates to: one of its options, else its type. */
export type ValueOfSpec<S> = S extends { options: readonly (infer O)[] }
  ? O
  : S extends { type: infer T extends InputType }
    ? InputValueOf[T]
    : string;

/** The references a component's job builder receives: one per declared input, nothing else. */
export type InputRefs<I extends InputSpecs> = { readonly [K in keyof I & string]: InputRef<K, ValueOfSpec<I[K]>> };

/** `$[[ inputs.<name> ]]` for an input name. */
export function placeholder(name: string): string {
  return `$[[ inputs.${name} ]]`;
}

/** Is `value` an input reference? */
export function isInputRef(value: unknown): value is InputRef {
  return typeof value === "object" && value !== null && (value as { [REF]?: unknown })[REF] === true;
}

/** Builds the reference object for every declared input (and only those). */
export function inputRefs<I extends InputSpecs>(specs: I): InputRefs<I> {
  const refs: Record<string, InputRef> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const variable = spec.variable === undefined ? {} : { variable: spec.variable };
    const ref = { [REF]: true as const, name, type: inputType(spec), ...variable, toString: () => placeholder(name) };
    refs[name] = Object.freeze(ref);
  }
  return Object.freeze(refs) as InputRefs<I>;
}

/** The type an input declares, with GitLab's default. */
export function inputType(spec: InputSpec): InputType {
  return spec.type ?? "string";
}

/** Does `value` have the TypeScript shape of an input of `type`? */
export function hasInputType(type: InputType, value: unknown): boolean {
  return type === "array" ? Array.isArray(value) : typeof value === type;
}

/** Is `value` one of `spec`'s options (compared as data)? True when the input has no options. */
export function isOption(spec: InputSpec, value: unknown): boolean {
  const options = spec.options as readonly unknown[] | undefined;
  return !options || options.some((option) => JSON.stringify(option) === JSON.stringify(value));
}
