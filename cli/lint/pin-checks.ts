/**
 * Version pins: each include of this catalog names one exact release, and all name the same one.
 * `~latest` and partial versions (`@1`, `@1.2`) resolve to the newest matching release each time a
 * pipeline is created, branches and SHAs to whatever they point at, so the pipeline changes without
 * a commit; and the components of one release work together (bump trailers, guards, promotion
 * decisions), so mixing releases mixes contracts.
 */
import type { Problem } from "../../generator/problems.ts";
import { compareVersions, formatVersion, tryParseVersion } from "../../generator/semver.ts";
import { includeLocation } from "../resolve.ts";
import type { LintCheck } from "./context.ts";

/** Pins that are not exact versions, and includes of one catalog pinned to different versions. */
export const checkPins: LintCheck = (context) => {
  const problems: Problem[] = [];
  const exact = context.includes.filter((r) => tryParseVersion(r.include.version));
  const newest = exact.map((r) => tryParseVersion(r.include.version)).sort((a, b) => (a && b ? compareVersions(b, a) : 0))[0];
  const target = newest ? formatVersion(newest) : context.version;
  for (const resolved of context.includes) {
    const { include } = resolved;
    if (tryParseVersion(include.version)) continue;
    problems.push({
      path: [includeLocation(context.pipeline, include, "component"), resolved.label],
      message: `is pinned to ${JSON.stringify(include.version)}, which is not an exact release: ${include.version.startsWith("~") || /^\d+(\.\d+)?$/.test(include.version) ? "it resolves to the newest matching release whenever a pipeline is created" : "it follows whatever that ref points at"}, so the pipeline changes without a commit of yours`,
      value: include.reference,
      fix: `pin an exact release, such as @${target}, and let Renovate propose the next one (README: Versions, pinning and Renovate)`,
    });
  }
  const versions = [...new Set(exact.map((r) => r.include.version))];
  if (versions.length > 1) {
    for (const resolved of exact.filter((r) => r.include.version !== target))
      problems.push({
        path: [includeLocation(context.pipeline, resolved.include, "component"), resolved.label],
        message: `is pinned to ${resolved.include.version} while other includes of ${context.catalogProject} are pinned to ${versions.filter((v) => v !== resolved.include.version).join(", ")}: the components of one release work together (the bump trailers and guards of one version are what the promotions of the same version read)`,
        value: resolved.include.reference,
        fix: `pin every include of ${context.catalogProject} to the same release (${target})`,
      });
  }
  return problems;
};
