/**
 * Makes a bundled script pure printable ASCII without changing what it does.
 *
 * GitLab parses templates with libyaml (YAML 1.1), which reads U+0085, U+2028 and U+2029 as line
 * breaks and refuses most control characters; the `yaml` package the tests use (YAML 1.2) keeps
 * them. A template must therefore hold nothing but printable ASCII and newlines, or GitLab would
 * run other code than the tests. esbuild's `charset: "ascii"` escapes non-ASCII in string
 * literals and identifiers only: it prints control characters (a tab, U+0001) raw inside strings
 * and leaves non-ASCII raw in regular expressions, template literals and comments. This module
 * escapes every remaining character where it stands.
 *
 * One escape fits every literal: `\uXXXX` (per UTF-16 code unit) means the same character inside a
 * string, a template literal's cooked text, a regular expression (with or without the `u` flag: a
 * pair of surrogate escapes is one code point there) and, as plain text, a comment. So the lexer
 * below only has to tell literals and comments from code; line terminators and tagged templates
 * (whose tag can read the raw text) are the only places that need more.
 */

/** Why a script cannot be made ASCII without changing its meaning. */
export class AsciiEscapeError extends Error {}

/** Printable ASCII and the newline: all a template may hold. */
export const PRINTABLE_ASCII = /^[\n\x20-\x7e]*$/;

/** Words after which `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORD = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

const LINE_TERMINATORS = new Set(["\r", "\u2028", "\u2029"]);
const isWordChar = (c: string) => /[A-Za-z0-9_$\\]/.test(c);
const needsEscape = (c: string) => c !== "\n" && (c < " " || c > "~");

/** `\uXXXX` for each UTF-16 code unit of `c`. */
export function unicodeEscape(c: string): string {
  let out = "";
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).toUpperCase().padStart(4, "0")}`;
  return out;
}

type Context = "string" | "template" | "tagged-template" | "regex" | "comment";

/**
 * Returns `code` (an ES module as esbuild prints it) with every character outside printable ASCII
 * and the newline replaced by an escape that means the same where it stands. Throws
 * {@link AsciiEscapeError} where none does: inside a tagged template literal, inside a regular
 * expression for a line terminator, and outside any literal (esbuild escapes identifiers and
 * prints only spaces and newlines between tokens, so such a character means the lexer lost track).
 */
export function asciiOnly(code: string): string {
  if (PRINTABLE_ASCII.test(code)) return code;
  const chars = [...code];
  const at = (k: number) => chars[k] ?? "";
  let out = "";
  let i = 0;
  // The last significant token, to tell a regular expression from a division.
  let last: "start" | "word" | "keyword" | "value" | "close" | "close-brace" | "punct" = "start";
  // Template literals nest inside `${ }`: the brace depth at which each resumes, and whether it is tagged.
  const templates: Array<{ braceDepth: number; tagged: boolean }> = [];
  let braceDepth = 0;

  /** Appends one character of a literal or comment, escaped if it must be. */
  const literalChar = (c: string, context: Context) => {
    if (!needsEscape(c)) {
      out += c;
      return;
    }
    const escaped = out.endsWith("\\") && (out.match(/\\+$/)?.[0].length ?? 0) % 2 === 1;
    if (context === "tagged-template")
      throw new AsciiEscapeError(
        `a tagged template literal holds ${unicodeEscape(c)}; its tag can read the raw text, so no escape keeps the meaning. Write the character as an escape in the source`,
      );
    if (LINE_TERMINATORS.has(c)) {
      if (context === "regex")
        throw new AsciiEscapeError(`a regular expression holds the line terminator ${unicodeEscape(c)}`);
      if (context === "comment") {
        out += "\n"; // still a line break (it ends a // comment; a /* */ comment with one counts as a newline)
        return;
      }
      if (escaped) {
        // A line continuation: the backslash and the terminator (with a following LF) stand for nothing.
        out = out.slice(0, -1);
        if (c === "\r" && at(i + 1) === "\n") i++;
        return;
      }
      if (c === "\r") {
        if (context === "string") throw new AsciiEscapeError("a string literal holds a raw carriage return");
        // A template's cooked text reads CR and CRLF as LF.
        out += "\n";
        if (at(i + 1) === "\n") i++;
        return;
      }
      out += unicodeEscape(c);
      return;
    }
    // `\` before the character is an identity escape (the character itself): drop it with the character's escape.
    if (escaped && context !== "comment") out = out.slice(0, -1);
    out += c === "\t" ? "\\t" : unicodeEscape(c);
  };

  /** Copies literal text up to (not including) the first unescaped `stop` character for which `stops` holds. */
  const readLiteral = (context: Context, stops: (k: number) => boolean) => {
    while (i < chars.length) {
      const c = at(i);
      if (c === "\\" && !needsEscape(at(i + 1)) && at(i + 1) !== "") {
        out += c + at(i + 1);
        i += 2;
        continue;
      }
      if (stops(i)) return;
      literalChar(c, context);
      i++;
    }
    throw new AsciiEscapeError(`an unterminated ${context.replace("-", " ")}`);
  };

  const readTemplate = (tagged: boolean) => {
    readLiteral(tagged ? "tagged-template" : "template", (k) => at(k) === "`" || (at(k) === "$" && at(k + 1) === "{"));
    if (at(i) === "`") {
      out += "`";
      i++;
      last = "value";
    } else {
      out += "${";
      i += 2;
      templates.push({ braceDepth, tagged });
      last = "punct";
    }
  };

  const readRegex = () => {
    out += "/";
    i++;
    let inClass = false;
    readLiteral("regex", (k) => {
      const c = at(k);
      if (c === "\n") throw new AsciiEscapeError("a regular expression runs past the end of its line");
      if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      return c === "/" && !inClass;
    });
    out += "/";
    i++;
    while (/[a-z]/.test(at(i))) out += chars[i++];
    last = "value";
  };

  /** Does the `/` at `i` start a regular expression, judged by the token before it? */
  const startsRegex = (): boolean => {
    if (last === "start" || last === "punct" || last === "keyword") return true;
    if (last !== "close-brace") return false;
    // After `}` (a block's end, usually) a regex needs its closing `/` on the same line.
    for (let k = i + 1; k < chars.length && at(k) !== "\n"; k++) if (at(k) === "/" && at(k - 1) !== "\\") return true;
    return false;
  };

  if (code.startsWith("#!")) {
    while (i < chars.length && at(i) !== "\n") out += chars[i++];
  }
  while (i < chars.length) {
    const c = at(i);
    const next = at(i + 1);
    if (c === "/" && next === "/") {
      readLiteral("comment", (k) => at(k) === "\n" || LINE_TERMINATORS.has(at(k)));
      continue;
    }
    if (c === "/" && next === "*") {
      out += "/*";
      i += 2;
      readLiteral("comment", (k) => at(k) === "*" && at(k + 1) === "/");
      out += "*/";
      i += 2;
      continue;
    }
    if (c === "'" || c === '"') {
      out += c;
      i++;
      readLiteral("string", (k) => at(k) === c);
      out += c;
      i++;
      last = "value";
      continue;
    }
    if (c === "`") {
      const tagged = last === "word" || last === "value" || last === "close";
      out += c;
      i++;
      readTemplate(tagged);
      continue;
    }
    if (c === "/" && startsRegex()) {
      readRegex();
      continue;
    }
    if (c === "}") {
      const template = templates[templates.length - 1];
      out += c;
      i++;
      if (template && template.braceDepth === braceDepth) {
        // The end of a `${ }` expression: the template's text resumes.
        templates.pop();
        readTemplate(template.tagged);
      } else {
        braceDepth--;
        last = "close-brace";
      }
      continue;
    }
    if (isWordChar(c)) {
      let word = "";
      while (i < chars.length && isWordChar(at(i))) word += chars[i++];
      // A keyword after `.` is a property name (`x.return / 2`).
      last = REGEX_AFTER_WORD.has(word) && !out.endsWith(".") ? "keyword" : "word";
      out += word;
      continue;
    }
    if (c === " " || c === "\n") {
      out += c;
      i++;
      continue;
    }
    if (LINE_TERMINATORS.has(c)) {
      // Between tokens (after a // comment it ended) any line terminator is a newline.
      out += "\n";
      i += c === "\r" && next === "\n" ? 2 : 1;
      continue;
    }
    if (needsEscape(c))
      throw new AsciiEscapeError(
        `${unicodeEscape(c)} stands outside any literal or comment (an identifier?); write it as an escape in the source`,
      );
    if ((c === "+" || c === "-") && next === c && (last === "word" || last === "value" || last === "close")) {
      // A postfix increment: what follows is an operator position, as after a value.
      out += c + next;
      i += 2;
      continue;
    }
    out += c;
    i++;
    if (c === "{") braceDepth++;
    last = c === ")" || c === "]" ? "close" : "punct";
  }
  if (!PRINTABLE_ASCII.test(out)) throw new AsciiEscapeError("escaping left a character outside printable ASCII");
  return out;
}
