/**
 * The rollout status the Kubernetes API stand-in gives the Deployments it stores: all replicas
 * available, none available and still progressing (kubectl waits until its timeout), or past the
 * progress deadline — the three states `kubectl rollout status` tells apart.
 */
import type { KubeObject } from "./kube-api-apply.ts";

/** How the stand-in's deployments report their rollout. */
export type RolloutMode = "ready" | "never-ready" | "deadline-exceeded";

/** The status a deployment reports: rolled out, or stuck with no available replica. */
export function deploymentStatus(object: KubeObject, mode: RolloutMode) {
  const replicas = ((object.spec as { replicas?: number } | undefined)?.replicas ?? 1) as number;
  const generation = (object.metadata.generation as number) ?? 1;
  const now = new Date().toISOString();
  if (mode === "ready")
    return {
      observedGeneration: generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
          lastUpdateTime: now,
          lastTransitionTime: now,
        },
        {
          type: "Progressing",
          status: "True",
          reason: "NewReplicaSetAvailable",
          message: `ReplicaSet "${object.metadata.name}-5d8c7b9f4" has successfully progressed.`,
          lastUpdateTime: now,
          lastTransitionTime: now,
        },
      ],
    };
  const progressing =
    mode === "never-ready"
      ? {
          type: "Progressing",
          status: "True",
          reason: "ReplicaSetUpdated",
          message: `ReplicaSet "${object.metadata.name}-5d8c7b9f4" is progressing.`,
        }
      : {
          type: "Progressing",
          status: "False",
          reason: "ProgressDeadlineExceeded",
          message: `ReplicaSet "${object.metadata.name}-5d8c7b9f4" has timed out progressing.`,
        };
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    unavailableReplicas: replicas,
    conditions: [
      {
        type: "Available",
        status: "False",
        reason: "MinimumReplicasUnavailable",
        message: "Deployment does not have minimum availability.",
        lastUpdateTime: now,
        lastTransitionTime: now,
      },
      { ...progressing, lastUpdateTime: now, lastTransitionTime: now },
    ],
  };
}
