/**
 * What GitLab checks of a CI YAML file, checked by the generator for every file it writes
 * (generator/yaml-file.ts): printable ASCII, multi-line strings as literal blocks, and GitLab's
 * size limits.
 */
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../generator/problems.ts";
import { YAML_OPTIONS } from "../../generator/template.ts";
import { rubyMemsize, YAML_LIMITS, yamlFileProblems } from "../../generator/yaml-file.ts";

const problems = (text: string) => yamlFileProblems("templates/x/template.yml", text).map(formatProblem);

describe("yamlFileProblems", () => {
  it("accepts printable ASCII with scripts as literal blocks", () => {
    expect(problems(stringify({ job: { script: ["echo one\necho two", "true"] } }, YAML_OPTIONS))).toEqual([]);
  });

  it("refuses a character outside printable ASCII, naming where it is and the fix", () => {
    expect(problems("job:\n  script:\n    - echo caf\u00e9\n")).toEqual([
      "templates/x/template.yml: holds \\u00E9 at line 3, column 15; a template must be printable ASCII, because GitLab's libyaml (YAML 1.1) reads some other characters (U+0085, U+2028, U+2029) as line breaks and refuses most control characters, so GitLab would not read what the tests read (got \"- echo caf\u00e9\"). Fix: write the character with ASCII in the TypeScript source (a description, default or job value), or as an escape such as \\u2026 inside a script's string; bundled scripts are escaped by generator/ascii-script.ts",
    ]);
  });

  it("refuses a multi-line string written as an escaped (double-quoted) scalar", () => {
    expect(problems('job:\n  script:\n    - "echo one\\necho two"\n')).toEqual([
      "templates/x/template.yml › job › script: a multi-line string is written as QUOTE_DOUBLE, not a literal block (|-); escapes and line folding are where YAML 1.1 and 1.2 parsers part ways. Fix: keep the string printable ASCII without trailing spaces on its lines, so it can be written as a literal block",
    ]);
  });

  it("refuses a string over Interpolation::Config::MAX_NODE_SIZE (1 MiB)", () => {
    const text = stringify({ job: { script: [`echo ${"x".repeat(YAML_LIMITS.nodeBytes)}`] } }, YAML_OPTIONS);
    expect(problems(text)).toContain(
      `templates/x/template.yml › job › script: a string of ${YAML_LIMITS.nodeBytes + 5} bytes; GitLab refuses any string over 1048576 bytes in a file with inputs ("config node too large", Interpolation::Config::MAX_NODE_SIZE). Fix: make the script smaller: bundle fewer or lighter dependencies, or move work into the tools image`,
    );
  });

  it("refuses a file whose parsed size (as Gitlab::Utils::DeepSize counts it) is over 1 MiB, though each string is under the node limit", () => {
    const text = stringify(
      { a: { script: ["x".repeat(600_000)] }, b: { script: ["y".repeat(600_000)] } },
      YAML_OPTIONS,
    );
    const found = problems(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^templates\/x\/template\.yml: the parsed file would take about 12\d{5} bytes in GitLab .* over the 1048576-byte max_yaml_size_bytes default of GitLab before 17\.3/,
    );
  });

  it("estimates Ruby's memory size from above: strings in slots or on the heap, arrays and hashes with their tables", () => {
    expect(rubyMemsize("short")).toBe(46); // Ruby: 40 (an embedded string); the estimate never undercounts
    expect(rubyMemsize("x".repeat(100))).toBe(160);
    expect(rubyMemsize("x".repeat(10_000))).toBe(10_041);
    expect(rubyMemsize([1, true, null])).toBe(64);
    expect(rubyMemsize({ a: 1 })).toBe(40 + 32 * 8 + 42);
  });
});
