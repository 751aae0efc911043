/**
 * Job scripts: a TypeScript entry bundled (esbuild) into one self-contained ES module and embedded
 * in the job's `script` as a quoted heredoc, then run with `node`. Nothing is downloaded when the
 * job starts, and the shell expands nothing inside the heredoc.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, version as esbuildVersion } from "esbuild";
import { asciiOnly, AsciiEscapeError } from "./ascii-script.ts";
import { cacheDir } from "./cache.ts";

const NODE_SCRIPT = Symbol.for("gitops-components.node-script");

/** A job script written in TypeScript. */
export interface NodeScript {
  readonly [NODE_SCRIPT]: true;
  /** The entry file, relative to the repository root. */
  readonly entry: string;
}

/** Runs the TypeScript file `entry` (repository-relative) as the job's script. */
export function nodeScript(entry: string): NodeScript {
  return Object.freeze({ [NODE_SCRIPT]: true as const, entry });
}

/** Is `value` a {@link NodeScript}? */
export function isNodeScript(value: unknown): value is NodeScript {
  return typeof value === "object" && value !== null && (value as { [NODE_SCRIPT]?: unknown })[NODE_SCRIPT] === true;
}

/** The heredoc delimiter; a bundle containing it on a line of its own is refused. */
export const HEREDOC_DELIMITER = "GITOPS_COMPONENTS_SCRIPT_EOF";

/** The Node version scripts are compiled for (job images run Node 24; Node 20 must work too). */
export const SCRIPT_TARGET = "node20";

/** Prepended to bundles whose CommonJS dependencies call `require`. */
const CREATE_REQUIRE = `import { createRequire as __gitopsCreateRequire } from "node:module";\nconst require = __gitopsCreateRequire(import.meta.url);\n`;

/** Why a bundle cannot be embedded. */
export class ScriptEmbedError extends Error {}

/**
 * Bundles `entry` and everything it imports into one ES module. Only `node:` built-ins stay
 * external; an import of any other package that cannot be bundled fails the build.
 *
 * Each bundle is cached in `cache` (generator/cache.ts) with the hash of every file esbuild read for
 * it, keyed by the entry, esbuild's version, this module's own source and the lockfile (not by the
 * root: esbuild writes paths relative to it, so a copy of the catalog elsewhere bundles the same
 * bytes). A cached bundle is used only while every one of those files, read under `root`, still
 * has the same content; a fresh `cache` directory gives a cold build.
 */
export async function bundleScript(root: string, entry: string, cache: string = cacheDir()): Promise<string> {
  const lockfile = path.join(root, "package-lock.json");
  const key = createHash("sha256")
    .update([entry, esbuildVersion, readFileSync(fileURLToPath(import.meta.url), "utf8"), existsSync(lockfile) ? readFileSync(lockfile, "utf8") : ""].join("\0"))
    .digest("hex")
    .slice(0, 24);
  const cacheFile = path.join(cache, "bundles", `${key}.json`);
  const cached = readCachedBundle(root, cacheFile);
  if (cached !== undefined) return cached;
  const result = await build({
    absWorkingDir: root,
    entryPoints: [path.join(root, entry)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: SCRIPT_TARGET,
    external: builtinModules.flatMap((m) => [m, `node:${m}`]),
    legalComments: "none",
    // Templates are printable ASCII (GitLab's libyaml reads some other characters as line breaks);
    // esbuild escapes what it can, embedScript() the rest.
    charset: "ascii",
    minifySyntax: true,
    minifyWhitespace: false,
    minifyIdentifiers: false,
    treeShaking: true,
    // Paths in the bundle (its module comments) are the paths as seen from the root, not where a
    // symlinked node_modules really lives, so a checkout bundles the same bytes however it is installed.
    preserveSymlinks: true,
    logLevel: "silent",
    sourcemap: false,
    metafile: true,
  });
  const output = result.outputFiles[0];
  if (!output) throw new ScriptEmbedError(`esbuild produced no output for ${entry}`);
  // A bundled CommonJS dependency (yaml's Node build) calls require() for built-ins, which an ES
  // module lacks; esbuild's shim then throws "Dynamic require of …". Only such bundles get one.
  const code = output.text.includes("Dynamic require of") ? `${CREATE_REQUIRE}${output.text}` : output.text;
  writeCachedBundle(root, cacheFile, Object.keys(result.metafile.inputs), code);
  return code;
}

/** Files esbuild read, relative to the root; plugin-made modules (`namespace:path`) have no file. */
function inputFiles(inputs: string[]): string[] {
  return inputs.filter((input) => !/^[a-z-]+:/.test(input)).sort();
}

function hashFile(file: string): string | undefined {
  return existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : undefined;
}

function readCachedBundle(root: string, cacheFile: string): string | undefined {
  try {
    const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as { inputs: Record<string, string>; code: string };
    for (const [file, hash] of Object.entries(cached.inputs)) if (hashFile(path.join(root, file)) !== hash) return undefined;
    return cached.code;
  } catch {
    return undefined;
  }
}

function writeCachedBundle(root: string, cacheFile: string, inputs: string[], code: string): void {
  try {
    const hashes = Object.fromEntries(inputFiles(inputs).map((file) => [file, hashFile(path.join(root, file)) ?? ""]));
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ inputs: hashes, code }));
    renameSync(temporary, cacheFile);
  } catch {
    // No writable cache: the next run bundles again, which is only slower.
  }
}

/** A bundle as a job writes and runs it. */
export interface EmbeddedScript {
  /** The file the job writes and runs (`<name>.mjs`), as the banner's checksum line names it. */
  file: string;
  /** Its exact content: the bundle, printable ASCII, ending in a newline. */
  code: string;
  /** The hex sha256 of `code`, what `sha256sum <file>` prints. */
  sha256: string;
  /** The job's `script:` entry that writes `code` to `file` and runs it. */
  script: string[];
}

/**
 * The `script:` entry that writes `bundled` to a fresh temporary directory through a quoted heredoc
 * and runs it, every character outside printable ASCII escaped first (generator/ascii-script.ts).
 * `name` names the file so a job log shows which script ran.
 */
export function embedScript(name: string, bundled: string): EmbeddedScript {
  let code: string;
  try {
    code = asciiOnly(bundled);
  } catch (error) {
    if (!(error instanceof AsciiEscapeError)) throw error;
    throw new ScriptEmbedError(`the bundled script ${name} cannot be made printable ASCII: ${error.message}`);
  }
  if (code.includes("$[[")) {
    throw new ScriptEmbedError(
      `the bundled script ${name} contains "$[[", which GitLab would treat as an input placeholder. ` +
        `Fix: build that text at run time (for example "$" + "[[") instead of writing it literally.`,
    );
  }
  if (code.split("\n").some((line) => line.trim() === HEREDOC_DELIMITER)) {
    throw new ScriptEmbedError(`the bundled script ${name} contains the heredoc delimiter ${HEREDOC_DELIMITER} on a line of its own. Fix: rename that text in the script.`);
  }
  const body = code.endsWith("\n") ? code : `${code}\n`;
  const file = `${name}.mjs`;
  // The temporary directory is removed whatever the script's outcome (shell runners keep /tmp);
  // the runner's `set -e` must not skip the clean-up, hence the explicit status.
  const script = [
    [
      `gitops_script_dir="$(mktemp -d "\${TMPDIR:-/tmp}/gitops-script.XXXXXX")"`,
      `cat > "$gitops_script_dir/${file}" <<'${HEREDOC_DELIMITER}'`,
      `${body}${HEREDOC_DELIMITER}`,
      `gitops_status=0`,
      `node "$gitops_script_dir/${file}" || gitops_status=$?`,
      `rm -rf "$gitops_script_dir"`,
      `if [ "$gitops_status" -ne 0 ]; then exit "$gitops_status"; fi`,
    ].join("\n"),
  ];
  return { file, code: body, sha256: createHash("sha256").update(body).digest("hex"), script };
}
