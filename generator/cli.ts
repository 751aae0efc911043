/**
 * `npm run generate [-- --check] [--root <dir>]`
 *
 * Writes `templates/<name>/template.yml` for every component and the README's generated tables.
 * With `--check` it writes nothing, prints a diff of whatever is stale and exits 1.
 * Exit codes (runtime/errors.ts, the table every job and `release` share): 0 ok, 1 stale or
 * invalid, 2 usage error.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateCatalog, orphanTemplates, writeGeneratedFiles } from "./catalog.ts";
import { unifiedDiff } from "./diff.ts";
import { EXIT_CODES } from "../runtime/errors.ts";
import { GenerationFailed } from "./problems.ts";

const USAGE =
  "usage: npm run generate [-- --check] [--root <dir>] [--only <component>[,<component>…]] [--max-components <n>]";

/** Exit codes: the shared table's (runtime/errors.ts), by what they mean here. */
export const EXIT = { ok: EXIT_CODES.ok, staleOrInvalid: EXIT_CODES.failed, usage: EXIT_CODES.usage } as const;

function read(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** Runs the CLI; returns the exit code. Output goes through `out` / `err`. */
export async function main(
  argv: string[],
  out: (s: string) => unknown = (s) => process.stdout.write(s),
  err: (s: string) => unknown = (s) => process.stderr.write(s),
): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        check: { type: "boolean", default: false },
        root: { type: "string" },
        only: { type: "string" },
        "max-components": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    err(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (args.values.help) {
    out(`${USAGE}\n`);
    return EXIT.ok;
  }
  const root = path.resolve(args.values.root ?? process.cwd());
  const limit = args.values["max-components"];
  if (limit !== undefined && !/^[1-9]\d*$/.test(limit)) {
    err(`--max-components ${JSON.stringify(limit)} is not a positive whole number (GitLab's limit is 30).\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (!existsSync(path.join(root, "package.json")) || !existsSync(path.join(root, "components"))) {
    err(`--root ${root} is not a catalog: it needs package.json and components/.\n${USAGE}\n`);
    return EXIT.usage;
  }
  let generated;
  try {
    generated = await generateCatalog({
      root,
      writeContracts: !args.values.check,
      only: args.values.only?.split(",").filter(Boolean),
      componentLimit: limit === undefined ? undefined : Number(limit),
    });
  } catch (error) {
    if (error instanceof GenerationFailed) {
      err(`generate: ${error.message}\n`);
      return EXIT.staleOrInvalid;
    }
    throw error;
  }
  const stale = [...generated.files].filter(([file, content]) => read(path.join(root, file)) !== content);
  const orphans = args.values.only ? [] : orphanTemplates(root, generated.files);
  if (args.values.check) {
    if (stale.length === 0 && orphans.length === 0) {
      out(
        `generate --check: ${generated.files.size} generated files (${generated.templates.length} templates) are up to date\n`,
      );
      return EXIT.ok;
    }
    for (const [file, content] of stale) out(unifiedDiff(file, read(path.join(root, file)), content));
    for (const file of orphans) out(unifiedDiff(file, read(path.join(root, file)), undefined));
    err(
      `generate --check: ${stale.length + orphans.length} file(s) stale: ${[...stale.map(([f]) => f), ...orphans].join(", ")}. Fix: run \`npm run generate\` and commit the result.\n`,
    );
    return EXIT.staleOrInvalid;
  }
  writeGeneratedFiles(root, stale, orphans);
  out(
    `generate: ${generated.templates.length} templates; ${stale.length} file(s) written, ${orphans.length} removed\n`,
  );
  return EXIT.ok;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("generator/cli.ts")) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`generate: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = EXIT_CODES.failed;
    },
  );
}
