/**
 * A tiny simulated Flux for the demo: one Kustomization per environment branch on the Kubernetes
 * API stand-in, and a loop that watches the branch heads on the git server. When a branch moves,
 * "source-controller" notices it at the next look (every 200 ms), the Kustomization reports the
 * new revision reconciling, and a moment later applied and Ready, with a `status.history` entry
 * per rendered-manifests digest (here: the tree of `deploy/` at that commit), as
 * kustomize-controller v1.7 records it. Nothing of this is in the components: they only read the
 * Kustomizations through kubectl, as they would read a real Flux's.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { GitServer } from "../stand-ins/git-server.ts";
import { SimulatedKustomization } from "../stand-ins/kube-api-flux.ts";
import type { KubeApi } from "../stand-ins/kube-api.ts";

const exec = promisify(execFile);

/** How often the simulated source-controller looks at the branches, and how long an apply takes (ms). */
const LOOK_MS = 200;
const APPLY_MS = 400;

/** One environment the simulated Flux serves. */
export interface FluxEnvironment {
  /** The GitLab environment (for the timeline). */
  environment: string;
  branch: string;
  /** `namespace/name` of its Kustomization. */
  resource: string;
}

/** Something the simulated Flux did. */
export interface FluxEvent {
  environment: string;
  commit: string;
  /** When the apply finished (ms since the epoch). */
  at: number;
}

/** The running simulation. */
export interface SimulatedFlux {
  /** The Kustomization of an environment. */
  kustomization(environment: string): SimulatedKustomization;
  /** Every commit applied so far, oldest first. */
  applied: FluxEvent[];
  stop(): void;
}

/** Starts watching `repo`'s environment branches on `server` and serving their Kustomizations on `kube`. */
export function startSimulatedFlux(
  server: GitServer,
  repo: string,
  kube: KubeApi,
  environments: FluxEnvironment[],
): SimulatedFlux {
  const applied: FluxEvent[] = [];
  const kustomizations = new Map<string, SimulatedKustomization>();
  const seen = new Map<string, string | undefined>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  for (const env of environments) {
    const [namespace = "", name = ""] = env.resource.split("/");
    kustomizations.set(env.environment, new SimulatedKustomization(kube, { namespace, name, branch: env.branch }));
  }
  const later = (ms: number, body: () => Promise<void> | void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) void Promise.resolve(body()).catch(() => {});
    }, ms);
    timers.add(timer);
  };
  const look = () => {
    for (const env of environments) {
      const head = server.branch(repo, env.branch);
      if (head === undefined || head === seen.get(env.environment)) continue;
      seen.set(env.environment, head);
      const flux = kustomizations.get(env.environment) as SimulatedKustomization;
      flux.progressing(head);
      later(APPLY_MS, async () => {
        const manifests = await exec("git", ["rev-parse", `${head}:deploy`], {
          cwd: path.join(server.root, `${repo}.git`),
        }).then(
          (r) => r.stdout.trim(),
          () => head,
        );
        if (stopped) return;
        flux.applied(head, { manifests });
        applied.push({ environment: env.environment, commit: head, at: Date.now() });
      });
    }
    later(LOOK_MS, look);
  };
  look();
  return {
    kustomization: (environment) => kustomizations.get(environment) as SimulatedKustomization,
    applied,
    stop: () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
