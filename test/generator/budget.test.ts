/**
 * Size budgets: an embedded script over 64 KiB or a template over 100 KiB is a problem that names
 * the sizes, what takes the space, and the fix.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUDGETS, budgetProblems, largestParts } from "../../generator/budget.ts";
import { generateCatalog } from "../../generator/catalog.ts";
import { formatProblem } from "../../generator/problems.ts";
import type { RenderedTemplate } from "../../generator/template.ts";

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures");

describe("the budgets", () => {
  it("are 64 KiB per embedded script and 100 KiB per template", () => {
    expect(BUDGETS).toEqual({ scriptBytes: 65_536, templateBytes: 102_400 });
  });

  it("hold for the basic fixture", async () => {
    const { templates } = await generateCatalog({ root: path.join(FIXTURES, "basic") });
    expect(templates.flatMap((t) => budgetProblems(t))).toEqual([]);
  });
});

describe("a component whose script bundles a 110,000-character text", () => {
  let root: string;
  let template: RenderedTemplate;

  beforeAll(async () => {
    // A copy beside the fixtures (its imports of the generator are relative), with a heavy module.
    root = mkdtempSync(path.join(FIXTURES, ".tmp-oversized-"));
    cpSync(path.join(FIXTURES, "basic"), root, { recursive: true });
    writeFileSync(path.join(root, "components", "hello", "greeting.ts"), `const PADDING = ${JSON.stringify("x".repeat(110_000))};\nexport function greeting(who: string): string {\n  return \`hello, \${who}\${PADDING.slice(0, 0)}\`;\n}\n`);
    const { templates } = await generateCatalog({ root });
    template = templates[0] as RenderedTemplate;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("is over both budgets: the script and the template are each named with their size, the largest parts and the fix", () => {
    const script = template.scripts[0]?.code.length ?? 0;
    // The last module: its comment line and its one statement, as esbuild prints them.
    const HELLO_PART = '// components/hello/hello.ts\nconsole.log(greeting(process.env.HELLO_WHO ?? "nobody"));\n'.length;
    expect(template.scripts[0]?.code.endsWith('// components/hello/hello.ts\nconsole.log(greeting(process.env.HELLO_WHO ?? "nobody"));\n')).toBe(true);
    const size = Buffer.byteLength(template.text);
    expect(script).toBeGreaterThan(110_000);
    expect(budgetProblems(template).map(formatProblem)).toEqual([
      `templates/hello/template.yml › hello.mjs: the embedded script hello.mjs (bundled from components/hello/hello.ts) is ${script.toLocaleString("en-US")} bytes; a script may be at most 65,536 bytes (64 KiB), so that whoever runs it can read it. Its largest parts: components/hello/greeting.ts ${(script - HELLO_PART).toLocaleString("en-US")}, components/hello/hello.ts ${HELLO_PART}. Fix: bundle less: replace a heavy dependency with the few functions the job needs, or move the work into the tools image`,
      `templates/hello/template.yml: the template is ${size.toLocaleString("en-US")} bytes; a template may be at most 102,400 bytes (100 KiB), and its scripts take ${script.toLocaleString("en-US")} of them. Fix: make its embedded scripts smaller (each is named in the banner with its entry), or split the component`,
    ]);
  });

  it("is within budgets that allow it", () => {
    expect(budgetProblems(template, { scriptBytes: 200_000, templateBytes: 200_000 })).toEqual([]);
  });
});

describe("the largest parts of a bundle", () => {
  it("groups modules by package (scoped too) or source file, largest first", () => {
    const code = [
      'import x from "node:fs";',
      "// node_modules/yaml/dist/a.js",
      "a".repeat(99),
      "// node_modules/yaml/dist/b.js",
      "b".repeat(99),
      "// node_modules/@scope/pkg/index.mjs",
      "c".repeat(49),
      "// components/x/main.ts",
      "d".repeat(9),
      "",
    ].join("\n");
    expect(largestParts(code, 4)).toEqual([
      { part: "yaml", bytes: 31 + 100 + 31 + 100 },
      { part: "@scope/pkg", bytes: 37 + 50 },
      { part: "components/x/main.ts", bytes: 24 + 10 },
      { part: "(bundle prelude)", bytes: 25 },
    ]);
  });
});
