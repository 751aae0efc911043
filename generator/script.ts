/**
 * Job scripts: a TypeScript entry bundled (esbuild) into one self-contained ES module and embedded
 * in the job's `script` as a quoted heredoc, then run with `node`. Nothing is downloaded when the
 * job starts, and the shell expands nothing inside the heredoc.
 */
import { builtinModules } from "node:module";
import path from "node:path";
import { build } from "esbuild";

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

/** Why a bundle cannot be embedded. */
export class ScriptEmbedError extends Error {}

/**
 * Bundles `entry` and everything it imports into one ES module. Only `node:` built-ins stay
 * external; an import of any other package that cannot be bundled fails the build.
 */
export async function bundleScript(root: string, entry: string): Promise<string> {
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
    charset: "utf8",
    minifySyntax: true,
    minifyWhitespace: false,
    minifyIdentifiers: false,
    treeShaking: true,
    logLevel: "silent",
    sourcemap: false,
  });
  const output = result.outputFiles[0];
  if (!output) throw new ScriptEmbedError(`esbuild produced no output for ${entry}`);
  return output.text;
}

/**
 * The `script:` entry that writes `code` to a fresh temporary directory through a quoted heredoc
 * and runs it. `name` names the file so a job log shows which script ran.
 */
export function embedScript(name: string, code: string): string[] {
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
  return [
    [
      `gitops_script_dir="$(mktemp -d)"`,
      `cat > "$gitops_script_dir/${name}.mjs" <<'${HEREDOC_DELIMITER}'`,
      `${body}${HEREDOC_DELIMITER}`,
      `node "$gitops_script_dir/${name}.mjs"`,
    ].join("\n"),
  ];
}
