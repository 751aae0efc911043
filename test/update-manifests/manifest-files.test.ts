/**
 * Which files the `manifests` input names: a file alone, or every file kustomize or Flux would
 * read from a directory, with the images field specs its kustomizations add.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { manifestFiles, planBump } from "../../components/update-manifests/manifest-files.ts";
import { tryParseImageReference } from "../../runtime/image-reference.ts";

const APP = "registry.example.com/group/app";
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function checkout(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "gitops-manifest-files-"));
  scratch.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const pod = (image: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n`;
const target = {
  imageName: APP,
  image: tryParseImageReference(`${APP}:v2`) as NonNullable<ReturnType<typeof tryParseImageReference>>,
};

describe("manifestFiles", () => {
  it("reads a file alone, whatever its name", () => {
    const root = checkout({ "deploy/app.yaml": pod(`${APP}:v1`), "deploy/other.yaml": pod(`${APP}:v1`) });
    expect(manifestFiles({ root, manifests: "deploy/app.yaml", branch: "main" })).toEqual({
      files: ["deploy/app.yaml"],
      fieldSpecs: [],
    });
  });

  it("reads, under a directory, every .yaml and .yml file, every kustomization by any of its names, and the files kustomizations list", () => {
    const root = checkout({
      "deploy/base/Kustomization":
        "resources:\n- pod.json\n- ../../outside.json\n- https://github.com/example/repo//deploy?ref=v1\n- sub\n",
      "deploy/base/pod.json": JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        spec: { containers: [{ image: `${APP}:v1` }] },
      }),
      "deploy/base/sub/kustomization.yml":
        "resources: [a.yml]\npatches:\n- path: patch.json\n- patch: |-\n    - op: replace\n",
      "deploy/base/sub/a.yml": pod(`${APP}:v1`),
      "deploy/base/sub/patch.json": "[]",
      "deploy/base/unlisted.json": "{}",
      "deploy/notes.txt": `image: ${APP}:v1\n`,
      "deploy/.git/config.yaml": "x: 1\n",
      "outside.json": "{}",
    });
    expect(manifestFiles({ root, manifests: "deploy", branch: "main" }).files).toEqual([
      "deploy/base/Kustomization",
      "deploy/base/pod.json",
      "deploy/base/sub/a.yml",
      "deploy/base/sub/kustomization.yml",
      "deploy/base/sub/patch.json",
    ]);
  });

  it.each([
    {
      what: "a linked manifest pointing outside",
      link: "deploy/link.yaml",
      to: (root: string) => path.join(root, "..", "outside.yaml"),
      manifests: "deploy",
    },
    { what: "a linked manifest pointing inside", link: "deploy/link.yaml", to: () => "app.yaml", manifests: "deploy" },
    { what: "a linked directory", link: "deploy/shared", to: () => "../shared", manifests: "deploy" },
    {
      what: "a linked manifests file",
      link: "deploy/kustomization.yaml",
      to: () => "app.yaml",
      manifests: "deploy/kustomization.yaml",
    },
    {
      what: "a linked directory on the way to manifests",
      link: "overlay",
      to: () => "deploy",
      manifests: "overlay/app.yaml",
    },
    {
      what: "a linked directory inside a kustomization's directory",
      link: "deploy/sub/in",
      to: (root: string) => path.join(root, "shared"),
      manifests: "deploy/sub",
    },
  ])("refuses $what, naming the link, before reading through it", ({ link, to, manifests }) => {
    const root = checkout({
      "deploy/app.yaml": pod(`${APP}:v1`),
      "deploy/sub/kustomization.yaml": "resources: [in/x.yaml]\n",
      "shared/x.yaml": pod(`${APP}:v1`),
    });
    symlinkSync(to(root), path.join(root, link));
    expect(() => manifestFiles({ root, manifests, branch: "main" })).toThrow(
      `input manifests = ${JSON.stringify(manifests)}: ${link} is a symbolic link (to ${to(root)})`,
    );
  });

  it("collects the images field specs of the kustomizations' configurations", () => {
    const root = checkout({
      "deploy/kustomization.yaml": "configurations: [images.yaml, ../elsewhere.yaml]\nresources: [runner.yaml]\n",
      "deploy/images.yaml": "images:\n- path: spec/jobImage\n  kind: Runner\n- kind: NoPath\n",
      "elsewhere.yaml": "images:\n- path: spec/other\n",
      "deploy/runner.yaml": `apiVersion: example.com/v1\nkind: Runner\nmetadata: {name: r}\nspec:\n  jobImage: ${APP}:v1 # the job's image\n`,
    });
    const location = { root, manifests: "deploy", branch: "main" };
    expect(manifestFiles(location).fieldSpecs).toEqual([
      { path: "spec/jobImage", kind: "Runner", group: undefined, version: undefined },
    ]);
    expect(planBump(location, target).files).toEqual([
      {
        file: "deploy/runner.yaml",
        text: expect.stringContaining(`  jobImage: ${APP}:v2 # the job's image\n`),
        changes: [{ line: 5, path: "spec.jobImage", from: `${APP}:v1`, to: `${APP}:v2` }],
      },
    ]);
  });
});

describe("planBump", () => {
  it("edits kustomizations' images: entries by file name, and objects' containers, in every file it reads", () => {
    const root = checkout({
      "deploy/kustomization.yml": `resources: [pod.json]\nimages:\n- name: ${APP}\n  newTag: v1\n`,
      "deploy/pod.json": `{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"image": "${APP}:v1"}]}}\n`,
      "deploy/flux.yaml": `apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nmetadata: {name: app}\nspec:\n  image: ${APP}\n`,
    });
    const plan = planBump({ root, manifests: "deploy", branch: "main" }, target);
    expect(plan.files.map((f) => [f.file, f.text])).toEqual([
      ["deploy/kustomization.yml", `resources: [pod.json]\nimages:\n- name: ${APP}\n  newTag: v2\n`],
      ["deploy/pod.json", `{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"image": "${APP}:v2"}]}}\n`],
    ]);
    expect(plan.matched).toBe(2);
  });

  it.each([
    ["a missing path", {}, "deploy", /input manifests = "deploy": does not exist on branch main/],
    [
      "a directory with nothing kustomize reads",
      { "deploy/README.md": "# x\n" },
      "deploy",
      /input manifests = "deploy": is a directory with no \.yaml or \.yml file and no kustomization/,
    ],
    [
      "invalid YAML, naming the file, line and column",
      { "deploy/a.yaml": "a: [\n" },
      "deploy",
      /input manifests = "deploy": deploy\/a\.yaml is not valid YAML \(line 1, column 4: missing closing bracket\)/,
    ],
    [
      "an image shared through an alias, with the fix",
      { "deploy/a.yaml": `kind: Pod\nx: &i ${APP}:v1\nspec:\n  containers:\n  - image: &c ${APP}:v1\n  other: *c\n` },
      "deploy",
      /deploy\/a\.yaml, line 5: .*anchor/,
    ],
  ])("refuses %s", (_, files, manifests, error) => {
    expect(() => planBump({ root: checkout(files), manifests, branch: "main" }, target)).toThrow(error);
  });
});
