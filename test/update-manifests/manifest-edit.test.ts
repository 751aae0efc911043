import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatImageReference, tryParseImageReference } from "../../runtime/image-reference.ts";
import {
  editImages,
  ManifestSyntaxError,
  refersTo,
  UneditableManifestError,
  type ImageTarget,
} from "../../components/update-manifests/manifest-edit.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;
const OLD_DIGEST = `sha256:${"b".repeat(64)}`;
const APP = "registry.example.com:5000/group/app";

function target(image: string, imageName = APP): ImageTarget {
  const parsed = tryParseImageReference(image);
  if (!parsed) throw new Error(`bad test image ${image}`);
  return { imageName, image: parsed };
}

/** The lines that differ between two texts of the same line count. */
function changedLines(before: string, after: string): Array<[string, string]> {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [[line, b[i] as string] as [string, string]]));
}

describe("tryParseImageReference", () => {
  it.each([
    {
      given: "registry.example.com:5000/group/app:v1",
      want: { repository: "registry.example.com:5000/group/app", tag: "v1" },
    },
    { given: "registry.example.com:5000/group/app", want: { repository: "registry.example.com:5000/group/app" } },
    { given: `app@${DIGEST}`, want: { repository: "app", digest: DIGEST } },
    { given: `host:5000/app:1.2@${DIGEST}`, want: { repository: "host:5000/app", tag: "1.2", digest: DIGEST } },
  ])("splits $given", ({ given, want }) => {
    expect(tryParseImageReference(given)).toEqual(want);
  });

  it.each(["", "app:", "app@sha256:short", "has space:v1", "/app"])("rejects %j", (given) => {
    expect(tryParseImageReference(given)).toBeUndefined();
  });
});

describe("editImages on container image fields", () => {
  const deployment = `# Deployment of the app. Keep this comment.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app   # trailing comment
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: "${APP}:v1"  # quoted, with a comment
      containers:
        - name: app
          image: ${APP}:v1
          ports: [ {containerPort: 8080} ]
        - name: sidecar
          image: registry.example.com:5000/group/app-sidecar:v1   # a longer name: not ours
        - name: other-registry
          image: 'other.example.com/group/app:v1'
---
# second document
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: ${APP}@${OLD_DIGEST}}]}}}}
`;

  it("changes only the values, byte for byte, keeping quotes and comments", () => {
    const edit = editImages(deployment, target(`${APP}@${DIGEST}`));
    expect(changedLines(deployment, edit.text)).toEqual([
      [
        `          image: "${APP}:v1"  # quoted, with a comment`,
        `          image: "${APP}@${DIGEST}"  # quoted, with a comment`,
      ],
      [`          image: ${APP}:v1`, `          image: ${APP}@${DIGEST}`],
      [
        `  jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: ${APP}@${OLD_DIGEST}}]}}}}`,
        `  jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: ${APP}@${DIGEST}}]}}}}`,
      ],
    ]);
    expect(edit.matched).toBe(3);
    expect(edit.changes.map((c) => [c.line, c.path])).toEqual([
      [11, "spec.template.spec.initContainers[0].image"],
      [14, "spec.template.spec.containers[0].image"],
      [25, "spec.jobTemplate.spec.template.spec.containers[0].image"],
    ]);
  });

  it("is idempotent: a second edit changes nothing but still finds the references", () => {
    const once = editImages(deployment, target(`${APP}:v2`)).text;
    const twice = editImages(once, target(`${APP}:v2`));
    expect(twice.text).toBe(once);
    expect(twice.changes).toEqual([]);
    expect(twice.matched).toBe(3);
  });

  it("finds nothing when the image name is not used (a longer name or another registry does not match)", () => {
    const edit = editImages(deployment, target(`${APP}:v2`, "registry.example.com:5000/group"));
    expect(edit).toEqual({ text: deployment, matched: 0, changes: [] });
  });

  it("keeps CRLF line endings and a missing final newline", () => {
    const crlf = `spec:\r\n  containers:\r\n  - image: ${APP}:v1 # c\r\n    name: a`;
    expect(editImages(crlf, target(`${APP}:v2`)).text).toBe(
      `spec:\r\n  containers:\r\n  - image: ${APP}:v2 # c\r\n    name: a`,
    );
  });

  it("reports malformed YAML with its line and column", () => {
    expect(() => editImages("spec:\n  image: [unclosed\n  other: 1\n", target(`${APP}:v2`))).toThrow(
      ManifestSyntaxError,
    );
    expect(() => editImages("a: 1\nb: [\nc: d\n", target(`${APP}:v2`))).toThrow(/^line 3, column 1: /);
  });
});

describe("refersTo: kustomize's image name match", () => {
  it.each([
    [APP, true],
    [`${APP}:v1`, true],
    [`${APP}@${DIGEST}`, true],
    [`${APP}:v1@${DIGEST}`, true],
    [`${APP}:{{version}}`, true],
    [`${APP}-sidecar:v1`, false],
    [`${APP}/nested:v1`, false],
    [`other.example.com/${APP}:v1`, false],
    [`${APP}:v1 `, false],
  ])("%s refers to the app: %s", (value, refers) => {
    expect(refersTo(value, APP)).toBe(refers);
  });
});

describe("editImages edits what kustomize's images transformer edits, nothing else", () => {
  const only = (text: string, options = {}) => changedLines(text, editImages(text, target(`${APP}:v2`), options).text);

  it.each([
    {
      name: "Flux's ImageRepository names the repository: never changed",
      text: `apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nmetadata: {name: app}\nspec:\n  image: ${APP}\n  interval: 1m\n`,
    },
    {
      name: "a custom resource's own image: field",
      text: `apiVersion: example.com/v1\nkind: Widget\nspec:\n  image: ${APP}:v1\n  template:\n    image: ${APP}:v1\n`,
    },
    {
      name: "ephemeral containers",
      text: `apiVersion: v1\nkind: Pod\nspec:\n  ephemeralContainers:\n  - name: debug\n    image: ${APP}:v1\n`,
    },
    {
      name: "a CustomResourceDefinition, whatever it holds",
      text: `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  template:\n    spec:\n      containers:\n      - image: ${APP}:v1\n`,
    },
    {
      name: "a GitLab CI file and a Compose file (no containers: sequences)",
      text: `image: ${APP}:v1\nservices:\n  app:\n    image: ${APP}:v1\n`,
    },
    {
      name: "images: entries outside a kustomization",
      text: `apiVersion: v1\nkind: ConfigMap\nimages:\n- name: ${APP}\n  newTag: v1\n`,
    },
  ])("leaves alone $name", ({ text }) => {
    expect(editImages(text, target(`${APP}:v2`))).toEqual({ text, matched: 0, changes: [] });
  });

  it.each([
    {
      name: "containers at any depth of a custom resource",
      text: `apiVersion: example.com/v1\nkind: Widget\nspec:\n  runner:\n    initContainers:\n    - image: ${APP}:v1\n`,
      line: "    - image: ",
    },
    {
      name: "image volumes of a pod template (kustomize 5.7)",
      text: `apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      volumes:\n      - name: content\n        image:\n          reference: ${APP}:v1\n`,
      line: "          reference: ",
    },
    {
      name: "the pods of a List",
      text: `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec:\n    containers:\n    - image: ${APP}:v1\n`,
      line: "    - image: ",
    },
    {
      name: "a containers mapping, which the default field spec spec/containers[]/image reaches",
      text: `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    image: ${APP}:v1\n`,
      line: "    image: ",
    },
  ])("changes $name", ({ text, line }) => {
    expect(only(text)).toEqual([[`${line}${APP}:v1`, `${line}${APP}:v2`]]);
  });

  it("changes the field specs a kustomization adds under configurations:, for their kinds only", () => {
    const text = `apiVersion: example.com/v1\nkind: Runner\nspec:\n  jobImage: ${APP}:v1\n---\napiVersion: example.com/v1\nkind: Other\nspec:\n  jobImage: ${APP}:v1\n`;
    const fieldSpecs = [{ path: "spec/jobImage", kind: "Runner" }];
    expect(only(text, { fieldSpecs })).toEqual([[`  jobImage: ${APP}:v1`, `  jobImage: ${APP}:v2`]]);
    expect(
      editImages(text, target(`${APP}:v2`), {
        fieldSpecs: [{ path: "spec/jobImage", kind: "Runner", group: "other.com" }],
      }).changes,
    ).toEqual([]);
  });

  it("edits the images: entries of a kustomization named by its file, by its apiVersion, and of a Component", () => {
    const entries = `images:\n- name: ${APP}\n  newTag: v1\n`;
    expect(only(entries, { kustomizationFile: true })).toEqual([["  newTag: v1", "  newTag: v2"]]);
    expect(only(`apiVersion: kustomize.config.k8s.io/v1beta1\n${entries}`)).toEqual([["  newTag: v1", "  newTag: v2"]]);
    expect(only(`apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n${entries}`)).toEqual([
      ["  newTag: v1", "  newTag: v2"],
    ]);
  });

  describe("with YAML anchors and aliases, edits only when the result is kustomize's", () => {
    const pod = (body: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    built: &img ${APP}:v1\nspec:\n${body}`;

    it("writes the value in place of an alias whose anchor is not an image", () => {
      const text = pod(`  containers:\n  - image: *img\n`);
      expect(only(text)).toEqual([["  - image: *img", `  - image: ${APP}:v2`]]);
    });

    it("edits an anchored image that only other images alias, leaving the aliases to follow it", () => {
      const text = `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: &app ${APP}:v1\n  initContainers:\n  - image: *app\n`;
      expect(only(text)).toEqual([[`  - image: &app ${APP}:v1`, `  - image: &app ${APP}:v2`]]);
    });

    it.each([
      [
        "an anchored image copied to a place kustomize leaves alone",
        `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: &app ${APP}:v1\n  note: *app\n`,
        /line 5: spec\.containers\[0\]\.image .* has an anchor/,
      ],
      [
        "containers reached through an alias",
        pod(`  list: &list\n  - image: ${APP}:v1\n  containers: *list\n`),
        /line 8: spec\.containers\[0\]\.image .* reached through the YAML alias \*list on line 9/,
      ],
      [
        "a container merged in with <<",
        `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - <<: {image: ${APP}:v1}\n    name: a\n`,
        /reached through the merge key <</,
      ],
      [
        "an image written as a block scalar",
        `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: |-\n      ${APP}:v1\n`,
        /block scalar/,
      ],
    ])("refuses %s, naming the line and the fix", (_, text, reason) => {
      expect(() => editImages(text, target(`${APP}:v2`))).toThrow(UneditableManifestError);
      expect(() => editImages(text, target(`${APP}:v2`))).toThrow(reason);
    });
  });
});

describe("editImages on kustomize images entries", () => {
  const kustomization = (entry: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml   # the app
images:
  # the application image, bumped by CI
${entry}
  - name: busybox
    newTag: "1.36"
`;

  it("sets newTag in place for a tag", () => {
    const before = kustomization(`  - name: ${APP}\n    newTag: v1 # current\n`);
    const edit = editImages(before, target(`${APP}:v2`));
    expect(changedLines(before, edit.text)).toEqual([["    newTag: v1 # current", "    newTag: v2 # current"]]);
    expect(edit.changes).toEqual([{ line: 8, path: "images[0].newTag", from: "v1", to: "v2" }]);
  });

  it("quotes a tag YAML would read as a number", () => {
    const before = kustomization(`  - name: ${APP}\n    newTag: v1\n`);
    expect(changedLines(before, editImages(before, target(`${APP}:1.10`)).text)).toEqual([
      ["    newTag: v1", `    newTag: "1.10"`],
    ]);
  });

  it("swaps newTag for digest on the same line when the new image is pinned by digest", () => {
    const before = kustomization(`  - name: ${APP}\n    newTag: v1\n`);
    const edit = editImages(before, target(`${APP}@${DIGEST}`));
    expect(changedLines(before, edit.text)).toEqual([["    newTag: v1", `    digest: ${DIGEST}`]]);
  });

  it("updates an existing digest and drops a stale newTag line", () => {
    const before = kustomization(`  - name: ${APP}\n    newTag: v1   # old tag\n    digest: ${OLD_DIGEST}\n`);
    const after = editImages(before, target(`${APP}@${DIGEST}`)).text;
    expect(after).toBe(kustomization(`  - name: ${APP}\n    digest: ${DIGEST}\n`));
  });

  it("adds newName and digest lines, indented like the entry, when the repository moves", () => {
    const before = kustomization(`  - name: app`);
    const after = editImages(before, target(`${APP}@${DIGEST}`, "app")).text;
    expect(after).toBe(kustomization(`  - name: app\n    newName: ${APP}\n    digest: ${DIGEST}`));
  });

  it("matches an entry by newName too, and leaves other entries alone", () => {
    const before = kustomization(`  - name: app\n    newName: ${APP}\n    newTag: v1\n`);
    expect(changedLines(before, editImages(before, target(`${APP}:v2`)).text)).toEqual([
      ["    newTag: v1", "    newTag: v2"],
    ]);
  });

  it("refuses to restructure a flow-style entry, naming the line", () => {
    const before = kustomization(`  - {name: ${APP}}\n`);
    expect(() => editImages(before, target(`${APP}@${DIGEST}`))).toThrow(UneditableManifestError);
    expect(() => editImages(before, target(`${APP}@${DIGEST}`))).toThrow(/line 7: images entry .* flow style/);
  });

  it("still edits a value inside a flow-style entry in place", () => {
    const before = kustomization(`  - {name: ${APP}, newTag: v1}\n`);
    expect(changedLines(before, editImages(before, target(`${APP}:v2`)).text)).toEqual([
      [`  - {name: ${APP}, newTag: v1}`, `  - {name: ${APP}, newTag: v2}`],
    ]);
  });
});

describe("editImages properties", () => {
  const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);
  const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`);
  const image = fc
    .record({
      tag: fc.option(tag, { nil: undefined }),
      digest: fc.option(digest, { nil: undefined }),
      repository: fc.constantFrom(APP, "registry.example.com/moved/app"),
    })
    .filter((i) => i.tag !== undefined || i.digest !== undefined);
  const quote = fc.constantFrom(
    (v: string) => v,
    (v: string) => JSON.stringify(v),
    (v: string) => `'${v}'`,
  );

  /** What kustomize makes of an images entry: `newName ?? name`, then `:newTag`, then `@digest`. */
  function kustomizeImage(text: string): string {
    const entry = (parse(text) as { images: Array<Record<string, unknown>> }).images[0] as Record<string, unknown>;
    // kustomize wants strings: a tag YAML reads as a number (1.10) or null must have been quoted.
    for (const value of Object.values(entry)) expect(typeof value).toBe("string");
    const tagPart = entry.newTag === undefined ? "" : `:${String(entry.newTag)}`;
    const digestPart = entry.digest === undefined ? "" : `@${String(entry.digest)}`;
    return `${String(entry.newName ?? entry.name)}${tagPart}${digestPart}`;
  }

  it("any kustomize entry ends up rendering exactly the new image, idempotently, other lines untouched", () => {
    fc.assert(
      fc.property(image, image, quote, (from, to, q) => {
        const lines = [`  - name: ${APP}  # app`];
        if (from.repository !== APP) lines.push(`    newName: ${q(from.repository)}`);
        if (from.tag !== undefined) lines.push(`    newTag: ${q(from.tag)} # tag`);
        if (from.digest !== undefined) lines.push(`    digest: ${q(from.digest)}`);
        const before = `# head\nimages:\n${lines.join("\n")}\n# tail\n`;
        const edit = editImages(before, { imageName: APP, image: to }, { kustomizationFile: true });
        expect(kustomizeImage(edit.text)).toBe(formatImageReference(to));
        expect(editImages(edit.text, { imageName: APP, image: to }, { kustomizationFile: true }).changes).toEqual([]);
        expect(edit.text.startsWith("# head\nimages:\n  - name: ")).toBe(true);
        expect(edit.text.endsWith("\n# tail\n")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("container image values change and nothing else does", () => {
    fc.assert(
      fc.property(image, image, quote, (from, to, q) => {
        const before = `spec:\n  containers:\n    - name: a # keep\n      image: ${q(formatImageReference({ ...from, repository: APP }))}   # value\n    - image: busybox:1.36\n`;
        const edit = editImages(before, { imageName: APP, image: to });
        const after = edit.text.split("\n");
        before.split("\n").forEach((line, i) => {
          if (i !== 3) expect(after[i]).toBe(line);
        });
        expect(after[3]).toMatch(/^      image: .*   # value$/);
        expect((parse(edit.text) as { spec: { containers: Array<{ image: string }> } }).spec.containers[0]?.image).toBe(
          formatImageReference(to),
        );
      }),
      { numRuns: 300 },
    );
  });
});
