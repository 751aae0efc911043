/**
 * The `yaml` library as the oracle for the job's YAML reader: both readings of a text in one
 * neutral shape (styles, text values, anchors, aliases, tags and scalar offsets), so a test can
 * compare them with toEqual. Test-only: the shipped script never bundles `yaml`.
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlLibNode } from "yaml";
import { readYamlDocuments, YamlSyntaxError, type YamlNode } from "../../runtime/yaml-reader.ts";

/** A node in the shape both readers are compared in. */
export type Neutral =
  | { scalar: string; value: string; at?: [number, number] | number; anchor?: string; tag?: string }
  | { map: Array<[Neutral, Neutral]>; flow: boolean; anchor?: string; tag?: string }
  | { seq: Neutral[]; flow: boolean; anchor?: string; tag?: string }
  | { alias: string };

/** What a reader made of a text: the documents, or that it refused it. */
export type Reading = { documents: Neutral[] } | { error: string };

const STYLES: Record<string, string> = {
  PLAIN: "plain",
  QUOTE_SINGLE: "single",
  QUOTE_DOUBLE: "double",
  BLOCK_LITERAL: "literal",
  BLOCK_FOLDED: "folded",
};

function props(anchor: string | undefined, tag: string | undefined): { anchor?: string; tag?: string } {
  return { ...(anchor ? { anchor } : {}), ...(tag ? { tag } : {}) };
}

/** `!!str` as the `yaml` library resolves it (`!` alone: the kind's own tag). */
function resolveTag(tag: string | undefined, kind: YamlNode["kind"]): string | undefined {
  if (tag === undefined) return undefined;
  if (tag === "!") return kind === "scalar" ? "!" : `tag:yaml.org,2002:${kind}`;
  if (tag.startsWith("!!")) return `tag:yaml.org,2002:${tag.slice(2)}`;
  if (tag.startsWith("!<")) return tag.slice(2, -1);
  // (Named handles resolve through %TAG directives, which the reader does not resolve: compared as written.)
  return tag;
}

const EMPTY: Neutral = { scalar: "plain", value: "" };

/** Anchors by name while converting in document order: "open" while the anchored node is being read. */
type AnchorStates = Map<string, "open" | "done">;

/** The library accepts an alias inside its own anchor's node (a recursive structure); kustomize's YAML parser refuses it, as the job's reader does. */
class RecursiveAlias extends Error {}

function fromLibrary(node: YamlLibNode | null | undefined, anchors: AnchorStates): Neutral {
  if (node === null || node === undefined) return EMPTY;
  if (isAlias(node)) {
    if (anchors.get(node.source) === "open") throw new RecursiveAlias(`alias *${node.source} inside its own anchor`);
    return { alias: node.source };
  }
  if (node.anchor) anchors.set(node.anchor, "open");
  const neutral = fromLibraryNode(node, anchors);
  if (node.anchor) anchors.set(node.anchor, "done");
  return neutral;
}

function fromLibraryNode(node: YamlLibNode, anchors: AnchorStates): Neutral {
  if (isScalar(node)) {
    const style = STYLES[node.type ?? "PLAIN"] ?? "?";
    const value = (node as { source?: string }).source ?? "";
    const range = node.range as [number, number, number];
    const at =
      value === "" && style === "plain"
        ? undefined
        : style === "literal" || style === "folded"
          ? range[0]
          : ([range[0], range[1]] as [number, number]);
    return { scalar: style, value, ...(at === undefined ? {} : { at }), ...props(node.anchor, node.tag) };
  }
  if (isMap(node))
    return {
      map: node.items.map((p) => [
        fromLibrary(p.key as YamlLibNode, anchors),
        fromLibrary(p.value as YamlLibNode, anchors),
      ]),
      flow: Boolean(node.flow),
      ...props(node.anchor, node.tag),
    };
  if (isSeq(node))
    return {
      seq: node.items.map((i) => fromLibrary(i as YamlLibNode, anchors)),
      flow: Boolean(node.flow),
      ...props(node.anchor, node.tag),
    };
  throw new Error("unknown node");
}

function fromReader(node: YamlNode): Neutral {
  const p = props(node.anchor, resolveTag(node.tag, node.kind));
  if (node.kind === "scalar") {
    const at =
      node.value === "" && node.style === "plain"
        ? undefined
        : node.style === "literal" || node.style === "folded"
          ? node.start
          : ([node.start, node.end] as [number, number]);
    return { scalar: node.style, value: node.value, ...(at === undefined ? {} : { at }), ...p };
  }
  if (node.kind === "alias") return { alias: node.name };
  if (node.kind === "map")
    return { map: node.pairs.map((pair) => [fromReader(pair.key), fromReader(pair.value)]), flow: node.flow, ...p };
  return { seq: node.items.map(fromReader), flow: node.flow, ...p };
}

/** The `yaml` library's reading (an unknown alias counts as an error, as in kustomize). */
export function libraryReading(text: string): Reading {
  const docs = parseAllDocuments(text);
  for (const doc of docs) {
    const problem = doc.errors[0];
    if (problem) return { error: problem.message.split("\n")[0] ?? problem.message };
    try {
      doc.toJS({ maxAliasCount: -1, mapAsMap: true });
    } catch (e) {
      return { error: (e as Error).message };
    }
  }
  try {
    return { documents: docs.map((d) => fromLibrary(d.contents as YamlLibNode, new Map())) };
  } catch (e) {
    if (e instanceof RecursiveAlias) return { error: e.message };
    throw e;
  }
}

/** The job's reader's reading. */
export function readerReading(text: string): Reading {
  try {
    return { documents: readYamlDocuments(text).map(fromReader) };
  } catch (e) {
    if (e instanceof YamlSyntaxError) return { error: e.message };
    throw e;
  }
}
