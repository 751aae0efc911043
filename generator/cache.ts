/**
 * Where the generator keeps what it may reuse between runs (compiled schema validator, script
 * bundles): one directory outside every catalog it generates, so a fixture or a copy of the
 * repository never gains a `node_modules/.cache` of its own. A cache only saves time: every entry
 * is keyed by the content it was built from, and a missing or foreign entry is rebuilt.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The environment variable that points the caches elsewhere (a fresh directory gives a cold build). */
export const CACHE_DIR_VARIABLE = "GITOPS_CACHE_DIR";

/** The generator's own repository (where its `node_modules` is), whatever catalog it generates. */
export const GENERATOR_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The cache directory: `$GITOPS_CACHE_DIR` if set, else `node_modules/.cache/gitops-components` of the generator's repository. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env[CACHE_DIR_VARIABLE];
  return chosen ? path.resolve(chosen) : path.join(GENERATOR_ROOT, "node_modules", ".cache", "gitops-components");
}
