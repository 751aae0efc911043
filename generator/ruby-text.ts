/**
 * The text GitLab makes of an input value placed inside a longer string: `value.to_s` in Ruby
 * (`Interpolator#interpolate_string_node!`, lib/gitlab/ci/config/interpolation/interpolator.rb).
 * For an Array that is `Array#inspect`, each string in `String#inspect` form; the generator's
 * checks and the tests' interpolation (harness/templates.ts) use this, so scripts are tested
 * against what GitLab writes. runtime/list-text.ts reads it back.
 */

/**
 * Characters `String#inspect` escapes in a UTF-8 string (Onigmo's "not printable"): control
 * characters except U+0085, unassigned code points and noncharacters, and the line and paragraph
 * separators. Ruby 3.1 escapes U+0080, U+0084, U+009F, U+0378, U+2028, U+FFFF and U+10FFFF and
 * prints U+0085, U+00A0, U+00AD, U+200B, U+E000, U+FEFF and U+E0001 as they are.
 */
const NOT_PRINTABLE = /(?!\u0085)[\p{Cc}\p{Cn}\p{Zl}\p{Zp}]/u;

const NAMED: Record<string, string> = {
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\f": "\\f",
  "\v": "\\v",
  "\b": "\\b",
  "\x07": "\\a",
  "\x1b": "\\e",
  '"': '\\"',
  "\\": "\\\\",
};

/** Ruby's `String#inspect` of `text` (UTF-8, as GitLab runs it). */
export function rubyInspectString(text: string): string {
  const chars = [...text];
  let out = '"';
  chars.forEach((c, i) => {
    const code = c.codePointAt(0) as number;
    if (Object.hasOwn(NAMED, c)) out += NAMED[c];
    else if (c === "#" && ["{", "$", "@"].includes(chars[i + 1] ?? "")) out += "\\#";
    else if (NOT_PRINTABLE.test(c))
      out +=
        code < 0x10000
          ? `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`
          : `\\u{${code.toString(16).toUpperCase()}}`;
    else out += c;
  });
  return `${out}"`;
}

/** Ruby's `Float#to_s`: exponent form below 1e-4 and from 1e16, always with a fractional part. */
function rubyFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa = "", exponent = ""] = n.toExponential().split("e");
    const sign = exponent.startsWith("-") ? "-" : "+";
    return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}e${sign}${exponent.replace(/^[+-]/, "").padStart(2, "0")}`;
  }
  return String(n);
}

/** Ruby's `to_s` of a value as YAML loads it (strings as they are; lists and maps in `inspect` form). */
export function rubyToS(value: unknown): string {
  return typeof value === "string" ? value : rubyInspect(value);
}

/** Ruby's `inspect` of a value as YAML loads it. Integers and floats are told apart as JavaScript can: 1.0 loads as 1, and a whole number past 2^53 is taken for a float. */
export function rubyInspect(value: unknown): string {
  if (typeof value === "string") return rubyInspectString(value);
  if (typeof value === "number") return Number.isSafeInteger(value) ? String(value) : rubyFloat(value);
  if (typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "nil";
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(", ")}]`;
  // Hash#inspect as the Ruby GitLab 17 and 18 run prints it (3.4 adds spaces around =>).
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${rubyInspectString(k)}=>${rubyInspect(v)}`)
    .join(", ")}}`;
}
