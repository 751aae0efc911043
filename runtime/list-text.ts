/**
 * Reading back an `array` input that GitLab wrote into a string.
 *
 * GitLab interpolates a placeholder inside a longer string with `value.to_s`
 * (`Interpolator#interpolate_string_node!`, lib/gitlab/ci/config/interpolation/interpolator.rb), and
 * for an Array that is Ruby's `Array#inspect`: `["a", "b"]`, each string in `String#inspect` form.
 * That is JSON for plain text, but not in general: `#{`, `#$` and `#@` become `\#{`, `\#$`, `\#@`;
 * control characters become `\e`, `\a`, `\v` or `\u0000`-style escapes (uppercase hex), characters
 * past U+FFFF that Ruby does not print become `\u{10FFFF}`; printable non-ASCII stays as it is.
 * Other tools (gitlab-ci-local, the generator's own checks) write JSON. This reads both: the
 * escapes of the two never mean different things, so one grammar covers them.
 *
 * Items are strings; numbers and booleans are taken as the text they were written with (Ruby's
 * `1.0e+20` stays `1.0e+20`). `nil`/`null`, lists and maps are refused.
 */

/** The items of a list, or why the text is not one. */
export type ListText = { items: string[] } | { error: string };

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/", // JSON only
  "#": "#", // Ruby: `\#` before `{`, `$`, `@` (and any other character, as in a Ruby literal)
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v", // Ruby only
  a: "\x07", // Ruby only
  e: "\x1b", // Ruby only
};

/** Parses `[item, item, …]` in JSON or Ruby `Array#inspect` form. */
export function parseListText(text: string): ListText {
  let i = 0;
  const fail = (what: string): ListText => ({ error: `${what} at character ${i + 1}` });
  const skipSpace = () => {
    while (/\s/.test(text[i] ?? "")) i++;
  };
  skipSpace();
  if (text[i] !== "[") return fail("expected [");
  i++;
  const items: string[] = [];
  skipSpace();
  if (text[i] === "]") {
    i++;
    skipSpace();
    return i === text.length ? { items } : fail("unexpected text after ]");
  }
  for (;;) {
    skipSpace();
    const c = text[i];
    if (c === '"') {
      i++;
      let value = "";
      for (;;) {
        if (i >= text.length) return fail("unterminated string");
        const ch = text[i] as string;
        if (ch === '"') {
          i++;
          break;
        }
        if (ch !== "\\") {
          value += ch;
          i++;
          continue;
        }
        const escape = text[i + 1] ?? "";
        if (Object.hasOwn(SIMPLE_ESCAPES, escape)) {
          value += SIMPLE_ESCAPES[escape];
          i += 2;
        } else if (escape === "u" && text[i + 2] === "{") {
          const end = text.indexOf("}", i + 3);
          const hex = end < 0 ? "" : text.slice(i + 3, end);
          if (!/^[0-9A-Fa-f]{1,6}$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff) return fail("bad \\u{…} escape");
          value += String.fromCodePoint(Number.parseInt(hex, 16));
          i = end + 1;
        } else if (escape === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) return fail("bad \\u escape");
          value += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
        } else return fail(`unknown escape \\${escape}`);
      }
      items.push(value);
    } else {
      const token = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false)(?=[\s,\]])/.exec(text.slice(i));
      if (!token)
        return fail(
          /^(nil|null)\b/.test(text.slice(i))
            ? "an empty item (nil)"
            : c === "[" || c === "{"
              ? "a nested list or map"
              : "expected a string",
        );
      items.push(token[0]);
      i += token[0].length;
    }
    skipSpace();
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] === "]") {
      i++;
      skipSpace();
      return i === text.length ? { items } : fail("unexpected text after ]");
    }
    return fail("expected , or ]");
  }
}
