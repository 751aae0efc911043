/**
 * The determinism check: build the catalog twice, each time from an empty cache (every script
 * bundled afresh by esbuild), and list the files whose bytes differ. A warm cache would hand both
 * builds the same stored bundle and hide a bundler that is not deterministic.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateCatalog, type GenerateOptions } from "./catalog.ts";

/** A generated file whose two cold builds differ, at its first differing line (1-based). */
export interface BuildDifference {
  file: string;
  line: number;
  first: string;
  second: string;
}

/** One build from an empty cache directory; returns its files and how many bundles it built. */
async function coldBuild(
  options: Omit<GenerateOptions, "cacheDir">,
): Promise<{ files: Map<string, string>; bundled: number }> {
  const cache = mkdtempSync(path.join(tmpdir(), "gitops-cold-build-"));
  try {
    const { files } = await generateCatalog({ ...options, cacheDir: cache });
    return { files, bundled: readdirSync(path.join(cache, "bundles")).length };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

function firstDifference(file: string, first: string | undefined, second: string | undefined): BuildDifference {
  const a = (first ?? "").split("\n");
  const b = (second ?? "").split("\n");
  let line = 0;
  while (line < Math.max(a.length, b.length) && a[line] === b[line]) line++;
  return {
    file,
    line: line + 1,
    first: first === undefined ? "(not generated)" : (a[line] ?? "(end of file)"),
    second: second === undefined ? "(not generated)" : (b[line] ?? "(end of file)"),
  };
}

/**
 * Builds the catalog twice from empty caches and returns every file that differs (none for a
 * deterministic catalog), with `bundled`: how many scripts each build bundled, so a caller can see
 * that both really ran the bundler.
 */
export async function coldBuildDifferences(
  options: Omit<GenerateOptions, "cacheDir">,
): Promise<{ differences: BuildDifference[]; bundled: [number, number] }> {
  const first = await coldBuild(options);
  const second = await coldBuild(options);
  const files = [...new Set([...first.files.keys(), ...second.files.keys()])].sort();
  const differences = files
    .filter((file) => first.files.get(file) !== second.files.get(file))
    .map((file) => firstDifference(file, first.files.get(file), second.files.get(file)));
  return { differences, bundled: [first.bundled, second.bundled] };
}
