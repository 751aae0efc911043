/**
 * What GitLab checks of a CI YAML file before it reads a job, applied to every generated file
 * (templates and the own pipeline): the characters libyaml and the `yaml` package read alike,
 * multi-line strings as literal blocks, and GitLab's size limits.
 */
import { isScalar, parseAllDocuments, visit } from "yaml";
import { PRINTABLE_ASCII, unicodeEscape } from "./ascii-script.ts";
import type { Problem } from "./problems.ts";

/** GitLab's size limits for one CI YAML file. */
export const YAML_LIMITS = {
  /**
   * Bytes in one string of a file with `spec:inputs`: `Interpolation::Config::MAX_NODE_SIZE`
   * (lib/gitlab/ci/config/interpolation/config.rb), checked for every string before interpolation.
   */
  nodeBytes: 1024 * 1024,
  /**
   * The parsed file's size as `Gitlab::Utils::DeepSize` measures it (the sum of Ruby's
   * `ObjectSpace.memsize_of` over every object), against the `max_yaml_size_bytes` application
   * setting: 1 MiB by default before GitLab 17.3, 2 MiB since (doc/administration/instance_limits.md,
   * gitlab-org/gitlab!160826). The smaller is the bound: an instance upgraded from before 17.3, or an
   * administrator, may keep 1 MiB, and a component must load on every instance of the floor.
   */
  parsedBytes: 1024 * 1024,
} as const;

/** Ruby's object slot sizes (variable-width allocation, Ruby 3.2+): an embedded object takes the smallest that fits. */
const RUBY_SLOTS = [40, 80, 160, 320, 640];

function rubySlot(bytes: number): number | undefined {
  return RUBY_SLOTS.find((slot) => slot >= bytes);
}

/**
 * An upper estimate of `ObjectSpace.memsize_of` summed over the value Psych builds from `value`:
 * a String embeds its bytes in a slot when they fit (24 bytes of header) and is 40 bytes plus its
 * buffer otherwise; an Array likewise with 8 bytes per element; a Hash at least 8 entries' worth of
 * table (its first 8 live in an array table); integers, booleans and nil cost nothing.
 */
export function rubyMemsize(value: unknown): number {
  if (typeof value === "string") {
    const bytes = Buffer.byteLength(value);
    return Math.max(rubySlot(24 + bytes + 1) ?? 0, 40 + bytes + 1);
  }
  if (Array.isArray(value))
    return (
      Math.max(rubySlot(16 + 8 * value.length) ?? 0, 40 + 8 * value.length) +
      value.reduce((sum: number, item) => sum + rubyMemsize(item), 0)
    );
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    return (
      40 +
      32 * Math.max(entries.length, 8) +
      entries.reduce((sum, [key, item]) => sum + rubyMemsize(key) + rubyMemsize(item), 0)
    );
  }
  return 0;
}

/** Where a character offset falls: 1-based line and column. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

/** Every problem of one generated YAML file `where` (repository-relative) with content `text`. */
export function yamlFileProblems(where: string, text: string): Problem[] {
  const problems: Problem[] = [];
  if (!PRINTABLE_ASCII.test(text)) {
    const offset = text.search(/[^\n\x20-\x7e]/u);
    const char = String.fromCodePoint(text.codePointAt(offset) as number);
    const { line, column } = lineAndColumn(text, offset);
    problems.push({
      path: [where],
      message: `holds ${unicodeEscape(char)} at line ${line}, column ${column}; a template must be printable ASCII, because GitLab's libyaml (YAML 1.1) reads some other characters (U+0085, U+2028, U+2029) as line breaks and refuses most control characters, so GitLab would not read what the tests read`,
      value: text.split("\n")[line - 1]?.trim(),
      fix: "write the character with ASCII in the TypeScript source (a description, default or job value), or as an escape such as \\u2026 inside a script's string; bundled scripts are escaped by generator/ascii-script.ts",
    });
  }
  const docs = parseAllDocuments(text);
  let parsed = 0;
  for (const doc of docs) {
    parsed += rubyMemsize(doc.toJS());
    visit(doc, {
      Scalar(_key, node, path) {
        if (typeof node.value !== "string") return;
        const at = (path as readonly unknown[])
          .filter(isScalarKeyed)
          .map((pair) => String((pair.key as { value?: unknown }).value));
        const bytes = Buffer.byteLength(node.value);
        if (bytes > YAML_LIMITS.nodeBytes)
          problems.push({
            path: [where, ...at],
            message: `a string of ${bytes} bytes; GitLab refuses any string over ${YAML_LIMITS.nodeBytes} bytes in a file with inputs ("config node too large", Interpolation::Config::MAX_NODE_SIZE)`,
            fix: "make the script smaller: bundle fewer or lighter dependencies, or move work into the tools image",
          });
        if (node.value.includes("\n") && node.type !== "BLOCK_LITERAL" && isScalar(node))
          problems.push({
            path: [where, ...at],
            message: `a multi-line string is written as ${node.type ?? "a flow scalar"}, not a literal block (|-); escapes and line folding are where YAML 1.1 and 1.2 parsers part ways`,
            fix: "keep the string printable ASCII without trailing spaces on its lines, so it can be written as a literal block",
          });
      },
    });
  }
  if (parsed > YAML_LIMITS.parsedBytes)
    problems.push({
      path: [where],
      message: `the parsed file would take about ${parsed} bytes in GitLab (Ruby's memory size of the loaded YAML, as Gitlab::Utils::DeepSize counts it), over the ${YAML_LIMITS.parsedBytes}-byte max_yaml_size_bytes default of GitLab before 17.3 ("The parsed YAML is too big")`,
      fix: "make the embedded scripts smaller (fewer or lighter dependencies), or split the component",
    });
  return problems;
}

/** A path element that is a map pair with a scalar key (the keys name where a string sits). */
function isScalarKeyed(node: unknown): node is { key: unknown } {
  return typeof node === "object" && node !== null && "key" in node && isScalar((node as { key: unknown }).key);
}
