/**
 * The review deploy job: render the merge request's review app, check what needs no schema, have
 * the review cluster validate every object in a server-side dry run, apply it server-side through
 * the agent's context, wait for each Deployment's rollout, and report the URL and namespace (dotenv).
 */
import { readInputs } from "../../runtime/contract.ts";
import { writeOutputs } from "../../runtime/dotenv.ts";
import { JobError, runJob } from "../../runtime/errors.ts";
import { confinedPath } from "../../runtime/project-path.ts";
import { info, section } from "../../runtime/log.ts";
import { formatImageReference } from "../../runtime/image-reference.ts";
import { applyObjects, describeObjects, dryRunApply, prepareNamespace, removeCreatedNamespace } from "./apply.ts";
import { checkObjects, type KubeObject } from "./check-objects.ts";
import { INPUTS, OUTPUTS } from "./deploy.contract.ts";
import { FIELD_MANAGER, LABELS, MANAGED_BY } from "./ownership.ts";
import { Kubectl } from "./kubectl.ts";
import { reviewNames } from "./names.ts";
import { checkKustomizeRoots } from "./kustomize-roots.ts";
import { checkManifestsDirectory, renderReviewApp } from "./render.ts";
import { waitForRollouts } from "./rollout.ts";
import { readTarget } from "./settings.ts";

async function main(): Promise<void> {
  const env = process.env;
  // The job runs in the project directory (runtime/project-path.ts says why CI_PROJECT_DIR is not read).
  const projectDir = process.cwd();
  const target = readTarget(env);
  const {
    agent,
    namespace_prefix: prefix,
    domain,
    rollout_timeout: timeout,
    manifests: manifestsInput,
    ...images
  } = readInputs(env, INPUTS);
  // Confined to the project directory, and so is every directory its kustomizations name (kustomize-roots.ts).
  const manifests = confinedPath("manifests", manifestsInput, projectDir, { kind: "directory" });
  checkManifestsDirectory(manifests, manifestsInput);
  checkKustomizeRoots(manifests, projectDir, "manifests", manifestsInput);
  const imageName = images.image_name.name;
  const newImage = images.new_image;

  const names = reviewNames(target, { prefix, domain });
  const labels: Record<string, string> = { [LABELS.managedBy]: MANAGED_BY, [LABELS.review]: names.slug };
  if (target.mergeRequestIid) labels[LABELS.mergeRequest] = target.mergeRequestIid;
  info(
    `Review app for ${target.refName}${target.mergeRequestIid ? ` (merge request !${target.mergeRequestIid})` : ""}`,
  );
  info(`  namespace ${names.namespace}`);
  info(`  url       ${names.url}`);
  info(`  image     ${formatImageReference(newImage)}`);

  const objects = await section(
    `Render ${manifestsInput}`,
    () =>
      renderReviewApp({
        manifests,
        label: manifestsInput,
        namespace: names.namespace,
        host: names.host,
        imageName,
        newImage,
        labels,
      }),
    { collapsed: true },
  );
  const problems = checkObjects(objects, {
    namespace: names.namespace,
    labels,
    image: formatImageReference(newImage),
    imageName,
    manifests: manifestsInput,
  });
  if (problems.length > 0)
    throw new JobError(
      `the rendered review app is not valid (nothing was applied):\n  - ${problems.join("\n  - ")}`,
      "fix the manifests or the inputs named above, then rerun the job",
    );
  info(`Rendered ${objects.length} objects: ${describeObjects(objects)}`);

  const kubectl = new Kubectl(agent);
  const [namespace] = objects as [KubeObject, ...KubeObject[]];
  const created = await section(`Prepare namespace ${names.namespace}`, () => prepareNamespace(kubectl, namespace), {
    collapsed: true,
  });
  try {
    await section(
      "Validate with the cluster (server-side dry run, strict field validation)",
      () => dryRunApply(kubectl, objects, manifestsInput),
      { collapsed: true },
    );
  } catch (e) {
    // The same failure (and exit code), saying what became of the namespace the job made.
    if (created && e instanceof JobError)
      e.message = `${e.message}\n${await removeCreatedNamespace(kubectl, namespace, timeout)}`;
    throw e;
  }
  await section(`Apply to ${names.namespace} (server-side, field manager ${FIELD_MANAGER})`, () =>
    applyObjects(kubectl, objects),
  );
  const deployments = objects.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name);
  await section(`Wait for ${deployments.length} deployment(s) to roll out (timeout ${timeout})`, () =>
    waitForRollouts(kubectl, names.namespace, deployments, timeout),
  );
  writeOutputs(OUTPUTS, projectDir, { GITOPS_REVIEW_URL: names.url, GITOPS_REVIEW_NAMESPACE: names.namespace });
  info(`Review app ready: ${names.url}`);
}

await runJob(main);
