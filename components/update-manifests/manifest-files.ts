/**
 * From the `manifests` input to a bump plan: which files to read (one file, or every YAML file
 * under a directory), and each file's new text. Reads only; writing is the caller's job, so a bad
 * file anywhere means nothing is written.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { InputError } from "../../runtime/errors.ts";
import { editImages, ManifestSyntaxError, UneditableManifestError, type ImageChange, type ImageTarget } from "./manifest-edit.ts";

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

/** `manifests` as a clean repository-relative path; refuses absolute paths and `..`. */
export function normaliseManifestsPath(manifests: string): string {
  const clean = path.posix.normalize(manifests.replace(/\\/g, "/")).replace(/\/+$/, "");
  if (manifests.trim() === "" || path.posix.isAbsolute(clean) || clean === ".." || clean.startsWith("../"))
    throw new InputError("manifests", manifests, "must be a path inside the repository", "set manifests to a repository-relative path such as deploy/kustomization.yaml or deploy/");
  return clean === "" ? "." : clean;
}

/** The YAML files `manifests` names: the file itself, or every `*.yaml` / `*.yml` under the directory, sorted. */
export function manifestFiles(location: ManifestsLocation): string[] {
  const absolute = path.join(location.root, location.manifests);
  if (!existsSync(absolute))
    throw new InputError("manifests", location.manifests, `does not exist on branch ${location.branch}`, `set manifests to the path of a kustomization.yaml, a manifest, or a directory of manifests on ${location.branch}`);
  if (statSync(absolute).isFile()) return [location.manifests];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(location.root, dir), { withFileTypes: true })) {
      const relative = dir === "." ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory() && entry.name !== ".git") walk(relative);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) found.push(relative);
    }
  };
  walk(location.manifests);
  found.sort();
  if (found.length === 0)
    throw new InputError("manifests", location.manifests, `is a directory with no .yaml or .yml file on branch ${location.branch}`, "point manifests at the directory that holds the Kubernetes manifests or kustomization.yaml");
  return found;
}

/** Plans the bump: every file read and edited in memory; any unreadable file fails the whole plan. */
export function planBump(location: ManifestsLocation, target: ImageTarget): BumpPlan {
  const searched = manifestFiles(location);
  const files: FileBump[] = [];
  let matched = 0;
  for (const file of searched) {
    const before = readFileSync(path.join(location.root, file), "utf8");
    let edit;
    try {
      edit = editImages(before, target);
    } catch (e) {
      if (e instanceof ManifestSyntaxError)
        throw new InputError("manifests", location.manifests, `${file} is not valid YAML (${e.message})`, `fix ${file} on ${location.branch}; nothing was changed or pushed`);
      if (e instanceof UneditableManifestError) throw new InputError("manifests", location.manifests, `${file}, ${e.message}`, "nothing was changed or pushed");
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
