/**
 * The review namespace as the cluster has it. Deploy and stop both read it first: neither takes
 * over or deletes a namespace that these jobs did not create.
 */
import { LABELS, MANAGED_BY } from "./ownership.ts";
import type { Kubectl } from "./kubectl.ts";

/** What the jobs need to know about a live namespace. */
export interface LiveNamespace {
  labels: Record<string, string>;
  /** `Active`, or `Terminating` while it is being deleted. */
  phase?: string;
}

/** The namespace `name`, or undefined when it does not exist. */
export async function readNamespace(kubectl: Kubectl, name: string): Promise<LiveNamespace | undefined> {
  const found = (await kubectl.run(["get", "namespace", name, "--ignore-not-found", "-o", "json"])).trim();
  if (found === "") return undefined;
  const namespace = JSON.parse(found) as {
    metadata?: { labels?: Record<string, string> };
    status?: { phase?: string };
  };
  return { labels: namespace.metadata?.labels ?? {}, phase: namespace.status?.phase };
}

/** Did the review jobs create it (it carries their managed-by label)? */
export function isReviewNamespace(namespace: LiveNamespace): boolean {
  return namespace.labels[LABELS.managedBy] === MANAGED_BY;
}
