/**
 * What kustomize would read outside the repository, refused before it reads it.
 *
 * The review job renders with `kubectl label --local -k`, which runs kustomize with its default
 * load restrictor, LoadRestrictionsRootOnly (kustomize api/krusty/options.go MakeDefaultOptions;
 * the job passes no --load-restrictor). That confines every *file* a kustomization names to the
 * kustomization's own directory, symbolic links resolved (api/internal/loader/fileloader.go
 * RestrictionRootOnly). A *directory* it names (under resources, bases, components, generators,
 * transformers or validators) becomes a new root wherever it lies: fileloader.New refuses only an
 * absolute path and the current root or one above it, so `../../elsewhere`, or a symbolic link to a
 * directory outside the repository, is read (checked with kubectl 1.32 / kustomize 5.5). This walk
 * follows those directories the way kustomize does and refuses any that leaves the project
 * directory, and `file:` URLs (a git clone of a local path). Remote URLs are left to kustomize: they
 * read the network, not the runner's files.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { InputError } from "../../runtime/errors.ts";
import { locatePath } from "../../runtime/project-path.ts";
import { readYamlDocuments } from "../../runtime/yaml-reader.ts";
import { field, resolve } from "../update-manifests/kustomize-images.ts";

/** kustomize's kustomization file names (konfig.RecognizedKustomizationFileNames). */
export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** Fields whose entries may name a directory that kustomize loads as a new root. */
const ROOT_LISTS = ["resources", "bases", "components", "generators", "transformers", "validators"];

/** A remote resource (kustomize fetches it over the network); `file:` is not one. */
const isRemote = (entry: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) && !/^file:/i.test(entry);

/**
 * Walks the kustomizations from `root` (a real directory inside `projectDir`) through every local
 * directory they name, refusing one that leaves `projectDir`; `input` and `value` name the
 * manifests input in errors.
 */
export function checkKustomizeRoots(root: string, projectDir: string, input: string, value: string): void {
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const found = KUSTOMIZATION_FILES.map((name) => ({
      name,
      at: locatePath(name, projectDir, { base: dir, kind: "file" }),
    })).find(({ at }) => !("problem" in at && at.problem.startsWith("does not exist")));
    if (!found) return;
    const file = path.join(dir, found.name);
    // Even the kustomization itself is read only inside the project (a link to a file elsewhere is not).
    if ("problem" in found.at)
      throw new InputError(
        input,
        value,
        `${path.relative(projectDir, file)} ${found.at.problem}`,
        "replace the link with the kustomization itself; nothing was applied",
      );
    let document;
    try {
      document = readYamlDocuments(readFileSync(file, "utf8"))[0];
    } catch (e) {
      throw new InputError(
        input,
        value,
        `${path.relative(projectDir, file)} is not valid YAML (${(e as Error).message})`,
        `fix ${path.relative(projectDir, file)}; nothing was applied`,
      );
    }
    for (const list of ROOT_LISTS) {
      const node = document && field(document, list);
      const items = node && resolve(node);
      if (items?.kind !== "seq") continue;
      for (const item of items.items) {
        const entry = resolve(item);
        if (entry.kind !== "scalar" || entry.value === "" || entry.value.includes("\n") || isRemote(entry.value))
          continue;
        const where = `${path.relative(projectDir, file)} lists ${JSON.stringify(entry.value)} under ${list}`;
        if (/^file:/i.test(entry.value))
          throw new InputError(
            input,
            value,
            `${where}, a file: URL that kustomize would clone from the runner's disk`,
            "list paths inside the repository, or remote URLs; nothing was applied",
          );
        const located = locatePath(entry.value, projectDir, { base: dir });
        // A path that is not there is kustomize's to report (or a remote it resolves itself).
        if ("problem" in located && located.problem.startsWith("does not exist")) continue;
        if ("problem" in located)
          throw new InputError(
            input,
            value,
            `${where}, which ${located.problem}`,
            `list only paths inside the repository in ${path.relative(projectDir, file)}; nothing was applied`,
          );
        if (statSync(located.real).isDirectory()) visit(located.real);
      }
    }
  };
  visit(root);
}
