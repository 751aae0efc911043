/**
 * update-manifests on manifests from public repositories (test/fixtures/update-manifests, each
 * with its licence and provenance): the files it edits in directory mode build, with
 * `kubectl kustomize`, to exactly what kustomize builds from the originals with an `images:`
 * entry; Flux's ImageRepository and ImagePolicy objects and CRDs are never changed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planBump } from "../../components/update-manifests/manifest-files.ts";
import { InputError } from "../../runtime/errors.ts";
import { formatImageReference, tryParseImageReference } from "../../runtime/image-reference.ts";
import { requireTools } from "../support/tools.ts";
import { kustomizeBuild, otherThanImagesChanged, writeTree } from "./kustomize-build.ts";

const FIXTURES = path.resolve(import.meta.dirname, "..", "fixtures", "update-manifests");
const DIGEST = `sha256:${"7".repeat(64)}`;

interface Scenario {
  name: string;
  /** Fixture directories copied into the tree: [fixture path, path in the tree]. */
  copy: Array<[string, string]>;
  /** The directory the job is pointed at (its `manifests` input), where the top kustomization lists `resources`. */
  manifests: string;
  resources: string[];
  imageName: string;
  newImage: string;
  /** Files that must stay byte for byte (Flux objects, CRDs). */
  untouched: string[];
}

const SCENARIOS: Scenario[] = [
  {
    name: "podinfo's kustomize directory, bumped to a digest",
    copy: [["podinfo/kustomize", "deploy/podinfo"]],
    manifests: "deploy",
    resources: ["podinfo"],
    imageName: "ghcr.io/stefanprodan/podinfo",
    newImage: `ghcr.io/stefanprodan/podinfo@${DIGEST}`,
    untouched: ["deploy/podinfo/hpa.yaml", "deploy/podinfo/service.yaml", "deploy/podinfo/kustomization.yaml"],
  },
  {
    name: "podinfo beside Flux's ImageRepository and ImagePolicy for the same image",
    copy: [
      ["podinfo/kustomize", "deploy/podinfo"],
      ["image-reflector-controller/config/samples", "deploy/flux"],
    ],
    manifests: "deploy",
    resources: ["podinfo", "flux/image_v1_imagerepository.yaml", "flux/image_v1_imagepolicy.yaml"],
    imageName: "ghcr.io/stefanprodan/podinfo",
    newImage: `ghcr.io/stefanprodan/podinfo:6.15.0`,
    untouched: ["deploy/flux/image_v1_imagerepository.yaml", "deploy/flux/image_v1_imagepolicy.yaml"],
  },
  {
    name: "image-reflector-controller's config: a kustomization images: entry, its Deployment and its CRDs",
    copy: [["image-reflector-controller/config", "config"]],
    manifests: "config",
    resources: ["manager", "crd", "samples/image_v1_imagerepository.yaml", "samples/image_v1_imagepolicy.yaml"],
    imageName: "fluxcd/image-reflector-controller",
    newImage: `registry.example.com/mirror/image-reflector-controller@${DIGEST}`,
    untouched: [
      "config/crd/bases/image.toolkit.fluxcd.io_imagerepositories.yaml",
      "config/crd/bases/image.toolkit.fluxcd.io_imagepolicies.yaml",
      "config/samples/image_v1_imagerepository.yaml",
      "config/samples/image_v1_imagepolicy.yaml",
    ],
  },
];

describe.skipIf(!requireTools("kubectl"))("update-manifests on real-world kustomize manifests", () => {
  const scratch: string[] = [];
  afterAll(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });
  /** A tree of the scenario's fixtures with a top kustomization (with `images:` or without). */
  function tree(s: Scenario, images: boolean): string {
    const root = mkdtempSync(path.join(tmpdir(), "gitops-real-world-"));
    scratch.push(root);
    for (const [from, to] of s.copy) cpSync(path.join(FIXTURES, from), path.join(root, to), { recursive: true });
    const image = tryParseImageReference(s.newImage);
    const entry = image
      ? [
          "images:",
          `- name: ${s.imageName}`,
          `  newName: ${image.repository}`,
          ...(image.tag ? [`  newTag: "${image.tag}"`] : []),
          ...(image.digest ? [`  digest: ${image.digest}`] : []),
        ]
      : [];
    writeTree(root, {
      [`${s.manifests}/kustomization.yaml`]:
        ["resources:", ...s.resources.map((r) => `- ${r}`), ...(images ? entry : [])].join("\n") + "\n",
    });
    return root;
  }

  it.each(SCENARIOS)("$name: builds to kustomize's result, only image values changed", async (s) => {
    const expected = await kustomizeBuild(path.join(tree(s, true), s.manifests));
    if ("error" in expected) throw new Error(`kustomize refused the fixture: ${expected.error}`);
    const root = tree(s, false);
    const image = tryParseImageReference(s.newImage);
    if (!image) throw new Error(`bad scenario image ${s.newImage}`);
    const plan = planBump({ root, manifests: s.manifests, branch: "main" }, { imageName: s.imageName, image });
    expect(plan.files.length).toBeGreaterThan(0);
    for (const f of plan.files) {
      const before = readFileSync(path.join(root, f.file), "utf8");
      if (path.basename(f.file) === "kustomization.yaml") {
        // In a kustomization only the images: entry's newName, newTag and digest lines change.
        const rest = (text: string) => text.split("\n").filter((line) => !/^\s*(newName|newTag|digest):/.test(line));
        expect(rest(f.text), f.file).toEqual(rest(before));
      } else
        expect(
          otherThanImagesChanged(before, f.text, s.imageName, formatImageReference(image)),
          f.file,
        ).toBeUndefined();
      writeFileSync(path.join(root, f.file), f.text);
    }
    for (const file of s.untouched) expect(plan.files.map((f) => f.file)).not.toContain(file);
    expect(await kustomizeBuild(path.join(root, s.manifests))).toEqual(expected);
  });

  it("finds nothing to change for an image only Flux's ImageRepository names, and says so", () => {
    const root = tree({ ...SCENARIOS[2], newImage: `ghcr.io/stefanprodan/podinfo@${DIGEST}` } as Scenario, false);
    const image = tryParseImageReference(`ghcr.io/stefanprodan/podinfo@${DIGEST}`);
    expect(() =>
      planBump(
        { root, manifests: "config", branch: "main" },
        { imageName: "ghcr.io/stefanprodan/podinfo", image: image as never },
      ),
    ).toThrow(InputError);
    expect(() =>
      planBump(
        { root, manifests: "config", branch: "main" },
        { imageName: "ghcr.io/stefanprodan/podinfo", image: image as never },
      ),
    ).toThrow(
      /input image_name = "ghcr\.io\/stefanprodan\/podinfo": no container image: field and no kustomize images: entry refers to it in config\/crd\/bases\/.*config\/samples\/image_v1_imagerepository\.yaml/,
    );
  });

  it("leaves a HelmRelease's image values alone: kustomize's images transformer does not look into Helm values", async () => {
    const s: Scenario = {
      name: "flux2-kustomize-helm-example",
      copy: [["flux2-kustomize-helm-example/apps", "apps"]],
      manifests: "apps/staging",
      resources: [],
      imageName: "public.ecr.aws/docker/library/redis",
      newImage: `public.ecr.aws/docker/library/redis@${DIGEST}`,
      untouched: [],
    };
    const root = mkdtempSync(path.join(tmpdir(), "gitops-real-world-"));
    scratch.push(root);
    cpSync(path.join(FIXTURES, "flux2-kustomize-helm-example/apps"), path.join(root, "apps"), { recursive: true });
    const withEntry = mkdtempSync(path.join(tmpdir(), "gitops-real-world-"));
    scratch.push(withEntry);
    cpSync(path.join(FIXTURES, "flux2-kustomize-helm-example/apps"), path.join(withEntry, "apps"), { recursive: true });
    writeTree(withEntry, {
      "wrap/kustomization.yaml": `resources:\n- ../apps/staging\nimages:\n- name: ${s.imageName}\n  digest: ${DIGEST}\n`,
    });
    writeTree(withEntry, { "plain/kustomization.yaml": "resources:\n- ../apps/staging\n" });
    // kustomize itself changes nothing here...
    expect(await kustomizeBuild(path.join(withEntry, "wrap"))).toEqual(
      await kustomizeBuild(path.join(withEntry, "plain")),
    );
    // ...and neither does the job: it reads every file of the overlay and finds no reference.
    const image = tryParseImageReference(s.newImage);
    expect(() =>
      planBump({ root, manifests: "apps", branch: "main" }, { imageName: s.imageName, image: image as never }),
    ).toThrow(/no container image: field and no kustomize images: entry refers to it/);
  });
});
