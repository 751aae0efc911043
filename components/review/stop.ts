/**
 * The review stop job: delete the merge request's review namespace (and everything in it). It
 * needs no repository file (it runs with GIT_STRATEGY empty, after the branch may be gone): the
 * namespace comes from the same predefined variables the deploy job used. A namespace already
 * gone is success; one that these jobs did not create is never deleted.
 */
import { RefusedError, runJob } from "../../runtime/errors.ts";
import { info } from "../../runtime/log.ts";
import { LABELS, MANAGED_BY } from "./contract.ts";
import { Kubectl } from "./kubectl.ts";
import { reviewNamespace } from "./names.ts";
import { isReviewNamespace, readNamespace } from "./namespace.ts";
import { readAgent, readNamespacePrefix, readTarget, readTimeout } from "./settings.ts";

async function main(): Promise<void> {
  const env = process.env;
  const target = readTarget(env);
  const agent = readAgent(env);
  const namespace = reviewNamespace(target, readNamespacePrefix(env));
  const timeout = readTimeout(env);
  const kubectl = new Kubectl(agent);
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
  const out = await kubectl.run(["delete", "namespace", namespace, "--ignore-not-found", "--wait=true", `--timeout=${timeout}`]);
  info(out.trim() === "" ? `Namespace ${namespace} was already gone.` : `Deleted namespace ${namespace} and everything in it.`);
}

await runJob(main);
