/**
 * Reproducible templates: two builds from empty caches give the same bytes, and a fresh copy of the
 * repository, generating with an empty cache, reproduces every committed file byte for byte (what
 * a consumer does at a release tag to check the scripts they run). The check is proven able to
 * fail: a deliberately non-deterministic fixture is reported.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CACHE_DIR_VARIABLE } from "../../generator/cache.ts";
import { coldBuildDifferences } from "../../generator/reproduce.ts";
import { ROOT } from "../../harness/templates.ts";

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures");

describe.each([
  ["the catalog", ROOT, 6],
  ["the basic fixture", path.join(FIXTURES, "basic"), 1],
  ["the lazy fixture (one script bundled into three files)", path.join(FIXTURES, "lazy"), 1],
])("two cold builds of %s", (_, root, scripts) => {
  it("bundle every script afresh and give the same bytes", async () => {
    const { differences, bundled } = await coldBuildDifferences({ root });
    expect(bundled).toEqual([scripts, scripts]);
    expect(differences).toEqual([]);
  });
});

describe("the determinism check", () => {
  it("reports a template whose bundle differs between two cold builds (a deliberately non-deterministic fixture)", async () => {
    // A copy beside the fixtures (its imports of the generator are relative): its component rewrites a file at every build.
    const root = mkdtempSync(path.join(FIXTURES, ".tmp-nondeterministic-"));
    try {
      cpSync(path.join(FIXTURES, "nondeterministic"), root, { recursive: true });
      const { differences, bundled } = await coldBuildDifferences({ root });
      expect(bundled).toEqual([1, 1]);
      expect(differences).toEqual([
        {
          file: "templates/clock/template.yml",
          line: expect.any(Number),
          first: expect.any(String),
          second: expect.any(String),
        },
      ]);
      expect(differences[0]?.first).not.toBe(differences[0]?.second);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("a fresh copy of the repository with an empty cache", () => {
  it("reproduces every committed template and the README byte for byte (npm run generate -- --check)", () => {
    const scratch = mkdtempSync(path.join(tmpdir(), "gitops-reproduce-"));
    try {
      const copy = path.join(scratch, "repository");
      const listed = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
        cwd: ROOT,
        encoding: "utf8",
      });
      expect(listed.status, listed.stderr).toBe(0);
      for (const file of listed.stdout.split("\0").filter(Boolean)) {
        mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
        cpSync(path.join(ROOT, file), path.join(copy, file), { verbatimSymlinks: true });
      }
      // The installed packages (npm ci at the tag gives the same); the cache goes to an empty directory of its own.
      symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
      const cache = path.join(scratch, "cache");
      const run = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), ["generator/cli.ts", "--check"], {
        cwd: copy,
        env: { ...process.env, [CACHE_DIR_VARIABLE]: cache },
        encoding: "utf8",
      });
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(/^generate --check: \d+ generated files \(8 templates\) are up to date\n$/);
      expect(run.status).toBe(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
