/**
 * A small YAML reader for editing files in place: text in, documents of nodes out, each node
 * knowing where it stands in the text. Scalars keep their text value and style; nothing is
 * resolved to numbers or booleans, because kustomize compares the text of a value, not its type.
 *
 * It reads YAML 1.2 the way the `yaml` library does (block and flow collections, plain, quoted
 * and block scalars, comments, multi-document streams, directives, anchors, aliases, tags) and
 * throws YamlSyntaxError, with line and column, for anything it cannot read, so no edit is ever
 * planned on a misread file. test/update-manifests/yaml-reader.test.ts holds it to the `yaml`
 * library on generated documents. It exists so the job scripts (update-manifests, and review's
 * check of what kustomize would read) do not bundle a whole YAML library (see the README's script
 * budget).
 */
import { blockValue, quotedValue, type BlockHeader } from "./yaml-scalars.ts";

/** Where a node's text is: offsets into the source; `start` is after any anchor or tag. */
interface NodeBase {
  start: number;
  end: number;
  anchor?: string;
  /** The tag as written (`!!str`, `!local`, `!<verbatim>`). */
  tag?: string;
}

/** How a scalar is written. */
export type ScalarStyle = "plain" | "single" | "double" | "literal" | "folded";

/** A scalar; an empty node (`key:`) is a plain scalar with the value "" and start === end. */
export interface YamlScalar extends NodeBase {
  kind: "scalar";
  style: ScalarStyle;
  value: string;
}

/** One `key: value` of a mapping. */
export interface YamlPair {
  key: YamlNode;
  value: YamlNode;
}

/** A mapping, block or flow. */
export interface YamlMap extends NodeBase {
  kind: "map";
  flow: boolean;
  pairs: YamlPair[];
}

/** A sequence, block or flow. */
export interface YamlSeq extends NodeBase {
  kind: "seq";
  flow: boolean;
  items: YamlNode[];
}

/** `*name`, with the node it refers to. */
export interface YamlAlias extends NodeBase {
  kind: "alias";
  name: string;
  target: YamlNode;
}

/** Any node. */
export type YamlNode = YamlScalar | YamlMap | YamlSeq | YamlAlias;

/** The text is not YAML this reader understands. */
export class YamlSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = "YamlSyntaxError";
  }
}

/** What introduced a block node: only a sequence entry may open a collection on its line. */
type BlockContext = "document" | "value" | "entry";

/** A space or a tab (a regular expression: esbuild would print a "\t" string as a raw tab). */
const SPACE = /[ \t]/;
const isSpace = (c: string | undefined) => c !== undefined && SPACE.test(c);
const isBreak = (c: string | undefined) => c === "\n" || c === "\r";
const isFlowIndicator = (c: string | undefined) => c !== undefined && ",[]{}".includes(c);
/** A character of a tag after its `!` (YAML's URI characters, without the flow indicators). */
const TAG_CHAR = /[A-Za-z0-9\-#;/?:@&=+$_.~*'()]/;
/** Plain scalars cannot start with these (`-`, `?`, `:` can when a non-space follows). */
const INDICATORS = "-?:,[]{}#&*!|>'\"%@`";

interface Properties {
  anchor?: string;
  tag?: string;
}

/** Reads every document of `src`; each is its root node (an empty document is an empty scalar). */
export function readYamlDocuments(src: string): YamlNode[] {
  let pos = src.startsWith("\uFEFF") ? 1 : 0;
  /** Anchors of the current document; `null` while the anchored node is still being read. */
  let anchors = new Map<string, YamlNode | null>();
  /** Tag handles the current document's %TAG directives declare. */
  let handles = new Set<string>();

  const fail = (reason: string, at = pos): never => {
    const before = src.slice(0, at);
    throw new YamlSyntaxError(before.split("\n").length, at - before.lastIndexOf("\n"), reason);
  };
  // YAML reads a lone carriage return as a line break, the `yaml` library as text: refused.
  const lone = /\r(?!\n)/.exec(src);
  if (lone) fail("a carriage return without a line feed", lone.index);
  const ch = (at = pos) => src[at];
  const blankAt = (at: number) => ch(at) === undefined || isSpace(ch(at)) || isBreak(ch(at));
  /** `- `, `? `, `: `: the indicator `c` followed by a blank. */
  const indicator = (c: string) => ch() === c && blankAt(pos + 1);
  const lineStartOf = (at: number) => src.lastIndexOf("\n", at - 1) + 1;
  const column = (at = pos) => at - (lineStartOf(at) || (src.startsWith("\uFEFF") ? 1 : 0));
  const atLineStart = (at = pos) => at === 0 || src[at - 1] === "\n" || (at === 1 && src[0] === "\uFEFF");
  const lineOf = (at: number) => src.slice(0, at).split("\n").length;
  /** `---` or `...` at the start of a line, followed by a blank. */
  const documentMarker = (at = pos) => atLineStart(at) && /^(---|\.\.\.)([ \t\r\n]|$)/.test(src.slice(at, at + 4));
  const skipSpaces = () => {
    while (isSpace(ch())) pos++;
  };
  const skipToLineEnd = () => {
    while (ch() !== undefined && !isBreak(ch())) pos++;
  };
  const skipBreak = () => {
    if (ch() === "\r") pos++;
    if (ch() === "\n") pos++;
  };
  const spacesFrom = (at: number) => /^ */.exec(src.slice(at, at + 1000))?.[0].length ?? 0;
  /** A comment starts here; it needs a blank or a line start before its `#`. */
  const comment = () => {
    if (ch() !== "#") return false;
    if (!atLineStart() && !isSpace(ch(pos - 1))) fail("a comment needs a space before #");
    return true;
  };
  /** Ends the current line: spaces, an optional comment, the line break. Nothing at a line start. */
  const finishLine = () => {
    if (atLineStart()) return;
    skipSpaces();
    if (comment()) skipToLineEnd();
    if (ch() !== undefined && !isBreak(ch())) fail(`unexpected ${JSON.stringify(ch())}`);
    skipBreak();
  };
  /** From a line start: past blank and comment lines to the first content; its column, or -1 at the end. */
  const nextContent = (): number => {
    for (;;) {
      const lineStart = pos;
      const indent = spacesFrom(pos);
      pos += indent;
      skipSpaces();
      if (ch() === undefined) return -1;
      if (!comment() && !isBreak(ch())) {
        if (pos !== lineStart + indent) fail("tabs are not allowed as indentation", lineStart + indent);
        return indent;
      }
      skipToLineEnd();
      skipBreak();
    }
  };
  /** After an indicator (`:`, `-`, `?`, `---`): true when content follows on the same line. */
  const afterIndicator = () => {
    skipSpaces();
    if (ch() !== undefined && !isBreak(ch()) && !comment()) return true;
    finishLine();
    return false;
  };
  /**
   * At a line start after an indicator: moves to the next content when it belongs to the entry
   * (deeper than `column`, or a sequence at `column` for a mapping's value), else stays.
   */
  const entryContinues = (column: number, seqAtColumn: boolean) => {
    const lineStart = pos;
    const next = nextContent();
    if (next >= 0 && !documentMarker() && (next > column || (seqAtColumn && next === column && indicator("-"))))
      return true;
    pos = lineStart;
    return false;
  };
  /** After an entry: to the next entry of the block collection at `column` (true), or to the line that ends it. */
  const nextEntry = (column: number, isEntry: () => boolean) => {
    finishLine();
    const lineStart = pos;
    const next = nextContent();
    if (next < 0 || documentMarker() || next < column || (next === column && !isEntry())) {
      pos = next < 0 ? src.length : lineStart;
      return false;
    }
    if (next > column) fail("this line is indented more than the entries before it");
    return true;
  };

  const empty = (at: number): YamlScalar => ({ kind: "scalar", style: "plain", value: "", start: at, end: at });
  const withProperties = <T extends YamlNode>(node: T, props: Properties): T => {
    if (node.kind === "alias" && (props.anchor !== undefined || props.tag !== undefined))
      fail("an alias cannot have an anchor or a tag", node.start);
    if (props.tag !== undefined) {
      if (node.tag !== undefined) fail("a node has two tags", node.start);
      node.tag = props.tag;
    }
    if (props.anchor !== undefined) {
      if (node.anchor !== undefined) fail("a node has two anchors", node.start);
      node.anchor = props.anchor;
      anchors.set(props.anchor, node);
    }
    return node;
  };
  /** The name after `&` or `*`. */
  const name = () => {
    const start = ++pos;
    while (!blankAt(pos) && !isFlowIndicator(ch())) pos++;
    if (pos === start) fail("an anchor or alias needs a name");
    return src.slice(start, pos);
  };
  /** `&anchor` and `!tag`, in either order, each at most once; `flow`: inside a flow collection. */
  const properties = (flow = false): Properties => {
    const found: Properties = {};
    for (;;) {
      const start = pos;
      if (ch() === "&" && found.anchor === undefined) {
        found.anchor = name();
        // Until its node is complete, an alias to the anchor would be inside it: refused.
        anchors.set(found.anchor, null);
      } else if (ch() === "!" && found.tag === undefined) {
        const verbatim = ch(++pos) === "<";
        if (verbatim) pos++;
        // A named handle (`!!`, `!e!`) comes before the suffix.
        else pos += /^\w*!/.exec(src.slice(pos, pos + 64))?.[0].length ?? 0;
        for (;;) {
          if (ch() === "%" && /^%[0-9a-fA-F]{2}$/.test(src.slice(pos, pos + 3))) pos += 3;
          else if (TAG_CHAR.test(ch() ?? " ") || (verbatim && isFlowIndicator(ch()))) pos++;
          else break;
        }
        if (verbatim && ch(pos++) !== ">") fail("a verbatim tag must end with >", start);
        found.tag = src.slice(start, pos);
        const handle = verbatim ? undefined : /^!\w*!/.exec(found.tag)?.[0];
        if (handle === found.tag) fail(`the tag ${handle} has no suffix`, start);
        if (handle && handle !== "!!" && !handles.has(handle))
          fail(`the tag handle ${handle} has no %TAG directive`, start);
      } else return found;
      if (!blankAt(pos) && !(flow && ",]}".includes(ch() as string))) fail("a space must follow an anchor or a tag");
      skipSpaces();
    }
  };
  const alias = (): YamlAlias => {
    const start = pos;
    const aliasName = name();
    const target = anchors.get(aliasName);
    if (target === undefined) fail(`alias *${aliasName} refers to no anchor before it`, start);
    if (target === null) fail(`alias *${aliasName} is inside the node its anchor names`, start);
    return { kind: "alias", name: aliasName, target: target as YamlNode, start, end: pos };
  };

  /** At a line start inside a multi-line scalar or flow collection (`what`, from `start`): deep enough, no document marker. */
  const continuationLine = (parent: number, start: number, what: string) => {
    const lineStart = pos;
    const spaces = spacesFrom(pos);
    pos += spaces;
    skipSpaces();
    const where = `the ${what} that starts on line ${lineOf(start)}, which may not be closed`;
    if (documentMarker(lineStart)) fail(`document marker inside ${where}`, lineStart);
    // (A comment line inside a flow collection may sit anywhere, as in `yaml`.)
    if (!isBreak(ch()) && ch() !== undefined && spaces <= parent && !(what === "flow collection" && ch() === "#"))
      fail(`this line is not indented enough to continue ${where}`, lineStart + spaces);
  };

  /** A plain scalar; `flow`: inside flow collections, where `,[]{}` end it. Continuation lines must be deeper than `parent`. */
  const plain = (parent: number, flow: boolean): YamlScalar => {
    const start = pos;
    const first = ch() as string;
    if (
      INDICATORS.includes(first) &&
      !("-?:".includes(first) && !blankAt(pos + 1) && !(flow && isFlowIndicator(ch(pos + 1))))
    )
      fail(`unexpected ${JSON.stringify(first)}`);
    let value = "";
    let end = pos;
    let separator = "";
    for (;;) {
      // One line: up to ": ", " #", the line end or, in flow context, an indicator.
      const lineStart = pos;
      for (let c = ch(); c !== undefined && !isBreak(c); c = ch(++pos)) {
        if ((c === "#" && isSpace(ch(pos - 1))) || (flow && isFlowIndicator(c))) break;
        if (c === ":" && (blankAt(pos + 1) || (flow && isFlowIndicator(ch(pos + 1))))) break;
      }
      let textEnd = pos;
      while (textEnd > lineStart && isSpace(src[textEnd - 1])) textEnd--;
      if (textEnd === lineStart) break;
      value += separator + src.slice(lineStart, textEnd);
      end = textEnd;
      if (!isBreak(ch())) break;
      // It goes on at the next non-empty line when that is deeper than `parent` and not a comment.
      let breaks = 0;
      let goesOn = false;
      while (isBreak(ch())) {
        skipBreak();
        breaks++;
        const lineAt = pos;
        const spaces = spacesFrom(pos);
        pos += spaces;
        skipSpaces();
        goesOn = ch() !== undefined && !isBreak(ch()) && ch() !== "#" && spaces > parent && !documentMarker(lineAt);
        // A blank line with a tab, no deeper than `parent`, ends it (as in `yaml`).
        if (isBreak(ch()) && pos > lineAt + spaces && spaces <= parent) break;
      }
      if (!goesOn) break;
      separator = breaks > 1 ? "\n".repeat(breaks - 1) : " ";
    }
    pos = end;
    return { kind: "scalar", style: "plain", value, start, end };
  };

  /** A quoted scalar; its continuation lines must be deeper than `parent`. */
  const quoted = (parent: number): YamlScalar => {
    const start = pos;
    const double = ch() === '"';
    for (pos++; ; ) {
      const c = ch();
      if (c === undefined) fail(`missing closing ${double ? '"' : "'"}`, start);
      if (double ? c === '"' : c === "'" && ch(pos + 1) !== "'") break;
      if (double && c === "\\" && isBreak(ch(pos + 1))) pos++;
      if (isBreak(ch())) {
        skipBreak();
        continuationLine(parent, start, "quoted scalar");
      } else pos += (double && c === "\\") || (!double && c === "'") ? 2 : 1;
    }
    pos++;
    const value = quotedValue(src.slice(start + 1, pos - 1), double, (offset, reason) =>
      fail(reason, start + 1 + offset),
    );
    return { kind: "scalar", style: double ? "double" : "single", value, start, end: pos };
  };

  /** `|` or `>` and its lines; ends at the start of the first line that is not its own. */
  const blockScalar = (parent: number): YamlScalar => {
    const start = pos;
    const header: BlockHeader = { folded: ch() === ">", chomp: "clip" };
    let explicit: number | undefined;
    for (pos++; ; pos++) {
      const c = ch() as string;
      if (/[1-9]/.test(c) && explicit === undefined) explicit = Math.max(parent, 0) + Number(c);
      else if ((c === "+" || c === "-") && header.chomp === "clip") header.chomp = c === "+" ? "keep" : "strip";
      else break;
    }
    let end = pos;
    if (!blankAt(pos)) fail("unexpected character in a block scalar header");
    finishLine();
    // Its lines: lines of spaces, and lines as deep as its content (the header's indentation, or the first text line's).
    const first = pos;
    const lines: Array<{ at: number; text: string }> = [];
    let depth = explicit;
    while (pos < src.length) {
      const at = pos;
      const eol = src.indexOf("\n", at) < 0 ? src.length : src.indexOf("\n", at);
      const text = src.slice(at, src[eol - 1] === "\r" ? eol - 1 : eol);
      const spaces = spacesFrom(at);
      const blank = spaces === text.length;
      if (!blank && depth === undefined) depth = spaces <= parent ? Infinity : spaces;
      if (documentMarker(at) || (!blank && spaces < (depth as number))) {
        if (/^ *\t/.test(text)) fail("a tab before a block scalar's content", at);
        break;
      }
      lines.push({ at, text });
      if (!blank) end = at + text.length;
      pos = Math.min(eol + 1, src.length);
    }
    // Unless kept, trailing lines of spaces no deeper than its first text line are not its own (as in `yaml`).
    const deepest = spacesFrom(lines.find((l) => /[^ ]/.test(l.text))?.at ?? -1);
    while (
      header.chomp !== "keep" &&
      end > start &&
      lines.length > 0 &&
      /^ *$/.test(lines[lines.length - 1]?.text ?? "") &&
      (lines[lines.length - 1]?.text.length ?? 0) <= deepest
    )
      pos = (lines.pop() as { at: number }).at;
    const texts = lines.map((l) => l.text);
    if (pos > first && src[pos - 1] === "\n") texts.push("");
    const value = blockValue(texts, header, explicit, parent, (line, reason) => fail(reason, lines[line]?.at ?? start));
    return { kind: "scalar", style: header.folded ? "folded" : "literal", value, start, end };
  };

  /** Spaces, comments and line breaks inside a flow collection that starts at `start`. */
  const flowSpace = (parent: number, start: number) => {
    for (;;) {
      skipSpaces();
      if (comment()) skipToLineEnd();
      if (!isBreak(ch())) return;
      skipBreak();
      continuationLine(parent, start, "flow collection");
    }
  };

  /** `[...]` or `{...}`; its lines must be deeper than `parent`. */
  const flowCollection = (parent: number): YamlMap | YamlSeq => {
    const start = pos;
    const close = ch() === "{" ? "}" : "]";
    const node: YamlMap | YamlSeq =
      close === "}"
        ? { kind: "map", flow: true, pairs: [], start, end: start }
        : { kind: "seq", flow: true, items: [], start, end: start };
    for (pos++; ; pos++) {
      flowSpace(parent, start);
      if (ch() === close) break;
      if (indicator("?")) unsupportedExplicitKey();
      const atIndicator = ch() === ":" && (blankAt(pos + 1) || isFlowIndicator(ch(pos + 1)));
      const key = atIndicator ? empty(pos) : flowNode(parent, start);
      const keyEnd = pos;
      flowSpace(parent, start);
      // After a quoted or bracketed key, ":" needs no space (JSON).
      const jsonLike = key.kind !== "scalar" || key.style === "single" || key.style === "double";
      let value: YamlNode | undefined;
      if (ch() === ":" && (jsonLike || blankAt(pos + 1) || isFlowIndicator(ch(pos + 1)))) {
        if (multiLine(key) || (node.kind === "seq" && src.slice(key.start, pos).includes("\n")))
          fail("a mapping key must be on one line", key.start);
        pos++;
        flowSpace(parent, start);
        value = ch() === "," || ch() === close ? empty(pos) : flowNode(parent, start);
        flowSpace(parent, start);
      } else if (node.kind === "map") value = empty(keyEnd);
      if (node.kind === "map") addPair(node, key, value as YamlNode);
      else if (value === undefined) node.items.push(key);
      else
        node.items.push(
          addPair(
            { kind: "map", flow: true, pairs: [], start: key.start, end: Math.max(value.end, key.end) },
            key,
            value,
          ),
        );
      if (ch() === close) break;
      if (ch() !== ",") fail(ch() === undefined ? `missing closing ${close}` : `expected , or ${close}`);
    }
    node.end = ++pos;
    return node;
  };

  /** A node inside a flow collection that starts at `start`. */
  const flowNode = (parent: number, start: number): YamlNode => {
    const propsAt = pos;
    const props = properties(true);
    if (pos !== propsAt) flowSpace(parent, start);
    const c = ch();
    if (c === undefined) fail("missing closing bracket", start);
    const absent = pos !== propsAt && (c === "," || c === "]" || c === "}" || (c === ":" && blankAt(pos + 1)));
    return withProperties(absent ? empty(pos) : scalarOrCollection(parent, true), props);
  };

  /** An alias, a flow collection or a scalar, by its first character; `flow`: inside a flow collection. */
  const scalarOrCollection = (parent: number, flow: boolean): YamlNode => {
    const c = ch();
    return c === "*"
      ? alias()
      : c === "[" || c === "{"
        ? flowCollection(parent)
        : c === "'" || c === '"'
          ? quoted(parent)
          : plain(parent, flow);
  };

  const multiLine = (node: YamlNode) => src.slice(node.start, node.end).includes("\n");
  /** `? key` entries never appear in Kubernetes manifests, and readers disagree on their corner cases: refused. */
  const unsupportedExplicitKey = () => fail('explicit keys ("? key") are not supported: write the key as "key: value"');

  const addPair = (map: YamlMap, key: YamlNode, value: YamlNode): YamlMap => {
    const id = keyIdentity(key);
    if (id !== undefined && map.pairs.some((p) => keyIdentity(p.key) === id))
      fail(`duplicate key ${JSON.stringify((key as YamlScalar).value)}`, key.start);
    map.pairs.push({ key, value });
    return map;
  };

  const blockSequence = (col: number): YamlSeq => {
    const seq: YamlSeq = { kind: "seq", flow: false, items: [], start: pos, end: pos + 1 };
    do {
      pos++; // the "-"
      const inline = afterIndicator();
      const item = inline || entryContinues(col, false) ? blockNode(col, "entry", inline) : empty(pos);
      seq.items.push(item);
      seq.end = Math.max(seq.end, item.end);
    } while (nextEntry(col, () => indicator("-")));
    return seq;
  };

  const blockMapping = (col: number, firstKey?: YamlNode): YamlMap => {
    const map: YamlMap = { kind: "map", flow: false, pairs: [], start: firstKey?.start ?? pos, end: pos };
    let key = firstKey;
    do {
      if (key === undefined) {
        if (indicator("?")) unsupportedExplicitKey();
        const propsAt = pos;
        const props = properties();
        if (pos !== propsAt && column(propsAt) !== col) fail("unexpected indentation");
        key = withProperties(indicator(":") ? empty(pos) : scalarOrCollection(col, false), props);
        skipSpaces();
      }
      if (!indicator(":")) fail('expected a key and ": " (a mapping entry)');
      if (multiLine(key)) fail("a mapping key must be on one line", key.start);
      pos++;
      const inline = afterIndicator();
      const value = inline || entryContinues(col, true) ? blockNode(col, "value", inline) : empty(pos);
      addPair(map, key, value);
      map.end = Math.max(map.end, value.end, key.end);
      key = undefined;
    } while (nextEntry(col, () => true));
    return map;
  };

  /**
   * A node in block context. `parent` is the indentation of the enclosing block collection (-1 at
   * the top); `inline` is true when the node starts on the line of the indicator before it.
   */
  const blockNode = (parent: number, context: BlockContext, inline: boolean): YamlNode => {
    const lineAt = pos;
    // After "- ", a tab may separate a scalar, not properties or a compact collection (as in `yaml`).
    const tabbed = inline && context === "entry" && /-[ \t]*\t[ \t]*$/.test(src.slice(lineStartOf(lineAt), lineAt));
    const props = properties();
    const hasProps = pos !== lineAt;
    if (tabbed && hasProps) fail("tabs are not allowed as indentation", lineAt);
    if (hasProps && (ch() === undefined || isBreak(ch()) || comment())) {
      // Properties on a line of their own belong to the node on the next lines, if any.
      const end = pos;
      finishLine();
      return withProperties(
        entryContinues(parent, context === "value") ? blockNode(parent, context, false) : empty(end),
        props,
      );
    }
    const at = column(lineAt);
    const c = ch();
    if (indicator("?")) unsupportedExplicitKey();
    if (indicator("-") || indicator(":")) {
      const what = `a block ${c === "-" ? "sequence" : "mapping"} cannot start on this line`;
      if (inline && context !== "entry") fail(what);
      // `&a : value`: the properties are the empty key's, except on a mapping value's own line (as in `yaml`).
      if (hasProps && c === ":")
        return inline || context !== "value"
          ? blockMapping(at, withProperties(empty(pos), props))
          : withProperties(blockMapping(at, empty(pos)), props);
      if (hasProps) fail(what);
      if (tabbed) fail("tabs are not allowed as indentation", lineAt);
      return c === "-" ? blockSequence(at) : blockMapping(at);
    }
    if (c === "|" || c === ">") return withProperties(blockScalar(parent), props);
    // Properties on the line of an implicit key are the key's.
    const node = withProperties(scalarOrCollection(parent, false), props);
    const end = pos;
    skipSpaces();
    if (!indicator(":")) {
      pos = end;
      return node;
    }
    if (inline && context !== "entry")
      fail("a block mapping cannot start on this line (a nested mapping needs lines of its own)");
    if (tabbed) fail("tabs are not allowed as indentation", lineAt);
    return blockMapping(at, node);
  };

  /** `%YAML 1.x` and `%TAG !handle! prefix`; other directives are skipped, as YAML says. */
  const directive = () => {
    const start = pos;
    skipToLineEnd();
    const [directiveName, first] = src
      .slice(start, pos)
      .replace(/\s+#.*$/, "")
      .trim()
      .split(/\s+/);
    if (directiveName === "%YAML" && !/^1\.[12]$/.test(first ?? ""))
      fail(`unsupported YAML version ${first ?? ""}`, start);
    if (directiveName === "%TAG" && first) handles.add(first);
  };

  const documents: YamlNode[] = [];
  let directives = false;
  let ended = false;
  for (;;) {
    finishLine();
    if (nextContent() < 0) break;
    if (ch() === "%" && column() === 0) {
      if (!directives) handles = new Set();
      directive();
      directives = true;
      continue;
    }
    const marker = documentMarker() ? src.slice(pos, pos + 3) : undefined;
    if (directives && marker !== "---") fail("directives must be followed by ---");
    if (marker === "...") {
      // A document end marker with no document before it is an empty document (as in `yaml`).
      if (!ended) documents.push(empty(pos));
      ended = false;
      pos += 3;
      continue;
    }
    if (!directives) handles = new Set();
    directives = false;
    anchors = new Map();
    let inline = false;
    let hasContent = true;
    if (marker === "---") {
      pos += 3;
      inline = afterIndicator();
      if (!inline) hasContent = entryContinues(-1, false);
    }
    documents.push(hasContent ? blockNode(-1, "document", inline) : empty(pos));
    ended = true;
    finishLine();
    const lineStart = pos;
    if (nextContent() >= 0 && !documentMarker()) fail("unexpected content after the end of the document");
    pos = lineStart;
  }
  if (directives) fail("directives must be followed by a document");
  return documents;
}

/**
 * What makes two keys duplicates: the same text, unless a plain key reads as a number, a boolean
 * or null (`1`, `true`: then only the same plain text, so `1` and `"1"` differ, as in `yaml`).
 */
function keyIdentity(key: YamlNode): string | undefined {
  if (key.kind !== "scalar") return undefined;
  const special =
    key.style === "plain" &&
    key.tag === undefined &&
    /^(?:[-+.]?[0-9][\w.+-]*|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)|~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|)$/.test(
      key.value,
    );
  return special ? `plain ${key.value}` : key.value;
}
