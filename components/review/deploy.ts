/**
 * The review deploy job: render the merge request's review app, check what needs no schema, have
 * the review cluster validate every object in a server-side dry run, apply it server-side through
 * the agent's context, wait for each Deployment's rollout, and report the URL and namespace (dotenv).
 */
import path from "node:path";
import { writeDotenv } from "../../runtime/dotenv.ts";
import { requireInput } from "../../runtime/env.ts";
import { JobError, runJob } from "../../runtime/errors.ts";
import { confinedPath } from "../../runtime/project-path.ts";
import { info, section } from "../../runtime/log.ts";
import { formatImageReference, parseImageReference } from "../../runtime/image-reference.ts";
import { applyObjects, describeObjects, dryRunApply, prepareNamespace, removeCreatedNamespace } from "./apply.ts";
import { checkObjects, type KubeObject } from "./check-objects.ts";
import { DOTENV_FILE, FIELD_MANAGER, LABELS, MANAGED_BY, OUTPUTS, VARIABLES } from "./contract.ts";
import { Kubectl } from "./kubectl.ts";
import { reviewNames } from "./names.ts";
import { checkKustomizeRoots } from "./kustomize-roots.ts";
import { checkManifestsDirectory, renderReviewApp } from "./render.ts";
import { waitForRollouts } from "./rollout.ts";
import { readAgent, readDomain, readNamespacePrefix, readTarget, readTimeout } from "./settings.ts";

async function main(): Promise<void> {
  const env = process.env;
  // The job runs in the project directory (runtime/project-path.ts says why CI_PROJECT_DIR is not read).
  const projectDir = process.cwd();
  const target = readTarget(env);
  const agent = readAgent(env);
  const prefix = readNamespacePrefix(env);
  const domain = readDomain(env);
  const timeout = readTimeout(env);
  const manifestsInput = requireInput(env, VARIABLES.manifests, "manifests", "set manifests to the application's kustomize directory, relative to the repository root");
  // Confined to the project directory, and so is every directory its kustomizations name (kustomize-roots.ts).
  const manifests = confinedPath("manifests", manifestsInput, projectDir, { kind: "directory" });
  checkManifestsDirectory(manifests, manifestsInput);
  checkKustomizeRoots(manifests, projectDir, "manifests", manifestsInput);
  const imageName = parseImageReference("image_name", requireInput(env, VARIABLES.image_name, "image_name", "set image_name to the image name your manifests use (without tag or digest)"), "name").repository;
  const newImage = parseImageReference("new_image", requireInput(env, VARIABLES.new_image, "new_image", "run the build component earlier in the pipeline (it outputs GITOPS_IMAGE), or set new_image to the image to deploy"), "any");

  const names = reviewNames(target, { prefix, domain });
  const labels: Record<string, string> = { [LABELS.managedBy]: MANAGED_BY, [LABELS.review]: names.slug };
  if (target.mergeRequestIid) labels[LABELS.mergeRequest] = target.mergeRequestIid;
  info(`Review app for ${target.refName}${target.mergeRequestIid ? ` (merge request !${target.mergeRequestIid})` : ""}`);
  info(`  namespace ${names.namespace}`);
  info(`  url       ${names.url}`);
  info(`  image     ${formatImageReference(newImage)}`);

  const objects = await section(`Render ${manifestsInput}`, () => renderReviewApp({ manifests, label: manifestsInput, namespace: names.namespace, host: names.host, imageName, newImage, labels }), { collapsed: true });
  const problems = checkObjects(objects, { namespace: names.namespace, labels, image: formatImageReference(newImage), imageName, manifests: manifestsInput });
  if (problems.length > 0)
    throw new JobError(`the rendered review app is not valid (nothing was applied):\n  - ${problems.join("\n  - ")}`, "fix the manifests or the inputs named above, then rerun the job");
  info(`Rendered ${objects.length} objects: ${describeObjects(objects)}`);

  const kubectl = new Kubectl(agent);
  const [namespace] = objects as [KubeObject, ...KubeObject[]];
  const created = await section(`Prepare namespace ${names.namespace}`, () => prepareNamespace(kubectl, namespace), { collapsed: true });
  try {
    await section("Validate with the cluster (server-side dry run, strict field validation)", () => dryRunApply(kubectl, objects, manifestsInput), { collapsed: true });
  } catch (e) {
    if (created && e instanceof JobError) throw new JobError(`${e.message}\n${await removeCreatedNamespace(kubectl, namespace, timeout)}`, e.fix, e.exitCode);
    throw e;
  }
  await section(`Apply to ${names.namespace} (server-side, field manager ${FIELD_MANAGER})`, () => applyObjects(kubectl, objects));
  const deployments = objects.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name);
  await section(`Wait for ${deployments.length} deployment(s) to roll out (timeout ${timeout})`, () => waitForRollouts(kubectl, names.namespace, deployments, timeout));
  writeDotenv(path.join(projectDir, DOTENV_FILE), { [OUTPUTS.url]: names.url, [OUTPUTS.namespace]: names.namespace });
  info(`Review app ready: ${names.url}`);
}

await runJob(main);
