/**
 * Waiting for Deployments to roll out, and saying why when one does not: its status conditions
 * and replica counts go to the job log.
 */
import { JobError } from "../../runtime/errors.ts";
import { info } from "../../runtime/log.ts";
import type { Kubectl } from "./kubectl.ts";

/** What a Deployment's status says, in a few lines for the job log. */
export function describeDeploymentStatus(deployment: {
  status?: Record<string, unknown>;
  spec?: { replicas?: number };
}): string {
  const status = (deployment.status ?? {}) as {
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
  const lines = [
    `replicas: desired ${deployment.spec?.replicas ?? 1}, updated ${status.updatedReplicas ?? 0}, ready ${status.readyReplicas ?? 0}, available ${status.availableReplicas ?? 0}, unavailable ${status.unavailableReplicas ?? 0}`,
  ];
  for (const c of status.conditions ?? [])
    lines.push(
      `condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ""}${c.message ? `: ${c.message}` : ""}`,
    );
  return lines.join("\n    ");
}

/**
 * Waits for every Deployment in `namespace` (all at once, so the timeout bounds the whole wait) and
 * throws, with each failing Deployment's status, if any does not roll out within `timeout`.
 */
export async function waitForRollouts(
  kubectl: Kubectl,
  namespace: string,
  deployments: readonly string[],
  timeout: string,
): Promise<void> {
  const results = await Promise.all(
    deployments.map(async (name) => ({
      name,
      result: await kubectl.exec(["rollout", "status", `deployment/${name}`, "-n", namespace, `--timeout=${timeout}`]),
    })),
  );
  const failed: string[] = [];
  for (const { name, result } of results) {
    if (result.code === 0) {
      info(result.stdout.trim().split("\n").at(-1) ?? `deployment ${name} rolled out`);
      continue;
    }
    const said = (result.stderr.trim() || result.stdout.trim()).split("\n").at(-1) ?? "";
    const current = await kubectl.exec(["get", "deployment", name, "-n", namespace, "-o", "json"]);
    let status = `(could not read its status: ${current.stderr.trim()})`;
    if (current.code === 0)
      status = describeDeploymentStatus(JSON.parse(current.stdout) as Parameters<typeof describeDeploymentStatus>[0]);
    failed.push(`deployment/${name}: ${said}\n    ${status}`);
  }
  if (failed.length > 0)
    throw new JobError(
      `${failed.length} deployment(s) did not roll out within ${timeout} in namespace ${namespace}:\n  ${failed.join("\n  ")}`,
      `look at the pods: kubectl --context <agent> -n ${namespace} describe pods; fix the image or manifests, or raise rollout_timeout`,
    );
}
