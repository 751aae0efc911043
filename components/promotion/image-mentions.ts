/**
 * The image references a manifest names, read line by line for the promotion report: every
 * `image:` value (containers, init containers, any object's `image` field) and every entry of a
 * top-level kustomize `images:` list (name, newName, newTag, digest). A report, not an edit: what
 * only a full YAML parser reads (flow mappings, aliases, anchors, tags, multi-line scalars) is
 * skipped, never guessed. update-manifests' exact kustomize reader would take the promotion script
 * over its size budget, and what update-manifests writes (one `image:` value, or one `images:`
 * entry) is what this reads.
 *
 * Pure: text in, references out.
 */
import { tryParseImageReference } from "../../runtime/image-reference.ts";

/** One reference a file names. */
export interface ImageMention {
  /** What names it: `image` (a container's or any object's field) or `images[<name>]` (a kustomize images entry). */
  field: string;
  /** The repository, for pairing old and new (`registry.example.com/group/app`). */
  repository: string;
  /** The reference as written (for an images entry: the image kustomize puts in its place). */
  value: string;
}

/** One change of a file's images: a field's references before and after (undefined: none). */
export interface ImageChange {
  field: string;
  repository: string;
  from?: string;
  to?: string;
}

/** The text of a YAML scalar written on one line (quotes and comment removed), or undefined for anything else (an alias, an anchor, a tag, a block or flow value). */
export function scalarText(raw: string): string | undefined {
  const text = raw.trim();
  const quoted = /^("((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)')\s*(#.*)?$/.exec(text);
  if (quoted)
    return quoted[2] !== undefined ? quoted[2].replace(/\\(.)/g, "$1") : (quoted[3] as string).replace(/''/g, "'");
  if (text === "" || /^[*|>{[&!%@`#"']/.test(text)) return undefined;
  return text.replace(/\s+#.*$/, "");
}

const repositoryOf = (value: string) => tryParseImageReference(value)?.repository ?? value;

/** The references a YAML manifest names. */
export function imageMentions(text: string): ImageMention[] {
  const lines = text.split(/\r?\n/);
  const out: ImageMention[] = [];
  lines.forEach((line, i) => {
    const field = /^\s*(?:-\s+)*(?:image|"image"|'image')\s*:(\s.*)?$/.exec(line);
    if (field) {
      const value = scalarText(field[1] ?? "");
      if (value) out.push({ field: "image", repository: repositoryOf(value), value });
    }
    if (/^images\s*:\s*(#.*)?$/.test(line)) out.push(...kustomizeImages(lines, i + 1));
  });
  return out;
}

/** The entries of a top-level kustomize `images:` list starting at line `start`. */
function kustomizeImages(lines: string[], start: number): ImageMention[] {
  const entries: Array<Record<string, string>> = [];
  let itemIndent = -1;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s*(#.*)?$/.test(line) || /^(---|\.\.\.)\s*$/.test(line)) {
      if (/^(---|\.\.\.)/.test(line)) break;
      continue;
    }
    const indent = (/^ */.exec(line) as RegExpExecArray)[0].length;
    const item = /^(\s*)-\s+(.*)$/.exec(line);
    // The list ends at the next top-level key (a sequence may sit at the key's own indentation).
    if (indent === 0 && !item) break;
    let rest: string;
    if (item && (itemIndent < 0 || indent === itemIndent)) {
      itemIndent = indent;
      entries.push({});
      rest = item[2] as string;
    } else if (indent > itemIndent && itemIndent >= 0) rest = line.trim();
    else break;
    const pair = /^(name|newName|newTag|digest)\s*:(\s.*)?$/.exec(rest);
    const entry = entries[entries.length - 1];
    if (pair && entry) {
      const value = scalarText(pair[2] ?? "");
      if (value !== undefined) entry[pair[1] as string] = value;
    }
  }
  return entries.flatMap((entry) => {
    if (!entry.name) return [];
    const value = `${entry.newName ?? entry.name}${entry.newTag ? `:${entry.newTag}` : ""}${entry.digest ? `@${entry.digest}` : ""}`;
    return [{ field: `images[${entry.name}]`, repository: repositoryOf(entry.name), value }];
  });
}

/**
 * How a file's images changed: references are paired by field and repository (the `image` fields
 * naming one repository, a kustomize images entry by its name), and each pair whose references
 * differ is one change. Sorted, so the same texts always give the same list.
 */
export function imageChanges(before: readonly ImageMention[], after: readonly ImageMention[]): ImageChange[] {
  const group = (mentions: readonly ImageMention[]) => {
    const groups = new Map<string, { field: string; repository: string; values: Set<string> }>();
    for (const m of mentions) {
      const key = m.field === "image" ? `image ${m.repository}` : m.field;
      const entry = groups.get(key) ?? { field: m.field, repository: m.repository, values: new Set<string>() };
      entry.values.add(m.value);
      groups.set(key, entry);
    }
    return groups;
  };
  const [old, now] = [group(before), group(after)];
  const changes: ImageChange[] = [];
  for (const key of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(key);
    const b = now.get(key);
    const from = a ? [...a.values].sort().join(", ") : undefined;
    const to = b ? [...b.values].sort().join(", ") : undefined;
    if (from === to) continue;
    const { field, repository } = (a ?? b) as { field: string; repository: string };
    changes.push({ field, repository, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
  }
  return changes;
}
