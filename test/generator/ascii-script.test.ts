/**
 * Bundled scripts made pure printable ASCII (generator/ascii-script.ts): every other character is
 * escaped where it stands, and the script means exactly what it meant.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asciiOnly, AsciiEscapeError, PRINTABLE_ASCII } from "../../generator/ascii-script.ts";

/** Runs a function body and returns its result (the scripts are modules; these samples need no imports). */
const run = (body: string): unknown => new Function(body)();

describe("asciiOnly", () => {
  it.each([
    { where: "a string (esbuild prints a tab raw there)", given: 'return "a\tb";', want: 'return "a\\tb";' },
    { where: "a string (control character)", given: 'return "a\u0001b";', want: 'return "a\\u0001b";' },
    {
      where: "a template literal",
      given: "return `\u2026 ${1 + 1} \u00e9`;",
      want: "return `\\u2026 ${1 + 1} \\u00E9`;",
    },
    {
      where: "a nested template literal",
      given: "return `a${`\u00e9${'\u0085'}`}b`;",
      want: "return `a${`\\u00E9${'\\u0085'}`}b`;",
    },
    {
      where: "a regular expression",
      given: "return /\u00e9+/.test('\u00e9');",
      want: "return /\\u00E9+/.test('\\u00E9');",
    },
    {
      where: "a regular expression with the u flag and an astral character",
      given: "return /\u{1F600}/u.test('x');",
      want: "return /\\uD83D\\uDE00/u.test('x');",
    },
    {
      where: "a regular expression after a keyword",
      given: "if (x) return /\u00e9/;",
      want: "if (x) return /\\u00E9/;",
    },
    {
      where: "a comment",
      given: "/** \u2026 */\nreturn 1; // \u00e9\n",
      want: "/** \\u2026 */\nreturn 1; // \\u00E9\n",
    },
    {
      where: "a string after a division (not a regex)",
      given: "const a = 4, b = 2; return [a / b, '\u00e9', a / b];",
      want: "const a = 4, b = 2; return [a / b, '\\u00E9', a / b];",
    },
    { where: "an identity escape of a non-ASCII character", given: "return '\\\u00e9';", want: "return '\\u00E9';" },
    { where: "a line separator in a string", given: "return 'a\u2028b';", want: "return 'a\\u2028b';" },
  ])("escapes inside $where", ({ given, want }) => {
    const escaped = asciiOnly(given);
    expect(escaped).toBe(want);
    expect(PRINTABLE_ASCII.test(escaped)).toBe(true);
  });

  it("keeps every value the script computes", () => {
    const given = [
      "const tab = 'a\tb', nel = \"\u0085\", nbsp = `\u00a0${tab}`;",
      "const re = /[\u00e9\u2026]+/g; // \u2026",
      "return [tab, nel, nbsp, 'caf\u00e9'.replace(re, '\u2026'), `l1\nl2`, 10 / 2 / 5];",
    ].join("\n");
    expect(run(asciiOnly(given))).toEqual(run(given));
  });

  it("leaves printable ASCII untouched, byte for byte", () => {
    const code = "const s = `a ${'b'}`; // plain\nconsole.log(s / 2, /x\\/y/g);\n";
    expect(asciiOnly(code)).toBe(code);
  });

  it("keeps the meaning of any text in a string, a template literal and a regular expression (property)", () => {
    // Characters that need no escaping by the literal's own syntax, plus every kind that must be escaped.
    const char = fc.oneof(
      fc.constantFrom("a", "z", "0", " ", "-", "#", "!"),
      fc.constantFrom(
        "\t",
        "\u0001",
        "\u000b",
        "\u000c",
        "\u001f",
        "\u007f",
        "\u0085",
        "\u00a0",
        "\u00e9",
        "\u2026",
        "\ufeff",
        "\u{1F600}",
        "\u{E0001}",
      ),
      fc.integer({ min: 0x80, max: 0x2000 }).map((n) => String.fromCodePoint(n)),
    );
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 12 }).map((cs) => cs.join("")),
        (text) => {
          const given = `const s = "${text}", t = \`${text}\`, r = /^${text}$/u; /* ${text} */ return [s, t, r.test(s), r.test(s + "x")];`;
          const escaped = asciiOnly(given);
          expect(PRINTABLE_ASCII.test(escaped)).toBe(true);
          expect(run(escaped)).toEqual(run(given));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses what no escape can keep: a tagged template's raw text, a character outside any literal", () => {
    expect(() => asciiOnly("return String.raw`\u00e9`;")).toThrow(AsciiEscapeError);
    expect(() => asciiOnly("return String.raw`\u00e9`;")).toThrow(
      /tagged template literal holds \\u00E9; its tag can read the raw text/,
    );
    expect(() => asciiOnly("const caf\u00e9 = 1;")).toThrow(/\\u00E9 stands outside any literal or comment/);
  });
});
