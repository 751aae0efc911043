/**
 * The report's image reader: what a manifest names, line by line, and how two versions differ.
 */
import { describe, expect, it } from "vitest";
import { imageChanges, imageMentions, scalarText } from "../../components/promotion/image-mentions.ts";

describe("scalarText", () => {
  it.each([
    { given: "registry.example.com/app:1.0", want: "registry.example.com/app:1.0" },
    { given: "  app:1 # pinned by the bump", want: "app:1" },
    { given: '"app@sha256:abc"  # quoted', want: "app@sha256:abc" },
    { given: "'it''s'", want: "it's" },
    { given: '"a\\"b"', want: 'a"b' },
    { given: "app:1#not-a-comment", want: "app:1#not-a-comment" },
  ])("reads $given as $want", ({ given, want }) => expect(scalarText(given)).toBe(want));

  it.each(["", "*alias", "&anchor app:1", "!!str app:1", "|", ">-", "{ name: app }", "[app]", '"unterminated'])(
    "does not guess %j",
    (given) => expect(scalarText(given)).toBeUndefined(),
  );
});

describe("imageMentions", () => {
  it("reads every container image and the kustomize images entries, whatever the indentation", () => {
    const text = [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "spec:",
      "  template:",
      "    spec:",
      "      initContainers:",
      "        - name: migrate",
      '          image: "registry.example.com/group/app:1.0"',
      "      containers:",
      "      - image: registry.example.com/group/app:1.0 # the app",
      "        name: app",
      "      - name: proxy",
      "        image: docker.io/envoyproxy/envoy:v1.30",
      "---",
      "kind: Kustomization",
      "images:",
      "- name: registry.example.com/group/app",
      "  newName: registry.example.com/group/app-fork",
      "  newTag: '2.0'",
      "- digest: sha256:" + "a".repeat(64),
      "  name: registry.example.com/group/worker",
      "resources:",
      "  - deployment.yaml",
      "",
    ].join("\n");
    expect(imageMentions(text)).toEqual([
      { field: "image", repository: "registry.example.com/group/app", value: "registry.example.com/group/app:1.0" },
      { field: "image", repository: "registry.example.com/group/app", value: "registry.example.com/group/app:1.0" },
      { field: "image", repository: "docker.io/envoyproxy/envoy", value: "docker.io/envoyproxy/envoy:v1.30" },
      {
        field: "images[registry.example.com/group/app]",
        repository: "registry.example.com/group/app",
        value: "registry.example.com/group/app-fork:2.0",
      },
      {
        field: "images[registry.example.com/group/worker]",
        repository: "registry.example.com/group/worker",
        value: `registry.example.com/group/worker@sha256:${"a".repeat(64)}`,
      },
    ]);
  });

  it("ends a kustomize images list at the next top-level key, and skips entries it cannot read", () => {
    const text =
      "images:\n  - name: app\n    newTag: v2\n  - { name: flow, newTag: v3 }\nnamePrefix: x-\n  - name: not-an-entry\n";
    expect(imageMentions(text)).toEqual([{ field: "images[app]", repository: "app", value: "app:v2" }]);
  });

  it("reads nothing from comments, nested image objects and images that are not one-line values", () => {
    const text =
      "# image: commented/out:1\nspec:\n  image:\n    repository: nginx\n    tag: '1.27'\n  volumes:\n    - image: { reference: app:1 }\n";
    expect(imageMentions(text)).toEqual([]);
  });
});

describe("imageChanges", () => {
  const mentions = (text: string) => imageMentions(text);

  it("pairs references by repository and lists each that differs, sorted", () => {
    const before = mentions("containers:\n  - image: reg/app:1\n  - image: reg/proxy:2.1\n  - image: reg/old:3\n");
    const after = mentions("containers:\n  - image: reg/app:2\n  - image: reg/proxy:2.1\n  - image: reg/new:1\n");
    expect(imageChanges(before, after)).toEqual([
      { field: "image", repository: "reg/app", from: "reg/app:1", to: "reg/app:2" },
      { field: "image", repository: "reg/new", to: "reg/new:1" },
      { field: "image", repository: "reg/old", from: "reg/old:3" },
    ]);
  });

  it("pairs kustomize images entries by name, whatever they point at", () => {
    const before = mentions("images:\n  - name: reg/app\n    newTag: initial\n");
    const after = mentions(`images:\n  - name: reg/app\n    digest: sha256:${"b".repeat(64)}\n`);
    expect(imageChanges(before, after)).toEqual([
      {
        field: "images[reg/app]",
        repository: "reg/app",
        from: "reg/app:initial",
        to: `reg/app@sha256:${"b".repeat(64)}`,
      },
    ]);
  });

  it("lists nothing when only the order or other fields changed", () => {
    expect(
      imageChanges(mentions("- image: a:1\n- image: b:1\n"), mentions("- image: b:1\n- image: a:1\nreplicas: 3\n")),
    ).toEqual([]);
  });
});
