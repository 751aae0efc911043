/**
 * `npm run release` end to end, in a throwaway git repository holding a small catalog: the CLI
 * runs as a separate process (as a user runs it), and the assertions read git and the files.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../../runtime/errors.ts";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const RELEASE = path.join(ROOT, "scripts/release.ts");
const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "Release Test",
  GIT_AUTHOR_EMAIL: "release@example.com",
  GIT_COMMITTER_NAME: "Release Test",
  GIT_COMMITTER_EMAIL: "release@example.com",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  SOURCE_DATE_EPOCH: "1795824000", // 2026-11-28
};

/** The `greet` component's module; `tones` and `extra` let a test change its public surface. */
function greetComponent({ tones, extra = "" }: { tones: string[]; extra?: string }): string {
  const generator = (file: string) => JSON.stringify(path.join(ROOT, "generator", file));
  return `import { defineComponent } from ${generator("component.ts")};
import { toolsImageRef } from ${generator("config.ts")};
import { job } from ${generator("job.ts")};

export default defineComponent(import.meta.url, {
  name: "greet",
  description: "Greets someone.",
  inputs: (catalog) => ({
    stage: { type: "string", description: "Stage of the job.", default: "test" },
    job_name: { type: "string", description: "Name of the job.", default: "greet" },
    image: { type: "string", description: "Image the job runs in.", default: toolsImageRef(catalog) },
    tone: { type: "string", description: "How to greet.", default: "plain", options: ${JSON.stringify(tones)} },${extra}
  }),
  jobs: (inputs) => [
    job(inputs.job_name, {
      stage: inputs.stage,
      image: inputs.image,
      variables: { GREET_TONE: inputs.tone${extra ? ", GREET_PUNCTUATION: inputs.punctuation" : ""} },
      script: ['echo "hello ($GREET_TONE)"'],
    }),
  ],
});
`;
}

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await exec("git", args, { cwd: dir, env: ENV })).stdout.trim();
}

async function release(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(TSX, [RELEASE, ...args], { cwd: dir, env: ENV });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function write(dir: string, file: string, content: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), content);
}

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), "utf8");

describe("npm run release", () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gitops-release-"));
    write(
      dir,
      "package.json",
      `{\n  "name": "catalog",\n  "version": "0.0.0",\n  "private": true,\n  "type": "module"\n}\n`,
    );
    write(
      dir,
      "package-lock.json",
      `${JSON.stringify({ name: "catalog", version: "0.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: "catalog", version: "0.0.0" } } }, null, 2)}\n`,
    );
    write(
      dir,
      "gitops.config.ts",
      `export default { catalogProject: "acme/catalog", registry: "registry.example.com", reviewAgent: "acme/agents:review", environmentBranches: { staging: "s", production: "p", review: "r" } };\n`,
    );
    write(
      dir,
      "README.md",
      "# catalog\n\nUse `component: $CI_SERVER_FQDN/acme/catalog/greet@0.0.0` in your pipeline.\n",
    );
    write(
      dir,
      "examples/hello/.gitlab-ci.yml",
      "include:\n  - component: $CI_SERVER_FQDN/acme/catalog/greet@0.0.0\n    inputs:\n      tone: plain\n",
    );
    write(dir, "components/greet/component.ts", greetComponent({ tones: ["plain", "loud"] }));
    await git(dir, "init", "-q", "-b", "main");
    await git(dir, "add", "-A");
    await git(dir, "commit", "-q", "-m", "catalog");
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("accepts any version for the first release, and commits and tags it", async () => {
    const result = await release(dir, "1.0.0");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(await git(dir, "describe", "--exact-match", "HEAD")).toBe("1.0.0");
    expect(read(dir, "templates/greet/template.yml")).toContain(
      "default: registry.example.com/acme/catalog/tools:1.0.0",
    );
    expect(read(dir, "CHANGELOG.md")).toBe(
      "# Changelog\n\n## 1.0.0 (2026-11-28)\n\nFirst release, with the components `greet`.\n",
    );
    expect(read(dir, "examples/hello/.gitlab-ci.yml")).toContain(
      "component: $CI_SERVER_FQDN/acme/catalog/greet@1.0.0\n",
    );
  });

  it("refuses a version too small for the change, with every change and the bump it needs, and changes nothing", async () => {
    write(
      dir,
      "components/greet/component.ts",
      greetComponent({
        tones: ["plain"],
        extra: `\n    punctuation: { type: "string", description: "How to end.", default: "!" },`,
      }),
    );
    await git(dir, "commit", "-q", "-am", "greet: drop the loud tone, add punctuation");
    const head = await git(dir, "rev-parse", "HEAD");

    const result = await release(dir, "1.1.0");

    expect(result.code).toBe(EXIT_CODES.refused);
    expect(result.stderr).toBe(
      'refusing 1.1.0: the changes need a major release (2.0.0): narrowed the options of input greet.tone: removed "loud" (major); added optional input greet.punctuation (minor)\n',
    );
    expect(await git(dir, "rev-parse", "HEAD")).toBe(head);
    expect(await git(dir, "status", "--porcelain")).toBe("");
    expect(await git(dir, "tag", "--list")).toBe("1.0.0");
  });

  it("refuses a dirty work tree", async () => {
    write(dir, "notes.txt", "scratch\n");
    const result = await release(dir, "2.0.0");
    rmSync(path.join(dir, "notes.txt"));
    expect(result.code).toBe(EXIT_CODES.refused);
    expect(result.stderr).toBe(
      "refusing 2.0.0: the work tree has uncommitted changes (notes.txt); commit or remove them first, so the release commit holds only the release\n",
    );
  });

  it("refuses a version that is not semver, as a usage error", async () => {
    const result = await release(dir, "v2.0.0");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"v2.0.0" is not a semantic version');
  });

  it("--dry-run shows the surface changes, the files it would change and the tag, and changes nothing", async () => {
    const head = await git(dir, "rev-parse", "HEAD");
    write(dir, "notes.txt", "scratch\n");
    const result = await release(dir, "2.0.0", "--dry-run");
    rmSync(path.join(dir, "notes.txt"));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "release --dry-run: 2.0.0 (after 1.0.0; the changes need at least a major release)",
        "surface changes since 1.0.0:",
        '  - narrowed the options of input greet.tone: removed "loud" (major)',
        "  - added optional input greet.punctuation (minor)",
        "files it would change:",
        "  CHANGELOG.md",
        "  README.md",
        "  examples/hello/.gitlab-ci.yml",
        "  package-lock.json",
        "  package.json",
        "  templates/greet/template.yml",
        'it would commit "Release 2.0.0" and tag 2.0.0. But now it would refuse: the work tree has uncommitted changes (notes.txt); commit or remove them first, so the release commit holds only the release. Nothing was changed.',
        "",
      ].join("\n"),
    );
    expect(await git(dir, "rev-parse", "HEAD")).toBe(head);
    expect(await git(dir, "status", "--porcelain")).toBe("");
    expect(await git(dir, "tag", "--list")).toBe("1.0.0");
  });

  it("--dry-run refuses what the release would refuse", async () => {
    const result = await release(dir, "1.1.0", "--dry-run");
    expect(result.code).toBe(EXIT_CODES.refused);
    expect(result.stderr).toContain("refusing 1.1.0: the changes need a major release (2.0.0)");
  });

  it("releases a version big enough: version, templates, pins, CHANGELOG, commit and tag", async () => {
    const before = await git(dir, "rev-parse", "HEAD");

    const result = await release(dir, "2.0.0");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "release: committed and tagged 2.0.0 locally. Publish with: git push origin HEAD 2.0.0",
    );
    expect(await git(dir, "rev-parse", "HEAD^")).toBe(before);
    expect(await git(dir, "rev-parse", "2.0.0^{commit}")).toBe(await git(dir, "rev-parse", "HEAD"));
    expect(await git(dir, "log", "-1", "--format=%s")).toBe("Release 2.0.0");
    expect(await git(dir, "status", "--porcelain")).toBe("");
    expect(JSON.parse(read(dir, "package.json")).version).toBe("2.0.0");
    const lock = JSON.parse(read(dir, "package-lock.json"));
    expect([lock.version, lock.packages[""].version]).toEqual(["2.0.0", "2.0.0"]);
    const template = read(dir, "templates/greet/template.yml");
    expect(template).toContain("default: registry.example.com/acme/catalog/tools:2.0.0");
    expect(template).toContain("punctuation:");
    expect(read(dir, "README.md")).toContain("component: $CI_SERVER_FQDN/acme/catalog/greet@2.0.0`");
    expect(read(dir, "examples/hello/.gitlab-ci.yml")).toBe(
      "include:\n  - component: $CI_SERVER_FQDN/acme/catalog/greet@2.0.0\n    inputs:\n      tone: plain\n",
    );
    expect(read(dir, "CHANGELOG.md")).toBe(
      [
        "# Changelog",
        "",
        "## 2.0.0 (2026-11-28)",
        "",
        "### Breaking changes",
        "",
        '- narrowed the options of input greet.tone: removed "loud"',
        "",
        "### Added",
        "",
        "- added optional input greet.punctuation",
        "",
        "## 1.0.0 (2026-11-28)",
        "",
        "First release, with the components `greet`.",
        "",
      ].join("\n"),
    );
  });

  it("refuses a version that is not greater than the latest tag", async () => {
    const result = await release(dir, "2.0.0");
    expect(result.code).toBe(EXIT_CODES.refused);
    expect(result.stderr).toBe(
      "refusing 2.0.0: it is not greater than the latest release tag 2.0.0; choose a version after it\n",
    );
  });
});
