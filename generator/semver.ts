/**
 * Semantic versions as GitLab's catalog wants them: bare `1.2.3` (optionally `-prerelease`), no
 * `v` prefix, no build metadata. Ordering follows semver.org §11.
 */

/** A parsed version. */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated pre-release identifiers (`rc.1` → `["rc", "1"]`); empty for a release. */
  prerelease: string[];
}

/** How big a step between two versions is, or how big one a change needs. */
export type Bump = "major" | "minor" | "patch";

/** The bumps from smallest to largest. */
export const BUMP_ORDER: readonly Bump[] = ["patch", "minor", "major"];

const NUMBER = "(0|[1-9]\\d*)";
const IDENTIFIER = "(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)";
/** A bare semver version (`1.2.3`, `1.0.0-rc.1`), as the catalog accepts for release tags. */
export const SEMVER = new RegExp(`^${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-(${IDENTIFIER}(?:\\.${IDENTIFIER})*))?$`);

/** Parses a bare semver version; `undefined` when the text is not one. */
export function tryParseVersion(text: string): Version | undefined {
  const m = SEMVER.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ? m[4].split(".") : [] };
}

/** Parses a bare semver version; throws when the text is not one. */
export function parseVersion(text: string): Version {
  const version = tryParseVersion(text);
  if (!version)
    throw new Error(
      `${JSON.stringify(text)} is not a semantic version: write MAJOR.MINOR.PATCH, for example 1.4.2 (no "v" prefix)`,
    );
  return version;
}

/** The version as text. */
export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}${v.prerelease.length ? `-${v.prerelease.join(".")}` : ""}`;
}

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Number(a) - Number(b);
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when `a` precedes `b`, zero when equal, positive when it follows (semver precedence). */
export function compareVersions(a: Version, b: Version): number {
  for (const key of ["major", "minor", "patch"] as const) if (a[key] !== b[key]) return a[key] - b[key];
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const c = compareIdentifiers(a.prerelease[i] as string, b.prerelease[i] as string);
    if (c !== 0) return c;
  }
  return a.prerelease.length - b.prerelease.length;
}

/** The size of the step from `from` to `to` (which must be greater), judged on MAJOR.MINOR.PATCH. */
export function bumpBetween(from: Version, to: Version): Bump {
  if (to.major !== from.major) return "major";
  if (to.minor !== from.minor) return "minor";
  return "patch";
}

/** The smallest release after `from` that makes a `bump`-sized step. */
export function nextVersion(from: Version, bump: Bump): Version {
  if (bump === "major") return { major: from.major + 1, minor: 0, patch: 0, prerelease: [] };
  if (bump === "minor") return { major: from.major, minor: from.minor + 1, patch: 0, prerelease: [] };
  return { major: from.major, minor: from.minor, patch: from.patch + 1, prerelease: [] };
}

/** The larger of two bumps. */
export function largerBump(a: Bump, b: Bump): Bump {
  return BUMP_ORDER.indexOf(a) >= BUMP_ORDER.indexOf(b) ? a : b;
}
