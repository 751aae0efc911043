/**
 * The one confinement rule for path inputs: a path is resolved against the project directory,
 * every symbolic link on the way is followed (realpath), and anything that lands outside is refused
 * with the input's name, the value and the fix. Paths a job writes to get a stricter check: no
 * symbolic link anywhere along them (lstat of every component), so nothing is written through one.
 *
 * The project directory is the job's working directory: GitLab's runner starts every job there.
 * CI_PROJECT_DIR is not read, because gitlab-ci-local (the project's pipeline tests) sets it to a
 * path that does not exist on its shell executor.
 */
import { lstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { InputError } from "./errors.ts";

/** How confinement errors say what the path must be. */
const fixFor = (input: string) =>
  `set ${input} to a path inside the repository, relative to its root, reaching no link that points outside`;

/**
 * `value` as a clean repository-relative path, judged by its text alone (nothing is read yet, so
 * this runs before any remote call): refuses absolute paths, `..` that leaves, and line breaks.
 */
export function relativePathInside(input: string, value: string): string {
  const clean = path.posix.normalize(value.replace(/\\/g, "/")).replace(/\/+$/, "");
  if (
    value.trim() === "" ||
    /[\0\r\n]/.test(value) ||
    path.posix.isAbsolute(clean) ||
    clean === ".." ||
    clean.startsWith("../")
  )
    throw new InputError(input, value, "is not a path inside the repository", fixFor(input));
  return clean === "" ? "." : clean;
}

/** Where a confined path must be, and what it must be. */
export interface PathRules {
  /** The directory relative paths start from (default: the project directory). */
  base?: string;
  kind?: "file" | "directory";
}

/** The real path of `value` under `root`, or why it is refused (see {@link confinedPath}). */
export function locatePath(value: string, root: string, rules: PathRules = {}): { real: string } | { problem: string } {
  if (value === "" || /[\0\r\n]/.test(value)) return { problem: "is not a path" };
  const realRoot = realpathSync(root);
  const wanted = path.resolve(rules.base ?? root, value);
  let real: string;
  try {
    real = realpathSync(wanted);
  } catch {
    return { problem: `does not exist (looked for ${wanted})` };
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep))
    return { problem: `resolves to ${real}, outside the project directory ${realRoot}` };
  if (rules.kind && statSync(real).isDirectory() !== (rules.kind === "directory"))
    return { problem: `is not a ${rules.kind} (${real})` };
  return { real };
}

/**
 * The real path of `value`, resolved against `rules.base` (default `root`): refused when it does
 * not exist, is not of the kind asked for, or, once every symbolic link is followed, lies outside
 * `root` (the project directory).
 */
export function confinedPath(input: string, value: string, root: string, rules: PathRules = {}): string {
  const located = locatePath(value, root, rules);
  if ("problem" in located) throw new InputError(input, value, located.problem, fixFor(input));
  return located.real;
}

/**
 * Refuses when any component of `relative` (a path under `root`) is a symbolic link: checked with
 * lstat from `root` down, so a link to a directory anywhere on the way counts. Components that do
 * not exist end the walk (the caller reports a missing file).
 */
export function refuseSymbolicLinks(input: string, value: string, root: string, relative: string): void {
  let at = root;
  for (const part of relative.split("/").filter((p) => p !== "" && p !== ".")) {
    at = path.join(at, part);
    let link: boolean;
    try {
      link = lstatSync(at).isSymbolicLink();
    } catch {
      return;
    }
    if (link) throw symbolicLinkError(input, value, path.relative(root, at), readlinkSync(at));
  }
}

/** The refusal of a symbolic link named `link` (repository-relative) on the way to `input`'s files. */
export function symbolicLinkError(input: string, value: string, link: string, target?: string): InputError {
  const to = target === undefined ? "" : ` (to ${target})`;
  return new InputError(
    input,
    value,
    `${link} is a symbolic link${to}: the job reads and writes no link`,
    "replace the link by what it points at; nothing was changed or pushed",
  );
}
