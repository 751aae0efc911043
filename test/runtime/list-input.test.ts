/**
 * Array inputs inside strings, as GitLab renders them and as the scripts read them back.
 *
 * GitLab interpolates `{"tags":$[[ inputs.tags ]]}` with Ruby's `to_s`, which for an Array is
 * `Array#inspect` (Interpolator#interpolate_string_node!, lib/gitlab/ci/config/interpolation/
 * interpolator.rb): not JSON once an item holds `#{`, control characters or characters Ruby does
 * not print. The `ruby` column below is Ruby's own output (ruby 3.1.2, UTF-8, `items.to_s`),
 * captured on a Debian machine; `listInput` must read each back to exactly its items, and the
 * generator's rendering (generator/ruby-text.ts, which the tests' interpolation uses) must match it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rubyInspect } from "../../generator/ruby-text.ts";
import { listInput } from "../../runtime/env.ts";

/** Ruby 3.1.2: `puts items.to_s` with Encoding.default_external and default_internal UTF-8 (as Rails sets them). */
const RUBY = [
  {
    case: "plain text and CI/CD variables",
    items: ["$CI_COMMIT_SHA", "latest", "v1.2.3"],
    ruby: '["$CI_COMMIT_SHA", "latest", "v1.2.3"]',
  },
  {
    case: "spaces, quotes, backslashes, = and ,",
    items: ["KEY=value with spaces", 'Q="quoted"', "B=back\\slash", "a,b"],
    ruby: '["KEY=value with spaces", "Q=\\"quoted\\"", "B=back\\\\slash", "a,b"]',
  },
  {
    case: "the interpolation markers #{ #$ #@ (escaped) and a lone #",
    items: ["x=#{y}", "a#$b", "c#@d", "#plain", "#"],
    ruby: '["x=\\#{y}", "a\\#$b", "c\\#@d", "#plain", "#"]',
  },
  {
    case: "named control escapes",
    items: ["tab\tnl\ncr\rff\fvt\u000bbs\bbel\u0007esc\u001b"],
    ruby: '["tab\\tnl\\ncr\\rff\\fvt\\vbs\\bbel\\aesc\\e"]',
  },
  {
    case: "other control characters (\\u0000 form)",
    items: ["nul\u0000soh\u0001us\u001fdel\u007f", "\u0080\u009f"],
    ruby: '["nul\\u0000soh\\u0001us\\u001Fdel\\u007F", "\\u0080\\u009F"]',
  },
  {
    case: "printable non-ASCII (kept raw) and U+0085, which Ruby prints",
    items: ["caf\u00e9", "\u2026", "\u0085nel", "\u00a0", "\ud83d\ude00", "\udb40\udc01", "\ufeff"],
    ruby: '["caf\u00e9", "\u2026", "\u0085nel", "\u00a0", "\ud83d\ude00", "\udb40\udc01", "\ufeff"]',
  },
  {
    case: "line separators, unassigned and non-characters (escaped)",
    items: ["\u2028\u2029", "\u0378", "\uffff", "\udbff\udfff"],
    ruby: '["\\u2028\\u2029", "\\u0378", "\\uFFFF", "\\u{10FFFF}"]',
  },
  {
    case: "numbers and booleans (their text)",
    items: ["1", "2.5", "true", "false", "1.0e+20", "1.5e-05", "-3"],
    ruby: "[1, 2.5, true, false, 1.0e+20, 1.5e-05, -3]",
  },
  { case: "an empty list", items: [], ruby: "[]" },
];

/** The values YAML loads for the numbers-and-booleans case (the others are their own items). */
const LOADED: Record<string, unknown[]> = {
  "numbers and booleans (their text)": [1, 2.5, true, false, 1e20, 1.5e-5, -3],
};

const read = (text: string) => listInput({ GITOPS_TAGS: `{"tags":${text}}` }, "GITOPS_TAGS", "tags");

describe("array inputs rendered by GitLab (Ruby's Array#inspect)", () => {
  it.each(RUBY)("reads back $case exactly", ({ items, ruby }) => {
    expect(read(ruby)).toEqual(items);
  });

  it.each(RUBY)("renders $case as Ruby does", ({ case: name, items, ruby }) => {
    expect(rubyInspect(LOADED[name] ?? items)).toBe(ruby);
  });

  it("reads back any list of strings the generator renders Ruby's way, and JSON's way (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme" }), { maxLength: 5 }),
        fc.array(fc.string({ unit: "binary" }), { maxLength: 5 }),
        (graphemes, binary) => {
          for (const items of [graphemes, binary.map((s) => s.replace(/[\uD800-\uDFFF]/g, "?"))]) {
            expect(read(rubyInspect(items))).toEqual(items);
            expect(read(JSON.stringify(items))).toEqual(items);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    { what: "a nil item (YAML's ~)", text: '["a", nil]', error: "an empty item (nil) at character 7" },
    { what: "a nested list", text: '[["a"]]', error: "a nested list or map at character 2" },
    { what: "a map (Ruby's Hash#inspect)", text: '[{"a"=>1}]', error: "a nested list or map at character 2" },
    { what: "an escape neither Ruby nor JSON writes", text: '["\\q"]', error: "unknown escape \\q at character 3" },
  ])("refuses $what, naming the input and the variable", ({ text, error }) => {
    expect(() => read(text)).toThrow(
      `input tags = ${JSON.stringify(`{"tags":${text}}`)}: is not a list of strings (job variable GITOPS_TAGS holds neither JSON nor the Ruby text GitLab writes for a list: ${error})`,
    );
  });
});
