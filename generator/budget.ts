/**
 * Size budgets, so every script stays readable by the consumer who runs it: each embedded file (a
 * script, or a module it imports) at most 64 KiB and each template at most 100 KiB, far below GitLab's own limits (1 MiB per
 * string, `max_yaml_size_bytes` for the parsed file; generator/yaml-file.ts checks those). No
 * component has an exception.
 */
import type { Problem } from "./problems.ts";
import type { RenderedTemplate, TemplateScript } from "./template.ts";

/** The budgets, in bytes. */
export const BUDGETS = {
  /** One embedded file (the `<name>.mjs` the job runs, or a `<name>.<module>.mjs` it imports). */
  scriptBytes: 64 * 1024,
  /** One `template.yml`, banner and all. */
  templateBytes: 100 * 1024,
} as const;

/** Budgets in bytes: {@link BUDGETS}, or others for a test. */
export type Budgets = { readonly [K in keyof typeof BUDGETS]: number };

const bytes = (n: number) => n.toLocaleString("en-US");

/**
 * The largest parts of a bundle, by the module comments esbuild writes before each module's code
 * (`// node_modules/yaml/dist/parse/lexer.js`), one package or source file each: what to cut first.
 */
export function largestParts(code: string, count = 3): Array<{ part: string; bytes: number }> {
  const sizes = new Map<string, number>();
  let part = "(bundle prelude)";
  const lines = code.split("\n");
  lines.forEach((line, i) => {
    const module = /^\/\/ (\S+\.[cm]?[jt]sx?)$/.exec(line)?.[1];
    if (module) part = /^(?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module)?.[1] ?? module;
    sizes.set(part, (sizes.get(part) ?? 0) + line.length + (i < lines.length - 1 ? 1 : 0));
  });
  return [...sizes]
    .map(([name, size]) => ({ part: name, bytes: size }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}

function scriptProblem(t: RenderedTemplate, script: TemplateScript, budget: number): Problem {
  const parts = largestParts(script.code)
    .map((p) => `${p.part} ${bytes(p.bytes)}`)
    .join(", ");
  const what =
    script.file === script.main
      ? `the embedded script ${script.file} (bundled from ${script.entry})`
      : `the embedded module ${script.file} (imported by ${script.main}, bundled from ${script.entry})`;
  return {
    path: [t.file, script.file],
    message: `${what} is ${bytes(script.code.length)} bytes; a file may be at most ${bytes(budget)} bytes (${budget / 1024} KiB), so that whoever runs it can read it. Its largest parts: ${parts}`,
    fix:
      'load an optional feature only where the job uses it (`const { f } = await import("./feature.ts")` makes it a module of its own, written beside the script), ' +
      "or bundle less: replace a heavy dependency with the few functions the job needs, or move the work into the tools image",
  };
}

/** Every budget a rendered template exceeds, each a problem naming the size, the budget and what to cut. */
export function budgetProblems(t: RenderedTemplate, budgets: Budgets = BUDGETS): Problem[] {
  const problems = t.scripts
    .filter((s) => s.code.length > budgets.scriptBytes)
    .map((s) => scriptProblem(t, s, budgets.scriptBytes));
  const size = Buffer.byteLength(t.text);
  if (size > budgets.templateBytes)
    problems.push({
      path: [t.file],
      message: `the template is ${bytes(size)} bytes; a template may be at most ${bytes(budgets.templateBytes)} bytes (${budgets.templateBytes / 1024} KiB)${t.scripts.length > 0 ? `, and its embedded files take ${bytes(t.scripts.reduce((sum, s) => sum + s.code.length, 0))} of them` : ""}`,
      // Loading a feature on demand moves code between files, not out of the template.
      fix: "make its embedded scripts smaller (the banner names each file and its entry): replace a heavy dependency with the few functions the job needs, or move work into the tools image; or split the component",
    });
  return problems;
}
