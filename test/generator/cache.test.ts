/**
 * The generator's caches live in one place outside every catalog it generates, and each is keyed
 * by the content of what builds it: editing that code can never reuse a stale result.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cacheDir, CACHE_DIR_VARIABLE, GENERATOR_ROOT } from "../../generator/cache.ts";
import { bundleScript } from "../../generator/script.ts";
import { validatorKey, validatorSources } from "../../generator/schema.ts";

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures");

describe("the cache directory", () => {
  it("is the generator repository's node_modules/.cache, whichever catalog is generated", () => {
    expect(cacheDir({})).toBe(path.join(GENERATOR_ROOT, "node_modules", ".cache", "gitops-components"));
  });

  it(`is ${CACHE_DIR_VARIABLE} when that is set (a fresh directory gives a cold build)`, () => {
    expect(cacheDir({ [CACHE_DIR_VARIABLE]: "/some/where" })).toBe("/some/where");
  });

  it("never lands inside a fixture: bundling a fixture's script writes only to the cache directory", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "gitops-cache-test-"));
    try {
      await bundleScript(path.join(FIXTURES, "basic"), "components/hello/hello.ts", cache);
      expect(readdirSync(path.join(cache, "bundles"))).toHaveLength(1);
      for (const fixture of readdirSync(FIXTURES))
        expect(existsSync(path.join(FIXTURES, fixture, "node_modules")), `test/fixtures/${fixture}/node_modules`).toBe(
          false,
        );
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe("the compiled validator's cache key", () => {
  const sources = validatorSources();

  it("is built from the code that compiles the validator (applySchemaFixes and the ajv options)", () => {
    expect(sources.builder).toContain("function applySchemaFixes(");
    expect(sources.builder).toContain("new Ajv(");
    expect(sources.versions).toEqual([expect.stringMatching(/^ajv@\d/), expect.stringMatching(/^ajv-formats@\d/)]);
  });

  it.each([
    [
      "the schema fixes",
      {
        ...sources,
        builder: sources.builder.replace('rule.if.required = ["type"]', 'rule.if.required = ["type", "x"]'),
      },
    ],
    ["the ajv options", { ...sources, builder: sources.builder.replace("allErrors: true", "allErrors: false") }],
    ["GitLab's schema", { ...sources, schema: sources.schema.replace('"type"', '"type" ') }],
    ["ajv's version", { ...sources, versions: ["ajv@0.0.0", ...sources.versions.slice(1)] }],
  ])("changes when %s change", (_, changed) => {
    expect(changed).not.toEqual(sources);
    expect(validatorKey(changed)).not.toBe(validatorKey(sources));
  });
});
