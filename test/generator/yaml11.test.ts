/**
 * GitLab reads YAML with libyaml (YAML 1.1), the generator and the tests with the `yaml` package
 * (YAML 1.2). Every generated file must mean the same to both, or GitLab would run other jobs and
 * other scripts than the tests run; and it must be printable ASCII with every script a literal
 * block, so nothing depends on how a parser treats escapes or unusual line breaks.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { parseWithLibyaml, requireLibyaml } from "../support/libyaml.ts";
import { ROOT } from "../../harness/templates.ts";

const GENERATED = [
  ...readdirSync(path.join(ROOT, "templates")).map((name) => `templates/${name}/template.yml`),
  ".gitlab-ci.yml",
];

describe.skipIf(!requireLibyaml())("every generated YAML file, as GitLab's libyaml reads it", () => {
  it.each(GENERATED)("%s has the same value for libyaml (YAML 1.1) as for the yaml package", (file) => {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const ours = parseAllDocuments(text).map((doc) => doc.toJS());
    expect(parseWithLibyaml(text)).toEqual(ours);
  });

  it("sees a difference where there is one (the check is not vacuous)", () => {
    // YAML 1.1 reads `on` as true and U+0085 as a line break; YAML 1.2 reads a string and keeps the character.
    const text = 'on: 1\nscript: "a\u0085b"\n';
    expect(parseWithLibyaml(text)).not.toEqual(parseAllDocuments(text).map((doc) => doc.toJS()));
  });
});

describe("every generated YAML file's text", () => {
  it.each(GENERATED)("%s is printable ASCII with every script a literal block", (file) => {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    expect(text).toMatch(/^[\n\x20-\x7e]*$/);
    let blocks = 0;
    for (const doc of parseAllDocuments(text, { keepSourceTokens: true })) {
      const body = doc.toJS() as Record<string, { script?: unknown }> | null;
      for (const [job, keywords] of Object.entries(body ?? {})) {
        const script = (keywords as { script?: unknown })?.script;
        // A script is one block (a string) or a list of commands; every multi-line one is a literal block.
        const lines: Array<[unknown, Array<string | number>]> =
          typeof script === "string"
            ? [[script, [job, "script"]]]
            : Array.isArray(script)
              ? script.map((line, i) => [line, [job, "script", i]])
              : [];
        for (const [line, at] of lines) {
          if (typeof line !== "string" || !line.includes("\n")) continue;
          const node = doc.getIn(at, true) as { type?: string };
          expect(node.type, `${file} › ${at.join(" › ")}`).toBe("BLOCK_LITERAL");
          blocks++;
        }
      }
    }
    // Every embedded script was among the blocks checked.
    expect(blocks).toBeGreaterThanOrEqual(text.match(/^ *node "\$gitops_script_dir\//gm)?.length ?? 0);
  });
});
