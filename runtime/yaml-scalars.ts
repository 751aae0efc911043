/**
 * The values of YAML's quoted and block scalars, from their text: escapes, line folding and
 * chomping as YAML 1.2 defines them (chapters 7.3 and 8.1). Pure string functions.
 */

/** `|` or `>` and the header's chomping indicator. */
export interface BlockHeader {
  folded: boolean;
  chomp: "clip" | "strip" | "keep";
}

/** Escapes of double-quoted scalars, as code points (numbers: esbuild would print a tab string as a raw tab). */
const ESCAPES: Record<string, number> = {
  "0": 0,
  a: 7,
  b: 8,
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  e: 27,
  " ": 32,
  '"': 34,
  "/": 47,
  "\\": 92,
  N: 0x85,
  _: 0xa0,
  L: 0x2028,
  P: 0x2029,
};
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };
const isSpace = (c: string | undefined) => c !== undefined && /[ \t]/.test(c);

/**
 * The value of a scalar's text between its quotes: line breaks fold to a space (or to one line
 * feed per empty line), whitespace around them is dropped; in double quotes, escapes are decoded
 * and an escaped line break joins the lines. `fail` is called with the offset of a bad escape.
 */
export function quotedValue(raw: string, double: boolean, fail: (offset: number, reason: string) => never): string {
  let out = "";
  // Raw whitespace before a line break is not content: `out` is cut back to `keep` at each break.
  let keep = 0;
  for (let i = 0; i < raw.length; ) {
    const c = raw[i] as string;
    if (double && c === "\\") {
      const e = raw[i + 1] ?? "";
      const digits = HEX_DIGITS[e];
      if (e === "\r" || e === "\n") {
        // An escaped line break joins the lines; only the next line's indentation goes (as in `yaml`).
        for (i += e === "\r" ? 3 : 2; isSpace(raw[i]); ) i++;
      } else if (digits !== undefined) {
        const hex = raw.slice(i + 2, i + 2 + digits);
        const code = new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex) ? parseInt(hex, 16) : NaN;
        if (!(code <= 0x10ffff)) fail(i, `invalid escape \\${e}${hex}`);
        out += String.fromCodePoint(code);
        i += 2 + digits;
      } else {
        // `\` followed by a tab is an escaped tab.
        const code = e.charCodeAt(0) === 9 ? 9 : ESCAPES[e];
        if (code === undefined) fail(i, `invalid escape \\${e}`);
        out += String.fromCodePoint(code as number);
        i += 2;
      }
      keep = out.length;
    } else if (c === "\r" || c === "\n") {
      // A line break folds to a space, or to one line feed per empty line after it.
      out = out.slice(0, keep);
      let feeds = 0;
      for (i += c === "\r" ? 2 : 1; isSpace(raw[i]) || raw[i] === "\r" || raw[i] === "\n"; i++)
        if (raw[i] === "\n") feeds++;
      out += feeds > 0 ? "\n".repeat(feeds) : " ";
      keep = out.length;
    } else {
      // `''` is one quote in single quotes (the reader only passes doubled quotes through).
      out += c;
      i += !double && c === "'" ? 2 : 1;
      if (!isSpace(c)) keep = out.length;
    }
  }
  return out;
}

/**
 * The value of a block scalar from the lines it covers (as written, without line breaks; a last
 * "" when its text ends with a line break). `indent` is the indentation the header gives, or
 * undefined when the first line with text decides it; `parent` is the enclosing collection's.
 * Follows the `yaml` library's reading line for line, including its treatment of lines of spaces
 * after the text; `fail` gets the index of a line that is less indented than the content.
 */
export function blockValue(
  lines: string[],
  header: BlockHeader,
  indent: number | undefined,
  parent: number,
  fail: (line: number, reason: string) => never,
): string {
  const split = lines.map((line) => {
    const spaces = /^ */.exec(line)?.[0].length ?? 0;
    return { spaces, text: line.slice(spaces) };
  });
  let chompStart = split.length;
  while (chompStart > 0 && split[chompStart - 1]?.text === "") chompStart--;
  if (chompStart === 0)
    return header.chomp === "keep" && lines.length > 0 ? "\n".repeat(Math.max(1, lines.length - 1)) : "";
  let trim = indent ?? Math.max(parent, 0);
  let contentStart = 0;
  for (let i = 0; i < chompStart; i++) {
    const { spaces, text } = split[i] as { spaces: number; text: string };
    if (text === "") {
      if (indent === undefined && spaces > trim) trim = spaces;
      continue;
    }
    if (spaces < trim) fail(i, "a leading empty line of a block scalar has more spaces than its first line");
    if (indent === undefined) trim = spaces;
    contentStart = i;
    break;
  }
  // Trailing lines of spaces deeper than the content are content.
  for (let i = split.length - 1; i >= chompStart; i--) if ((split[i]?.spaces ?? 0) > trim) chompStart = i + 1;
  let value = "";
  for (let i = 0; i < contentStart; i++) value += `${" ".repeat(Math.max((split[i]?.spaces ?? 0) - trim, 0))}\n`;
  let separator = "";
  let moreIndented = false;
  for (let i = contentStart; i < chompStart; i++) {
    const { spaces, text } = split[i] as { spaces: number; text: string };
    if (text !== "" && spaces < trim) fail(i, "a line of a block scalar is less indented than its content");
    const extra = " ".repeat(Math.max(spaces - trim, 0));
    if (!header.folded) {
      value += separator + extra + text;
      separator = "\n";
    } else if (spaces > trim || text.charCodeAt(0) === 9) {
      // Folded style keeps the line breaks around more-indented lines.
      if (separator === " ") separator = "\n";
      else if (!moreIndented && separator === "\n") separator = "\n\n";
      value += separator + extra + text;
      separator = "\n";
      moreIndented = true;
    } else if (text === "") {
      if (separator === "\n") value += "\n";
      else separator = "\n";
    } else {
      value += separator + text;
      separator = " ";
      moreIndented = false;
    }
  }
  if (header.chomp === "strip") return value;
  if (header.chomp === "clip") return `${value}\n`;
  for (let i = chompStart; i < split.length; i++)
    value += `\n${" ".repeat(Math.max((split[i]?.spaces ?? 0) - trim, 0))}`;
  return value.endsWith("\n") ? value : `${value}\n`;
}
