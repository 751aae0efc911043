/**
 * Repointing an image in one YAML file, as a text patch. The file is parsed with the `yaml`
 * Document API only to find the nodes; the new values are written into the original text at the
 * nodes' source offsets, so comments, order, quoting and formatting stay byte-for-byte and the
 * diff is the changed values only. Pure: text in, text out.
 */
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, visit, type Pair, type Scalar, type YAMLMap } from "yaml";
import { formatImageReference, parseImageReference, type ImageReference } from "../../runtime/image-reference.ts";

/** Which image to repoint, and to what. */
export interface ImageTarget {
  /** The repository manifests refer to, without tag or digest (`registry.example.com/group/app`). */
  imageName: string;
  /** The image to point at; it has a tag, a digest or both. */
  image: ImageReference;
}

/** One value changed (or added, or removed) in a file. */
export interface ImageChange {
  /** 1-based line of the value in the original text. */
  line: number;
  /** Where, as a YAML path (`spec.template.spec.containers[0].image`). */
  path: string;
  /** The value before; undefined when the key is added. */
  from?: string;
  /** The value after; undefined when the key is removed. */
  to?: string;
}

/** The outcome for one file. */
export interface ManifestEdit {
  /** The new text (equal to the input when nothing changed). */
  text: string;
  /** How many references to the image were found (changed or already current). */
  matched: number;
  changes: ImageChange[];
}

/** The file is not valid YAML. */
export class ManifestSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = "ManifestSyntaxError";
  }
}

/** The file refers to the image in a shape a one-line patch cannot change (a flow mapping needing a new key). */
export class UneditableManifestError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = "UneditableManifestError";
  }
}

interface TextPatch {
  start: number;
  end: number;
  text: string;
}

/**
 * Repoints every reference to `target.imageName` in `source`: container `image:` values whose
 * repository is the image name, and kustomize `images:` entries whose `name` (or `newName`) is it.
 */
export function editImages(source: string, target: ImageTarget): ManifestEdit {
  const result = planEdits(source, target);
  const text = applyPatches(source, result.patches);
  if (result.patches.length > 0) {
    // The patch is only trusted once the result parses and needs no further change.
    const again = planEdits(text, target);
    if (again.patches.length > 0) throw new Error(`internal error: repointing ${target.imageName} did not converge (line ${again.changes[0]?.line})`);
  }
  return { text, matched: result.matched, changes: result.changes };
}

function planEdits(source: string, target: ImageTarget): { patches: TextPatch[]; changes: ImageChange[]; matched: number } {
  const lines = lineStarts(source);
  const lineOf = (offset: number) => lineIndex(lines, offset) + 1;
  const patches: TextPatch[] = [];
  const changes: ImageChange[] = [];
  let matched = 0;
  const wanted = formatImageReference(target.image);

  for (const doc of parseAllDocuments(source)) {
    const problem = doc.errors[0];
    if (problem) {
      const [line = 0, column = 0] = problem.linePos?.[0] ? [problem.linePos[0].line, problem.linePos[0].col] : [];
      throw new ManifestSyntaxError(line, column, problem.message.split("\n")[0] ?? problem.message);
    }
    visit(doc, {
      Pair(_, pair, ancestors) {
        if (!isScalar(pair.key)) return;
        const key = pair.key.value;
        if (key === "image" && isScalar(pair.value) && typeof pair.value.value === "string") {
          const current = pair.value.value;
          if (parseImageReference(current)?.repository !== target.imageName) return;
          matched++;
          if (current !== wanted) {
            patches.push(replaceScalar(pair.value, wanted));
            changes.push({ line: lineOf(scalarStart(pair.value)), path: yamlPath(ancestors, pair), from: current, to: wanted });
          }
          return;
        }
        // Kustomize's `images:` list lives at the top of a Kustomization (or Component).
        if (key === "images" && isSeq(pair.value) && ancestors.length === 2) {
          pair.value.items.forEach((item, index) => {
            if (!isMap(item)) return;
            const edit = editKustomizeImage(source, item, target, lineOf);
            if (!edit) return;
            matched++;
            patches.push(...edit.patches);
            for (const c of edit.changes) changes.push({ ...c, path: `images[${index}].${c.path}` });
          });
        }
      },
    });
  }
  return { patches, changes, matched };
}

/** The fields of a kustomize `images:` entry this edit manages, in the order they are added. */
const KUSTOMIZE_FIELDS = ["newName", "newTag", "digest"] as const;

function editKustomizeImage(
  source: string,
  entry: YAMLMap,
  target: ImageTarget,
  lineOf: (offset: number) => number,
): { patches: TextPatch[]; changes: ImageChange[] } | undefined {
  const pairOf = (key: string) => entry.items.find((p): p is Pair<Scalar, unknown> => isPair(p) && isScalar(p.key) && p.key.value === key);
  const textOf = (key: string) => {
    const value = pairOf(key)?.value;
    return isScalar(value) && value.value !== null ? scalarText(source, value) : undefined;
  };
  const name = textOf("name");
  const newName = textOf("newName");
  if (name !== target.imageName && newName !== target.imageName) return undefined;

  const { repository, tag, digest } = target.image;
  const want: Record<(typeof KUSTOMIZE_FIELDS)[number], string | undefined> = {
    // newName only when the repository moves; an existing newName is kept and kept right.
    newName: repository !== name || pairOf("newName") ? repository : undefined,
    // kustomize renders newTag and digest together (`app:v2@sha256:…`): a stale one would pin the old image.
    newTag: tag,
    digest,
  };

  const patches: TextPatch[] = [];
  const changes: ImageChange[] = [];
  const toAdd: Array<[string, string]> = [];
  const toRemove: Array<Pair<Scalar, unknown>> = [];
  for (const field of KUSTOMIZE_FIELDS) {
    const pair = pairOf(field);
    const value = want[field];
    if (pair && value !== undefined) {
      const current = textOf(field);
      if (current === value) continue;
      if (!isScalar(pair.value)) throw new UneditableManifestError(lineOf(pair.key.range?.[0] ?? 0), `images entry ${name}: ${field} is not a plain value`);
      patches.push(replaceScalar(pair.value, value));
      changes.push({ line: lineOf(scalarStart(pair.value)), path: field, from: current, to: value });
    } else if (pair) toRemove.push(pair);
    else if (value !== undefined) toAdd.push([field, value]);
  }

  // A key swapped for another (newTag → digest) is one line rewritten, not one removed and one added.
  while (toAdd.length > 0 && toRemove.length > 0) {
    const [field, value] = toAdd.shift() as [string, string];
    const pair = toRemove.shift() as Pair<Scalar, unknown>;
    if (!isScalar(pair.value)) throw new UneditableManifestError(lineOf(pair.key.range?.[0] ?? 0), `images entry ${name}: ${String(pair.key.value)} is not a plain value`);
    const keyRange = pair.key.range as [number, number, number];
    patches.push({ start: keyRange[0], end: keyRange[1], text: field });
    patches.push(replaceScalar(pair.value, value));
    changes.push({ line: lineOf(keyRange[0]), path: String(pair.key.value), from: textOf(String(pair.key.value)), to: undefined });
    changes.push({ line: lineOf(keyRange[0]), path: field, from: undefined, to: value });
  }
  for (const pair of toRemove) {
    patches.push(removePairLines(source, entry, pair, name ?? target.imageName));
    changes.push({ line: lineOf(pair.key.range?.[0] ?? 0), path: String(pair.key.value), from: textOf(String(pair.key.value)), to: undefined });
  }
  if (toAdd.length > 0) {
    const insertion = addPairLines(source, entry, toAdd, name ?? target.imageName);
    patches.push(insertion.patch);
    for (const [field, value] of toAdd) changes.push({ line: lineOf(insertion.patch.start), path: field, from: undefined, to: value });
  }
  return { patches, changes };
}

/** Writes `value` where `node` stands, in the node's own quoting style when that keeps it a string. */
function replaceScalar(node: Scalar, value: string): TextPatch {
  const [start, end] = node.range as [number, number, number];
  let text: string;
  if (node.type === "QUOTE_SINGLE") text = `'${value.replace(/'/g, "''")}'`;
  else if (node.type === "QUOTE_DOUBLE") text = JSON.stringify(value);
  else text = plainOrQuoted(value);
  return { start, end, text };
}

/** `value` as a plain scalar when YAML reads it back as the same string, else double-quoted (`1.0`, `true`, …). */
function plainOrQuoted(value: string): string {
  const probe = parseAllDocuments(`k: ${value}\n`);
  const doc = probe[0];
  const plainWorks = probe.length === 1 && doc !== undefined && doc.errors.length === 0 && doc.get("k") === value && !/[#\n]/.test(value);
  return plainWorks ? value : JSON.stringify(value);
}

/** The scalar as written, for comparisons (`1.0` stays `1.0`, not the number 1). */
function scalarText(source: string, node: Scalar): string {
  if (node.type === "PLAIN" && node.range) return source.slice(node.range[0], node.range[1]);
  return String(node.value);
}

function scalarStart(node: Scalar): number {
  return node.range?.[0] ?? 0;
}

/** Deletes the whole lines a `key: value` pair occupies; refuses when other content shares them. */
function removePairLines(source: string, entry: YAMLMap, pair: Pair<Scalar, unknown>, name: string): TextPatch {
  const keyStart = pair.key.range?.[0] ?? 0;
  const valueEnd = isScalar(pair.value) ? (pair.value.range?.[1] ?? keyStart) : keyStart;
  const lineStart = source.lastIndexOf("\n", keyStart - 1) + 1;
  const lineEndAt = source.indexOf("\n", valueEnd);
  const lineEnd = lineEndAt < 0 ? source.length : lineEndAt + 1;
  const before = source.slice(lineStart, keyStart);
  const after = source.slice(valueEnd, lineEnd);
  if (entry.flow || /\S/.test(before) || !/^\s*(#.*)?\r?\n?$/.test(after)) {
    const line = source.slice(0, keyStart).split("\n").length;
    throw new UneditableManifestError(line, `images entry ${name}: cannot remove ${String(pair.key.value)} without rewriting other content. Fix: put each key of this entry on its own line (block style), or remove ${String(pair.key.value)} by hand`);
  }
  return { start: lineStart, end: lineEnd, text: "" };
}

/** Adds `key: value` lines after the entry's last line, indented like its keys. */
function addPairLines(source: string, entry: YAMLMap, fields: Array<[string, string]>, name: string): { patch: TextPatch } {
  const last = entry.items[entry.items.length - 1];
  const lastKey = isPair(last) && isScalar(last.key) ? last.key : undefined;
  const lastEnd = isPair(last) && isScalar(last.value) ? last.value.range?.[1] : lastKey?.range?.[1];
  if (entry.flow || !lastKey?.range || lastEnd === undefined) {
    const at = entry.range?.[0] ?? 0;
    const line = source.slice(0, at).split("\n").length;
    throw new UneditableManifestError(line, `images entry ${name} is written in flow style ({…}) and needs new keys (${fields.map(([k]) => k).join(", ")}). Fix: write this entry in block style, one key per line`);
  }
  const keyStart = lastKey.range[0];
  const indent = keyStart - (source.lastIndexOf("\n", keyStart - 1) + 1);
  const eol = source.indexOf("\n", lastEnd);
  const newline = /\r\n/.test(source) ? "\r\n" : "\n";
  const text = fields.map(([field, value]) => `${" ".repeat(indent)}${field}: ${plainOrQuoted(value)}${newline}`).join("");
  if (eol < 0) return { patch: { start: source.length, end: source.length, text: `${newline}${text.slice(0, -newline.length)}` } };
  return { patch: { start: eol + 1, end: eol + 1, text } };
}

function applyPatches(source: string, patches: TextPatch[]): string {
  let text = source;
  for (const p of [...patches].sort((a, b) => b.start - a.start)) text = text.slice(0, p.start) + p.text + text.slice(p.end);
  return text;
}

/** `spec.template.spec.containers[0].image` for a pair reached through `ancestors`. */
function yamlPath(ancestors: readonly unknown[], pair: Pair): string {
  const chain = [...ancestors, pair];
  let path = "";
  chain.forEach((node, i) => {
    if (isPair(node) && isScalar(node.key)) path += `${path === "" ? "" : "."}${String(node.key.value)}`;
    if (isSeq(node)) path += `[${node.items.indexOf(chain[i + 1] as never)}]`;
  });
  return path;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function lineIndex(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}
