/**
 * Job scripts: bundled into one self-contained ES module (only `node:` built-ins external),
 * embedded as a quoted heredoc, and run as embedded.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bundleScript, embedScript, HEREDOC_DELIMITER } from "../../generator/script.ts";
import { runTemplateJob } from "../../harness/templates.ts";

const BASIC = path.join(import.meta.dirname, "..", "fixtures", "basic");

describe("script bundling and embedding", () => {
  it("bundles an entry with everything it imports into one module", async () => {
    const code = await bundleScript(BASIC, "components/hello/hello.ts");
    expect(code).toContain("function greeting(who)");
    expect(code).not.toMatch(/^\s*import\s.*from\s+["'](?!node:)/m);
  });

  it("reuses a cached bundle only while every file it was built from is unchanged", async () => {
    // A copy beside the fixture (its imports of the generator are relative), and a cache of its own.
    const root = mkdtempSync(path.join(import.meta.dirname, "..", "fixtures", ".tmp-bundle-"));
    const cache = mkdtempSync(path.join(tmpdir(), "gitops-bundle-cache-"));
    try {
      cpSync(BASIC, root, { recursive: true });
      const first = await bundleScript(root, "components/hello/hello.ts", cache);
      expect(readdirSync(path.join(cache, "bundles"))).toHaveLength(1);
      expect(await bundleScript(root, "components/hello/hello.ts", cache)).toBe(first);
      writeFileSync(path.join(root, "components", "hello", "greeting.ts"), "export function greeting(who: string): string {\n  return `good day, ${who}`;\n}\n");
      const second = await bundleScript(root, "components/hello/hello.ts", cache);
      expect(second).toContain("good day");
      expect(second).not.toContain("hello, ");
      expect(existsSync(path.join(root, "node_modules")), "the catalog got a cache of its own").toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("keeps the script in a quoted heredoc so the shell expands nothing in it", () => {
    const [entry] = embedScript("demo", 'console.log(`${process.env.HOME} $HOME $(date)`);\n').script;
    expect(entry).toContain(`cat > "$gitops_script_dir/demo.mjs" <<'${HEREDOC_DELIMITER}'\n`);
    expect(entry).toContain('node "$gitops_script_dir/demo.mjs"');
  });

  it('refuses a script containing "$[[", which GitLab would treat as an input', () => {
    expect(() => embedScript("demo", 'const marker = "$[[ inputs.x ]]";\n')).toThrow(
      'the bundled script demo contains "$[[", which GitLab would treat as an input placeholder. Fix: build that text at run time (for example "$" + "[[") instead of writing it literally.',
    );
  });

  it("embeds printable ASCII only: other characters become escapes that print the same at run time", () => {
    const [entry] = embedScript("demo", "console.log(`caf\u00e9 \u2192 ok`, /\u00e9/.test('\u00e9'), 'a\tb');\n").script;
    expect(entry).toMatch(/^[\n\x20-\x7e]*$/);
    const result = spawnSync("bash", ["-c", `set -eo pipefail\n${entry}`], { encoding: "utf8" });
    expect(result.stdout).toBe("caf\u00e9 \u2192 ok true a\tb\n");
  });

  it("refuses a script that no escape keeps as it is (a tagged template's raw text), naming the script", () => {
    expect(() => embedScript("demo", "console.log(String.raw`\u00e9`);\n")).toThrow(/^the bundled script demo cannot be made printable ASCII: a tagged template literal holds \\u00E9/);
  });

  it("refuses a script containing the heredoc delimiter on a line of its own", () => {
    expect(() => embedScript("demo", `const a = \`\n${HEREDOC_DELIMITER}\n\`;\n`)).toThrow(`contains the heredoc delimiter ${HEREDOC_DELIMITER}`);
  });

  it.each([
    ["succeeds", "console.log('done');", 0],
    ["fails", "console.error('broken'); process.exit(3);", 3],
  ])("keeps the job's exit status and leaves no temporary file when the script %s", (_, code, status) => {
    const scratch = mkdtempSync(path.join(tmpdir(), "gitops-embed-test-"));
    try {
      const [entry] = embedScript("demo", `${code}\n`).script;
      // The runner's shell: each script entry under `set -eo pipefail`.
      const result = spawnSync("bash", ["-c", `set -eo pipefail\n${entry}\necho after`], { env: { ...process.env, TMPDIR: scratch }, encoding: "utf8" });
      expect(result.status).toBe(status);
      expect(result.stdout).toBe(status === 0 ? "done\nafter\n" : "");
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("runs the script as embedded in the template, with inputs only through variables", async () => {
    const template = readFileSync(path.join(BASIC, "templates", "hello", "template.yml"), "utf8");
    expect(template).not.toMatch(/script:[\s\S]*\$\[\[[\s\S]*GITOPS_COMPONENTS_SCRIPT_EOF/);
    const run = await runTemplateJob({ component: "hello", root: BASIC, inputs: { who: "ann; rm -rf /" } });
    expect(run).toMatchObject({ code: 0, stdout: "hello, ann; rm -rf /\n" });
  });
});
