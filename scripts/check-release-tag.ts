/**
 * `tsx scripts/check-release-tag.ts <tag>` — the tag pipeline's guard before publishing: the tag
 * must be bare semver and equal `package.json`'s version (the version the templates were
 * generated at). Exit 0 when they agree, 1 when not, 2 on usage.
 */
import { readVersion } from "../generator/catalog.ts";
import { tryParseVersion } from "../generator/semver.ts";

/** Why `tag` may not be published as catalog version `version`, or `undefined` when it may. */
export function releaseTagProblem(tag: string, version: string): string | undefined {
  if (!tryParseVersion(tag))
    return `tag ${JSON.stringify(tag)} is not a bare semantic version (1.2.3); GitLab's catalog publishes only those`;
  if (tag !== version)
    return `tag ${tag} does not match package.json's version ${version}: the templates were generated for ${version}. Tag the commit \`npm run release -- <version>\` made`;
  return undefined;
}

if (process.argv[1]?.endsWith("scripts/check-release-tag.ts")) {
  const tag = process.argv[2];
  if (!tag) {
    process.stderr.write("usage: tsx scripts/check-release-tag.ts <tag>\n");
    process.exitCode = 2;
  } else {
    const version = readVersion(process.cwd());
    const problem = releaseTagProblem(tag, version);
    if (problem) {
      process.stderr.write(`${problem}\n`);
      process.exitCode = 1;
    } else process.stdout.write(`tag ${tag} matches package.json's version\n`);
  }
}
