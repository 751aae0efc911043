/**
 * The tools image (images/tools/Dockerfile) holds every tool the job scripts call: a script that
 * starts calling a new tool fails here until the image installs it.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { aptPackages, envSettings, finalStage, parseDockerfile, type Instruction } from "./dockerfile.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, "images/tools/Dockerfile"), "utf8"));
const image = finalStage(dockerfile);

/** The tools the `image` input's description promises (components/common.ts), whatever the scripts call today. */
const PROMISED = ["node", "git", "buildah", "skopeo", "kubectl"];

/** Debian packages whose commands are not named like the package. */
const APT_COMMANDS: Record<string, string[]> = { uidmap: ["newuidmap", "newgidmap"], "ca-certificates": [] };

function sourceFiles(dir: string, recursive: boolean): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return recursive ? sourceFiles(rel, true) : [];
    return entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [rel] : [];
  });
}

/**
 * The executables the job scripts start: the first argument of `run("…"` (runtime/exec.ts, the one
 * way scripts start tools), of `spawn`/`execFile` should anyone bypass it, and `new Git(` (git).
 * Every script is a Node program, so `node` too.
 */
function toolsTheScriptsCall(): Map<string, string[]> {
  const calls = new Map<string, string[]>([["node", ["generator/script.ts (node runs every embedded script)"]]]);
  const add = (tool: string, where: string) => calls.set(tool, [...(calls.get(tool) ?? []), where]);
  for (const file of [...sourceFiles("components", true), ...sourceFiles("runtime", false)]) {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    for (const m of text.matchAll(/\b(?:run|spawn|spawnSync|execFile|execFileSync)\(\s*["'`]([A-Za-z0-9_.+-]+)["'`]/g))
      add(m[1] as string, file);
    if (/\bnew Git\(/.test(text)) add("git", file);
  }
  return calls;
}

/** The commands the final stage provides: the base image's node, apt packages, binaries copied in. */
function installedCommands(stage: Instruction[]): Set<string> {
  const commands = new Set<string>();
  const from = stage[0]?.args ?? "";
  if (/^node:\d+/.test(from)) commands.add("node");
  for (const pkg of aptPackages(stage)) for (const command of APT_COMMANDS[pkg] ?? [pkg]) commands.add(command);
  for (const { instruction, args } of stage) {
    if (instruction !== "COPY" && instruction !== "ADD") continue;
    const target = /\/usr\/(?:local\/)?bin\/([A-Za-z0-9_.+-]+)\s*$/.exec(args);
    if (target) commands.add(target[1] as string);
  }
  return commands;
}

describe("the tools image Dockerfile", () => {
  it("is built on Node 24", () => {
    expect(image[0]).toMatchObject({ instruction: "FROM" });
    expect(image[0]?.args).toMatch(/^node:24-bookworm-slim(\s|$)/);
  });

  it("installs every tool the job scripts call", () => {
    const called = toolsTheScriptsCall();
    // The scan itself must see something: the shared git wrapper always calls git.
    expect(called.get("git")).toContain("runtime/git.ts");
    const installed = installedCommands(image);
    const missing = [...called]
      .filter(([tool]) => !installed.has(tool))
      .map(([tool, files]) => `${tool} (called in ${[...new Set(files)].join(", ")})`);
    expect(missing, "install these in images/tools/Dockerfile").toEqual([]);
  });

  it("installs node, git, buildah, skopeo and kubectl", () => {
    const installed = installedCommands(image);
    expect(PROMISED.filter((tool) => !installed.has(tool))).toEqual([]);
  });

  it("pins kubectl to a release and checks the download's SHA-256", () => {
    const version = dockerfile.find((i) => i.instruction === "ARG" && i.args.startsWith("KUBECTL_VERSION="));
    expect(version?.args).toMatch(/^KUBECTL_VERSION=v\d+\.\d+\.\d+$/);
    const download = dockerfile.find(
      (i) => i.instruction === "RUN" && i.args.includes("dl.k8s.io/release/${KUBECTL_VERSION}"),
    );
    expect(download?.args).toContain("sha256sum --check");
  });

  it("pins every base image to a version, never latest", () => {
    const bases = dockerfile.filter((i) => i.instruction === "FROM").map((i) => i.args.split(/\s+/)[0] as string);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base, base).toMatch(/^[^:\s]+:(?!latest$)\S+$/);
  });

  it("resolves short image names in FROM (golang:1.22) on Docker Hub, as docker does", () => {
    const conf = image.find((i) => i.instruction === "RUN" && i.args.includes("/etc/containers/registries.conf.d/"));
    expect(conf?.args).toContain(`unqualified-search-registries = ["docker.io"]`);
  });

  it("lets buildah run unprivileged in CI (vfs storage, chroot isolation)", () => {
    expect(envSettings(image)).toMatchObject({ STORAGE_DRIVER: "vfs", BUILDAH_ISOLATION: "chroot" });
  });

  it("installs without recommends and leaves no apt lists behind", () => {
    for (const run of dockerfile.filter((i) => i.instruction === "RUN" && /apt-get install/.test(i.args))) {
      expect(run.args).toContain("--no-install-recommends");
      expect(run.args).toContain("rm -rf /var/lib/apt/lists/*");
    }
  });

  it("clears the base image's entrypoint, so the runner's shell starts the job", () => {
    expect(image.filter((i) => i.instruction === "ENTRYPOINT").map((i) => i.args)).toEqual(["[]"]);
  });
});

describe("reading a Dockerfile", () => {
  it("joins continued lines, drops comments inside them, and keeps the starting line", () => {
    const parsed = parseDockerfile(
      [
        "# comment",
        "FROM node:24 AS base",
        "RUN apt-get update \\",
        "# inside",
        " && apt-get install -y --no-install-recommends \\",
        "      git \\",
        "      jq",
        "ENV A=1 \\",
        '    B="two words"',
        "",
      ].join("\n"),
    );
    expect(parsed).toEqual([
      { instruction: "FROM", args: "node:24 AS base", line: 2 },
      { instruction: "RUN", args: "apt-get update && apt-get install -y --no-install-recommends git jq", line: 3 },
      { instruction: "ENV", args: 'A=1 B="two words"', line: 8 },
    ]);
    expect(aptPackages(parsed)).toEqual(["git", "jq"]);
    expect(envSettings(parsed)).toEqual({ A: "1", B: "two words" });
  });
});
