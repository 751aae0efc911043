/**
 * Version pins: each include of this catalog names one exact release, and all name the same one.
 * `~latest` and partial versions (`@1`, `@1.2`) resolve to the newest matching release each time a
 * pipeline is created, branches and SHAs to whatever they point at, so the pipeline changes without
 * a commit; and the components of one release work together (bump trailers, guards, promotion
 * decisions), so mixing releases mixes contracts.
 */
import type { Problem } from "../../generator/problems.ts";
import { compareVersions, tryParseVersion } from "../../generator/semver.ts";
import type { CatalogVersions } from "../catalog-specs.ts";
import { includeLocation, type ResolvedInclude } from "../resolve.ts";
import type { LintCheck } from "./context.ts";

/**
 * The release every include should name: among the pinned versions this checkout knows (its own,
 * or a release tag), the one most includes already name (the newer on a tie); with none known,
 * the checkout's own version. A pin to a version nobody can find is never the suggestion.
 */
export function pinTarget(exact: readonly ResolvedInclude[], versions: CatalogVersions): string {
  const counts = new Map<string, number>();
  for (const r of exact)
    if (versions.at(r.include.version)) counts.set(r.include.version, (counts.get(r.include.version) ?? 0) + 1);
  const ranked = [...counts].sort(
    ([a, ca], [b, cb]) => cb - ca || compareVersions(tryParseVersion(b)!, tryParseVersion(a)!),
  );
  return ranked[0]?.[0] ?? versions.version;
}

/** Pins that are not exact versions, and includes of one catalog pinned to different versions. */
export const checkPins: LintCheck = (context) => {
  const problems: Problem[] = [];
  const { versions } = context;
  const exact = context.includes.filter((r) => tryParseVersion(r.include.version));
  const target = pinTarget(exact, versions);
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
  const pinned = [...new Set(exact.map((r) => r.include.version))];
  if (pinned.length > 1) {
    for (const resolved of exact.filter((r) => r.include.version !== target)) {
      const others = pinned.filter((v) => v !== resolved.include.version);
      const unknown = versions.at(resolved.include.version) ? "" : ` (a version this checkout has no release tag for)`;
      problems.push({
        path: [includeLocation(context.pipeline, resolved.include, "component"), resolved.label],
        message: `is pinned to ${resolved.include.version}${unknown} while other includes of ${context.catalogProject} are pinned to ${others.join(", ")}: the components of one release work together (the bump trailers and guards of one version are what the promotions of the same version read)`,
        value: resolved.include.reference,
        fix: `pin it to ${target}, the release ${exact.filter((r) => r.include.version === target).length > 0 ? "the other includes name" : "of this checkout"}, so every include of ${context.catalogProject} names the same one`,
      });
    }
  }
  return problems;
};
