/**
 * Refreshes the vendored GitLab CI JSON schema from the copy that ships inside gitlab-ci-local
 * (GitLab's own `app/assets/javascripts/editor/schema/ci.json`, bundled as a JS object literal).
 *
 *   npx tsx scripts/update-schema.ts
 *
 * Writes generator/schema/gitlab-ci.json and records where it came from in PROVENANCE.md.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";

const root = path.resolve(import.meta.dirname, "..");
const pkgDir = path.join(root, "node_modules", "gitlab-ci-local");
const START = '{$schema:"http://json-schema.org/draft-07/schema#",$id:"https://gitlab.com/.gitlab-ci.yml"';

/** Finds the object literal that starts at `start` by matching braces outside string literals. */
export function objectLiteralAt(source: string, start: number): string {
  let depth = 0;
  let quote: string | null = null;
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return source.slice(start, i + 1);
  }
  throw new Error(
    "unterminated schema literal: the gitlab-ci-local bundle changed shape; update scripts/update-schema.ts",
  );
}

/** Extracts the schema object from gitlab-ci-local's bundle text. */
export function extractSchema(bundle: string): unknown {
  const at = bundle.indexOf(START);
  if (at < 0) throw new Error(`schema not found in gitlab-ci-local's bundle (looked for ${START.slice(0, 40)}…)`);
  return vm.runInNewContext(`(${objectLiteralAt(bundle, at)})`, {});
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bundlePath = path.join(pkgDir, "dist", "index.js");
  const version = (JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { version: string }).version;
  const schema = extractSchema(readFileSync(bundlePath, "utf8"));
  const json = `${JSON.stringify(schema, null, 2)}\n`;
  writeFileSync(path.join(root, "generator", "schema", "gitlab-ci.json"), json);
  const sha = createHash("sha256").update(json).digest("hex");
  writeFileSync(
    path.join(root, "generator", "schema", "PROVENANCE.md"),
    `# gitlab-ci.json\n\nGitLab's official CI/CD JSON schema (\`app/assets/javascripts/editor/schema/ci.json\`, draft-07,\n` +
      `\`$id: https://gitlab.com/.gitlab-ci.yml\`), as shipped inside the npm package \`gitlab-ci-local@${version}\`\n` +
      `(MIT; \`dist/index.js\` embeds it as an object literal). Extracted by \`scripts/update-schema.ts\`; do not edit by hand.\n\n` +
      `- source package: gitlab-ci-local@${version}\n- sha256 of gitlab-ci.json: ${sha}\n\n` +
      `To update: bump gitlab-ci-local, run \`npx tsx scripts/update-schema.ts\`, review the diff, run the tests.\n` +
      `Fixes applied at load time (never edits to this file) are listed in \`generator/schema.ts\`.\n`,
  );
  console.log(
    `wrote generator/schema/gitlab-ci.json from gitlab-ci-local@${version} (${json.length} bytes, sha256 ${sha.slice(0, 12)})`,
  );
}
