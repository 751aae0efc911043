/**
 * `npx gitops-components` runs package.json's bin, the launcher in cli/, as a process of its own:
 * it loads the TypeScript through tsx and exits with the command's code.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../harness/templates.ts";

const bin = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> }).bin[
  "gitops-components"
] as string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, bin), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { PATH: process.env.PATH },
  });
}

describe("the gitops-components bin", () => {
  it("is the launcher in cli/", () => {
    expect(bin).toBe("cli/gitops-components.mjs");
  });

  it("lints an example and exits 0", () => {
    const result = run("lint", "examples/single-app/.gitlab-ci.yml");
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(
      "lint: examples/single-app/.gitlab-ci.yml: 9 include(s) of platform/gitops-components checked, no problems\n",
    );
    expect(result.status).toBe(0);
  });

  it("exits 2 with the usage on a wrong command", () => {
    const result = run("deploy");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command "deploy"');
    expect(result.stderr).toContain("usage: npx gitops-components <command>");
  });
});
