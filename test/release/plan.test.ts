import { describe, expect, it } from "vitest";
import { changelogEntry, decideRelease, prependChangelog, updatePins } from "../../generator/release.ts";
import { compareVersions, parseVersion, tryParseVersion } from "../../generator/semver.ts";
import type { SurfaceChange } from "../../generator/surface.ts";

const v = parseVersion;
const removed: SurfaceChange = { bump: "major", message: "removed input promote-staging.dry_run" };
const added: SurfaceChange = { bump: "minor", message: "added optional input build.platform" };
const retuned: SurfaceChange = {
  bump: "patch",
  message: 'changed the default of input build.context from "." to "app"',
};

describe("deciding a release", () => {
  const table: Array<{ given: string; latest?: string; changes: SurfaceChange[]; ok: boolean }> = [
    { given: "2.0.0", latest: "1.2.0", changes: [removed], ok: true },
    { given: "1.3.0", latest: "1.2.0", changes: [added], ok: true },
    { given: "2.0.0", latest: "1.2.0", changes: [added], ok: true },
    { given: "1.2.1", latest: "1.2.0", changes: [retuned], ok: true },
    { given: "1.2.1", latest: "1.2.0", changes: [], ok: true },
    { given: "1.2.1", latest: "1.2.0", changes: [added], ok: false },
    { given: "1.3.0", latest: "1.2.0", changes: [removed], ok: false },
    { given: "2.0.0-rc.1", latest: "1.2.0", changes: [removed], ok: true },
  ];
  it.each(table)("$given after $latest with $changes.length change(s): ok=$ok", ({ given, latest, changes, ok }) => {
    const baseline = latest ? v(latest) : undefined;
    expect(decideRelease({ requested: v(given), latestTag: baseline, baseline, changes }).ok).toBe(ok);
  });

  it("refuses a bump too small, naming each change, its bump and the version needed", () => {
    expect(
      decideRelease({
        requested: v("1.3.0"),
        latestTag: v("1.2.4"),
        baseline: v("1.2.4"),
        changes: [removed, added, retuned],
      }),
    ).toEqual({
      ok: false,
      message:
        'refusing 1.3.0: the changes need a major release (2.0.0): removed input promote-staging.dry_run (major); added optional input build.platform (minor); changed the default of input build.context from "." to "app" (patch)',
    });
  });

  it("refuses a version that is not greater than the latest tag, pre-releases included", () => {
    expect(decideRelease({ requested: v("1.2.0"), latestTag: v("1.2.0"), baseline: v("1.2.0"), changes: [] })).toEqual({
      ok: false,
      message: "refusing 1.2.0: it is not greater than the latest release tag 1.2.0; choose a version after it",
    });
    expect(
      decideRelease({ requested: v("2.0.0-rc.1"), latestTag: v("2.0.0-rc.2"), baseline: v("1.0.0"), changes: [] }).ok,
    ).toBe(false);
  });

  it("accepts any version for the first release", () => {
    expect(decideRelease({ requested: v("0.1.0"), changes: [] })).toEqual({ ok: true });
  });
});

describe("semantic versions", () => {
  it.each(["1.2.3", "0.0.0", "10.20.30", "1.0.0-rc.1", "1.0.0-alpha"])("accepts %s", (text) =>
    expect(tryParseVersion(text)).toBeDefined(),
  );
  it.each(["v1.2.3", "1.2", "01.2.3", "1.2.3+build", "1.2.3-", "latest", ""])("rejects %s", (text) =>
    expect(tryParseVersion(text)).toBeUndefined(),
  );
  it("orders by semver precedence, a pre-release before its release", () => {
    const sorted = ["1.0.0", "1.0.0-rc.10", "1.0.0-rc.2", "0.9.9", "1.10.0", "1.2.0"].map(v).sort(compareVersions);
    expect(
      sorted.map((x) => `${x.major}.${x.minor}.${x.patch}${x.prerelease.length ? `-${x.prerelease.join(".")}` : ""}`),
    ).toEqual(["0.9.9", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0", "1.2.0", "1.10.0"]);
  });
});

describe("the CHANGELOG entry", () => {
  it("groups the surface changes by the bump they need", () => {
    expect(changelogEntry("2.0.0", "2026-11-28", [removed, added, retuned], undefined)).toBe(
      [
        "## 2.0.0 (2026-11-28)",
        "",
        "### Breaking changes",
        "",
        "- removed input promote-staging.dry_run",
        "",
        "### Added",
        "",
        "- added optional input build.platform",
        "",
        "### Changed",
        "",
        '- changed the default of input build.context from "." to "app"',
        "",
      ].join("\n"),
    );
  });

  it("names the components of a first release", () => {
    expect(changelogEntry("1.0.0", "2026-11-28", [], { components: ["build", "test"] })).toBe(
      "## 1.0.0 (2026-11-28)\n\nFirst release, with the components `build`, `test`.\n",
    );
  });

  it("goes first under the title, before older entries", () => {
    const old = "# Changelog\n\n## 1.0.0 (2026-01-01)\n\nFirst release.\n";
    expect(prependChangelog(old, "## 1.0.1 (2026-02-02)\n\nFixes.\n")).toBe(
      "# Changelog\n\n## 1.0.1 (2026-02-02)\n\nFixes.\n\n## 1.0.0 (2026-01-01)\n\nFirst release.\n",
    );
    expect(prependChangelog(undefined, "## 1.0.0 (2026-01-01)\n\nFirst.\n")).toBe(
      "# Changelog\n\n## 1.0.0 (2026-01-01)\n\nFirst.\n",
    );
  });
});

describe("moving version pins", () => {
  const pins = {
    catalogProject: "platform/gitops-components",
    components: ["build", "promote-staging"],
    version: "1.3.0",
  };

  it("moves this catalog's component pins and nothing else", () => {
    const before = [
      "include:",
      "  - component: $CI_SERVER_FQDN/platform/gitops-components/build@1.2.0",
      '  - component: "$CI_SERVER_FQDN/platform/gitops-components/promote-staging@1.0.0-rc.1"',
      "  - component: $CI_SERVER_FQDN/platform/gitops-components/build@$CI_COMMIT_SHA",
      "  - component: $CI_SERVER_FQDN/other/catalog/build@1.2.0",
      "  - component: $CI_SERVER_FQDN/platform/gitops-components/unknown@1.2.0",
      "# the build@1.2.0 component",
    ].join("\n");
    expect(updatePins(before, pins)).toBe(
      [
        "include:",
        "  - component: $CI_SERVER_FQDN/platform/gitops-components/build@1.3.0",
        '  - component: "$CI_SERVER_FQDN/platform/gitops-components/promote-staging@1.3.0"',
        "  - component: $CI_SERVER_FQDN/platform/gitops-components/build@$CI_COMMIT_SHA",
        "  - component: $CI_SERVER_FQDN/other/catalog/build@1.2.0",
        "  - component: $CI_SERVER_FQDN/platform/gitops-components/unknown@1.2.0",
        "# the build@1.2.0 component",
      ].join("\n"),
    );
  });
});
