/**
 * Repointing an image in one YAML file, as a text patch. The file is read (runtime/yaml-reader.ts) only to
 * find what kustomize's `images:` transformer would change (kustomize-images.ts) and a
 * kustomization's own `images:` entries; the new values are written into the original text at
 * the nodes' offsets, so comments, order, quoting and formatting stay byte for byte and the diff
 * is the changed values only. Pure: text in, text out.
 */
import { formatImageReference, type ImageReference } from "../../runtime/image-reference.ts";
import {
  DEFAULT_IMAGE_FIELD_SPECS,
  imageFields,
  imageText,
  ownPair,
  resolve,
  scalarField,
  sharedNodes,
  type FieldSpec,
  type ImageField,
} from "./kustomize-images.ts";
import { readYamlDocuments, type YamlMap, type YamlNode, type YamlScalar } from "../../runtime/yaml-reader.ts";

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

/** How to read a file. */
export interface EditOptions {
  /** The file is named as a kustomization (`kustomization.yaml`, `kustomization.yml`, `Kustomization`). */
  kustomizationFile?: boolean;
  /** Images field specs beyond kustomize's defaults (from kustomizations' `configurations:`). */
  fieldSpecs?: readonly FieldSpec[];
}

/** The file is not valid YAML (line, column, reason). */
export { YamlSyntaxError as ManifestSyntaxError } from "../../runtime/yaml-reader.ts";

/** The file refers to the image in a shape an in-place patch cannot change exactly as kustomize would. */
export class UneditableManifestError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
    /** What to change in the file. */
    readonly fix: string,
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

interface Plan {
  patches: TextPatch[];
  changes: ImageChange[];
  matched: number;
}

/**
 * kustomize's image name match (api/internal/image/image.go, IsImageMatched): the name, then an
 * optional `:tag` and `@algorithm:digest`. kustomize puts the name into a regular expression
 * unescaped, so its `.` matches any character; here it matches a dot only.
 */
export function refersTo(value: string, imageName: string): boolean {
  return (
    value.startsWith(imageName) &&
    /^(?::[a-zA-Z0-9_.{}-]*)?(?:@[a-zA-Z0-9]+(?:[.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?$/.test(
      value.slice(imageName.length),
    )
  );
}

/**
 * Repoints every reference to `target.imageName` in `source` that kustomize's `images:`
 * transformer would repoint, and the matching `images:` entries of a kustomization (by `name` or
 * `newName`).
 */
export function editImages(source: string, target: ImageTarget, options: EditOptions = {}): ManifestEdit {
  const plan = planEdits(source, target, options);
  let text = source;
  for (const p of [...plan.patches].sort((a, b) => b.start - a.start))
    text = text.slice(0, p.start) + p.text + text.slice(p.end);
  // The patch is only trusted once the result reads back and needs no further change.
  if (text !== source && planEdits(text, target, options).patches.length > 0)
    throw new Error(`internal error: repointing ${target.imageName} did not converge`);
  return { text, matched: plan.matched, changes: plan.changes };
}

function planEdits(source: string, target: ImageTarget, options: EditOptions): Plan {
  const plan: Plan = { patches: [], changes: [], matched: 0 };
  const wanted = formatImageReference(target.image);
  const lineOf = (offset: number) => source.slice(0, offset).split("\n").length;
  const refuse = (at: number, reason: string, fix: string): never => {
    throw new UneditableManifestError(lineOf(at), reason, fix);
  };
  const change = (at: number, path: string, from: string | undefined, to: string | undefined, patch?: TextPatch) => {
    if (patch) plan.patches.push(patch);
    plan.changes.push({ line: lineOf(at), path, from, to });
  };

  /** `node`'s text replaced by `value`, in its own quoting where that keeps it a string; an alias is replaced by the value. */
  const replace = (node: YamlNode, value: string, shared: Set<YamlNode>, place: string): TextPatch => {
    if (shared.has(node))
      refuse(
        node.start,
        `${place} has an anchor (&) that aliases (*) copy elsewhere: changing it would change the copies, which kustomize does not`,
        "write the value out without the anchor",
      );
    const style = node.kind === "scalar" ? node.style : "plain";
    if (style === "literal" || style === "folded")
      refuse(node.start, `${place} is a block scalar (| or >)`, "write it on one line");
    const text =
      style === "single"
        ? `'${value.replace(/'/g, "''")}'`
        : style === "double"
          ? JSON.stringify(value)
          : plainOrQuoted(value);
    return { start: node.start, end: node.end, text };
  };

  const editField = (field: ImageField, shared: Set<YamlNode>, follows: boolean) => {
    const current = imageText(field);
    if (current === undefined || !refersTo(current, target.imageName)) return;
    plan.matched++;
    if (current === wanted || follows) return;
    const place = `${field.path} (${current})`;
    const via = field.via;
    if (via)
      refuse(
        field.node.start,
        `${place} is reached through ${via.kind === "alias" ? `the YAML alias *${via.name}` : "the merge key <<"} on line ${lineOf(via.start)}: kustomize changes a copy there, which has no text of its own`,
        "write the container out in full instead of the alias or merge",
      );
    change(field.node.start, field.path, current, wanted, replace(field.node, wanted, shared, place));
  };

  /** A kustomization's images: entry for the image, set to it. */
  const editEntry = (entry: YamlMap, index: number, name: string, shared: Set<YamlNode>) => {
    const { repository, tag, digest } = target.image;
    // newName only when the repository moves (an existing newName is kept, and kept right); newTag
    // and digest both, as kustomize renders them together (`app:v2@sha256:...`): a stale one would pin the old image.
    const want: Record<string, string | undefined> = {
      newName: repository !== name || ownPair(entry, "newName") ? repository : undefined,
      newTag: tag,
      digest,
    };
    const textOf = (node: YamlNode) => (resolve(node) as YamlScalar).value;
    const path = (key: string) => `images[${index}].${key}`;
    const place = `images entry ${name}`;
    const toAdd: Array<[string, string]> = [];
    const toRemove: Array<{ key: YamlScalar; value: YamlNode }> = [];
    for (const key of ["newName", "newTag", "digest"]) {
      const pair = ownPair(entry, key);
      const value = want[key];
      if (pair && value !== undefined) {
        if (textOf(pair.value) !== value)
          change(
            pair.value.start,
            path(key),
            textOf(pair.value),
            value,
            replace(pair.value, value, shared, `${place}: ${key}`),
          );
      } else if (pair) toRemove.push(pair);
      else if (value !== undefined) toAdd.push([key, value]);
    }
    // A key swapped for another (newTag -> digest) is one line rewritten, not one removed and one added.
    while (toAdd.length > 0 && toRemove.length > 0) {
      const [key, value] = toAdd.shift() as [string, string];
      const pair = toRemove.shift() as { key: YamlScalar; value: YamlNode };
      if (pair.key.style !== "plain" || shared.has(pair.key))
        refuse(pair.key.start, `${place}: the key ${pair.key.value} is quoted or anchored`, "write it as a plain key");
      change(pair.key.start, path(pair.key.value), textOf(pair.value), undefined, {
        start: pair.key.start,
        end: pair.key.end,
        text: key,
      });
      change(
        pair.key.start,
        path(key),
        undefined,
        value,
        replace(pair.value, value, shared, `${place}: ${pair.key.value}`),
      );
    }
    const newline = source.includes("\r\n") ? "\r\n" : "\n";
    const endOfLine = (at: number) => (source.indexOf("\n", at) < 0 ? source.length : source.indexOf("\n", at) + 1);
    const blockOnly = `write the entry in block style, one key per line`;
    for (const pair of toRemove) {
      // The pair's whole lines go; nothing else may share them.
      const start = source.lastIndexOf("\n", pair.key.start - 1) + 1;
      const end = endOfLine(Math.max(pair.key.end, pair.value.end));
      if (
        entry.flow ||
        /\S/.test(source.slice(start, pair.key.start)) ||
        !/^[ \t]*(#.*)?\r?\n?$/.test(source.slice(Math.max(pair.key.end, pair.value.end), end))
      )
        refuse(pair.key.start, `${place}: ${pair.key.value} cannot go without rewriting other content`, blockOnly);
      change(pair.key.start, path(pair.key.value), textOf(pair.value), undefined, { start, end, text: "" });
    }
    const last = entry.pairs[entry.pairs.length - 1];
    if (toAdd.length === 0) return;
    if (entry.flow || !last)
      return refuse(
        entry.start,
        `${place} is in flow style ({...}) and needs new keys (${toAdd.map(([k]) => k).join(", ")})`,
        blockOnly,
      );
    // New lines after the entry's last line, indented like its keys.
    const indent = " ".repeat(last.key.start - (source.lastIndexOf("\n", last.key.start - 1) + 1));
    const at = endOfLine(Math.max(last.key.end, last.value.end));
    const lines = toAdd.map(([key, value]) => `${indent}${key}: ${plainOrQuoted(value)}`).join(newline);
    const patch =
      at === source.length && !source.endsWith("\n")
        ? { start: at, end: at, text: newline + lines }
        : { start: at, end: at, text: lines + newline };
    toAdd.forEach(([key, value], i) => change(at, path(key), undefined, value, i === 0 ? patch : undefined));
  };

  for (const root of readYamlDocuments(source)) {
    if (isKustomization(root, options.kustomizationFile === true)) {
      const images = root.kind === "map" ? ownPair(root, "images")?.value : undefined;
      const list = images && resolve(images);
      if (list?.kind !== "seq") continue;
      const shared = sharedNodes(root);
      list.items.forEach((item, index) => {
        const entry = resolve(item);
        const name = scalarField(entry, "name");
        if (entry.kind !== "map" || (name !== target.imageName && scalarField(entry, "newName") !== target.imageName))
          return;
        plan.matched++;
        if (images?.kind === "alias" || item.kind === "alias")
          refuse(item.start, `images entry ${name} is written through a YAML alias`, "write the entry out in full");
        editEntry(entry, index, name || target.imageName, shared);
      });
      continue;
    }
    const fields = imageFields(root, [...DEFAULT_IMAGE_FIELD_SPECS, ...(options.fieldSpecs ?? [])]);
    // An image that is an alias of another image kustomize also changes follows that one's edit:
    // such an alias neither blocks the edit of its anchor nor needs one of its own.
    const direct = new Set(fields.filter((f) => !f.via).map((f) => f.node));
    const following = new Set([...direct].filter((node) => node.kind === "alias" && direct.has(node.target)));
    const shared = sharedNodes(root, following);
    for (const field of fields) editField(field, shared, following.has(field.node));
  }
  return plan;
}

/** A kustomization or component: by its file's name, or by its apiVersion. */
function isKustomization(root: YamlNode, byFileName: boolean): boolean {
  const kind = scalarField(root, "kind");
  return (
    byFileName ||
    ((scalarField(root, "apiVersion") ?? "").startsWith("kustomize.config.k8s.io/") &&
      (kind === undefined || kind === "Kustomization" || kind === "Component"))
  );
}

/**
 * `value` plain when every YAML reader (1.1 and 1.2, block or flow context) reads it back as
 * this string; otherwise double-quoted (`1.10`, `true`, `2024-01-01`...).
 */
function plainOrQuoted(value: string): string {
  const safe = /^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/.test(value) && !value.endsWith(":");
  const readsAsString = /^[A-Za-z]/.test(value)
    ? !/^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/.test(
        value,
      )
    : value.includes("/");
  return safe && readsAsString ? value : JSON.stringify(value);
}
