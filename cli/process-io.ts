/**
 * The process's surroundings for the commands: its working directory, environment, stdout and
 * stderr, the clock, and the catalog checkout the CLI belongs to.
 */
import { loadCheckout, type CatalogCheckout, type CliIo } from "./io.ts";

/** The {@link CliIo} of this process. */
export function processIo(): CliIo {
  let checkout: Promise<CatalogCheckout> | undefined;
  return {
    cwd: process.cwd(),
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    now: () => new Date(),
    catalog: () => (checkout ??= loadCheckout()),
  };
}
