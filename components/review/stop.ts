/**
 * The review stop job: delete the merge request's review namespace (and everything in it). It
 * needs no repository file (it runs with GIT_STRATEGY none, after the branch may be gone): the
 * namespace comes from the same predefined variables the deploy job used. A namespace already
 * gone is success; one that these jobs did not create is never deleted. Anything else fails the
 * job, saying that the review app is still there.
 */
import { readInputs } from "../../runtime/contract.ts";
import { JobError, RefusedError, runJob } from "../../runtime/errors.ts";
import { info } from "../../runtime/log.ts";
import { LABELS, MANAGED_BY } from "./ownership.ts";
import { Kubectl } from "./kubectl.ts";
import { reviewNamespace } from "./names.ts";
import { isReviewNamespace, readNamespace } from "./namespace.ts";
import { readTarget } from "./settings.ts";
import { INPUTS } from "./stop.contract.ts";

async function main(): Promise<void> {
  const env = process.env;
  const target = readTarget(env);
  const { agent, namespace_prefix: prefix, rollout_timeout: timeout } = readInputs(env, INPUTS);
  const namespace = reviewNamespace(target, prefix);
  try {
    await removeNamespace(new Kubectl(agent), namespace, timeout);
  } catch (error) {
    // The job is allowed to fail (a manual job must be, or it would block the pipeline): say plainly what is left.
    if (error instanceof JobError)
      error.message = `the review app was NOT removed (namespace ${namespace}): ${error.message}`;
    throw error;
  }
}

/** Deletes `namespace` if it exists and these jobs created it. */
async function removeNamespace(kubectl: Kubectl, namespace: string, timeout: string): Promise<void> {
  const live = await readNamespace(kubectl, namespace);
  if (!live) {
    info(`Namespace ${namespace} does not exist: the review app is already removed.`);
    return;
  }
  if (!isReviewNamespace(live))
    throw new RefusedError(
      `namespace ${namespace} exists but is not labelled ${LABELS.managedBy}=${MANAGED_BY}; the review jobs did not create it, so stop will not delete it`,
      "delete it by hand if it really is this merge request's review app, or change namespace_prefix so review namespaces cannot clash with others",
    );
  const out = await kubectl.run([
    "delete",
    "namespace",
    namespace,
    "--ignore-not-found",
    "--wait=true",
    `--timeout=${timeout}`,
  ]);
  info(
    out.trim() === ""
      ? `Namespace ${namespace} was already gone.`
      : `Deleted namespace ${namespace} and everything in it.`,
  );
}

await runJob(main);
