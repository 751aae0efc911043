/**
 * `npm run release -- <version> [--dry-run]`
 *
 * Compares the components' public surface with the previous release tag and refuses a version
 * too small for the change; then sets the version, regenerates, moves the version pins in the
 * README and `examples/`, adds a CHANGELOG entry, commits and tags — locally. Pushing is yours.
 * `--dry-run` does all of the deciding and shows the surface changes, the files it would change
 * and the tag, and changes nothing.
 * Exit codes (runtime/errors.ts, the table every job and `generate` share): 0 released (or would
 * be), 2 usage, 3 refused.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { EXIT_CODES } from "../runtime/errors.ts";
import { run } from "../runtime/exec.ts";
import { generateCatalog, loadConfig, orphanTemplates, writeGeneratedFiles } from "../generator/catalog.ts";
import { GenerationFailed } from "../generator/problems.ts";
import { changelogEntry, decideRelease, prependChangelog, updatePins } from "../generator/release.ts";
import { compareVersions, formatVersion, tryParseVersion, type Version } from "../generator/semver.ts";
import { catalogSurface, diffSurfaces, type Surface } from "../generator/surface.ts";

const USAGE = "usage: npm run release -- <version> [--dry-run]   (bare semver, for example 1.4.2)";

/** Exit codes: the shared table's (runtime/errors.ts), by what they mean here. */
export const EXIT = { released: EXIT_CODES.ok, refused: EXIT_CODES.refused, usage: EXIT_CODES.usage } as const;

/** Where the CLI runs and writes. */
export interface ReleaseIo {
  /** The directory the command runs in (inside the catalog's git work tree). */
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Today's date for the CHANGELOG (`YYYY-MM-DD`). */
  date: string;
}

class Refused extends Error {}

async function git(cwd: string, args: string[]): Promise<string> {
  const result = await run("git", args, { cwd });
  if (result.code !== 0)
    throw new Refused(`git ${args.join(" ")} failed: ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

/** The release tags reachable from HEAD (bare semver names), highest first. */
async function releaseTags(root: string): Promise<Array<{ name: string; version: Version }>> {
  const names = (await git(root, ["tag", "--merged", "HEAD"])).split("\n").filter(Boolean);
  const tags = names.flatMap((name) => {
    const version = tryParseVersion(name);
    return version ? [{ name, version }] : [];
  });
  return tags.sort((a, b) => compareVersions(b.version, a.version));
}

/** The surface of the catalog as committed at `tag`. */
async function surfaceAtTag(root: string, tag: string): Promise<Surface> {
  const files = (await git(root, ["ls-tree", "-r", "--name-only", tag, "--", "templates"])).split("\n").filter(Boolean);
  const templates: Array<{ name: string; text: string }> = [];
  for (const file of files) {
    // GitLab's own rule for what is a component (`TEMPLATE_PATH_REGEX`).
    const m = /^templates\/([\w-]+)(?:\/template)?\.yml$/.exec(file);
    if (m) templates.push({ name: m[1] as string, text: await git(root, ["show", `${tag}:${file}`]) });
  }
  return catalogSurface(templates, tag);
}

function setPackageVersion(root: string, version: string): Array<[string, string]> {
  const writes: Array<[string, string]> = [];
  const pkgFile = path.join(root, "package.json");
  const pkg = readFileSync(pkgFile, "utf8");
  // Text replacement keeps the file's own formatting; the parse below proves it hit the right field.
  const updated = pkg.replace(/^(\s*"version"\s*:\s*")[^"]*(")/m, `$1${version}$2`);
  if ((JSON.parse(updated) as { version?: string }).version !== version)
    throw new Refused(`cannot find the top-level "version" field in package.json; add one`);
  writes.push(["package.json", updated]);
  const lockFile = path.join(root, "package-lock.json");
  if (existsSync(lockFile)) {
    const lock = JSON.parse(readFileSync(lockFile, "utf8")) as {
      version?: string;
      packages?: Record<string, { version?: string }>;
    };
    lock.version = version;
    if (lock.packages?.[""]) lock.packages[""].version = version;
    writes.push(["package-lock.json", `${JSON.stringify(lock, null, 2)}\n`]);
  }
  return writes;
}

/** Every file under `examples/`, repository-relative. */
function exampleFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(path.join(root, dir))) return;
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) found.push(rel);
    }
  };
  walk("examples");
  return found.sort();
}

/** Runs the release; returns the exit code. */
export async function main(argv: string[], io: ReleaseIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: { help: { type: "boolean", short: "h" }, "dry-run": { type: "boolean", default: false } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (args.values.help) {
    io.out(`${USAGE}\n`);
    return EXIT.released;
  }
  const [requestedText, ...extra] = args.positionals;
  const requested = requestedText === undefined ? undefined : tryParseVersion(requestedText);
  if (!requestedText || extra.length > 0 || !requested) {
    io.err(
      `${requestedText && !requested ? `${JSON.stringify(requestedText)} is not a semantic version: write MAJOR.MINOR.PATCH, for example 1.4.2 (no "v" prefix; GitLab's catalog wants bare semver tags).\n` : ""}${USAGE}\n`,
    );
    return EXIT.usage;
  }
  const version = formatVersion(requested);
  const dryRun = args.values["dry-run"] === true;
  try {
    const root = (await git(io.cwd, ["rev-parse", "--show-toplevel"])).trim();
    const dirty = (await git(root, ["status", "--porcelain", "--untracked-files=all"])).split("\n").filter(Boolean);
    const dirtyMessage = `the work tree has uncommitted changes (${dirty.map((l) => l.slice(3)).join(", ")}); commit or remove them first, so the release commit holds only the release`;
    if (dirty.length > 0 && !dryRun) throw new Refused(`refusing ${version}: ${dirtyMessage}`);

    const tags = await releaseTags(root);
    const latest = tags[0];
    const baseline = tags.find((t) => t.version.prerelease.length === 0);
    let config;
    try {
      config = await loadConfig(root);
    } catch (error) {
      if (error instanceof GenerationFailed) throw new Refused(`refusing ${version}: ${error.message}`);
      throw error;
    }
    let generated;
    try {
      generated = await generateCatalog({ root, config, version });
    } catch (error) {
      if (error instanceof GenerationFailed)
        throw new Refused(`refusing ${version}: the catalog does not generate: ${error.message}`);
      throw error;
    }
    const now = catalogSurface(
      generated.templates.map((t) => ({ name: t.component.name, text: t.text })),
      version,
    );
    const before = baseline ? await surfaceAtTag(root, baseline.name) : undefined;
    const changes = before ? diffSurfaces(before, now) : [];
    const decision = decideRelease({ requested, latestTag: latest?.version, baseline: baseline?.version, changes });
    if (!decision.ok) throw new Refused(decision.message);

    // Everything is computed before the first write, so a refusal leaves the tree untouched.
    const writes = new Map<string, string>(setPackageVersion(root, version));
    for (const [file, content] of generated.files) writes.set(file, content);
    const pins = {
      catalogProject: config.catalogProject,
      components: [...new Set([...Object.keys(before ?? {}), ...Object.keys(now)])].sort(),
      version,
    };
    for (const file of ["README.md", ...exampleFiles(root)]) {
      const current =
        writes.get(file) ??
        (existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), "utf8") : undefined);
      if (current === undefined) continue;
      const pinned = updatePins(current, pins);
      if (pinned !== current || writes.has(file)) writes.set(file, pinned);
    }
    const entry = changelogEntry(
      version,
      io.date,
      changes,
      before ? undefined : { components: Object.keys(now).sort() },
    );
    const changelogFile = path.join(root, "CHANGELOG.md");
    writes.set(
      "CHANGELOG.md",
      prependChangelog(existsSync(changelogFile) ? readFileSync(changelogFile, "utf8") : undefined, entry),
    );
    const orphans = orphanTemplates(root, generated.files);
    const summary = changes.length ? changes.map((c) => `  - ${c.message} (${c.bump})\n`).join("") : "";
    const after = `${baseline ? ` (after ${baseline.name}; the changes need at least a ${decision.required ?? "patch"} release)` : " (first release)"}`;

    if (dryRun) {
      const changed = [...writes]
        .filter(
          ([file, content]) =>
            !existsSync(path.join(root, file)) || readFileSync(path.join(root, file), "utf8") !== content,
        )
        .map(([file]) => file);
      io.out(
        `release --dry-run: ${version}${after}\n` +
          `surface changes since ${baseline?.name ?? "the start"}:\n${summary || "  (none)\n"}` +
          `files it would change:\n${[...changed.sort().map((f) => `  ${f}\n`), ...orphans.map((f) => `  ${f} (removed)\n`)].join("")}` +
          `it would commit "Release ${version}" and tag ${version}.${dirty.length ? ` But now it would refuse: ${dirtyMessage}.` : ""} Nothing was changed.\n`,
      );
      return EXIT.released;
    }

    writeGeneratedFiles(root, writes, orphans);
    // The tree was clean, so everything staged here is the release.
    await git(root, ["add", "-A"]);
    await git(root, ["commit", "-q", "-m", `Release ${version}`, "-m", entry.replace(/^## [^\n]*\n+/, "").trim()]);
    await git(root, ["tag", "-a", version, "-m", `Release ${version}`]);
    io.out(
      `release: ${version}${after}\n${summary}` +
        `release: committed and tagged ${version} locally. Publish with: git push origin HEAD ${version}\n`,
    );
    return EXIT.released;
  } catch (error) {
    if (error instanceof Refused) {
      io.err(`${error.message}\n`);
      return EXIT.refused;
    }
    throw error;
  }
}

function today(): string {
  // SOURCE_DATE_EPOCH makes the CHANGELOG date reproducible (https://reproducible-builds.org/specs/source-date-epoch/).
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return (epoch ? new Date(Number(epoch) * 1000) : new Date()).toISOString().slice(0, 10);
}

if (process.argv[1]?.endsWith("scripts/release.ts")) {
  main(process.argv.slice(2), {
    cwd: process.cwd(),
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    date: today(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`release: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = EXIT_CODES.failed;
    },
  );
}
