/**
 * Generators of YAML texts for holding the job's YAML reader to the `yaml` library: one lets the
 * library write random trees in random styles (what tools emit), one writes text by hand with the
 * liberties people take (odd indentation, compact entries, explicit keys, comments and properties
 * on lines of their own, multi-line scalars, tabs, CRLF, document markers), one damages texts.
 */
import fc from "fast-check";
import { Document, isCollection, isScalar, Scalar, visit, type Node as YamlLibNode } from "yaml";

/** Text that ends up in scalars: the characters YAML treats specially, and words it resolves. */
const WORDS = [
  "a",
  "b",
  "app",
  "x y",
  "a:b",
  "a#b",
  "-a",
  "?a",
  ":a",
  "a:",
  "a-",
  "a ?",
  "1",
  "1.0",
  "0x1F",
  "true",
  "no",
  "null",
  "~",
  "",
  "a'b",
  'a"b',
  "a\\b",
  "a\tb",
  "é",
  "a,b",
  "[a]",
  "{a}",
  "&a",
  "*a",
  "!a",
  "|",
  ">",
  "%a",
  "@a",
  "`a",
  "# a",
  "a #b",
  " a",
  "a ",
  "\n",
  "a\nb",
  "a\n\nb",
  "---",
  "...",
  "- a",
  "? a",
  ": a",
  "a: b",
  "registry.example.com:5000/group/app:v1",
  "app@sha256:" + "a".repeat(64),
];

const word = fc.constantFrom(...WORDS);

/** A value tree: strings, and maps and sequences of them. */
const tree = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, word, tie("map"), tie("seq")),
  map: fc.dictionary(word, tie("value"), { maxKeys: 4 }),
  seq: fc.array(tie("value"), { maxLength: 4 }),
})).value;

const SCALAR_TYPES = [
  Scalar.PLAIN,
  Scalar.QUOTE_DOUBLE,
  Scalar.QUOTE_SINGLE,
  Scalar.BLOCK_LITERAL,
  Scalar.BLOCK_FOLDED,
] as const;

/** Texts the `yaml` library writes from random trees, with random styles, comments, anchors and aliases. */
export const libraryTexts: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(tree, { minLength: 1, maxLength: 3 }),
    fc.infiniteStream(fc.nat(99)),
    fc.record({
      indent: fc.integer({ min: 1, max: 4 }),
      indentSeq: fc.boolean(),
      lineWidth: fc.constantFrom(0, 12, 40, 80),
      minContentWidth: fc.constantFrom(0, 4, 20),
      flowCollectionPadding: fc.boolean(),
      directives: fc.boolean(),
    }),
  )
  .map(([values, dice, options]) => {
    const roll = () => dice.next().value as number;
    return values
      .map((value) => {
        const doc = new Document(value);
        const anchored: YamlLibNode[] = [];
        visit(doc, {
          Scalar(key, node, path) {
            const r = roll();
            // Keys stay one-line scalars (the reader refuses the explicit keys "? key" the library
            // writes for others); no comments inside flow collections (the library writes some it
            // cannot read back).
            node.type = SCALAR_TYPES[r % (key === "key" ? 2 : SCALAR_TYPES.length)];
            if (key === "key" && typeof node.value === "string" && node.value.includes("\n"))
              node.type = Scalar.QUOTE_DOUBLE;
            if (r < 8 && !path.some((p) => isCollection(p) && p.flow)) node.comment = "c";
            if (r > 90) node.spaceBefore = true;
            if (r % 17 === 0) node.anchor = `s${anchored.push(node)}`;
          },
          Map(_, node) {
            const r = roll();
            node.flow = r < 30;
            if (r > 85) node.commentBefore = " about this";
            if (r % 13 === 0) node.anchor = `m${anchored.push(node)}`;
          },
          Seq(_, node) {
            const r = roll();
            node.flow = r < 30;
            if (r % 11 === 0) node.anchor = `q${anchored.push(node)}`;
          },
          Pair(_, pair) {
            // Now and then, a later value becomes an alias of an earlier anchored node outside it.
            const target = anchored[roll() % Math.max(anchored.length, 1)];
            if (target && roll() < 15 && pair.value !== target && !contains(pair.value as YamlLibNode, target))
              pair.value = doc.createAlias(target as Scalar);
          },
        });
        return doc.toString({ ...options, directives: options.directives ? true : undefined });
      })
      .join(options.directives ? "" : "---\n");
  });

function contains(node: YamlLibNode | null, target: YamlLibNode): boolean {
  if (node === target) return true;
  if (!node || !isCollection(node)) return false;
  return node.items.some((item) =>
    isScalar(item) || isCollection(item)
      ? contains(item, target)
      : contains((item as { key: YamlLibNode }).key, target) ||
        contains((item as { value: YamlLibNode }).value, target),
  );
}

/** Plain scalars that stay plain in block context, and in flow context. */
const PLAIN_BLOCK = [
  "a",
  "app",
  "x y",
  "a:b",
  "a#b",
  "-a",
  "?a",
  ":a",
  "1.0",
  "true",
  "~",
  "a'b",
  'a"b',
  "a\\b",
  "a,b",
  "[a",
  "a]",
  "é",
  "a - b",
  "image",
];
const PLAIN_FLOW = ["a", "app", "x y", "a:b", "a#b", "-a", "?a", "1.0", "true", "~", "a'b", 'a"b', "é", "image"];
const DOUBLE = [
  "",
  "a",
  "a b",
  "\\n",
  "\\t",
  "\\x41",
  "\\u00e9",
  "\\U0001F600",
  '\\"',
  "\\\\",
  "\\/",
  "\\ ",
  "'",
  "#",
  "a: b",
  "\\N\\_\\L\\P\\0\\a\\b\\v\\f\\r\\e",
];
const SINGLE = ["", "a", "a b", "''", 'a"b', "\\", "#", "a: b", "[x]"];

/**
 * YAML written by hand: random structure and random formatting choices, mostly valid. `g` is
 * fast-check's generator of values (`fc.gen()`).
 */
export function handWritten(g: fc.GeneratorValue): string {
  const pick = <T>(...options: T[]): T => options[g(fc.nat, { max: options.length - 1 })] as T;
  const chance = (percent: number) => g(fc.nat, { max: 99 }) < percent;
  const spaces = (n: number) => " ".repeat(Math.max(n, 0));
  const gap = () => pick(" ", " ", " ", "  ", "\t", " \t");
  const eol = () => pick("", "", "", " ", " # note", "\t# x", "  #") + "\n";
  const anchors: string[] = [];
  const props = () => {
    let out = "";
    if (chance(8)) out += `&${pick("a", "b", "img")}${anchors.push("") && ""}`;
    if (chance(6)) out += `${out ? " " : ""}${pick("!!str", "!local", "!<tag:x>", "!")}`;
    if (out && out.startsWith("&")) anchors[anchors.length - 1] = out.slice(1).split(" ")[0] as string;
    return out;
  };
  const alias = () => (anchors.length > 0 && chance(10) ? `*${pick(...anchors)}` : undefined);

  /** A scalar in one line or several; `indent` is the parent's. */
  const scalar = (indent: number, flow: boolean): string => {
    const a = alias();
    if (a) return a;
    const kind = g(fc.nat, { max: 9 });
    const more = spaces(indent + 1 + g(fc.nat, { max: 2 }));
    if (kind <= 4) {
      let text = pick(...(flow ? PLAIN_FLOW : PLAIN_BLOCK));
      if (chance(15)) text += `\n${pick("", "\n", " \n")}${more}${pick(...(flow ? PLAIN_FLOW : PLAIN_BLOCK))}`;
      return text;
    }
    if (kind <= 7) {
      const parts = [pick(...DOUBLE), pick(...DOUBLE)];
      return `"${parts.join(pick("", " ", `\n${more}`, `\\\n${more}`, ` \n\n${more}`))}"`;
    }
    const parts = [pick(...SINGLE), pick(...SINGLE)];
    return `'${parts.join(pick("", " ", `\n${more}`, ` \n\n${more}`))}'`;
  };

  const key = (indent: number): string => {
    const a = alias();
    if (a) return `${a} `;
    // (Flow collections and empty implicit keys are left out: the `yaml` library misreads some of
    // them after an explicit key or a block scalar.)
    if (chance(8)) return pick('"k"', "'k'", '"a: b"');
    return pick("a", "b", "key", "image", "containers", "x y", "1", "true", "-a", "a:b");
  };

  const flowCollection = (indent: number, depth: number): string => {
    const isMap = chance(50);
    const entries: string[] = [];
    const n = g(fc.nat, { max: 3 });
    const sep = () => pick(", ", ",", " , ", `,\n${spaces(indent + 1 + g(fc.nat, { max: 2 }))}`);
    for (let i = 0; i < n; i++) {
      const value = depth > 0 && chance(25) ? flowCollection(indent, depth - 1) : scalar(indent, true);
      if (isMap || chance(15))
        entries.push(`${pick("a", "b", "c", '"d"', "e f")}${chance(85) ? `${pick(": ", ":  ", ":\t")}${value}` : ""}`);
      else entries.push(value);
    }
    let body = entries.map((e, i) => (i === 0 ? e : sep() + e)).join("");
    if (chance(10) && n > 0) body += ",";
    const pad = pick("", " ", `\n${spaces(indent + 1)}`);
    return `${isMap ? "{" : "["}${pad}${body}${pad === "" ? "" : pick(" ", "", `\n${spaces(indent + 1)}`)}${isMap ? "}" : "]"}`;
  };

  const blockScalar = (indent: number): string => {
    const content = indent + 1 + g(fc.nat, { max: 2 });
    const explicit = chance(20) ? content - Math.max(indent, 0) : 0;
    const header = `${pick("|", ">")}${explicit > 0 && explicit < 10 ? explicit : ""}${pick("", "-", "+")}${pick("", " # h")}`;
    const lines: string[] = [];
    const n = g(fc.nat, { max: 4 });
    for (let i = 0; i < n; i++)
      lines.push(pick("", "text", "more words", " indented", "  deeper", "# not a comment", "a: b", "- c"));
    return `${header}\n${lines.map((l) => (l === "" ? spaces(pick(0, content)) : spaces(content) + l)).join("\n")}${pick("\n", "\n\n", "\n  \n")}`;
  };

  /** A value after `key:` or `- ` (the caller wrote the indicator); ends with a line break. */
  const value = (indent: number, depth: number, inSeqEntry: boolean): string => {
    const p = props();
    const pre = p ? `${gap()}${p}` : "";
    const kind = depth <= 0 ? pick(0, 0, 1, 4) : g(fc.nat, { max: 7 });
    if (kind === 0) return `${pre}${gap()}${scalar(indent, false)}${eol()}`;
    if (kind === 1) return `${pre}${gap()}${flowCollection(indent, 1)}${eol()}`;
    if (kind === 2) return `${pre}${gap()}${blockScalar(indent)}`;
    if (kind === 3 && inSeqEntry && !p) {
      // A compact mapping or sequence on the entry's line.
      const column = indent + 2;
      return chance(50) ? ` ${mapping(column, depth - 1, true)}` : ` ${sequence(column, depth - 1, true)}`;
    }
    if (kind === 4) return `${pre}${eol()}`;
    const childIndent = indent + 1 + g(fc.nat, { max: 2 });
    const seqIndent = inSeqEntry ? childIndent : pick(indent, childIndent);
    return `${pre}${eol()}${chance(10) ? "\n" : ""}${chance(10) ? `${spaces(childIndent)}# between\n` : ""}${chance(50) ? mapping(childIndent, depth - 1, false) : sequence(seqIndent, depth - 1, false)}`;
  };

  const mapping = (indent: number, depth: number, compact: boolean): string => {
    const n = 1 + g(fc.nat, { max: 2 });
    let out = "";
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      const lead = i === 0 && compact ? "" : spaces(indent);
      let k = key(indent);
      if (used.has(k)) k = `k${i}`;
      used.add(k);
      // (The `yaml` library is inconsistent about properties on flow collection keys: none are written.)
      const keyProps = chance(5) && !/^[[{*]/.test(k) ? `${props()} ` : "";
      out += `${lead}${keyProps.trim() ? keyProps : ""}${k}:${value(indent, depth, false)}`;
      if (chance(8)) out += pick("\n", `${spaces(indent)}# comment\n`, "# at column 0\n");
    }
    return out;
  };

  const sequence = (indent: number, depth: number, compact: boolean): string => {
    const n = 1 + g(fc.nat, { max: 2 });
    let out = "";
    for (let i = 0; i < n; i++)
      out += `${i === 0 && compact ? "" : spaces(indent)}-${chance(30) ? value(indent, depth, true) : value(indent, depth, true)}`;
    return out;
  };

  const documents: string[] = [];
  const count = 1 + g(fc.nat, { max: 2 });
  for (let i = 0; i < count; i++) {
    anchors.length = 0;
    const start =
      i === 0 ? pick("", "", "---\n", "--- # first\n", "%YAML 1.2\n---\n") : pick("---\n", "--- \n", "...\n---\n");
    const body = pick(
      () => mapping(pick(0, 0, 2), 3, false),
      () => sequence(0, 3, false),
      () => `${scalar(-1, false)}\n`,
      () => `${flowCollection(-1, 2)}\n`,
      () => "",
    )();
    documents.push(start + body + (chance(10) ? "...\n" : ""));
  }
  let text = documents.join("");
  if (chance(10)) text = text.replace(/\n/g, "\r\n");
  // (No final line break after a last line of spaces: the `yaml` library counts such a line in a
  // kept block scalar in ways that depend on its length.)
  if (chance(10)) text = text.replace(/([^ \r\n])\r?\n$/, "$1");
  return text;
}

/** Texts written by hand. */
export const handWrittenTexts: fc.Arbitrary<string> = fc.gen().map((g) => handWritten(g));

/** A text with one small damage: a character removed, inserted or a line's indentation changed. */
export function damaged(texts: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      texts,
      fc.nat(),
      fc.constantFrom("delete", "insert", "indent", "dedent"),
      fc.constantFrom(..." \t\n:-?#,[]{}'\"|>&*!%\\"),
    )
    .map(([text, at, how, c]) => {
      if (text.length === 0) return c;
      const i = at % text.length;
      if (how === "delete") return text.slice(0, i) + text.slice(i + 1);
      if (how === "insert") return text.slice(0, i) + c + text.slice(i);
      const lineStart = text.lastIndexOf("\n", i - 1) + 1;
      return how === "indent"
        ? `${text.slice(0, lineStart)} ${text.slice(lineStart)}`
        : text.slice(0, lineStart) + text.slice(lineStart).replace(/^ /, "");
    });
}
