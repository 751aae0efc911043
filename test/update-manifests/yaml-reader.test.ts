/**
 * The job's YAML reader against the `yaml` library: the same documents, styles, values, anchors,
 * tags and scalar offsets for every text the library reads, and a refusal (never a different
 * reading) for what it does not.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readYamlDocuments, YamlSyntaxError } from "../../runtime/yaml-reader.ts";
import { libraryReading, readerReading } from "./yaml-oracle.ts";
import { damaged, handWrittenTexts, libraryTexts } from "./yaml-texts.ts";

/** Both readers agree: the same documents, or both refuse. */
function agree(text: string): void {
  const library = libraryReading(text);
  const reader = readerReading(text);
  if ("error" in library) expect(reader, `the library refuses: ${library.error}`).toHaveProperty("error");
  else expect(reader).toEqual(library);
}

describe("readYamlDocuments reads what the yaml library reads", () => {
  it.each([
    // Kubernetes manifests as people write them.
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app # the app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/app:v1\n",
    "spec:\n  containers:\n    - name: a\n      image: 'app:v1'\n    - {name: b, image: \"app:v2\"}\n",
    '{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "a", "image": "app:v1"}]}}\n',
    "---\n# first\na: 1\n...\n---\nb: 2\n---\n",
    "\uFEFFkind: Pod\r\nspec:\r\n  containers:\r\n  - image: app\r\n",
    "%YAML 1.2\n---\n!!map &m\nk: &v !!str v\nr: *v\n",
    // Scalars of every style, folded across lines.
    "plain: a\n  b\n\n  c\nsingle: 'it''s\n  folded'\ndouble: \"tab\\t \\x41\\u00e9 \\\n  joined\"\n",
    "literal: |\n  line\n   indented\n\n  last\nfolded: >-\n  one\n  two\n\n  three\n   more\nkeep: |+\n  x\n\n",
    "explicit: |2\n   two spaces kept\nchomp: >1-\n  x\n",
    // Compact and explicit forms.
    "- - a\n  - b\n- k: v\n  l: w\n-   # comment\n  x\n",
    "[c, d]: e\n",
    "key:\n- a\n- b\nother: c\n",
    '{a: [1, {b: c}], d, "g":h}\n',
    "[a: b, c, {d: e}]\n",
    // Anchors, aliases, merge keys (read as plain keys), tags.
    "base: &b {image: app:v1}\nuse: *b\nmerged:\n  <<: *b\n  name: x\n",
    "- &a !local a\n- !<tag:example.com,2024:x> b\n- *a\n",
    // Comments everywhere.
    "a: # after the key\n  # before the value\n  b # after the value\n# between\nc: d#not a comment\n",
  ])("reads %j as the library does", (text) => {
    agree(text);
    expect(readerReading(text)).not.toHaveProperty("error");
  });

  it.each([
    ["an unclosed flow collection", "spec:\n  image: [unclosed\n  other: 1\n", 3],
    ["a tab as indentation", "a:\n\tb: c\n", 2],
    ["a key on two lines", "a\nb: c\n", 1],
    ["a duplicate key", "a: 1\nb: 2\na: 3\n", 3],
    ["an unknown alias", "a: *missing\n", 1],
    ["a bad escape", 'a: "\\q"\n', 1],
    ["content after a document", "a: 1\n  b: 2\n", 2],
  ])("refuses %s, naming its line", (_, text, line) => {
    agree(text);
    expect(() => readYamlDocuments(text)).toThrow(YamlSyntaxError);
    try {
      readYamlDocuments(text);
    } catch (e) {
      expect((e as YamlSyntaxError).line).toBe(line);
    }
  });

  it("keeps each scalar's offsets: the text between them is the scalar as written", () => {
    const text = "a: 'x' # c\nb: [\"y\", z]\n";
    const [root] = readYamlDocuments(text);
    const values = root?.kind === "map" ? root.pairs.map((p) => p.value) : [];
    expect(values.map((v) => text.slice(v.start, v.end))).toEqual(["'x'", '["y", z]']);
  });

  it("refuses what kustomize's parser refuses and the library accepts: a lone carriage return, an alias inside its own anchor", () => {
    expect(() => readYamlDocuments("a: b\rc: d\n")).toThrow(/carriage return/);
    expect(() => readYamlDocuments("&a [*a]\n")).toThrow(/inside the node its anchor names/);
  });

  it.each(["? a\n: b\n", "- ? a\n", "{? a : b}\n"])(
    "refuses explicit keys, which manifests never use and readers disagree on: %j",
    (text) => {
      expect(() => readYamlDocuments(text)).toThrow(
        /explicit keys \("\? key"\) are not supported: write the key as "key: value"/,
      );
    },
  );
});

describe("readYamlDocuments properties", () => {
  it("reads every text the library writes (random trees, styles, comments, anchors) as the library reads it", () => {
    fc.assert(fc.property(libraryTexts, agree), { numRuns: 200 });
  });

  it("reads hand-written YAML (odd indentation, compact and explicit entries, tabs, CRLF, markers) as the library does", () => {
    fc.assert(fc.property(handWrittenTexts, agree), { numRuns: 400 });
  });

  it("never reads a damaged text differently from the library: it reads it the same or refuses it", () => {
    fc.assert(
      fc.property(damaged(fc.oneof(handWrittenTexts, libraryTexts)), (text) => {
        const reader = readerReading(text);
        if (!("error" in reader)) expect(reader).toEqual(libraryReading(text));
      }),
      { numRuns: 400 },
    );
  });
});
