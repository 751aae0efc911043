/**
 * The rollback's one commit, computed without a checkout: the default branch's tree with what the
 * environment received between two commits undone. It is a three-way merge of trees (base: the
 * environment's head, ours: the default branch's tip, theirs: the commit to return to), which is
 * what `git revert` of the whole range does in one step: every file the range changed goes back to
 * its content at the older commit, and changes the default branch made since are kept. Merge
 * commits in the range need no mainline choice: the range's net change is what is undone.
 *
 * `git read-tree -m` merges the three trees in a temporary index (no working tree), settling every
 * path only one side changed; each path both sides changed is merged line by line with `git
 * merge-file`. A path that still conflicts (the same lines changed since, or changed on one side and
 * deleted on the other) is reported, and nothing is committed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Git } from "../../runtime/git.ts";
import type { PromotionWorkspace } from "../promotion/apply.ts";
import { fetchObjects, readBlobs } from "../promotion/changed-files.ts";

/** The merged tree, or the paths that conflict. */
export type TreeRevert = { tree: string } | { conflicts: string[] };

const FILE_MODES = new Set(["100644", "100755"]);

/** The tree of `ours` with the change from `theirs` to `base` undone (three commits of the fetched graph). */
export async function revertTree(
  workspace: PromotionWorkspace,
  commits: { base: string; ours: string; theirs: string },
): Promise<TreeRevert> {
  const { git } = workspace;
  const trees = (
    await git.run(["log", "--no-walk=unsorted", "--format=%T", commits.base, commits.ours, commits.theirs])
  ).split("\n");
  // The three trees, each with every tree below it and no blob: read-tree compares object names only.
  await fetchObjects(workspace, [...new Set(trees)], "blob:none");
  const scratch = mkdtempSync(path.join(git.dir, ".git", "gitops-revert-"));
  try {
    const index = new Git(git.dir, { env: { GIT_INDEX_FILE: path.join(scratch, "index") } });
    await index.run(["read-tree", "-i", "-m", "--aggressive", ...trees]);
    const stages = new Map<string, Map<string, { mode: string; oid: string }>>();
    for (const record of (await index.run(["ls-files", "-u", "-z"])).split("\0").filter(Boolean)) {
      const [meta = "", file = ""] = record.split("\t");
      const [mode = "", oid = "", stage = ""] = meta.split(" ");
      stages.set(file, (stages.get(file) ?? new Map()).set(stage, { mode, oid }));
    }
    const conflicts: string[] = [];
    const mergeable = [...stages].filter(([file, s]) => {
      const [base, ours, theirs] = ["1", "2", "3"].map((n) => s.get(n));
      const ok =
        base && ours && theirs && FILE_MODES.has(ours.mode) && ours.mode === theirs.mode && base.mode === ours.mode;
      if (!ok) conflicts.push(file);
      return ok;
    });
    const oids = mergeable.flatMap(([, s]) => [...s.values()].map((entry) => entry.oid));
    await fetchObjects(workspace, [...new Set(oids)]);
    const blobs = await readBlobs(git, oids);
    const [base, ours, theirs] = ["1", "2", "3"].map((stage) => path.join(scratch, stage)) as [string, string, string];
    for (const [file, s] of mergeable) {
      for (const [stage, where] of [
        ["1", base],
        ["2", ours],
        ["3", theirs],
      ] as const)
        writeFileSync(where, blobs.get(s.get(stage)?.oid ?? "") ?? Buffer.alloc(0));
      // merge-file writes the result into `ours` and exits with the number of conflicts.
      const merged = await git.exec(["merge-file", "-q", ours, base, theirs]);
      if (merged.code !== 0) {
        conflicts.push(file);
        continue;
      }
      const oid = await git.run(["hash-object", "-w", "--", ours]);
      await index.run(["update-index", "--cacheinfo", `${s.get("2")?.mode},${oid},${file}`]);
    }
    if (conflicts.length > 0) return { conflicts: conflicts.sort() };
    // Blobs taken whole from a side are not here (only their names are): the push fetches those it sends.
    return { tree: await index.run(["write-tree", "--missing-ok"]) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
