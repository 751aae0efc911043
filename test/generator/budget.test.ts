/**
 * Size budgets: an embedded file (a script or a module it imports) over 64 KiB or a template over
 * 100 KiB is a problem that names the sizes, what takes the space, and the fix.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUDGETS, budgetProblems, largestParts } from "../../generator/budget.ts";
import { generateCatalog, loadConfig } from "../../generator/catalog.ts";
import type { ComponentModule } from "../../generator/component.ts";
import { formatProblem, GenerationFailed } from "../../generator/problems.ts";
import { renderComponent, type RenderedTemplate } from "../../generator/template.ts";

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures");

const SCRIPT_FIX =
  'load an optional feature only where the job uses it (`const { f } = await import("./feature.ts")` makes it a module of its own, written beside the script), ' +
  "or bundle less: replace a heavy dependency with the few functions the job needs, or move the work into the tools image";

describe("the budgets", () => {
  it("are 64 KiB per embedded file and 100 KiB per template", () => {
    expect(BUDGETS).toEqual({ scriptBytes: 65_536, templateBytes: 102_400 });
  });

  it.each(["basic", "lazy"])("hold for the %s fixture", async (fixture) => {
    const { templates } = await generateCatalog({ root: path.join(FIXTURES, fixture) });
    expect(templates.flatMap((t) => budgetProblems(t))).toEqual([]);
  });
});

describe("a component whose script bundles a 110,000-character text", () => {
  let root: string;
  let template: RenderedTemplate;
  let refused: unknown;

  beforeAll(async () => {
    // A copy beside the fixtures (its imports of the generator are relative), with a heavy module.
    root = mkdtempSync(path.join(FIXTURES, ".tmp-oversized-"));
    cpSync(path.join(FIXTURES, "basic"), root, { recursive: true });
    writeFileSync(
      path.join(root, "components", "hello", "greeting.ts"),
      `const PADDING = ${JSON.stringify("x".repeat(110_000))};\nexport function greeting(who: string): string {\n  return \`hello, \${who}\${PADDING.slice(0, 0)}\`;\n}\n`,
    );
    refused = await generateCatalog({ root }).catch((error: unknown) => error);
    const { default: hello } = (await import(
      pathToFileURL(path.join(root, "components", "hello", "component.ts")).href
    )) as { default: ComponentModule };
    template = await renderComponent(hello.build({ version: "9.8.7", config: await loadConfig(root) }), {
      root,
      version: "9.8.7",
      bundles: new Map(),
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("is refused by the generator, naming the script and the template with their sizes, the largest parts and the fix", () => {
    const script = template.scripts[0]?.code.length ?? 0;
    const size = Buffer.byteLength(template.text);
    // The last module: its comment line and its one statement, as esbuild prints them.
    const HELLO_PART = '// components/hello/hello.ts\nconsole.log(greeting(process.env.HELLO_WHO ?? "nobody"));\n'
      .length;
    expect(
      template.scripts[0]?.code.endsWith(
        '// components/hello/hello.ts\nconsole.log(greeting(process.env.HELLO_WHO ?? "nobody"));\n',
      ),
    ).toBe(true);
    expect(script).toBeGreaterThan(110_000);
    expect(refused).toBeInstanceOf(GenerationFailed);
    expect((refused as GenerationFailed).problems.map(formatProblem)).toEqual([
      `templates/hello/template.yml › hello.mjs: the embedded script hello.mjs (bundled from components/hello/hello.ts) is ${script.toLocaleString("en-US")} bytes; a file may be at most 65,536 bytes (64 KiB), so that whoever runs it can read it. Its largest parts: components/hello/greeting.ts ${(script - HELLO_PART).toLocaleString("en-US")}, components/hello/hello.ts ${HELLO_PART}. Fix: ${SCRIPT_FIX}`,
      `templates/hello/template.yml: the template is ${size.toLocaleString("en-US")} bytes; a template may be at most 102,400 bytes (100 KiB), and its embedded files take ${script.toLocaleString("en-US")} of them. Fix: make its embedded scripts smaller (the banner names each file and its entry): replace a heavy dependency with the few functions the job needs, or move work into the tools image; or split the component`,
    ]);
  });

  it("is within budgets that allow it", () => {
    expect(budgetProblems(template, { scriptBytes: 200_000, templateBytes: 200_000 })).toEqual([]);
  });
});

describe("a script whose module loaded on demand bundles a 70,000-character text", () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(FIXTURES, ".tmp-oversized-module-"));
    cpSync(path.join(FIXTURES, "lazy"), root, { recursive: true });
    writeFileSync(
      path.join(root, "components", "greet", "fancy.ts"),
      `import { WORDS } from "./words.ts";\nconst BANNER = ${JSON.stringify("*".repeat(70_000))};\nexport function fancyGreeting(who: string): string {\n  return \`\${BANNER} \${WORDS.hello}, \${who}\`;\n}\n`,
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("is refused naming that module, the script that imports it and its largest parts; the script itself is within budget", async () => {
    const refused = await generateCatalog({ root }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GenerationFailed);
    const problems = (refused as GenerationFailed).problems.map(formatProblem);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^templates\/greet\/template\.yml › greet\.fancy\.mjs: the embedded module greet\.fancy\.mjs \(imported by greet\.mjs, bundled from components\/greet\/greet\.ts\) is 70,\d{3} bytes; a file may be at most 65,536 bytes \(64 KiB\), so that whoever runs it can read it\. Its largest parts: components\/greet\/fancy\.ts 70,\d{3}, \(bundle prelude\) \d+\. Fix: /,
    );
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
