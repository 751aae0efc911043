/**
 * Rendering a review app: the application's kustomize directory, seen through a temporary overlay
 * that sets the namespace, the new image and the review labels (the user's files stay untouched),
 * then the review host on every Ingress and the namespace itself in front.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { InfrastructureError, InputError, JobError } from "../../runtime/errors.ts";
import { run } from "../../runtime/exec.ts";
import type { ImageReference } from "../../runtime/image-reference.ts";
import type { KubeObject } from "./check-objects.ts";
import { KUSTOMIZATION_FILES } from "./kustomize-roots.ts";

/** What to render. */
export interface RenderRequest {
  /** The kustomize directory (absolute). */
  manifests: string;
  namespace: string;
  host: string;
  /** The image name the manifests use (`image_name`), without tag or digest. */
  imageName: string;
  newImage: ImageReference;
  /** Labels for every object and pod template. */
  labels: Record<string, string>;
  /** How messages name the directory (the `manifests` input as given). */
  label: string;
}

/** kustomize's message without kubectl's log prefix and quoting. */
export function kustomizeError(stderr: string): string {
  const text = stderr.trim();
  const quoted = /"command failed" err="((?:[^"\\]|\\.)*)"/.exec(text);
  return (quoted ? (quoted[1] as string).replace(/\\(.)/g, "$1") : text).replace(/^error: /, "");
}

/** Checks that `dir` (a directory) is a kustomize directory; names the input and the fix otherwise. */
export function checkManifestsDirectory(dir: string, input: string): void {
  if (!KUSTOMIZATION_FILES.some((f) => existsSync(path.join(dir, f))))
    throw new InputError(
      "manifests",
      input,
      `${dir} has no kustomization.yaml`,
      "point manifests at a directory holding a kustomization.yaml (a base or an overlay for review apps)",
    );
}

/** The overlay's kustomization: the user's directory plus namespace, image and labels. */
export function overlayKustomization(request: RenderRequest, overlayDir: string): string {
  const image: Record<string, string> = { name: request.imageName, newName: request.newImage.repository };
  if (request.newImage.tag) image.newTag = request.newImage.tag;
  if (request.newImage.digest) image.digest = request.newImage.digest;
  // JSON is YAML, and keeps a YAML library out of the embedded script.
  return JSON.stringify(
    {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      // kustomize refuses absolute resource paths; a relative one may leave the overlay's root.
      resources: [path.relative(overlayDir, request.manifests) || "."],
      namespace: request.namespace,
      images: [image],
      labels: [{ pairs: request.labels, includeTemplates: true }],
    },
    null,
    2,
  );
}

/** Sets the review host on every Ingress rule and TLS entry (in place); returns the Ingresses changed. */
export function setIngressHosts(objects: KubeObject[], host: string): string[] {
  const changed: string[] = [];
  for (const object of objects) {
    if (object.kind !== "Ingress") continue;
    const spec = (object.spec ?? {}) as { rules?: Array<{ host?: string }>; tls?: Array<{ hosts?: string[] }> };
    for (const rule of spec.rules ?? []) rule.host = host;
    for (const tls of spec.tls ?? []) tls.hosts = [host];
    changed.push(object.metadata.name);
  }
  return changed;
}

/**
 * Renders the review app with one kubectl call that needs no cluster: `kubectl label --local -k`
 * runs kustomize on the temporary overlay and prints the objects as JSON (the label it sets is
 * one the overlay has already set), so the script parses JSON only and bundles no YAML library.
 * Then the host goes on every Ingress, and the Namespace object in front. A directory kustomize
 * cannot render throws with kustomize's own words; nothing has been sent to the cluster.
 */
export async function renderReviewApp(request: RenderRequest): Promise<KubeObject[]> {
  const overlay = mkdtempSync(path.join(tmpdir(), "gitops-review-"));
  try {
    writeFileSync(path.join(overlay, "kustomization.yaml"), overlayKustomization(request, overlay));
    const [label, value] = Object.entries(request.labels)[0] as [string, string];
    let result;
    try {
      result = await run("kubectl", [
        "label",
        "--local",
        "--overwrite",
        "-k",
        overlay,
        "-o",
        "json",
        `${label}=${value}`,
      ]);
    } catch (e) {
      throw new InfrastructureError(
        `cannot run kubectl: ${(e as Error).message}`,
        "run the job in the catalog's tools image, or an image with kubectl on PATH",
      );
    }
    if (result.code !== 0) {
      if (/no objects passed to label/.test(result.stderr))
        throw new JobError(
          `${request.label} renders no objects`,
          "add the application's Deployment, Service and Ingress to the kustomization's resources",
        );
      // Say it in the user's terms: kustomize's error for their own directory, if it has one.
      const own = await run("kubectl", ["kustomize", request.manifests]);
      const said = kustomizeError(own.code !== 0 ? own.stderr : result.stderr);
      throw new JobError(
        `kustomize cannot render ${request.label}:\n  ${said}`,
        "fix the manifests so that `kubectl kustomize <manifests>` renders them; nothing was applied",
      );
    }
    const objects = parseJsonStream(result.stdout);
    setIngressHosts(objects, request.host);
    const namespace: KubeObject = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: request.namespace, labels: { ...request.labels } },
    };
    return [namespace, ...objects];
  } finally {
    rmSync(overlay, { recursive: true, force: true });
  }
}

/** kubectl's `-o json` of several objects: one pretty-printed object after another, each starting with "{" at the start of a line. */
export function parseJsonStream(text: string): KubeObject[] {
  return text
    .split(/\n(?=\{)/)
    .filter((part) => part.trim() !== "")
    .map((part) => JSON.parse(part) as KubeObject);
}
