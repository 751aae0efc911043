/**
 * Rendering a review app: the application's kustomize directory, seen through a temporary overlay
 * that sets the namespace, the new image and the review labels (the user's files stay untouched),
 * then the review host on every Ingress and the namespace itself in front.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { InfrastructureError, InputError, JobError } from "../../runtime/errors.ts";
import { run } from "../../runtime/exec.ts";
import type { ImageReference } from "../../runtime/image-reference.ts";
import type { KubeObject } from "./validate-objects.ts";

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

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** Checks that `dir` is a kustomize directory; names the input and the fix otherwise. */
export function checkManifestsDirectory(dir: string, input: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError("manifests", input, `no directory ${dir}`, "set manifests to the application's kustomize directory, relative to the repository root");
  if (!KUSTOMIZATION_FILES.some((f) => existsSync(path.join(dir, f))))
    throw new InputError("manifests", input, `${dir} has no kustomization.yaml`, "point manifests at a directory holding a kustomization.yaml (a base or an overlay for review apps)");
}

/** The overlay's kustomization: the user's directory plus namespace, image and labels. */
export function overlayKustomization(request: RenderRequest, overlayDir: string): string {
  const image: Record<string, string> = { name: request.imageName, newName: request.newImage.repository };
  if (request.newImage.tag) image.newTag = request.newImage.tag;
  if (request.newImage.digest) image.digest = request.newImage.digest;
  // JSON is YAML, and keeps a YAML library out of the embedded script.
  return JSON.stringify({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    // kustomize refuses absolute resource paths; a relative one may leave the overlay's root.
    resources: [path.relative(overlayDir, request.manifests) || "."],
    namespace: request.namespace,
    images: [image],
    labels: [{ pairs: request.labels, includeTemplates: true }],
  }, null, 2);
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

/** Every container image in the objects' pod templates (Deployment, StatefulSet, Job, CronJob). */
export function containerImages(objects: readonly KubeObject[]): string[] {
  const images: string[] = [];
  const fromPod = (pod: unknown) => {
    const spec = (pod as { spec?: { containers?: Array<{ image?: string }>; initContainers?: Array<{ image?: string }> } } | undefined)?.spec;
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) if (c.image) images.push(c.image);
  };
  for (const object of objects) {
    const spec = object.spec as { template?: unknown; jobTemplate?: { spec?: { template?: unknown } } } | undefined;
    if (spec?.template) fromPod(spec.template);
    if (spec?.jobTemplate?.spec?.template) fromPod(spec.jobTemplate.spec.template);
  }
  return images;
}

/**
 * Renders the review app: `kubectl kustomize` of a temporary overlay, then the host on every
 * Ingress, with the Namespace object first. A directory kustomize cannot render throws with
 * kustomize's own words; nothing has been sent to the cluster at that point.
 */
export async function renderReviewApp(request: RenderRequest): Promise<KubeObject[]> {
  const overlay = mkdtempSync(path.join(tmpdir(), "gitops-review-"));
  try {
    writeFileSync(path.join(overlay, "kustomization.yaml"), overlayKustomization(request, overlay));
    let result;
    try {
      result = await run("kubectl", ["kustomize", overlay]);
    } catch (e) {
      throw new InfrastructureError(`cannot run kubectl: ${(e as Error).message}`, "run the job in the catalog's tools image, or an image with kubectl on PATH");
    }
    if (result.code !== 0) {
      // Say it in the user's terms: kustomize's error for their own directory, if it has one.
      const own = await run("kubectl", ["kustomize", request.manifests]);
      const said = kustomizeError(own.code !== 0 ? own.stderr : result.stderr);
      throw new JobError(`kustomize cannot render ${request.label}:\n  ${said}`, "fix the manifests so that `kubectl kustomize <manifests>` renders them; nothing was applied");
    }
    const objects = await toObjects(result.stdout, request.labels);
    setIngressHosts(objects, request.host);
    const namespace: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: request.namespace, labels: { ...request.labels } } };
    return [namespace, ...objects];
  } finally {
    rmSync(overlay, { recursive: true, force: true });
  }
}

/**
 * kustomize's YAML as objects. `kubectl label --local` (offline) re-reads the YAML and prints JSON,
 * so the script parses JSON only; the label it sets is one the overlay has already set.
 */
async function toObjects(yaml: string, labels: Record<string, string>): Promise<KubeObject[]> {
  if (yaml.trim() === "") return [];
  const [label, value] = Object.entries(labels)[0] as [string, string];
  const result = await run("kubectl", ["label", "--local", "--overwrite", "-f", "-", "-o", "json", `${label}=${value}`], { input: yaml });
  if (result.code !== 0) throw new JobError(`kubectl cannot read what kustomize rendered: ${result.stderr.trim()}`, "fix the manifests; nothing was applied");
  // One pretty-printed object after another: each starts with "{" at the start of a line.
  return result.stdout
    .split(/\n(?=\{)/)
    .filter((text) => text.trim() !== "")
    .map((text) => JSON.parse(text) as KubeObject);
}

/** The objects as a stream of JSON documents for `kubectl apply -f -`. */
export function toApplyStream(objects: readonly KubeObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join("\n");
}
