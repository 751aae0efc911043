/**
 * Which values kustomize's `images:` transformer changes, found the way kustomize finds them
 * (sigs.k8s.io/kustomize, api/filters/imagetag and api/internal/konfig/builtinpluginconsts/images.go):
 *
 * - every `image` of an entry of a `containers` or `initContainers` sequence, at any depth of any
 *   object (imagetag.LegacyFilter);
 * - the value at each images field spec path: the defaults below, plus those a kustomization adds
 *   with `configurations:` (imagetag.Filter, api/filters/fieldspec);
 * - never in a CustomResourceDefinition; the objects of a `...List` with `items` one by one
 *   (api/resource/factory.go); YAML aliases and `<<` merge keys expanded first, as kustomize's
 *   reader does (kyaml DeAnchor).
 *
 * Pure: a document's nodes in, the image values out, with how each was reached.
 */
import type { YamlAlias, YamlMap, YamlNode, YamlScalar } from "../../runtime/yaml-reader.ts";

/** Where kustomize looks for an image: a path like `spec/template/spec/containers[]/image`, for some kinds. */
export interface FieldSpec {
  path: string;
  kind?: string;
  group?: string;
  version?: string;
}

/**
 * kustomize's default images field specs (v5.7.0 and later; v5.6 and earlier have the first four:
 * image volumes, `spec.volumes[].image.reference`, came with Kubernetes' image volume source).
 */
export const DEFAULT_IMAGE_FIELD_SPECS: readonly FieldSpec[] = [
  { path: "spec/containers[]/image" },
  { path: "spec/initContainers[]/image" },
  { path: "spec/volumes[]/image/reference" },
  { path: "spec/template/spec/containers[]/image" },
  { path: "spec/template/spec/initContainers[]/image" },
  { path: "spec/template/spec/volumes[]/image/reference" },
];

/** A value kustomize's transformer would look at. */
export interface ImageField {
  /** The node in the image's place, as written: a scalar, or an alias of one. */
  node: YamlNode;
  /** `spec.template.spec.containers[0].image`. */
  path: string;
  /** The alias (or merge key) the path went through: kustomize changes a copy there, not this text. */
  via?: YamlNode;
}

/** The image fields of one YAML document (an object, or a `...List` of objects). */
export function imageFields(root: YamlNode, specs: readonly FieldSpec[]): ImageField[] {
  const found = new Map<YamlNode, ImageField>();
  // Each alias target is walked once per walk (alias bombs stay linear); what it reaches is marked `via`.
  const walked = new Set<string>();
  const emit = (field: ImageField) => {
    const seen = found.get(field.node);
    if (!seen || (field.via && !seen.via)) found.set(field.node, field);
  };
  const enter = (node: YamlNode, via: YamlNode | undefined, walk: string) => {
    if (node.kind !== "alias") return { node, via };
    const key = `${walk}@${node.target.start}`;
    if (walked.has(key)) return undefined;
    walked.add(key);
    return { node: resolve(node), via: via ?? node };
  };
  const join = (path: string, name: string) => (path === "" || path.endsWith(".") ? path + name : `${path}.${name}`);

  /** imagetag.LegacyFilter: the `image` of every entry of a `containers` or `initContainers` sequence. */
  const anywhere = (start: YamlNode, path: string, startVia: YamlNode | undefined): void => {
    const at = enter(start, startVia, "");
    if (at?.node.kind === "seq") at.node.items.forEach((item, i) => anywhere(item, `${path}[${i}]`, at.via));
    if (at?.node.kind !== "map") return;
    for (const { key, value, via } of fieldsOf(at.node, at.via)) {
      anywhere(value, join(path, key), via);
      const list = through(value, via);
      if ((key !== "containers" && key !== "initContainers") || list.node.kind !== "seq") continue;
      list.node.items.forEach((item, i) => {
        const container = through(item, list.via);
        const image = fieldsOf(container.node, container.via).find((f) => f.key === "image");
        if (image) emit({ node: image.value, path: `${join(path, key)}[${i}].image`, via: image.via });
      });
    }
  };

  /** fieldspec.Filter: follows the path's names; a sequence on the way stands for each of its entries. */
  const along = (
    start: YamlNode,
    names: string[],
    index: number,
    path: string,
    startVia: YamlNode | undefined,
  ): void => {
    if (index === names.length) return emit({ node: start, path, via: startVia });
    const at = enter(start, startVia, names.join("/") + index);
    if (at?.node.kind === "seq") at.node.items.forEach((item, i) => along(item, names, index, `${path}[${i}]`, at.via));
    const name = names[index] as string;
    const field = at && fieldsOf(at.node, at.via).find((f) => f.key === name);
    if (field) along(field.value, names, index + 1, join(path, name), field.via);
  };

  for (const { node, path } of objects(root, "")) {
    const kind = scalarField(node, "kind");
    if (kind === "CustomResourceDefinition") continue;
    anywhere(node, path, undefined);
    const apiVersion = scalarField(node, "apiVersion") ?? "";
    const slash = apiVersion.lastIndexOf("/");
    const [group, version] = [apiVersion.slice(0, Math.max(slash, 0)), apiVersion.slice(slash + 1)];
    for (const spec of specs)
      if (
        (!spec.kind || spec.kind === kind) &&
        (!spec.group || spec.group === group) &&
        (!spec.version || spec.version === version)
      )
        along(node, splitPath(spec.path), 0, path, undefined);
  }
  return [...found.values()];
}

/** The image's value, when the node in its place is a scalar or an alias of one. */
export function imageText(field: ImageField): string | undefined {
  const node = resolve(field.node);
  return node.kind === "scalar" && node.value !== "" ? node.value : undefined;
}

/** The node an alias names (aliases of aliases do not exist in YAML). */
export function resolve(node: YamlNode): Exclude<YamlNode, YamlAlias> {
  return node.kind === "alias" ? resolve(node.target) : node;
}

/** A mapping's field (through aliases and merge keys). */
export function field(node: YamlNode, name: string): YamlNode | undefined {
  return fieldsOf(resolve(node), undefined).find((f) => f.key === name)?.value;
}

/** The text of a mapping's scalar field: `kind`, `apiVersion`... */
export function scalarField(node: YamlNode, name: string): string | undefined {
  const value = field(node, name);
  const scalar = value && resolve(value);
  return scalar?.kind === "scalar" ? scalar.value : undefined;
}

/** The node and the alias it was reached through, if it is one. */
function through(node: YamlNode, via: YamlNode | undefined): { node: YamlNode; via: YamlNode | undefined } {
  return node.kind === "alias" ? { node: resolve(node), via: via ?? node } : { node, via };
}

/** kustomize's field path: `/`-separated, `\/` a slash in a name, `[]` marks a sequence (kyaml utils.PathSplitter). */
function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const part of path.replace(/^\/(?=.*\/)/, "").split("/")) {
    if (out[out.length - 1]?.endsWith("\\"))
      out[out.length - 1] = `${(out[out.length - 1] as string).slice(0, -1)}/${part}`;
    else out.push(part);
  }
  return out.map((name) => name.replace(/\[\]$/, ""));
}

/** The objects kustomize reads from a document: a `...List` with `items` stands for its items. */
function objects(root: YamlNode, path: string): Array<{ node: YamlNode; path: string }> {
  const node = resolve(root);
  const items = field(node, "items");
  const list = items && resolve(items);
  if (node.kind !== "map") return [];
  if (!scalarField(node, "kind")?.endsWith("List") || !list) return [{ node, path }];
  if (list.kind === "seq") return list.items.flatMap((item, i) => objects(item, `${path}items[${i}].`));
  return list.kind === "scalar" && list.value === "" ? [] : [{ node, path }];
}

interface Field {
  key: string;
  value: YamlNode;
  /** The alias or merge key through which this field is the mapping's. */
  via?: YamlNode;
}

/** A mapping's fields after `<<` merges: its own first, then each merged mapping's, the first listed first. */
function fieldsOf(node: YamlNode, via: YamlNode | undefined): Field[] {
  if (node.kind !== "map") return [];
  const own: Field[] = [];
  const merged: Field[] = [];
  for (const pair of node.pairs) {
    const key = resolve(pair.key);
    if (key.kind !== "scalar") continue;
    if (!isMergeKey(key)) own.push({ key: key.value, value: pair.value, via });
    else {
      const value = resolve(pair.value);
      for (const source of value.kind === "seq" ? value.items : [pair.value])
        merged.push(...fieldsOf(resolve(source), via ?? pair.key));
    }
  }
  for (const f of merged) if (!own.some((o) => o.key === f.key)) own.push(f);
  return own;
}

/** `<<` as go-yaml reads it: a plain `<<`, or a key tagged `!!merge`. */
function isMergeKey(key: YamlScalar): boolean {
  return (key.style === "plain" && key.tag === undefined && key.value === "<<") || key.tag === "!!merge";
}

/** Every node inside a subtree an alias copies (merge keys copy through aliases): editing it would change the copies too. Aliases in `ignore` do not count. */
export function sharedNodes(root: YamlNode, ignore: ReadonlySet<YamlNode> = new Set()): Set<YamlNode> {
  const shared = new Set<YamlNode>();
  const children = (node: YamlNode): YamlNode[] =>
    node.kind === "seq" ? node.items : node.kind === "map" ? node.pairs.flatMap((p) => [p.key, p.value]) : [];
  const mark = (node: YamlNode): void => {
    if (shared.has(node)) return;
    shared.add(node);
    children(node).forEach(mark);
  };
  const collect = (node: YamlNode): void => {
    if (node.kind === "alias" && !ignore.has(node)) mark(node.target);
    children(node).forEach(collect);
  };
  collect(root);
  return shared;
}

/** A pair of a mapping's own text (not merged in), for editing it. */
export function ownPair(map: YamlMap, name: string): { key: YamlScalar; value: YamlNode } | undefined {
  const pair = map.pairs.find((p) => p.key.kind === "scalar" && p.key.value === name && !isMergeKey(p.key));
  return pair as { key: YamlScalar; value: YamlNode } | undefined;
}
