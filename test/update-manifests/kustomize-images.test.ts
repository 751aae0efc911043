/**
 * update-manifests edits what kustomize's `images:` transformer edits, and nothing else: on
 * generated manifests (workloads, pods, CronJobs, custom resources with `image:` fields and
 * containers, Flux image objects, CRDs, Lists; block and flow styles, quoting, comments,
 * multi-document files, JSON), building the edited files with `kubectl kustomize` gives exactly
 * what kustomize gives for the original files with an `images:` entry.
 */
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Document, Scalar, visit } from "yaml";
import { editImages, UneditableManifestError } from "../../components/update-manifests/manifest-edit.ts";
import { formatImageReference, type ImageReference } from "../../runtime/image-reference.ts";
import { requireTools } from "../support/tools.ts";
import {
  editsImageVolumes,
  kustomizeBuild,
  kustomizeVersion,
  otherThanImagesChanged,
  writeTree,
} from "./kustomize-build.ts";

const APP = "registry.example.com:5000/group/app";
const MOVED = "registry.example.com:5000/group/app-moved";
const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** Image values as manifests hold them: the app's in every form, and look-alikes that are not the app. */
const imageValue = fc.constantFrom(
  `${APP}:v1`,
  `${APP}@${digest("b")}`,
  APP,
  `${APP}:v1@${digest("c")}`,
  `${APP}:1.0`,
  `${APP}-sidecar:v1`,
  `${APP}/nested:v1`,
  "other.example.com/group/app:v1",
  "busybox:1.36",
);

const container = (name: string) =>
  fc.record(
    { name: fc.constant(name), image: imageValue, imagePullPolicy: fc.constant("IfNotPresent") },
    { requiredKeys: ["name"] },
  );
const containers = (prefix: string) =>
  fc
    .array(fc.nat(9), { minLength: 1, maxLength: 2 })
    .chain((ids) => fc.tuple(...ids.map((id, i) => container(`${prefix}${i}-${id}`))));

function podSpec(volumes: boolean) {
  return fc.record(
    {
      containers: containers("c"),
      initContainers: containers("i"),
      ephemeralContainers: containers("e"),
      // Image volumes exist only where this kustomize edits them (the test's kustomize decides).
      volumes: volumes
        ? fc.tuple(fc.record({ name: fc.constant("content"), image: fc.record({ reference: imageValue }) }))
        : fc.constant(undefined),
    },
    { requiredKeys: ["containers"] },
  );
}

/** One Kubernetes object (or a List of them) with images in the places each kind has them. */
function object(volumes: boolean): fc.Arbitrary<Record<string, unknown>> {
  const spec = podSpec(volumes);
  const workload = fc.constantFrom(
    ["apps/v1", "Deployment"],
    ["apps/v1", "StatefulSet"],
    ["apps/v1", "DaemonSet"],
    ["batch/v1", "Job"],
  );
  return fc.oneof(
    fc.tuple(workload, spec).map(([[apiVersion, kind], s]) => ({
      apiVersion,
      kind,
      spec: { template: { metadata: { labels: { app: "a" } }, spec: s } },
    })),
    spec.map((s) => ({ apiVersion: "v1", kind: "Pod", spec: s })),
    spec.map((s) => ({
      apiVersion: "batch/v1",
      kind: "CronJob",
      spec: { schedule: "@daily", jobTemplate: { spec: { template: { spec: s } } } },
    })),
    // A custom resource: `image:` fields kustomize leaves alone, containers it edits wherever they are.
    fc
      .record(
        {
          image: imageValue,
          sidecars: containers("s"),
          nested: fc.record({ initContainers: containers("n") }),
          template: fc.record({ spec }),
        },
        { requiredKeys: ["image"] },
      )
      .map((s) => ({ apiVersion: "example.com/v1", kind: "Widget", spec: s })),
    // Flux's image objects name the repository kustomize must never touch.
    fc.constant({
      apiVersion: "image.toolkit.fluxcd.io/v1beta2",
      kind: "ImageRepository",
      spec: { image: APP, interval: "1m" },
    }),
    fc.constant({
      apiVersion: "image.toolkit.fluxcd.io/v1beta2",
      kind: "ImagePolicy",
      spec: { imageRepositoryRef: { name: "app" }, policy: { semver: { range: ">=1.0.0" } } },
    }),
    spec.map((s) => ({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      spec: { group: "example.com", names: { kind: "Widget", plural: "widgets" }, template: { spec: s } },
    })),
    fc.array(spec, { minLength: 1, maxLength: 2 }).map((specs) => ({
      apiVersion: "v1",
      kind: "List",
      items: specs.map((s) => ({ apiVersion: "v1", kind: "Pod", spec: s })),
    })),
  );
}

const SCALAR_STYLES: Scalar.Type[] = [Scalar.PLAIN, Scalar.PLAIN, Scalar.QUOTE_DOUBLE, Scalar.QUOTE_SINGLE];

/** A resource file: one or more objects written in random YAML styles, or one as JSON. */
function resourceFile(volumes: boolean, index: number) {
  return fc
    .record({
      objects: fc.array(object(volumes), { minLength: 1, maxLength: 3 }),
      json: fc.boolean(),
      dice: fc.array(fc.nat(99), { minLength: 64, maxLength: 64 }),
      indent: fc.integer({ min: 1, max: 4 }),
      indentSeq: fc.boolean(),
      alias: fc.nat(99),
    })
    .map(({ objects, json, dice, indent, indentSeq, alias }) => {
      const named = objects.map((o, i) => nameObjects(o, `r${index}-${i}`));
      if (json && named.length === 1)
        return { name: `resource-${index}.json`, text: `${JSON.stringify(named[0], null, 2)}\n` };
      let rolled = 0;
      const roll = () => dice[rolled++ % dice.length] as number;
      const text = named
        .map((o) => {
          const doc = new Document(o);
          const images: Scalar[] = [];
          visit(doc, {
            Scalar(key, node) {
              if (key === "key") return;
              node.type = SCALAR_STYLES[roll() % SCALAR_STYLES.length];
              if (roll() < 5) node.comment = " note";
              if (typeof node.value === "string" && node.value.includes(APP)) images.push(node);
            },
            Map(_, node) {
              node.flow = roll() < 10;
            },
            Seq(_, node) {
              node.flow = roll() < 10;
            },
          });
          // Now and then one image is an alias of another value, as YAML allows.
          if (alias < 15 && images.length >= 2) {
            const [source, copy] = [images[0] as Scalar, images[images.length - 1] as Scalar];
            source.anchor = "img";
            visit(doc, { Scalar: (_, node) => (node === copy ? doc.createAlias(source, "img") : undefined) });
          }
          return doc.toString({ indent, indentSeq, lineWidth: 0 });
        })
        .join("---\n");
      return { name: `resource-${index}.yaml`, text };
    });
}

/** Gives every object (and List item) a unique name, as kustomize requires. */
function nameObjects(o: Record<string, unknown>, name: string): Record<string, unknown> {
  if (Array.isArray(o.items))
    return { ...o, items: o.items.map((item, i) => nameObjects(item as Record<string, unknown>, `${name}-${i}`)) };
  const { apiVersion, kind, ...rest } = o;
  return {
    apiVersion,
    kind,
    metadata: {
      name: kind === "CustomResourceDefinition" ? `widgets${name.replace(/[^a-z0-9]/g, "")}.example.com` : name,
    },
    ...rest,
  };
}

const newImage: fc.Arbitrary<ImageReference> = fc
  .record({
    repository: fc.constantFrom(APP, MOVED),
    tag: fc.option(fc.constantFrom("v2", "2.0.1"), { nil: undefined }),
    digest: fc.option(fc.constant(digest("d")), { nil: undefined }),
  })
  .filter((i) => i.tag !== undefined || i.digest !== undefined)
  .map((i) => ({
    repository: i.repository,
    ...(i.tag ? { tag: i.tag } : {}),
    ...(i.digest ? { digest: i.digest } : {}),
  }));

function kustomization(resources: string[], image?: ImageReference): string {
  const lines = [
    "apiVersion: kustomize.config.k8s.io/v1beta1",
    "kind: Kustomization",
    "resources:",
    ...resources.map((r) => `  - ${r}`),
  ];
  if (image) {
    lines.push("images:", `  - name: ${APP}`, `    newName: ${image.repository}`);
    if (image.tag) lines.push(`    newTag: "${image.tag}"`);
    if (image.digest) lines.push(`    digest: ${image.digest}`);
  }
  return `${lines.join("\n")}\n`;
}

describe.skipIf(!requireTools("kubectl"))(
  "update-manifests against kustomize's images transformer (kubectl kustomize)",
  () => {
    const scratch: string[] = [];
    let volumes = false;
    beforeAll(async () => {
      const version = await kustomizeVersion();
      if (!version) throw new Error("kubectl kustomize has no version: is kubectl installed?");
      volumes = editsImageVolumes(version);
    });
    afterAll(() => {
      for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
    });
    const tempDir = () => {
      const dir = mkdtempSync(path.join(tmpdir(), "gitops-kustomize-"));
      scratch.push(dir);
      return dir;
    };

    it("changes exactly the images kustomize changes, and nothing else byte for byte", async () => {
      let edited = 0;
      await fc.assert(
        fc.asyncProperty(
          fc
            .array(fc.nat(), { minLength: 1, maxLength: 3 })
            .chain((ids) => fc.tuple(...ids.map((_, i) => resourceFile(volumes, i)))),
          newImage,
          async (files, image) => {
            const resources = files.map((f) => f.name);
            const expected = tempDir();
            writeTree(expected, {
              "kustomization.yaml": kustomization(resources, image),
              ...Object.fromEntries(files.map((f) => [f.name, f.text])),
            });
            const kustomized = await kustomizeBuild(expected);
            if ("error" in kustomized)
              throw new Error(`kustomize refused the generated manifests: ${kustomized.error}`);

            const target = { imageName: APP, image };
            let outputs: string[];
            try {
              outputs = files.map((f) => editImages(f.text, target).text);
            } catch (e) {
              // Refused only where an alias shares the image, and kustomize would change it.
              expect(e).toBeInstanceOf(UneditableManifestError);
              expect((e as Error).message).toMatch(/alias|anchor/);
              const untouched = tempDir();
              writeTree(untouched, {
                "kustomization.yaml": kustomization(resources),
                ...Object.fromEntries(files.map((f) => [f.name, f.text])),
              });
              expect(await kustomizeBuild(untouched)).not.toEqual(kustomized);
              return;
            }
            files.forEach((f, i) =>
              expect(
                otherThanImagesChanged(f.text, outputs[i] as string, APP, formatImageReference(image)),
                f.name,
              ).toBeUndefined(),
            );
            if (outputs.some((o, i) => o !== files[i]?.text)) edited++;

            const actual = tempDir();
            writeTree(actual, {
              "kustomization.yaml": kustomization(resources),
              ...Object.fromEntries(files.map((f, i) => [f.name, outputs[i] as string])),
            });
            expect(await kustomizeBuild(actual)).toEqual(kustomized);
          },
        ),
        { numRuns: 40 },
      );
      // The generator is worth something only if many runs have something to change.
      expect(edited).toBeGreaterThanOrEqual(10);
    }, 120_000);
  },
);
