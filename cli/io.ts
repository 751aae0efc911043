/**
 * What the commands run with: where they run, their environment, their output, and the catalog
 * checkout they belong to. Tests pass their own; the launcher passes the process's.
 */
import { EXIT_CODES } from "../runtime/errors.ts";
import path from "node:path";
import { loadConfig, readVersion } from "../generator/catalog.ts";
import { CatalogVersions } from "./catalog-specs.ts";

/** Exit codes of every command, from the shared table (runtime/errors.ts): 0 done, 1 problems found, 2 usage. */
export const EXIT = { ok: EXIT_CODES.ok, problems: EXIT_CODES.failed, usage: EXIT_CODES.usage } as const;

/** This catalog: its project path, version and the specs of each version. */
export interface CatalogCheckout {
  root: string;
  catalogProject: string;
  version: string;
  versions: CatalogVersions;
}

/** The commands' surroundings. */
export interface CliIo {
  /** The directory paths on the command line are relative to. */
  cwd: string;
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  /** The current time (token expiry dates are computed from it). */
  now(): Date;
  /** The catalog checkout, loaded on first use. */
  catalog(): Promise<CatalogCheckout>;
}

/** The repository root of this checkout (the CLI lives in `<root>/cli/`). */
export const CATALOG_ROOT = path.resolve(import.meta.dirname, "..");

/** Loads a catalog checkout's configuration and version. */
export async function loadCheckout(root: string = CATALOG_ROOT): Promise<CatalogCheckout> {
  const version = readVersion(root);
  const config = await loadConfig(root);
  return { root, catalogProject: config.catalogProject, version, versions: new CatalogVersions(root, version) };
}
