/**
 * A component's contract with its job scripts. Each input that reaches a script is declared once,
 * in the component's inputs, with its job variable and its parser (generator/inputs.ts); each
 * dotenv output once, in the component's `outputs`. From that one declaration come the jobs'
 * `variables:` ({@link scriptVariables}), the README's input and output tables
 * (generator/readme.ts), and the script's own copy ({@link scriptContractFiles}): a generated
 * `<script>.contract.ts` holding only variable names, parsers and output names, which the script
 * reads its settings through (runtime/contract.ts `readInputs`; runtime/dotenv.ts `writeOutputs`). The catalog texts
 * stay out of it, so the embedded script is no bigger than before.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Component } from "./component.ts";
import type { InputRef, InputSpecs, ParseDeclaration } from "./inputs.ts";
import type { Variable } from "./job.ts";
import type { Problem } from "./problems.ts";
import { isNodeScript } from "./script.ts";

/**
 * A job variable value carrying an `array` or `boolean` input. The placeholder sits inside a
 * longer string on purpose: GitLab replaces a placeholder that is a whole value by the typed value
 * itself, and a job variable must be a string (arrays are always refused, booleans by GitLab
 * versions before their variables accepted scalars), but inside a string by the value's Ruby
 * text: `["a", "b"]` (`Array#inspect`, generator/ruby-text.ts), `true`. The value is
 * `{"<input>":…}`; scripts read it with the `list` and `boolean` parsers (runtime/input-parsers.ts).
 * The generator refuses such an input placed whole.
 */
export function inputVariable(input: { name: string; toString(): string }): string {
  return `{"${input.name}":${String(input)}}`;
}

/**
 * The `variables:` that carry inputs to a job's script: every input that names a job variable, in
 * the order the component declares them, or only `names` (a job that reads fewer).
 */
export function scriptVariables<R extends { readonly [name: string]: InputRef<string, unknown> }>(
  inputs: R,
  names?: ReadonlyArray<keyof R & string>,
): Record<string, Variable> {
  const variables: Record<string, Variable> = {};
  const refs = Object.values(inputs) as InputRef[];
  for (const ref of names ? refs.filter((r) => (names as readonly string[]).includes(r.name)) : refs) {
    if (ref.variable === undefined) continue;
    variables[ref.variable] =
      ref.type === "array" || ref.type === "boolean" ? inputVariable(ref) : (ref as InputRef<string, string>);
  }
  return variables;
}

/**
 * `variables:` that give a script's inputs fixed values instead of inputs (a job that runs another
 * component's script in one way only, such as preview-production's dry run): `specs` are the
 * inputs that declare each job variable, `values` the value per input name.
 */
export function fixedVariables<S extends InputSpecs>(
  specs: S,
  values: { readonly [K in keyof S]?: string | boolean },
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const variable = specs[name]?.variable;
    if (variable === undefined || value === undefined) throw new Error(`input ${name} names no job variable`);
    variables[variable] = String(value);
  }
  return variables;
}

/** A component's dotenv report: its file and each key with what it holds. */
export interface ComponentOutputs<Name extends string = string> {
  readonly file: string;
  readonly values: { readonly [K in Name]: string };
}

/** Declares a dotenv report: the file (`artifacts:reports:dotenv`) and each key's meaning (README). */
export function declareOutputs<const Name extends string>(
  file: string,
  values: { readonly [K in Name]: string },
): ComponentOutputs<Name> {
  return { file, values };
}

/** How the script's contract writes a parser: `module`'s export `name`, and its argument if it takes one. */
interface ParserSource {
  module: string;
  name: string;
  arg?: { value: unknown };
}

/** Every export of the parser modules (runtime/*-parsers.ts, components/<name>/parsers.ts) → where it lives. */
async function parserExports(root: string): Promise<Map<unknown, { module: string; name: string }>> {
  const components = path.join(root, "components");
  const runtime = path.join(root, "runtime");
  const modules = existsSync(runtime)
    ? readdirSync(runtime)
        .filter((f) => f.endsWith("-parsers.ts"))
        .sort()
        .map((f) => `runtime/${f}`)
    : [];
  if (existsSync(components))
    for (const dir of readdirSync(components).sort())
      if (existsSync(path.join(components, dir, "parsers.ts"))) modules.push(`components/${dir}/parsers.ts`);
  const found = new Map<unknown, { module: string; name: string }>();
  for (const module of modules) {
    const exports = (await import(pathToFileURL(path.join(root, module)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports))
      if (typeof value === "function") found.set(value, { module, name });
  }
  return found;
}

function parserSource(
  parse: ParseDeclaration,
  exports: Map<unknown, { module: string; name: string }>,
): ParserSource | undefined {
  if (typeof parse === "function") return exports.get(parse);
  const parser = exports.get(parse.parser);
  return parser && { ...parser, arg: { value: parse.arg } };
}

/** What one script reads: its inputs (name → variable and parser source) and the report it writes. */
export interface ScriptContract {
  entry: string;
  from: string[];
  inputs: Map<string, { variable: string; source: ParserSource }>;
  outputs?: { file: string; names: string[] };
}

/** `components/build/build.ts` → `components/build/build.contract.ts`. */
export function contractFileOf(entry: string): string {
  return entry.replace(/\.ts$/, ".contract.ts");
}

function sameSource(a: ParserSource, b: ParserSource): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The contract of every job script, gathered from the components that run it: the inputs whose
 * variable the script's job carries, and the component's outputs when the job reports them. A
 * script run by several components (promotion) reads the union; one input must mean the same
 * everywhere.
 */
export async function scriptContracts(
  components: readonly Component[],
  root: string,
): Promise<{ contracts: ScriptContract[]; problems: Problem[] }> {
  const exports = await parserExports(root);
  const byEntry = new Map<string, ScriptContract>();
  const problems: Problem[] = [];
  for (const component of components) {
    const where = path.relative(root, new URL(component.source).pathname);
    for (const { job } of component.jobs) {
      if (!isNodeScript(job.script)) continue;
      const contract: ScriptContract = byEntry.get(job.script.entry) ?? {
        entry: job.script.entry,
        from: [],
        inputs: new Map(),
      };
      byEntry.set(job.script.entry, contract);
      if (!contract.from.includes(where)) contract.from.push(where);
      const carried = new Set(Object.keys(job.variables ?? {}));
      for (const [name, spec] of Object.entries(component.inputs)) {
        if (spec.variable === undefined || !carried.has(spec.variable)) continue;
        const source = spec.parse && parserSource(spec.parse, exports);
        if (!source) {
          problems.push({
            path: [where, "inputs", name],
            message: `names the job variable ${spec.variable} but no parser the script can import`,
            fix: "set parse to an export of runtime/*-parsers.ts or components/<name>/parsers.ts (or call() with one)",
          });
          continue;
        }
        const seen = contract.inputs.get(name);
        if (seen && (seen.variable !== spec.variable || !sameSource(seen.source, source)))
          problems.push({
            path: [where, "inputs", name],
            message: `means something else in another component that runs ${job.script.entry}`,
            fix: "give it the same variable and parser everywhere",
          });
        else contract.inputs.set(name, { variable: spec.variable, source });
      }
      const dotenv = job.artifacts?.reports?.dotenv;
      if (component.outputs && dotenv === component.outputs.file)
        contract.outputs = { file: dotenv, names: Object.keys(component.outputs.values) };
    }
  }
  return { contracts: [...byEntry.values()], problems };
}

/**
 * `text` as a TypeScript string literal starting `column` characters into its line, split into
 * `+`-joined pieces on lines of their own so no line passes 118 characters.
 */
function stringLiteral(text: string, column: number): string {
  const pieces: string[] = [];
  let rest = text;
  let width = Math.max(8, 116 - column);
  // Widths count the literal as written (quotes and escapes), not the text.
  while (JSON.stringify(rest).length > width) {
    let at = Math.min(rest.length, width);
    while (at > 1 && JSON.stringify(rest.slice(0, at)).length > width - 3) at--;
    const cut = rest.lastIndexOf(" ", at - 1);
    if (cut > 0) at = cut + 1;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
    width = 110;
  }
  pieces.push(rest);
  return pieces.map((piece) => JSON.stringify(piece)).join(" +\n    ");
}

/**
 * The parser and its argument as the script's contract writes them, `prefix` being what precedes
 * them on the line. Long strings continue on the next lines as "…" + "…", which esbuild folds back
 * into one string on one line: the embedded script stays as small as the one-line form. `oneOf`
 * gets its options as a type argument too, so the setting is typed by them.
 */
function parserExpression(source: ParserSource, prefix: string): string {
  if (source.arg === undefined) return source.name;
  const value = source.arg.value;
  const options =
    source.name === "oneOf" && Array.isArray(value) ? `<${value.map((o) => JSON.stringify(o)).join(" | ")}>` : "";
  const head = `${source.name}${options}, `;
  if (typeof value === "string") return `${head}${stringLiteral(value, prefix.length + head.length)}`;
  if (!Array.isArray(value)) return `${head}${JSON.stringify(value)}`;
  let line = `${prefix}${head}[`;
  const items: string[] = [];
  for (const item of value) {
    const text = typeof item === "string" ? stringLiteral(item, line.length + 3) : JSON.stringify(item);
    items.push(text);
    line = text.includes("\n") ? `${text.split("\n").at(-1) ?? ""}, ` : `${line}${text}, `;
  }
  return `${head}[${items.join(", ")}]`;
}

function importPath(from: string, module: string): string {
  const relative = path.posix.relative(path.posix.dirname(from), module);
  return relative.startsWith(".") ? relative : `./${relative}`;
}

/** The generated `<script>.contract.ts` of one script. */
export function renderScriptContract(contract: ScriptContract): { file: string; text: string } {
  const file = contractFileOf(contract.entry);
  const imports = new Map<string, Set<string>>();
  const use = (module: string, name: string, type = false) =>
    imports.set(module, (imports.get(module) ?? new Set()).add(type ? `type ${name}` : name));
  const lines: string[] = [];
  lines.push("/** The inputs the script reads: each one's job variable and parser. */", "export const INPUTS = {");
  for (const [name, { variable, source }] of contract.inputs) {
    use(source.module, source.name);
    // [job variable, parser]: one line per input when it fits, else the arguments continue below.
    const prefix = `  ${name}: [${JSON.stringify(variable)}, `;
    lines.push(`${prefix}${parserExpression(source, prefix)}],`);
  }
  lines.push("} as const;");
  if (contract.outputs) {
    use("runtime/contract.ts", "DotenvOutputs", true);
    lines.push("", "/** The dotenv report the script writes, and (as a type) the only keys it may hold. */");
    const names = contract.outputs.names.map((n) => JSON.stringify(n));
    const file = JSON.stringify(contract.outputs.file);
    const inline = `export const OUTPUTS: DotenvOutputs<${names.join(" | ")}> = { file: ${file} };`;
    if (inline.length <= 120) lines.push(inline);
    else lines.push("export const OUTPUTS: DotenvOutputs<", ...names.map((n) => `  | ${n}`), `> = { file: ${file} };`);
  }
  const header = [
    "// Generated by `npm run generate` from the declaration of",
    ...contract.from.map((from, i) => `// ${from}${i === contract.from.length - 1 ? ":" : ","}`),
    `// what ${contract.entry} reads and writes. Do not edit: change the inputs and outputs there.`,
    ...[...imports]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([module, names]) => {
        const sorted = [...names].sort((a, b) => a.replace(/^type /, "").localeCompare(b.replace(/^type /, "")));
        // Only types from a module: `import type`, so nothing of it reaches the bundle.
        const clause = sorted.every((n) => n.startsWith("type "))
          ? `import type { ${sorted.map((n) => n.slice(5)).join(", ")} }`
          : `import { ${sorted.join(", ")} }`;
        return `${clause} from "${importPath(file, module)}";`;
      }),
    "",
  ];
  return { file, text: `${[...header, ...lines].join("\n")}\n` };
}
