/**
 * The checks of a rendered review app that need no schema, made before anything reaches the
 * cluster: every object lives in the review namespace and carries the review labels, its name is
 * one Kubernetes can hold, the manifests declare no Namespace of their own, and some container
 * runs the new image. Whether each object's fields are right is the cluster's to say: the deploy
 * job asks it in a server-side dry run with strict field validation (apply.ts).
 */
import { isDnsLabel, isDnsSubdomain } from "./names.ts";

/** A Kubernetes object as rendered (plain data). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** `Kind/name` for messages. */
export function describeObject(object: KubeObject): string {
  return `${object.kind}/${object.metadata?.name}`;
}

/** What the rendered objects must agree with. */
export interface ReviewExpectations {
  /** The review namespace. */
  namespace: string;
  /** Labels every object must carry. */
  labels: Record<string, string>;
  /** The image some container must run (formatted reference). */
  image: string;
  /** The `image_name` input, for the message when no container runs {@link image}. */
  imageName: string;
  /** How messages name the manifests directory. */
  manifests: string;
}

/**
 * Names the rule `metadata.name` of `object` must follow, or undefined when it does. Services
 * and Namespaces are DNS-1123 labels; RBAC objects only need to be a path segment (they may hold
 * ":"); everything else a DNS-1123 subdomain, as kube-apiserver's ObjectMeta validation requires.
 */
function nameProblem(object: KubeObject): string | undefined {
  const name = object.metadata?.name ?? "";
  if (object.kind === "Service" || object.kind === "Namespace")
    return isDnsLabel(name) ? undefined : "a DNS-1123 label (lowercase letters, digits and -, at most 63 characters)";
  if (object.apiVersion.startsWith("rbac.authorization.k8s.io/"))
    return name !== "" && !/[/%]/.test(name) && name !== "." && name !== ".."
      ? undefined
      : "a path segment (no / or %)";
  return isDnsSubdomain(name)
    ? undefined
    : "a DNS-1123 subdomain (lowercase letters, digits, - and ., at most 253 characters)";
}

/** Every container image in the objects' pod templates (Deployment, StatefulSet, Job, CronJob, ...). */
export function containerImages(objects: readonly KubeObject[]): string[] {
  const images: string[] = [];
  const fromPod = (pod: unknown) => {
    const spec = (
      pod as
        | { spec?: { containers?: Array<{ image?: string }>; initContainers?: Array<{ image?: string }> } }
        | undefined
    )?.spec;
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
 * Every problem with the rendered objects (the review Namespace first, then the manifests'
 * objects), each naming the object and the fix. Empty when all are fine.
 */
export function checkObjects(objects: readonly KubeObject[], expect: ReviewExpectations): string[] {
  const problems: string[] = [];
  for (const [index, object] of objects.entries()) {
    const where = describeObject(object);
    if (index > 0 && object.kind === "Namespace") {
      problems.push(
        `${where}: the manifests declare a Namespace; review apps create their own, so leave Namespace objects out of the review manifests`,
      );
      continue;
    }
    const rule = nameProblem(object);
    if (rule) problems.push(`${where}: metadata.name is not ${rule}`);
    if (object.kind !== "Namespace" && object.metadata.namespace !== expect.namespace)
      problems.push(
        object.metadata.namespace === undefined
          ? `${where} (${object.apiVersion}): kustomize set no namespace on it, so it is cluster-scoped; the stop job deletes only the review namespace, so leave cluster-wide objects out of the review manifests`
          : `${where}: belongs to ${object.metadata.namespace}, not the review namespace ${expect.namespace}; remove its namespace from the manifests`,
      );
    const missing = Object.entries(expect.labels).filter(([k, v]) => object.metadata.labels?.[k] !== v);
    if (missing.length > 0)
      problems.push(
        `${where}: lacks the review label(s) ${missing.map(([k, v]) => `${k}=${v}`).join(", ")}; do not remove labels in a kustomize component or patch of the review manifests`,
      );
  }
  if (!containerImages(objects).includes(expect.image))
    problems.push(
      `no container runs ${expect.image}: no container image in ${expect.manifests} is named ${expect.imageName} (found: ${[...new Set(containerImages(objects))].join(", ") || "none"})`,
    );
  return problems;
}
