/**
 * The one image-reference parser (runtime/image-reference.ts), held to distribution/reference's
 * grammar: a table of the hostile cases, and a property test against an oracle built from
 * regexp.go's own expressions and go-digest's algorithm table.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatImageReference,
  parseImageName,
  parseImageReference,
  tryParseImageReference,
} from "../../runtime/image-reference.ts";

const SHA256 = `sha256:${"0123456789abcdef".repeat(4)}`;
const SHA512 = `sha512:${"f".repeat(128)}`;

describe("parseImageReference", () => {
  it.each([
    {
      given: "registry.example.com:5000/group/app:v1",
      want: { repository: "registry.example.com:5000/group/app", tag: "v1" },
    },
    {
      given: `registry.example.com/group/app@${SHA256}`,
      want: { repository: "registry.example.com/group/app", digest: SHA256 },
    },
    { given: `app:1.2@${SHA512}`, want: { repository: "app", tag: "1.2", digest: SHA512 } },
    { given: "localhost/app", want: { repository: "localhost/app" } },
    { given: "[::1]:5000/app__x/a-b--c.d", want: { repository: "[::1]:5000/app__x/a-b--c.d" } },
    { given: "Registry.Example.COM/app", want: { repository: "Registry.Example.COM/app" } },
  ])("reads $given", ({ given, want }) => {
    expect(parseImageReference("new_image", given)).toEqual(want);
    expect(formatImageReference(want)).toBe(given);
  });

  const component = (c: string) =>
    `has the path component ${JSON.stringify(c)} (lower-case letters and digits, separated by . _ __ or -)`;
  const digest = (d: string) =>
    `has the digest ${JSON.stringify(d)} (sha256, sha384 or sha512: 64, 96 or 128 lower-case hex digits)`;
  it.each([
    { given: "", problem: "is empty or holds spaces, control or non-ASCII characters" },
    { given: "registry.example.com/Group/App:v1", problem: component("Group") },
    { given: "registry.example.com/group/../app:v1", problem: component("..") },
    {
      given: `registry.example.com/group/app:${SHA256}`,
      problem: "has a digest written as a tag (a digest follows @)",
    },
    { given: `registry.example.com/group/app@sha256:${"a".repeat(63)}`, problem: digest(`sha256:${"a".repeat(63)}`) },
    { given: `registry.example.com/group/app@sha256:${"A".repeat(64)}`, problem: digest(`sha256:${"A".repeat(64)}`) },
    { given: `registry.example.com/group/app@sha512:${"a".repeat(64)}`, problem: digest(`sha512:${"a".repeat(64)}`) },
    { given: `registry.example.com/group/app@md5:${"a".repeat(32)}`, problem: digest(`md5:${"a".repeat(32)}`) },
    { given: "registry.example.com/group/app:-v1", problem: 'has the tag "-v1" ([\\w][\\w.-]{0,127})' },
    { given: `app:${"v".repeat(129)}`, problem: `has the tag "${"v".repeat(129)}" ([\\w][\\w.-]{0,127})` },
    { given: "reg_istry.example.com/app", problem: 'has the invalid registry host "reg_istry.example.com"' },
    { given: "app:v1\nother", problem: "is empty or holds spaces, control or non-ASCII characters" },
    { given: "$(touch /tmp/x)", problem: "is empty or holds spaces, control or non-ASCII characters" },
    { given: "app;rm", problem: component("app;rm") },
    { given: "`id`/app", problem: component("`id`") },
    { given: "--upload-pack=x", problem: component("--upload-pack=x") },
    { given: "registry.example.com/", problem: component("") },
    { given: `r.io/${"a".repeat(256)}`, problem: "has a path over 255 characters" },
  ])("refuses $given: $problem", ({ given, problem }) => {
    expect(() => parseImageReference("new_image", given)).toThrow(
      `input new_image = ${JSON.stringify(given)}: ${problem}`,
    );
    expect(tryParseImageReference(given)).toBeUndefined();
  });

  it("requires a tag or digest for an image to write, and neither for a repository name", () => {
    expect(() => parseImageReference("new_image", "registry.example.com/app", "pinned")).toThrow(
      'input new_image = "registry.example.com/app": has neither a tag nor a digest',
    );
    expect(() => parseImageReference("image_name", "registry.example.com/app:v1", "name")).toThrow(
      'input image_name = "registry.example.com/app:v1": carries a tag or digest',
    );
    expect(() => parseImageReference("image_name", `registry.example.com/app@${SHA256}`, "name")).toThrow(
      expect.objectContaining({
        fix: "set image_name to a repository without tag or digest, such as registry.example.com/group/app",
      }),
    );
  });
});

describe("parseImageName", () => {
  it.each([
    {
      given: "registry.gitlab.com/group/project",
      want: { registry: "registry.gitlab.com", repository: "group/project" },
    },
    { given: "localhost/app", want: { registry: "localhost", repository: "app" } },
    { given: "Upper/app", want: { registry: "Upper", repository: "app" } },
    { given: "library/app", want: { registry: "docker.io", repository: "library/app" } },
  ])("finds the registry of $given as normalize.go does", ({ given, want }) => {
    expect(parseImageName("image_name", given)).toEqual({ ...want, name: given });
  });
});

/**
 * The oracle: distribution/reference's referencePat (regexp.go, written out from its constants),
 * then what reference.Parse and normalize.go add: the path at most 255 characters, the digest
 * valid for go-digest (algorithm.go: sha256/sha384/sha512, lower-case hex of 64/96/128), the
 * registry as splitDockerDomain finds it matching the domain expression.
 */
function oracle(text: string): boolean {
  const alphanumeric = "[a-z0-9]+";
  const separator = "(?:[._]|__|[-]+)";
  const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
  const remoteName = `${pathComponent}(?:/${pathComponent})*`;
  const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  const domainAndPort = `(?:${domainNameComponent}(?:\\.${domainNameComponent})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
  const reference = new RegExp(
    `^((?:${domainAndPort}/)?${remoteName})(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}))?$`,
  );
  const match = reference.exec(text);
  if (!match) return false;
  const name = match[1] as string;
  const digest = match[3];
  if (digest !== undefined) {
    const [algorithm, hex] = digest.split(":") as [string, string];
    const length = { sha256: 64, sha384: 96, sha512: 128 }[algorithm];
    if (!length || !new RegExp(`^[a-f0-9]{${length}}$`).test(hex)) return false;
  }
  const [first, ...rest] = name.split("/");
  const isRegistry =
    rest.length > 0 && (/[.:]/.test(first as string) || first === "localhost" || first !== first?.toLowerCase());
  if (isRegistry && !new RegExp(`^${domainAndPort}$`).test(first as string)) return false;
  const path = isRegistry ? rest.join("/") : name;
  return new RegExp(`^${remoteName}$`).test(path) && path.length <= 255;
}

describe("tryParseImageReference against distribution/reference's grammar", () => {
  const registries = [
    "",
    "",
    "registry.example.com/",
    "localhost:5000/",
    "127.0.0.1:5000/",
    "[::1]:5000/",
    "Reg.Example/",
    "UP/",
    "a_b/",
    "-x.com/",
    "a.b_c/",
    "host:port/",
  ];
  // Mostly well-formed pieces, so both answers come up often; the bad ones each break one rule.
  const piece = fc.oneof(
    { arbitrary: fc.constantFrom("a", "b", "0", "ab", "b0", "a-", "b.", "0_", "a__", "b--", "a/"), weight: 9 },
    { arbitrary: fc.constantFrom("A", "..", "//", ":", "___"), weight: 1 },
  );
  const tags = [
    "",
    "",
    "",
    ":v1",
    ":1.0",
    ":",
    ":.x",
    ":-x",
    ":_x",
    `:${"a".repeat(128)}`,
    `:${"a".repeat(129)}`,
    ":sha256",
  ];
  const digests = [
    "",
    "",
    "",
    `@${SHA256}`,
    `@${SHA256}`,
    `@sha256:${"a".repeat(63)}`,
    `@sha256:${"A".repeat(64)}`,
    `@${SHA512}`,
    `@sha384:${"b".repeat(96)}`,
    `@md5:${"c".repeat(32)}`,
    `@sha256:${"a".repeat(64)}:x`,
    "@",
    `@sha+256:${"a".repeat(64)}`,
  ];
  const references = fc
    .tuple(
      fc.constantFrom(...registries),
      fc.array(piece, { minLength: 1, maxLength: 6 }),
      fc.constantFrom(...tags),
      fc.constantFrom(...digests),
    )
    .map(([registry, path, tag, digest]) => `${registry}${path.join("")}${tag}${digest}`);

  it("accepts exactly the references the grammar accepts", () => {
    fc.assert(
      fc.property(references, (text) => {
        expect(tryParseImageReference(text) !== undefined, text).toBe(oracle(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads back what it formats", () => {
    fc.assert(
      fc.property(references, (text) => {
        const parsed = tryParseImageReference(text);
        if (parsed) expect(formatImageReference(parsed)).toBe(text);
      }),
    );
  });
});
