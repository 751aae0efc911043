/**
 * The diff `generate --check` prints: git's own (`git diff --no-index`), so it reads like any
 * other diff and needs no code of ours to be right.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A unified diff of `file` from `before` (committed) to `after` (generated). */
export function unifiedDiff(file: string, before: string | undefined, after: string | undefined): string {
  const dir = mkdtempSync(path.join(tmpdir(), "gitops-generate-diff-"));
  try {
    const sides = { a: before, b: after };
    for (const [side, content] of Object.entries(sides)) {
      mkdirSync(path.dirname(path.join(dir, side, file)), { recursive: true });
      if (content !== undefined) writeFileSync(path.join(dir, side, file), content);
    }
    const target = (side: "a" | "b") => (sides[side] === undefined ? "/dev/null" : path.join(side, file));
    const result = spawnSync(
      "git",
      ["diff", "--no-index", "--no-color", "--no-ext-diff", "--no-prefix", "--", target("a"), target("b")],
      { cwd: dir, encoding: "utf8" },
    );
    if (result.error)
      return `--- a/${file}\n+++ b/${file}\n(git is needed to show the diff: ${result.error.message})\n`;
    // Keep the ---/+++ header and the hunks; git's own "diff --git" and "index" lines name temp paths.
    return result.stdout.replace(/^diff --git [^\n]*\n(?:(?:index|new file mode|deleted file mode) [^\n]*\n)*/, "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
