import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDnsLabel, refSlug, reviewNames, reviewNamespace } from "../../components/review/names.ts";

const target = (refName: string, mergeRequestIid = "7", projectId = "4242") => ({
  refName,
  refSlug: refSlug(refName),
  mergeRequestIid,
  projectId,
});

describe("refSlug, like GitLab's CI_COMMIT_REF_SLUG", () => {
  it.each([
    { given: "main", want: "main" },
    { given: "Feature/Login_Page", want: "feature-login-page" },
    { given: "-leading/and/trailing-", want: "leading-and-trailing" },
    { given: "feature/übersicht-ページ-✓", want: "feature--bersicht" },
    { given: "😀/emoji", want: "emoji" },
    { given: "ページ", want: "" },
    { given: `a${"b".repeat(61)}/tail`, want: `a${"b".repeat(61)}` },
    { given: `${"x".repeat(62)}/y`, want: "x".repeat(62) },
  ])("$given → $want", ({ given, want }) => {
    expect(refSlug(given)).toBe(want);
  });
});

describe("reviewNamespace", () => {
  it("is <prefix><iid>-<slug>-<hash of project, iid and full branch name>", () => {
    expect(reviewNamespace(target("feature/login"), "review-")).toMatch(/^review-7-feature-login-[0-9a-f]{8}$/);
  });

  it("is the same for deploy and stop (a pure function of the pipeline's variables)", () => {
    expect(reviewNamespace(target("feature/login"), "review-")).toBe(
      reviewNamespace(target("feature/login"), "review-"),
    );
  });

  it("differs for branches whose slugs collide after truncation", () => {
    const common = `feature/${"shared-prefix-".repeat(5)}`;
    const a = target(`${common}first`);
    const b = target(`${common}second`);
    expect(a.refSlug).toBe(b.refSlug);
    expect(reviewNamespace(a, "review-")).not.toBe(reviewNamespace(b, "review-"));
  });

  it("differs for the same branch in two projects sharing the review cluster", () => {
    expect(reviewNamespace(target("fix/typo", "3", "1"), "review-")).not.toBe(
      reviewNamespace(target("fix/typo", "3", "2"), "review-"),
    );
  });

  it("cuts a 200-character branch's slug to fit 63 characters and ends on a letter or digit", () => {
    const ns = reviewNamespace(
      target(`feature/${"very-long-branch-name-".repeat(10)}`.slice(0, 200), "123456"),
      "review-apps-",
    );
    expect(ns.length).toBeLessThanOrEqual(63);
    expect(isDnsLabel(ns)).toBe(true);
    expect(ns).toMatch(/^review-apps-123456-feature-very-long-branch-name-very-[0-9a-f]{8}$/);
  });

  it("works without a slug (a branch name with no ASCII letter or digit) and outside merge requests", () => {
    expect(reviewNamespace({ refName: "ページ", refSlug: "" }, "review-")).toMatch(/^review-[0-9a-f]{8}$/);
  });

  it("is a DNS-1123 label of at most 63 characters for any branch name, IID and prefix", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300, unit: "grapheme" }),
        fc.option(fc.integer({ min: 1, max: 99_999_999 })),
        fc.stringMatching(/^[a-z][-a-z0-9]{0,19}$/),
        (ref, iid, prefix) => {
          const ns = reviewNamespace(
            { refName: ref, refSlug: refSlug(ref), mergeRequestIid: iid === null ? undefined : String(iid) },
            prefix,
          );
          return isDnsLabel(ns);
        },
      ),
    );
  });
});

describe("reviewNames", () => {
  it("serves the review app at https://<slug>.<domain>", () => {
    const names = reviewNames(target("feature/login"), { prefix: "review-", domain: "review.example.com" });
    expect(names.host).toBe("feature-login.review.example.com");
    expect(names.url).toBe("https://feature-login.review.example.com");
  });

  it("uses the namespace as host label when the slug is empty", () => {
    const names = reviewNames(
      { refName: "ページ", refSlug: "", mergeRequestIid: "5" },
      { prefix: "review-", domain: "example.com" },
    );
    expect(names.host).toBe(`${names.namespace}.example.com`);
  });
});
