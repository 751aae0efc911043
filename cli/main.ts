/**
 * `npx gitops-components <command>`: the adopter's commands.
 *
 *   lint [<.gitlab-ci.yml>]
 *   setup [<.gitlab-ci.yml>] [--apply] [--project <path|id>] [--gitlab-url <url>] [--tier <tier>] [--lifetime <days>]
 *   setup rotate [<.gitlab-ci.yml>] [--within <days>] [--apply] [--project …] [--gitlab-url …] [--lifetime <days>]
 *
 * Arguments are parsed by `node:util` parseArgs in strict mode: an unknown option is an error.
 */
import { parseArgs } from "node:util";
import { GenerationFailed } from "../generator/problems.ts";
import { closest } from "./did-you-mean.ts";
import { EXIT, type CliIo } from "./io.ts";
import { lintCommand } from "./lint/command.ts";
import { setupCommand, type SetupOptions } from "./setup/command.ts";

/** The usage text. */
export const USAGE = `usage: npx gitops-components <command>

  lint [<.gitlab-ci.yml>]
      Checks a pipeline that includes this catalog's components against their inputs, the job
      order and the promotion chain. Exit 1 when it finds a problem.

  setup [<.gitlab-ci.yml>] [--apply] [--project <path|id>] [--gitlab-url <url>] [--tier free|premium|ultimate] [--lifetime <days>]
      Plans (and with --apply creates) what the pipeline needs in its GitLab project: protected
      environment branches, one project access token or deploy key per branch and for the manifest
      bumps, their protected CI/CD variables; prints the agent configuration. A second run plans nothing.

  setup rotate [<.gitlab-ci.yml>] [--within <days>] [--apply] [--project …] [--gitlab-url …] [--lifetime <days>]
      Rotates the pipeline's project access tokens that expire within <days> (default 30) and
      stores the new values in their variables.

The GitLab token comes from GITLAB_TOKEN (a personal access token with the api scope, of a
Maintainer of the project); it is never printed. --project and --gitlab-url default to the
origin remote of the repository holding the pipeline file.
`;

const COMMANDS = ["lint", "setup", "help"];

/** Runs one command; returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    // The catalog checkout itself is broken (its gitops.config.ts): say so, as generate would.
    if (!(error instanceof GenerationFailed)) throw error;
    io.err(`gitops-components: this catalog checkout does not load: ${error.message}\n`);
    return EXIT.problems;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        apply: { type: "boolean", default: false },
        project: { type: "string" },
        "gitlab-url": { type: "string" },
        tier: { type: "string" },
        within: { type: "string" },
        lifetime: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === "help") {
    (command === undefined && !values.help ? io.err : io.out)(USAGE);
    return command === undefined && !values.help ? EXIT.usage : EXIT.ok;
  }
  const usage = (message: string) => {
    io.err(`${message}\n\n${USAGE}`);
    return EXIT.usage;
  };
  if (command === "lint") {
    const setupOnly = (["apply", "project", "gitlab-url", "tier", "within", "lifetime"] as const).filter(
      (o) => values[o] !== undefined && values[o] !== false,
    );
    if (setupOnly.length > 0) return usage(`lint takes no --${setupOnly.join(", --")}`);
    if (rest.length > 1) return usage(`lint takes one pipeline file, got ${rest.length}: ${rest.join(" ")}`);
    return lintCommand(rest[0] ?? ".gitlab-ci.yml", io, rest[0] !== undefined);
  }
  if (command === "setup") {
    const rotate = rest[0] === "rotate";
    const files = rotate ? rest.slice(1) : rest;
    if (files.length > 1) return usage(`setup takes one pipeline file, got ${files.length}: ${files.join(" ")}`);
    if (!rotate && values.within !== undefined) return usage("--within belongs to setup rotate");
    if (rotate && values.tier !== undefined) return usage("--tier belongs to setup (rotate needs no tier)");
    const days = (name: "within" | "lifetime", fallback: number, max: number): number | string => {
      const text = values[name];
      if (text === undefined) return fallback;
      return /^[1-9]\d*$/.test(text) && Number(text) <= max
        ? Number(text)
        : `--${name} ${JSON.stringify(text)} is not a whole number of days from 1 to ${max}`;
    };
    const within = days("within", 30, 365);
    const lifetime = days("lifetime", 364, 400);
    if (typeof within === "string") return usage(within);
    if (typeof lifetime === "string") return usage(lifetime);
    const tier = values.tier;
    if (tier !== undefined && !["free", "premium", "ultimate"].includes(tier))
      return usage(`--tier ${JSON.stringify(tier)} is not one of free, premium, ultimate`);
    const options: SetupOptions = {
      file: files[0] ?? ".gitlab-ci.yml",
      apply: values.apply === true,
      rotate,
      project: values.project,
      gitlabUrl: values["gitlab-url"],
      tier: tier as SetupOptions["tier"],
      withinDays: within,
      lifetimeDays: lifetime,
    };
    return setupCommand(options, io);
  }
  const meant = closest(command, COMMANDS);
  return usage(`unknown command ${JSON.stringify(command)}${meant ? `; did you mean ${meant}?` : ""}`);
}
