/**
 * What the README tells a consumer to run to check the scripts in a template ("Check the scripts
 * you run"), run here verbatim on every committed template: it writes each script exactly as the
 * job writes it, and the banner's sha256 lines accept those files and refuse a changed one.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ROOT, scriptCommands } from "../../harness/templates.ts";

/** The README's shell block that checks a template's scripts, with `template=` pointing at `template`. */
function readmeCheck(template: string): string {
  const blocks = [...readFileSync(path.join(ROOT, "README.md"), "utf8").matchAll(/```sh\n([\s\S]*?)```/g)].map(
    (m) => m[1] as string,
  );
  const block = blocks.find((b) => b.includes("sha256sum -c"));
  if (!block) throw new Error("README.md has no sh block with sha256sum -c");
  expect(block).toMatch(/^template=\S+\n/);
  return block.replace(/^template=\S+/, `template=${JSON.stringify(template)}`);
}

/** The banner's script files, from its `# sha256: <hex>  <file>` lines, in the banner's order (the order `sha256sum -c` checks them in). */
function bannerFiles(text: string): string[] {
  return [...text.matchAll(/^# sha256: [0-9a-f]{64} {2}(\S+)$/gm)].map((m) => m[1] as string);
}

const templates = readdirSync(path.join(ROOT, "templates")).filter(
  (name) => bannerFiles(readFileSync(path.join(ROOT, "templates", name, "template.yml"), "utf8")).length > 0,
);

describe("checking a template's scripts as the README says", () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "gitops-verify-scripts-"));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  const check = (template: string, cwd: string) => {
    mkdirSync(cwd, { recursive: true });
    return spawnSync("bash", [], { input: `set -eo pipefail\n${readmeCheck(template)}`, cwd, encoding: "utf8" });
  };

  it("covers every template with a script", () => {
    expect(templates.sort()).toEqual([
      "build",
      "manual-production",
      "preview-production",
      "promote-staging",
      "review",
      "rollback",
      "update-manifests",
    ]);
  });

  it.each(templates)("accepts %s's scripts, extracted byte for byte as its jobs write them", (name) => {
    const template = path.join(ROOT, "templates", name, "template.yml");
    const files = bannerFiles(readFileSync(template, "utf8"));
    const extracted = path.join(scratch, "extracted");
    const run = check(template, extracted);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(files.map((file) => `${file}: OK\n`).join(""));
    expect(run.status).toBe(0);
    expect(readdirSync(extracted).sort()).toEqual([...files].sort());

    // What each job writes: its script run by bash, with a `node` that copies the file it is given
    // and the modules beside it (the whole directory the job wrote them to).
    const bin = path.join(scratch, "bin");
    const written = path.join(scratch, "written");
    mkdirSync(bin);
    mkdirSync(written);
    writeFileSync(path.join(bin, "node"), `#!/bin/sh\ncp "$(dirname "$1")"/* ${JSON.stringify(written)}/\n`);
    chmodSync(path.join(bin, "node"), 0o755);
    const body = parseAllDocuments(readFileSync(template, "utf8"))[1]?.toJS() as Record<string, { script: unknown }>;
    for (const job of Object.values(body)) {
      // On stdin: a script of update-manifests' size exceeds Linux's 128 KiB limit for one argument.
      const ran = spawnSync("bash", [], {
        input: `set -eo pipefail\n${scriptCommands(job.script).join("\n")}\n`,
        env: { PATH: `${bin}:${process.env.PATH}`, TMPDIR: scratch },
        encoding: "utf8",
      });
      expect(ran.status, ran.stderr).toBe(0);
    }
    expect(readdirSync(written).sort()).toEqual([...files].sort());
    for (const file of files)
      expect(readFileSync(path.join(written, file), "utf8"), file).toBe(
        readFileSync(path.join(extracted, file), "utf8"),
      );
  });

  it.each([
    ["the script a job runs", "promote.mjs"],
    ["a module the script imports", "promote.verify.mjs"],
  ])("refuses %s changed by one character, naming that file alone", (_, changedFile) => {
    const template = path.join(ROOT, "templates", "promote-staging", "template.yml");
    const text = readFileSync(template, "utf8");
    const files = bannerFiles(text);
    expect(files).toContain(changedFile);
    const start = text.indexOf(`/${changedFile}" <<'GITOPS_COMPONENTS_SCRIPT_EOF'`);
    const at = text.indexOf("config", start);
    expect(start).toBeGreaterThan(0);
    expect(at).toBeGreaterThan(start);
    const changed = path.join(scratch, "template.yml");
    writeFileSync(changed, `${text.slice(0, at)}CONFIG${text.slice(at + "config".length)}`);
    const run = check(changed, path.join(scratch, "extracted"));
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe(files.map((file) => `${file}: ${file === changedFile ? "FAILED" : "OK"}\n`).join(""));
    expect(run.stderr).toContain("WARNING: 1 computed checksum did NOT match");
  });
});
