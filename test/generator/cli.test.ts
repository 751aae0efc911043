/**
 * The CLI: `generate` writes templates and README tables; `--check` writes nothing, prints a diff
 * of what is stale and exits 1; invalid catalogs exit 1 listing every problem; usage errors exit 2.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../generator/cli.ts";

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures");
const scratch: string[] = [];

/** A copy of a fixture catalog in a temporary directory (its component imports resolve to the real generator through a symlinked path). */
function copyFixture(name: string): string {
  const dir = mkdtempSync(path.join(FIXTURES, `.tmp-${name}-`));
  scratch.push(dir);
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(
    argv,
    (s) => void (out += s),
    (s) => void (err += s),
  );
  return { code, out, err };
}

afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("generate CLI", () => {
  it("--check exits 0 on a fresh tree and writes nothing", async () => {
    const root = copyFixture("basic");
    const before = readFileSync(path.join(root, "templates", "hello", "template.yml"), "utf8");
    const result = await cli("--root", root, "--check");
    expect(result).toEqual({
      code: 0,
      out: "generate --check: 2 generated files (1 templates) are up to date\n",
      err: "",
    });
    expect(readFileSync(path.join(root, "templates", "hello", "template.yml"), "utf8")).toBe(before);
  });

  it("--check on a stale tree prints a diff, names the stale files, exits 1 and writes nothing", async () => {
    const root = copyFixture("basic");
    const file = path.join(root, "templates", "hello", "template.yml");
    const stale = readFileSync(file, "utf8").replace("default: world", "default: everyone");
    writeFileSync(file, stale);
    mkdirSync(path.join(root, "templates", "gone"));
    writeFileSync(path.join(root, "templates", "gone", "template.yml"), "# left over\n");
    const result = await cli("--root", root, "--check");
    expect(result.code).toBe(1);
    expect(result.out).toContain("--- a/templates/hello/template.yml\n+++ b/templates/hello/template.yml\n");
    expect(result.out).toContain("-      default: everyone\n+      default: world\n");
    expect(result.out).toContain("--- a/templates/gone/template.yml\n+++ /dev/null\n");
    expect(result.err).toBe(
      "generate --check: 2 file(s) stale: templates/hello/template.yml, templates/gone/template.yml. Fix: run `npm run generate` and commit the result.\n",
    );
    expect(readFileSync(file, "utf8")).toBe(stale);
    expect(existsSync(path.join(root, "templates", "gone", "template.yml"))).toBe(true);
  });

  it("generate rewrites stale files and removes templates no component generates", async () => {
    const root = copyFixture("basic");
    const file = path.join(root, "templates", "hello", "template.yml");
    const fresh = readFileSync(file, "utf8");
    writeFileSync(file, "stale\n");
    mkdirSync(path.join(root, "templates", "gone"));
    writeFileSync(path.join(root, "templates", "gone", "template.yml"), "# left over\n");
    expect(await cli("--root", root)).toEqual({
      code: 0,
      out: "generate: 1 templates; 1 file(s) written, 1 removed\n",
      err: "",
    });
    expect(readFileSync(file, "utf8")).toBe(fresh);
    expect(existsSync(path.join(root, "templates", "gone"))).toBe(false);
    expect((await cli("--root", root, "--check")).code).toBe(0);
  });

  it("an invalid catalog exits 1 with every problem and writes nothing", async () => {
    const root = copyFixture("invalid");
    const result = await cli("--root", root);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^generate: 19 problems found:\n {2}- broken › spec › inputs\.level\.default: /);
    expect(existsSync(path.join(root, "templates"))).toBe(false);
  });

  it.each([
    [["--bogus"], "Unknown option '--bogus'"],
    [["extra"], "Unexpected argument 'extra'"],
    [["--root", "/nonexistent"], "--root /nonexistent is not a catalog: it needs package.json and components/."],
  ])("usage error %j exits 2 and says how to call it", async (argv, message) => {
    const result = await cli(...argv);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.err).toContain(
      "usage: npm run generate [-- --check] [--root <dir>] [--only <component>[,<component>…]] [--max-components <n>]",
    );
  });
});
