/**
 * Job scripts: a TypeScript entry bundled (esbuild) into self-contained ES modules (one, or the
 * entry and the modules it loads on demand) and embedded in the job's `script`, each file as a
 * quoted heredoc, then run with `node`. Nothing is downloaded when the job starts, and the shell
 * expands nothing inside the heredocs.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin, transform, version as esbuildVersion } from "esbuild";
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

/** One file of a bundled script, as the job writes it. */
export interface BundledFile {
  /** Its name in the job's temporary directory (`update.mjs`, `update.manifest-files.mjs`). */
  file: string;
  /** Its content, as esbuild wrote it. */
  code: string;
}

/**
 * A bundled script: the entry module the job runs and, when the entry loads a feature only where
 * it is used (`await import("./feature.ts")`), one module per such feature and the modules of
 * code they share, which the entry imports by relative path from the same directory.
 */
export interface ScriptBundle {
  /** The file the job runs with `node`: `<entry's base name>.mjs`. */
  main: string;
  /** Every file: the entry module first, then the others by name. */
  files: BundledFile[];
}

/** The file name a job writes the entry `entry` (repository-relative) to, without `.mjs`. */
export function scriptName(entry: string): string {
  return path.basename(entry).replace(/\.[cm]?ts$/, "");
}

/**
 * Reads every module as its code alone, not its layout: each file is printed on one line
 * (esbuild's `minifyWhitespace`, which changes nothing but whitespace) before it is bundled.
 * esbuild keeps the line breaks a source file has inside calls, objects and arrays, so without
 * this a formatter reflowing a source file (Biome at 120 columns) would change the template a
 * consumer pulls, and its size. The bundle is then printed in esbuild's own layout: one
 * statement per line, indented, names and comments of each module as before.
 */
function layoutFree(root: string): Plugin {
  // The catalog's compiler options (verbatimModuleSyntax, class fields) as written: esbuild reads
  // tsconfig's JSON with comments itself (`extends` is not followed; the catalog's has none).
  const tsconfig = catalogTsconfig(root);
  return {
    name: "layout-free",
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        const source = readFileSync(args.path, "utf8");
        // Printing on one line drops esbuild's pure annotations, which tree shaking reads: such a
        // module is bundled as written instead (no source of this catalog has one).
        if (PURE_ANNOTATION.test(source)) return undefined;
        const ts = /\.[cm]?ts$/.test(args.path);
        const result = await transform(source, {
          loader: ts ? "ts" : "js",
          target: "esnext",
          minifyWhitespace: true,
          legalComments: "none",
          sourcefile: args.path,
          ...(ts && tsconfig !== undefined ? { tsconfigRaw: tsconfig } : {}),
        });
        return { contents: result.code, loader: "js" };
      });
    },
  };
}

/** `/* @__PURE__ *\/`, `#__PURE__`, `@__NO_SIDE_EFFECTS__`: annotations esbuild's tree shaking reads. */
const PURE_ANNOTATION = /[@#]__(PURE|NO_SIDE_EFFECTS)__/;

/** The catalog's tsconfig.json as text, or undefined when it has none. */
function catalogTsconfig(root: string): string | undefined {
  const file = path.join(root, "tsconfig.json");
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/**
 * Bundles `entry` and everything it imports into ES modules: one file when it imports everything
 * statically; with a dynamic `import()`, the imported feature becomes a module of its own that
 * loads only when the job reaches it, and code used by both goes into shared modules (esbuild's
 * code splitting). Only `node:` built-ins stay external; an import of any other package that
 * cannot be bundled fails the build. Files are named after what they hold (see {@link fileNames}).
 *
 * Each bundle is cached in `cache` (generator/cache.ts) with the hash of every file esbuild read for
 * it, keyed by the entry, esbuild's version, this module's own source and the lockfile (not by the
 * root: esbuild writes paths relative to it, so a copy of the catalog elsewhere bundles the same
 * bytes). A cached bundle is used only while every one of those files, read under `root`, still
 * has the same content; a fresh `cache` directory gives a cold build.
 */
export async function bundleScript(root: string, entry: string, cache: string = cacheDir()): Promise<ScriptBundle> {
  const lockfile = path.join(root, "package-lock.json");
  const key = createHash("sha256")
    .update(
      [
        entry,
        esbuildVersion,
        readFileSync(fileURLToPath(import.meta.url), "utf8"),
        existsSync(lockfile) ? readFileSync(lockfile, "utf8") : "",
        catalogTsconfig(root) ?? "",
      ].join("\0"),
    )
    .digest("hex")
    .slice(0, 24);
  const cacheFile = path.join(cache, "bundles", `${key}.json`);
  const cached = readCachedBundle(root, cacheFile);
  if (cached !== undefined) return cached;
  const name = scriptName(entry);
  // Nothing is written (write: false); outdir only tells esbuild where the files would sit side by side.
  const outdir = path.join(root, ".gitops-bundle");
  // Always with code splitting: without it esbuild turns every dynamic import into an in-file
  // lazy initialiser (`__esm` wrappers and `init_x()` calls through the whole bundle), far harder
  // to read than a module of its own. A module the script also imports statically gets a file that
  // only re-exports (rollback's gitlab-merge-requests.mjs, 129 bytes): readable, and small.
  const result = await build({
    absWorkingDir: root,
    entryPoints: [{ in: path.join(root, entry), out: name }],
    bundle: true,
    write: false,
    outdir,
    format: "esm",
    // A dynamic import() of a module becomes a file of its own, loaded when the job reaches it.
    splitting: true,
    entryNames: "[name]",
    // Renamed after the build (fileNames below); the hash keeps esbuild's names apart until then.
    chunkNames: "[name]-[hash]",
    outExtension: { ".js": ".mjs" },
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
    plugins: [layoutFree(root)],
  });
  if (result.outputFiles.length === 0) throw new ScriptEmbedError(`esbuild produced no output for ${entry}`);
  const outputs = result.outputFiles.map((output) => {
    const meta = result.metafile.outputs[path.relative(root, output.path).split(path.sep).join("/")];
    return {
      file: path.basename(output.path),
      code: output.text,
      entryPoint: meta?.entryPoint,
      firstInput: Object.keys(meta?.inputs ?? {})[0],
    };
  });
  const names = fileNames(name, outputs);
  const files = outputs.map((output) => {
    let code = output.code;
    for (const [from, to] of names) code = code.split(`"./${from}"`).join(`"./${to}"`);
    // A bundled CommonJS dependency calls require() for built-ins, which an ES module lacks;
    // esbuild's shim then throws "Dynamic require of …". Only such files get one.
    if (code.includes("Dynamic require of")) code = `${CREATE_REQUIRE}${code}`;
    return { file: names.get(output.file) as string, code };
  });
  // Every reference between the files names them by esbuild's file name in a string literal; one left over would be a file the job lacks.
  for (const f of files)
    for (const [from] of names)
      if (from !== names.get(from) && f.code.includes(from))
        throw new ScriptEmbedError(`${entry}: ${f.file} still names ${from} after renaming the bundle's files`);
  const main = `${name}.mjs`;
  if (!files.some((f) => f.file === main)) throw new ScriptEmbedError(`esbuild produced no ${main} for ${entry}`);
  const bundle: ScriptBundle = {
    main,
    files: [...files].sort((a, b) =>
      a.file === main ? -1 : b.file === main ? 1 : a.file < b.file ? -1 : a.file > b.file ? 1 : 0,
    ),
  };
  writeCachedBundle(root, cacheFile, Object.keys(result.metafile.inputs), bundle);
  return bundle;
}

/**
 * Readable, deterministic names for a bundle's files, by esbuild's name: the entry stays
 * `<name>.mjs`; a module loaded on demand is `<name>.<its source file's base name>.mjs`; a module
 * of shared code is `<name>.shared-<base name of the first source file it holds>.mjs`. Two that
 * would share a name are numbered in the order of esbuild's names (content hashes), so the same
 * sources always give the same names.
 */
export function fileNames(
  name: string,
  outputs: ReadonlyArray<{ file: string; entryPoint?: string; firstInput?: string }>,
): Map<string, string> {
  const base = (source: string) => path.posix.basename(source).replace(/\.[cm]?[jt]sx?$/, "");
  const names = new Map<string, string>();
  const taken = new Set<string>([`${name}.mjs`]);
  const sorted = [...outputs].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const main = `${name}.mjs`;
  for (const output of sorted) {
    if (output.file === main) {
      names.set(main, main);
      continue;
    }
    const wanted = output.entryPoint
      ? `${name}.${base(output.entryPoint)}`
      : `${name}.shared-${output.firstInput ? base(output.firstInput) : "code"}`;
    let chosen = `${wanted}.mjs`;
    for (let n = 2; taken.has(chosen); n++) chosen = `${wanted}-${n}.mjs`;
    names.set(output.file, chosen);
    taken.add(chosen);
  }
  return names;
}

/** Files esbuild read, relative to the root; plugin-made modules (`namespace:path`) have no file. */
function inputFiles(inputs: string[]): string[] {
  return inputs.filter((input) => !/^[a-z-]+:/.test(input)).sort();
}

function hashFile(file: string): string | undefined {
  return existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : undefined;
}

function readCachedBundle(root: string, cacheFile: string): ScriptBundle | undefined {
  try {
    const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as {
      inputs: Record<string, string>;
      bundle: ScriptBundle;
    };
    for (const [file, hash] of Object.entries(cached.inputs))
      if (hashFile(path.join(root, file)) !== hash) return undefined;
    return cached.bundle;
  } catch {
    return undefined;
  }
}

function writeCachedBundle(root: string, cacheFile: string, inputs: string[], bundle: ScriptBundle): void {
  try {
    const hashes = Object.fromEntries(inputFiles(inputs).map((file) => [file, hashFile(path.join(root, file)) ?? ""]));
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ inputs: hashes, bundle }));
    renameSync(temporary, cacheFile);
  } catch {
    // No writable cache: the next run bundles again, which is only slower.
  }
}

/** One file of an embedded script: what the job writes, and its checksum. */
export interface EmbeddedFile {
  /** The file the job writes (`<name>.mjs`, `<name>.<module>.mjs`), as the banner's checksum line names it. */
  file: string;
  /** Its exact content: printable ASCII, ending in a newline. */
  code: string;
  /** The hex sha256 of `code`, what `sha256sum <file>` prints. */
  sha256: string;
}

/** A bundle as a job writes and runs it. */
export interface EmbeddedScript {
  /** The file the job runs. */
  main: string;
  /** Every file the job writes, the one it runs first. */
  files: EmbeddedFile[];
  /**
   * The job's `script:`: one block of shell that writes every file and runs `main`. A string, not a
   * list of one: GitLab reads both the same (`Entry::Commands#value` is `Array(@config)`,
   * lib/gitlab/ci/config/entry/commands.rb), and the block sits two columns further left, which is
   * two bytes less on every line of the embedded files.
   */
  script: string;
}

/** Printable ASCII, with nothing GitLab or the heredoc would read differently; throws naming the file. */
function embeddableCode(file: string, bundled: string): string {
  let code: string;
  try {
    code = asciiOnly(bundled);
  } catch (error) {
    if (!(error instanceof AsciiEscapeError)) throw error;
    throw new ScriptEmbedError(`the bundled script ${file} cannot be made printable ASCII: ${error.message}`);
  }
  if (code.includes("$[[")) {
    throw new ScriptEmbedError(
      `the bundled script ${file} contains "$[[", which GitLab would treat as an input placeholder. ` +
        `Fix: build that text at run time (for example "$" + "[[") instead of writing it literally.`,
    );
  }
  if (code.split("\n").some((line) => line.trim() === HEREDOC_DELIMITER)) {
    throw new ScriptEmbedError(
      `the bundled script ${file} contains the heredoc delimiter ${HEREDOC_DELIMITER} on a line of its own. Fix: rename that text in the script.`,
    );
  }
  return code.endsWith("\n") ? code : `${code}\n`;
}

/** A bundle of one file, `<name>.mjs` holding `code` (what a script without dynamic imports bundles to). */
export function singleFileBundle(name: string, code: string): ScriptBundle {
  const main = `${name}.mjs`;
  return { main, files: [{ file: main, code }] };
}

/**
 * The `script:` that writes every file of `bundle` to one fresh temporary directory, each
 * through its own quoted heredoc, and runs the entry module with `node` (which imports the others
 * from beside it by relative path). Every character outside printable ASCII is escaped first
 * (generator/ascii-script.ts); a file names the script in the job log.
 */
export function embedScript(bundle: ScriptBundle): EmbeddedScript {
  const files = bundle.files.map(({ file, code }) => {
    const body = embeddableCode(file, code);
    return { file, code: body, sha256: createHash("sha256").update(body).digest("hex") };
  });
  // The temporary directory is removed whatever the script's outcome (shell runners keep /tmp);
  // the runner's `set -e` must not skip the clean-up, hence the explicit status.
  const script = [
    `gitops_script_dir="$(mktemp -d "\${TMPDIR:-/tmp}/gitops-script.XXXXXX")"`,
    ...files.map((f) => `cat > "$gitops_script_dir/${f.file}" <<'${HEREDOC_DELIMITER}'\n${f.code}${HEREDOC_DELIMITER}`),
    `gitops_status=0`,
    `node "$gitops_script_dir/${bundle.main}" || gitops_status=$?`,
    `rm -rf "$gitops_script_dir"`,
    `if [ "$gitops_status" -ne 0 ]; then exit "$gitops_status"; fi`,
  ].join("\n");
  return { main: bundle.main, files, script };
}
