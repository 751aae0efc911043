/**
 * Job scripts: bundled into self-contained ES modules (only `node:` built-ins external; one file,
 * or the entry and the modules it loads on demand), each embedded as a quoted heredoc, and run as
 * embedded.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bundleScript, embedScript, HEREDOC_DELIMITER, singleFileBundle } from "../../generator/script.ts";
import { runTemplateJob } from "../../harness/templates.ts";

const BASIC = path.join(import.meta.dirname, "..", "fixtures", "basic");
const LAZY = path.join(import.meta.dirname, "..", "fixtures", "lazy");

describe("script bundling and embedding", () => {
  it("bundles an entry with everything it imports statically into one module", async () => {
    const bundle = await bundleScript(BASIC, "components/hello/hello.ts");
    expect(bundle.main).toBe("hello.mjs");
    expect(bundle.files.map((f) => f.file)).toEqual(["hello.mjs"]);
    const code = bundle.files[0]?.code ?? "";
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
      expect(await bundleScript(root, "components/hello/hello.ts", cache)).toEqual(first);
      writeFileSync(
        path.join(root, "components", "hello", "greeting.ts"),
        "export function greeting(who: string): string {\n  return `good day, ${who}`;\n}\n",
      );
      const second = (await bundleScript(root, "components/hello/hello.ts", cache)).files[0]?.code;
      expect(second).toContain("good day");
      expect(second).not.toContain("hello, ");
      expect(existsSync(path.join(root, "node_modules")), "the catalog got a cache of its own").toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("prints the same bundle however the source is laid out (a formatter reflowing it changes no template)", async () => {
    const roots = [0, 1].map(() => mkdtempSync(path.join(import.meta.dirname, "..", "fixtures", ".tmp-layout-")));
    const caches = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), "gitops-bundle-cache-")));
    try {
      for (const root of roots) cpSync(BASIC, root, { recursive: true });
      const file = (root: string) => path.join(root, "components", "hello", "greeting.ts");
      // The same code twice: on long lines, and broken inside calls, arrays and objects as a
      // formatter does at a narrow width (esbuild would keep each of those line breaks).
      writeFileSync(
        file(roots[0] as string),
        'export function greeting(who: string): string {\n  const parts = { word: "hello", names: [who, "and", "friends"] };\n  return [parts.word, parts.names.join(" ")].join(", ");\n}\n',
      );
      writeFileSync(
        file(roots[1] as string),
        'export function greeting(\n  who: string,\n): string {\n  const parts = {\n    word: "hello",\n    names: [\n      who,\n      "and",\n      "friends",\n    ],\n  };\n  return [\n    parts.word,\n    parts.names.join(\n      " ",\n    ),\n  ].join(\n    ", ",\n  );\n}\n',
      );
      const [compact, reflowed] = await Promise.all(
        roots.map((root, i) => bundleScript(root, "components/hello/hello.ts", caches[i])),
      );
      expect(compact?.files[0]?.code).toContain('names: [who, "and", "friends"]');
      expect(reflowed).toEqual(compact);
    } finally {
      for (const dir of [...roots, ...caches]) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps pure annotations, so tree shaking still drops an unused call marked pure", async () => {
    const root = mkdtempSync(path.join(import.meta.dirname, "..", "fixtures", ".tmp-pure-"));
    const cache = mkdtempSync(path.join(tmpdir(), "gitops-bundle-cache-"));
    try {
      cpSync(BASIC, root, { recursive: true });
      writeFileSync(
        path.join(root, "components", "hello", "greeting.ts"),
        'function announce(): string {\n  console.log("announced");\n  return "x";\n}\nexport const unused = /* @__PURE__ */ announce();\nexport function greeting(who: string): string {\n  return `hello, ${who}`;\n}\n',
      );
      const code = (await bundleScript(root, "components/hello/hello.ts", cache)).files[0]?.code ?? "";
      expect(code).toContain("function greeting(who)");
      expect(code).not.toContain("announced");
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("keeps the script in a quoted heredoc so the shell expands nothing in it", () => {
    const entry = embedScript(singleFileBundle("demo", "console.log(`${process.env.HOME} $HOME $(date)`);\n")).script;
    expect(entry).toContain(`cat > "$gitops_script_dir/demo.mjs" <<'${HEREDOC_DELIMITER}'\n`);
    expect(entry).toContain('node "$gitops_script_dir/demo.mjs"');
  });

  it('refuses a script containing "$[[", which GitLab would treat as an input', () => {
    expect(() => embedScript(singleFileBundle("demo", 'const marker = "$[[ inputs.x ]]";\n'))).toThrow(
      'the bundled script demo.mjs contains "$[[", which GitLab would treat as an input placeholder. Fix: build that text at run time (for example "$" + "[[") instead of writing it literally.',
    );
  });

  it("embeds printable ASCII only: other characters become escapes that print the same at run time", () => {
    const entry = embedScript(
      singleFileBundle("demo", "console.log(`caf\u00e9 \u2192 ok`, /\u00e9/.test('\u00e9'), 'a\tb');\n"),
    ).script;
    expect(entry).toMatch(/^[\n\x20-\x7e]*$/);
    const result = spawnSync("bash", ["-c", `set -eo pipefail\n${entry}`], { encoding: "utf8" });
    expect(result.stdout).toBe("caf\u00e9 \u2192 ok true a\tb\n");
  });

  it("refuses a script that no escape keeps as it is (a tagged template's raw text), naming the script", () => {
    expect(() => embedScript(singleFileBundle("demo", "console.log(String.raw`\u00e9`);\n"))).toThrow(
      /^the bundled script demo.mjs cannot be made printable ASCII: a tagged template literal holds \\u00E9/,
    );
  });

  it("refuses a script containing the heredoc delimiter on a line of its own", () => {
    expect(() => embedScript(singleFileBundle("demo", `const a = \`\n${HEREDOC_DELIMITER}\n\`;\n`))).toThrow(
      `the bundled script demo.mjs contains the heredoc delimiter ${HEREDOC_DELIMITER}`,
    );
  });

  it.each([
    ["succeeds", "console.log('done');", 0],
    ["fails", "console.error('broken'); process.exit(3);", 3],
  ])("keeps the job's exit status and leaves no temporary file when the script %s", (_, code, status) => {
    const scratch = mkdtempSync(path.join(tmpdir(), "gitops-embed-test-"));
    try {
      const entry = embedScript(singleFileBundle("demo", `${code}\n`)).script;
      // The runner's shell: each script entry under `set -eo pipefail`.
      const result = spawnSync("bash", ["-c", `set -eo pipefail\n${entry}\necho after`], {
        env: { ...process.env, TMPDIR: scratch },
        encoding: "utf8",
      });
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

describe("a script that loads a feature on demand (await import())", () => {
  it("bundles into the entry, a module for the feature and a module of the code both use, each named after what it holds", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "gitops-bundle-cache-"));
    try {
      const bundle = await bundleScript(LAZY, "components/greet/greet.ts", cache);
      expect(bundle.main).toBe("greet.mjs");
      expect(bundle.files.map((f) => f.file)).toEqual(["greet.mjs", "greet.fancy.mjs", "greet.shared-words.mjs"]);
      const [main, fancy, words] = bundle.files.map((f) => f.code);
      // The entry imports the shared code statically and the feature only where it is used, by relative path.
      expect(main).toContain('from "./greet.shared-words.mjs";');
      expect(main).toContain('await import("./greet.fancy.mjs")');
      expect(main).not.toContain("fancyGreeting(who) {");
      expect(fancy).toContain("function fancyGreeting(who)");
      expect(fancy).toContain('from "./greet.shared-words.mjs";');
      expect(words).toContain("// components/greet/words.ts");
      // Nothing still names a file by esbuild's hashed name.
      for (const code of [main, fancy, words]) expect(code).not.toMatch(/(chunk|fancy|words)-[A-Z0-9]{8}\.mjs/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("gives the same file names and bytes when rebuilt from a cold cache", async () => {
    const caches = [
      mkdtempSync(path.join(tmpdir(), "gitops-bundle-cache-")),
      mkdtempSync(path.join(tmpdir(), "gitops-bundle-cache-")),
    ];
    try {
      const [first, second] = await Promise.all(
        caches.map((cache) => bundleScript(LAZY, "components/greet/greet.ts", cache)),
      );
      expect(second).toEqual(first);
      for (const cache of caches) expect(readdirSync(path.join(cache, "bundles"))).toHaveLength(1);
    } finally {
      for (const cache of caches) rmSync(cache, { recursive: true, force: true });
    }
  });

  it("writes every file beside the entry and runs the entry, which loads the feature only when asked", async () => {
    const plain = await runTemplateJob({ component: "greet", root: LAZY, inputs: { who: "ann" } });
    expect(plain).toMatchObject({ code: 0, stdout: "hello, ann\n", stderr: "" });
    const fancy = await runTemplateJob({ component: "greet", root: LAZY, inputs: { who: "ann", style: "fancy" } });
    expect(fancy).toMatchObject({ code: 0, stdout: "*** hello, ann! ***\n", stderr: "(fancy greeting loaded)\n" });
  });

  it("checks every file for what the template cannot hold, naming the file", () => {
    const bundle = {
      main: "demo.mjs",
      files: [
        { file: "demo.mjs", code: 'await import("./demo.feature.mjs");\n' },
        { file: "demo.feature.mjs", code: 'const marker = "$[[ inputs.x ]]";\n' },
      ],
    };
    expect(() => embedScript(bundle)).toThrow('the bundled script demo.feature.mjs contains "$[["');
    bundle.files[1] = { file: "demo.feature.mjs", code: `const a = \`\n${HEREDOC_DELIMITER}\n\`;\n` };
    expect(() => embedScript(bundle)).toThrow(
      `the bundled script demo.feature.mjs contains the heredoc delimiter ${HEREDOC_DELIMITER}`,
    );
    bundle.files[1] = { file: "demo.feature.mjs", code: "console.log(`caf\u00e9`);\n" };
    const embedded = embedScript(bundle);
    expect(embedded.files[1]?.code).toBe("console.log(`caf\\u00E9`);\n");
    expect(embedded.script).toMatch(/^[\n\x20-\x7e]*$/);
  });
});
