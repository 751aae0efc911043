/**
 * Which files differ between two commits, and their contents, in the promotion's tree-less
 * repository: trees on the paths that changed (and some below them), and only the blobs asked for.
 *
 * The promotion fetched commits only (`--filter=tree:0`). When every tree on the changed paths is
 * here (the report's prefetch, report.ts), one `git diff-tree -r` answers. Otherwise the walk
 * compares the two trees of every directory that differs, one directory level at a time, with one
 * local `git diff-tree --stdin` per level, and descends only into subdirectories whose trees
 * differ. Trees are fetched when the walk reaches one it lacks, with the trees up to three levels
 * below it ({@link TREE_ROUND_FILTER}, no blobs), so `apps/base/podinfo/release.yaml` takes one round
 * trip, not one per level. Objects a client names are never filtered out (git's list-objects.c).
 * A round also brings the unchanged directories within its three levels (trees only, never their
 * blobs); the walk never enters them, and nothing deeper below them is fetched, so the cost follows
 * the size of the change and the width of the directories near it, not the size of the repository.
 *
 * Every fetch names its objects with no "have" lines (`fetch.negotiationAlgorithm=noop`): the
 * repository has the commits those trees belong to, and a server told so would send nothing.
 * Asking for objects by name is what partial clones do on GitLab (doc/topics/git/partial_clone.md);
 * Gitaly lets upload-pack filter (`uploadpack.allowFilter`), which allows every filter kind,
 * `combine:` and `tree:<depth>` included, unless `uploadpackfilter.<kind>.allow` says otherwise.
 */
import type { Git } from "../../runtime/git.ts";
import { GitCommandError } from "../../runtime/git.ts";
import { disableLazyFetch, filteredFetch, type PromotionWorkspace } from "./apply.ts";

/** A file that differs: its blob on each side (undefined where the file does not exist). */
export interface ChangedFile {
  path: string;
  from?: string;
  to?: string;
}

/** The differing files, or as many as the limits allowed. */
export interface TreeDiff {
  files: ChangedFile[];
  /** Set when the walk stopped early: why (the files found so far are listed). */
  incomplete?: string;
}

/** How far the walk may go. */
export interface TreeDiffLimits {
  /** Trees fetched in all. @default 5000 */
  maxTrees?: number;
  /** Asked before each fetch: true ends the walk there (the files found so far are listed). */
  stopped?: () => boolean;
}

/** git's empty tree, which every git knows without storing it (SHA-1 and SHA-256 repositories). */
const EMPTY_TREE: Record<number, string> = {
  40: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
  64: "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
};
const TREE_MODE = "040000";
/**
 * A fetch that names trees: those trees and the trees up to three levels below them, never a blob
 * (git counts a named tree as depth 0: `tree:3` keeps depths 0 to 3; test/promotion/report.test.ts).
 */
export const TREE_ROUND_FILTER = "combine:tree:3+blob:none";
/**
 * A fetch that names commits (the report's prefetch): their root trees and the trees up to three
 * levels below, never a blob (here the root tree is depth 1, so the same reach takes `tree:4`).
 */
export const COMMIT_ROUND_FILTER = "combine:tree:4+blob:none";
/** Regular and executable files; symbolic links (120000) and submodules (160000) are not read. */
const FILE_MODES = new Set(["100644", "100755"]);

/**
 * Fetches exactly these objects (trees or blobs) into the tree-less repository, then turns lazy
 * fetching off again. With `blob:none`, a tree comes with every tree below it (the blobs stay out).
 */
export async function fetchObjects(
  workspace: PromotionWorkspace,
  oids: readonly string[],
  filter: "tree:0" | "blob:none" | typeof TREE_ROUND_FILTER = "tree:0",
): Promise<void> {
  if (oids.length === 0) return;
  const args = filteredFetch(workspace.url, filter, { stdin: true, noHaves: true });
  const result = await workspace.git.exec(args, `${oids.join("\n")}\n`);
  await disableLazyFetch(workspace.git, workspace.url);
  if (result.code !== 0) throw new GitCommandError(args, result);
}

/** The root trees of two commits, read from the commit objects (`git show` would read the trees themselves). */
export async function commitTrees(
  git: Git,
  fromCommit: string,
  toCommit: string,
): Promise<{ from: string; to: string }> {
  const [from = "", to = ""] = (
    await git.run(["log", "--no-walk=unsorted", "--format=%T", fromCommit, toCommit])
  ).split("\n");
  return { from, to };
}

/** The files that differ between two root trees, walking down only the directories that differ. */
export async function changedFiles(
  workspace: PromotionWorkspace,
  trees: { from: string; to: string },
  limits: TreeDiffLimits = {},
): Promise<TreeDiff> {
  const { git } = workspace;
  const maxTrees = limits.maxTrees ?? 5000;
  const empty = (EMPTY_TREE[trees.to.length] ?? EMPTY_TREE[40]) as string;
  const files: ChangedFile[] = [];
  if (trees.from === trees.to) return { files };
  // Every tree on the changed paths may be here already (the report's prefetch, or a second look at
  // the same range): then one recursive diff-tree answers. A missing tree makes it fail (lazy
  // fetching is off), and the walk below fetches what is missing, level by level.
  const whole = await git.exec(["diff-tree", "-r", "-z", "--no-renames", trees.from, trees.to]);
  if (whole.code === 0) {
    for (const { entries } of parseDiffTree(`${trees.from} ${trees.to}\n${whole.stdout}`))
      for (const entry of entries) addFile(files, entry.name, entry);
    return { files: sortByPath(files) };
  }
  let level: Array<{ from: string; to: string; dir: string }> = [{ ...trees, dir: "" }];
  let walked = 0;
  while (level.length > 0) {
    const wanted = [...new Set(level.flatMap((pair) => [pair.from, pair.to]).filter((tree) => tree !== empty))];
    walked += wanted.length;
    if (walked > maxTrees) return { files, incomplete: `more than ${maxTrees} directories changed` };
    // Only what an earlier round did not bring; each fetch brings the levels below too.
    const missing = await missingObjects(git, wanted);
    if (missing.length > 0 && limits.stopped?.()) return { files, incomplete: "stopped" };
    await fetchObjects(workspace, missing, TREE_ROUND_FILTER);
    const next: typeof level = [];
    // One diff-tree for the whole level: it echoes each pair, in the order given, before its records.
    const pairs = level.map((pair) => `${pair.from} ${pair.to}`);
    const output = await git.run(["diff-tree", "--stdin", "-z", "--no-renames"], `${pairs.join("\n")}\n`);
    let at = 0;
    for (const { pair, entries } of parseDiffTree(output)) {
      while (at < pairs.length && pairs[at] !== pair) at++;
      const dir = level[at++]?.dir ?? "";
      for (const entry of entries) {
        const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
        if (entry.fromMode === TREE_MODE || entry.toMode === TREE_MODE)
          next.push({
            from: entry.fromMode === TREE_MODE ? entry.fromOid : empty,
            to: entry.toMode === TREE_MODE ? entry.toOid : empty,
            dir: path,
          });
        addFile(files, path, entry);
      }
    }
    level = next;
  }
  return { files: sortByPath(files) };
}

/** Adds the entry as a changed file if either side is a regular file (a link or submodule is not read). */
function addFile(files: ChangedFile[], path: string, entry: DiffTreeEntry): void {
  const from = FILE_MODES.has(entry.fromMode) ? entry.fromOid : undefined;
  const to = FILE_MODES.has(entry.toMode) ? entry.toOid : undefined;
  if (from || to) files.push({ path, from, to });
}

function sortByPath(files: ChangedFile[]): ChangedFile[] {
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Which of these objects the repository lacks (lazy fetching is off: a lookup fetches nothing). */
export async function missingObjects(git: Git, oids: readonly string[]): Promise<string[]> {
  if (oids.length === 0) return [];
  const lines = (await git.run(["cat-file", "--batch-check=%(objectname)"], `${oids.join("\n")}\n`)).split("\n");
  return lines.filter((line) => line.endsWith(" missing")).map((line) => line.slice(0, -" missing".length));
}

interface DiffTreeEntry {
  fromMode: string;
  toMode: string;
  fromOid: string;
  toOid: string;
  name: string;
}

/**
 * `git diff-tree --stdin -z` output: for each input pair, the pair as a line (`<tree> <tree>\n`),
 * then its records, each `:<mode> <mode> <oid> <oid> <status>\0<name>\0`.
 */
export function parseDiffTree(output: string): Array<{ pair: string; entries: DiffTreeEntry[] }> {
  const out: Array<{ pair: string; entries: DiffTreeEntry[] }> = [];
  let at = 0;
  while (at < output.length) {
    if (output[at] === ":") {
      const metaEnd = output.indexOf("\0", at);
      const nameEnd = output.indexOf("\0", metaEnd + 1);
      if (metaEnd < 0 || nameEnd < 0 || out.length === 0) throw new Error(`unexpected git diff-tree output at ${at}`);
      const [fromMode = "", toMode = "", fromOid = "", toOid = ""] = output.slice(at + 1, metaEnd).split(" ");
      out[out.length - 1]?.entries.push({ fromMode, toMode, fromOid, toOid, name: output.slice(metaEnd + 1, nameEnd) });
      at = nameEnd + 1;
    } else {
      const end = output.indexOf("\n", at);
      const line = output.slice(at, end < 0 ? output.length : end);
      if (line.trim() !== "") out.push({ pair: line.trim(), entries: [] });
      at = end < 0 ? output.length : end + 1;
    }
  }
  return out;
}

/** The contents of these blobs, byte for byte, read in one `git cat-file --batch`; missing blobs are left out. */
export async function readBlobs(git: Git, oids: readonly string[]): Promise<Map<string, Buffer>> {
  const texts = new Map<string, Buffer>();
  if (oids.length === 0) return texts;
  // latin1 keeps one character per byte, so the sizes git prints index the output exactly.
  const result = await git.exec(["cat-file", "--batch"], `${oids.join("\n")}\n`, "latin1");
  if (result.code !== 0) throw new GitCommandError(["cat-file", "--batch"], result);
  const out = result.stdout;
  let at = 0;
  while (at < out.length) {
    const end = out.indexOf("\n", at);
    if (end < 0) break;
    const [oid = "", type = "", size = ""] = out.slice(at, end).split(" ");
    at = end + 1;
    if (type === "missing" || size === "") continue;
    const length = Number(size);
    if (type === "blob") texts.set(oid, Buffer.from(out.slice(at, at + length), "latin1"));
    at += length + 1;
  }
  return texts;
}
