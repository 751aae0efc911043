/**
 * Release planning, pure: is the requested version big enough for the surface changes since the
 * previous release, and what do the CHANGELOG entry and the updated version pins say. The CLI
 * (`scripts/release.ts`) gathers the inputs from git and applies the result.
 */
import {
  bumpBetween,
  BUMP_ORDER,
  compareVersions,
  formatVersion,
  nextVersion,
  parseVersion,
  SEMVER,
  type Bump,
  type Version,
} from "./semver.ts";
import { requiredBump, type SurfaceChange } from "./surface.ts";

/** What the release decision looks at. */
export interface ReleaseQuestion {
  /** The version asked for. */
  requested: Version;
  /** The highest release tag reachable from HEAD, pre-releases included (none: first release). */
  latestTag?: Version;
  /** The highest final (non-pre-release) tag: the surface baseline. */
  baseline?: Version;
  /** Surface changes from the baseline to now. */
  changes: readonly SurfaceChange[];
}

/** Go ahead, or refuse with a message (the CLI exits 1). */
export type ReleaseDecision = { ok: true; required?: Bump } | { ok: false; message: string };

/** `removed input x.y (major); added optional input x.z (minor)`. */
export function describeChanges(changes: readonly SurfaceChange[]): string {
  return changes.map((c) => `${c.message} (${c.bump})`).join("; ");
}

/** Decides whether `requested` may be released. */
export function decideRelease(q: ReleaseQuestion): ReleaseDecision {
  const requested = formatVersion(q.requested);
  if (q.latestTag && compareVersions(q.requested, q.latestTag) <= 0)
    return {
      ok: false,
      message: `refusing ${requested}: it is not greater than the latest release tag ${formatVersion(q.latestTag)}; choose a version after it`,
    };
  if (!q.baseline) return { ok: true };
  const required = requiredBump(q.changes);
  const step = bumpBetween(q.baseline, q.requested);
  if (BUMP_ORDER.indexOf(step) >= BUMP_ORDER.indexOf(required)) return { ok: true, required };
  const needed = formatVersion(nextVersion(q.baseline, required));
  return {
    ok: false,
    message: `refusing ${requested}: the changes need a ${required} release (${needed}): ${describeChanges(q.changes)}`,
  };
}

const HEADINGS: Record<Bump, string> = { major: "Breaking changes", minor: "Added", patch: "Changed" };

/** The CHANGELOG entry for a release: its surface changes grouped by the bump they need. */
export function changelogEntry(
  version: string,
  date: string,
  changes: readonly SurfaceChange[],
  firstRelease: { components: string[] } | undefined,
): string {
  const lines = [`## ${version} (${date})`, ""];
  if (firstRelease)
    lines.push(`First release, with the components ${firstRelease.components.map((c) => `\`${c}\``).join(", ")}.`, "");
  else if (changes.length === 0) lines.push("No change to the components' inputs or jobs.", "");
  for (const bump of ["major", "minor", "patch"] as const) {
    const group = changes.filter((c) => c.bump === bump);
    if (group.length === 0) continue;
    lines.push(`### ${HEADINGS[bump]}`, "", ...group.map((c) => `- ${c.message}`), "");
  }
  return lines.join("\n");
}

const CHANGELOG_TITLE = "# Changelog";

/** The CHANGELOG with `entry` placed first, under the title (created when there is none). */
export function prependChangelog(changelog: string | undefined, entry: string): string {
  const text = changelog ?? `${CHANGELOG_TITLE}\n`;
  const title = /^# [^\n]*\n+/.exec(text);
  if (!title) return `${CHANGELOG_TITLE}\n\n${entry}\n${text}`;
  const rest = text.slice(title[0].length);
  return `${title[0].replace(/\n+$/, "\n\n")}${entry}${rest ? `\n${rest}` : ""}`;
}

/**
 * Moves this catalog's `component:` pins to `version`: only references of the form
 * `component: <host>/<catalogProject>/<name>@<semver>` for the named components; other catalogs,
 * SHA and branch references are left alone.
 */
export function updatePins(
  text: string,
  pins: { catalogProject: string; components: readonly string[]; version: string },
): string {
  if (pins.components.length === 0) return text;
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const names = pins.components.map(escape).join("|");
  const semver = SEMVER.source.slice(1, -1);
  const pattern = new RegExp(
    `(component:\\s*["']?\\S*/${escape(pins.catalogProject)}/(?:${names})@)${semver}(?![0-9A-Za-z.+-])`,
    "gm",
  );
  parseVersion(pins.version);
  return text.replace(pattern, `$1${pins.version}`);
}
