/**
 * Offline validation of rendered objects with `kubernetes-models` (the Kubernetes OpenAPI schemas,
 * compiled): types, required fields and formats, before anything reaches the cluster. The cluster
 * then validates fields once more (`kubectl apply` asks for strict server-side field validation).
 *
 * Only the kinds listed here are accepted: each model adds its compiled schema to the job's
 * embedded script, and a kind that cannot be validated offline is refused rather than applied
 * unchecked.
 */
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { isDnsLabel, isDnsSubdomain } from "./names.ts";

/** A Kubernetes object as rendered (plain data). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Model = new (data: never) => { validate(): void };

/** `apiVersion kind` → model, for every kind a review app may contain. */
const MODELS: ReadonlyMap<string, Model> = new Map<string, Model>([
  ["v1 Namespace", Namespace],
  ["v1 ConfigMap", ConfigMap],
  ["v1 Secret", Secret],
  ["v1 Service", Service],
  ["v1 ServiceAccount", ServiceAccount],
  ["v1 PersistentVolumeClaim", PersistentVolumeClaim],
  ["apps/v1 Deployment", Deployment],
  ["apps/v1 StatefulSet", StatefulSet],
  ["batch/v1 Job", Job],
  ["batch/v1 CronJob", CronJob],
  ["networking.k8s.io/v1 Ingress", Ingress],
  ["networking.k8s.io/v1 NetworkPolicy", NetworkPolicy],
  ["policy/v1 PodDisruptionBudget", PodDisruptionBudget],
  ["rbac.authorization.k8s.io/v1 Role", Role],
  ["rbac.authorization.k8s.io/v1 RoleBinding", RoleBinding],
]);

/** The kinds accepted, for messages. */
export const ACCEPTED_KINDS: readonly string[] = [...MODELS.keys()];

/** `Kind/name` for messages. */
export function describeObject(object: KubeObject): string {
  return `${object.kind}/${object.metadata?.name}`;
}

/**
 * Every problem with the rendered objects, each naming the object: unknown kinds, bad names,
 * objects outside `namespace`, and schema violations. Empty when all are valid.
 */
export function validateObjects(objects: readonly KubeObject[], namespace: string): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const where = describeObject(object);
    const model = MODELS.get(`${object.apiVersion} ${object.kind}`);
    if (!model) {
      problems.push(`${where} (${object.apiVersion}): this kind cannot be validated offline, so review apps do not deploy it; accepted kinds: ${ACCEPTED_KINDS.join(", ")}`);
      continue;
    }
    const name = object.metadata?.name;
    const nameOk = object.kind === "Namespace" || object.kind === "Service" ? isDnsLabel(name) : isDnsSubdomain(name);
    if (!nameOk) problems.push(`${where}: metadata.name is not a valid ${object.kind === "Service" ? "DNS-1123 label" : "DNS-1123 subdomain"}`);
    if (object.kind === "Namespace" ? object.metadata.name !== namespace : object.metadata.namespace !== namespace)
      problems.push(`${where}: belongs to ${object.kind === "Namespace" ? object.metadata.name : object.metadata.namespace}, not the review namespace ${namespace}`);
    try {
      new model(object as never).validate();
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
  }
  return problems;
}
