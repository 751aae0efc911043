/**
 * From the `manifests` input to a bump plan: which files to read, how kustomize reads each, and
 * each file's new text. Reads only; writing is the caller's job, so a bad file anywhere means
 * nothing is written.
 *
 * A file is read alone. A directory means every file kustomize or Flux would read from it: every
 * `.yaml` and `.yml` file under it (what Flux's kustomize-controller applies from a directory
 * without a kustomization, fluxcd/pkg kustomize/kustomize_generator.go), every kustomization
 * (`kustomization.yaml`, `kustomization.yml`, `Kustomization`: kustomize's
 * konfig.RecognizedKustomizationFileNames), and every other file inside the directory that one of
 * those kustomizations lists as a resource, component, patch or configuration (a `.json`
 * resource, for example). Images field specs that the kustomizations add under `configurations:`
 * apply to every file, as kustomize merges them up to the top kustomization.
 *
 * Nothing is read or written through a symbolic link: the job edits its own clone and pushes what
 * it wrote, so a link (to a file outside the clone, or to another file of it) on the way to any
 * file it reads is refused, naming the link (runtime/project-path.ts).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { InputError } from "../../runtime/errors.ts";
import { refuseSymbolicLinks } from "../../runtime/project-path.ts";
import { field, resolve, scalarField, type FieldSpec } from "./kustomize-images.ts";
import {
  editImages,
  ManifestSyntaxError,
  UneditableManifestError,
  type ImageChange,
  type ImageTarget,
} from "./manifest-edit.ts";
import { readYamlDocuments, type YamlNode } from "../../runtime/yaml-reader.ts";

/** The names kustomize reads a kustomization from. */
export const KUSTOMIZATION_FILE_NAMES: readonly string[] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** One file the bump changes. */
export interface FileBump {
  /** Repository-relative, with `/`. */
  file: string;
  text: string;
  changes: ImageChange[];
}

/** What the bump would do to a checkout. */
export interface BumpPlan {
  /** Files whose text changes (empty when everything already points at the image). */
  files: FileBump[];
  /** Every file read. */
  searched: string[];
  /** References to the image found (changed or already current). */
  matched: number;
}

/** Where the manifests live in the checkout, for error messages. */
export interface ManifestsLocation {
  /** The checkout's root directory. */
  root: string;
  /** The `manifests` input, repository-relative. */
  manifests: string;
  /** The branch the checkout is of. */
  branch: string;
}

/** The files to read and the images field specs the kustomizations among them add. */
export interface ManifestSet {
  /** Repository-relative, sorted. */
  files: string[];
  fieldSpecs: FieldSpec[];
}

const isKustomizationFile = (file: string) => KUSTOMIZATION_FILE_NAMES.includes(path.posix.basename(file));

/** The files `manifests` names (see the module comment), and the field specs their kustomizations add. */
export function manifestFiles(location: ManifestsLocation): ManifestSet {
  const absolute = path.join(location.root, location.manifests);
  refuseSymbolicLinks("manifests", location.manifests, location.root, location.manifests);
  if (!existsSync(absolute))
    throw new InputError(
      "manifests",
      location.manifests,
      `does not exist on branch ${location.branch}`,
      `set manifests to the path of a kustomization.yaml, a manifest, or a directory of manifests on ${location.branch}`,
    );
  if (statSync(absolute).isFile()) return { files: [location.manifests], fieldSpecs: [] };
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(location.root, dir), { withFileTypes: true })) {
      const relative = dir === "." ? entry.name : `${dir}/${entry.name}`;
      if (entry.isSymbolicLink()) refuseSymbolicLinks("manifests", location.manifests, location.root, relative);
      if (entry.isDirectory() && entry.name !== ".git") walk(relative);
      else if (entry.isFile() && (/\.ya?ml$/.test(entry.name) || isKustomizationFile(entry.name))) found.add(relative);
    }
  };
  walk(location.manifests);
  const fieldSpecs: FieldSpec[] = [];
  for (const kustomization of [...found].filter(isKustomizationFile)) {
    const listed = listedFiles(location, kustomization);
    for (const file of listed.files) found.add(file);
    for (const file of listed.configurations) fieldSpecs.push(...imagesFieldSpecs(location, file));
  }
  const files = [...found].sort();
  if (files.length === 0)
    throw new InputError(
      "manifests",
      location.manifests,
      `is a directory with no .yaml or .yml file and no kustomization on branch ${location.branch}`,
      "point manifests at the directory that holds the Kubernetes manifests or kustomization.yaml",
    );
  return { files, fieldSpecs: unique(fieldSpecs) };
}

/** Fields of a kustomization that name files (each a list of paths, or of `{path}`). */
const FILE_LISTS = [
  "resources",
  "bases",
  "components",
  "crds",
  "patchesStrategicMerge",
  "patches",
  "configurations",
] as const;

/** The first document of a file, or undefined when it does not read (the edit reports that). */
function firstDocument(location: ManifestsLocation, file: string): YamlNode | undefined {
  try {
    return readYamlDocuments(readFileSync(path.join(location.root, file), "utf8"))[0];
  } catch {
    return undefined;
  }
}

/** The text of each scalar of a sequence (or of each entry's `key`, for a sequence of mappings). */
function texts(list: YamlNode | undefined, key?: string): string[] {
  const seq = list && resolve(list);
  if (seq?.kind !== "seq") return [];
  return seq.items.flatMap((item) => {
    const value = key && resolve(item).kind === "map" ? field(item, key) : item;
    const scalar = value && resolve(value);
    return scalar?.kind === "scalar" && scalar.value !== "" ? [scalar.value] : [];
  });
}

/**
 * The files inside the manifests directory that `kustomization` lists, and its configurations.
 * Remote resources, directories and files outside the directory are left out; a symbolic link is refused.
 */
function listedFiles(
  location: ManifestsLocation,
  kustomization: string,
): { files: string[]; configurations: string[] } {
  const out = { files: [] as string[], configurations: [] as string[] };
  const root = firstDocument(location, kustomization);
  const inside = location.manifests === "." ? "" : `${location.manifests}/`;
  for (const list of FILE_LISTS)
    for (const listed of texts(root && field(root, list), "path")) {
      const file = path.posix.normalize(path.posix.join(path.posix.dirname(kustomization), listed));
      if (/\n|:\/\//.test(listed) || !file.startsWith(inside) || file.split("/").includes("..")) continue;
      refuseSymbolicLinks("manifests", location.manifests, location.root, file);
      if (!isRegularFile(path.join(location.root, file))) continue;
      (list === "configurations" ? out.configurations : out.files).push(file);
    }
  return out;
}

function isRegularFile(file: string): boolean {
  try {
    return lstatSync(file).isFile();
  } catch {
    return false;
  }
}

/** The `images:` field specs of a kustomize transformer configuration file. */
function imagesFieldSpecs(location: ManifestsLocation, file: string): FieldSpec[] {
  const root = firstDocument(location, file);
  const list = root && field(root, "images");
  const seq = list && resolve(list);
  if (seq?.kind !== "seq") return [];
  return seq.items.flatMap((entry) => {
    const [specPath, kind, group, version] = ["path", "kind", "group", "version"].map(
      (key) => scalarField(entry, key) || undefined,
    );
    return specPath ? [{ path: specPath, kind, group, version }] : [];
  });
}

function unique(specs: FieldSpec[]): FieldSpec[] {
  const keys = specs.map((s) => JSON.stringify([s.path, s.kind, s.group, s.version]));
  return specs.filter((_, i) => keys.indexOf(keys[i] as string) === i);
}

/** Plans the bump: every file read and edited in memory; any unreadable file fails the whole plan. */
export function planBump(location: ManifestsLocation, target: ImageTarget): BumpPlan {
  const { files: searched, fieldSpecs } = manifestFiles(location);
  const files: FileBump[] = [];
  let matched = 0;
  for (const file of searched) {
    const before = readFileSync(path.join(location.root, file), "utf8");
    let edit;
    try {
      edit = editImages(before, target, { kustomizationFile: isKustomizationFile(file), fieldSpecs });
    } catch (e) {
      if (e instanceof ManifestSyntaxError)
        throw new InputError(
          "manifests",
          location.manifests,
          `${file} is not valid YAML (${e.message})`,
          `fix ${file} on ${location.branch}; nothing was changed or pushed`,
        );
      if (e instanceof UneditableManifestError)
        throw new InputError(
          "manifests",
          location.manifests,
          `${file}, ${e.message}`,
          `${e.fix} in ${file} on ${location.branch}; nothing was changed or pushed`,
        );
      throw e;
    }
    matched += edit.matched;
    if (edit.text !== before) files.push({ file, text: edit.text, changes: edit.changes });
  }
  if (matched === 0)
    throw new InputError(
      "image_name",
      target.imageName,
      `no container image: field and no kustomize images: entry refers to it in ${searched.join(", ")} (branch ${location.branch})`,
      "set image_name to the repository the manifests use, without tag or digest (for example registry.example.com/group/app), or point manifests at the right files; nothing was changed or pushed",
    );
  return { files, searched, matched };
}
