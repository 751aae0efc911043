/**
 * The `build` job: build the image with buildah (no Docker engine), push every tag, and publish
 * the digest the registry reported. A rerun for a commit whose image already carries that commit
 * as its revision label reuses the image instead of building it again.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readInputs, type OutputValues } from "../../runtime/contract.ts";
import { writeOutputs } from "../../runtime/dotenv.ts";
import { readSecret } from "../../runtime/env.ts";
import { InfrastructureError, InputError, JobError, runJob } from "../../runtime/errors.ts";
import { isNamespaceRefused, namespaceRefusedError } from "../../runtime/buildah-privileges.ts";
import { run } from "../../runtime/exec.ts";
import { info, redact, section, warn } from "../../runtime/log.ts";
import { parseImageReference, type ImageName } from "../../runtime/image-reference.ts";
import { confinedPath } from "../../runtime/project-path.ts";
import { RegistrySession } from "../../runtime/registry.ts";
import { INPUTS, OUTPUTS } from "./build.contract.ts";
import { REVISION_LABEL } from "./outputs.ts";

/** Everything the job was asked to do, validated. */
interface BuildRequest {
  image: ImageName;
  tags: string[];
  buildArgs: string[];
  context: string;
  dockerfile: string;
  tlsVerify: boolean;
  revision: string;
  source: string | undefined;
  created: string;
  /** The CI/CD variables holding the registry user and password (their names, not the values). */
  userVariable: string;
  passwordVariable: string;
}

/** Reads and checks the inputs (build.contract.ts) and predefined variables; every problem names its input. */
function readRequest(env: NodeJS.ProcessEnv, projectDir: string): BuildRequest {
  const inputs = readInputs(env, INPUTS);
  // Both confined to the project directory, symbolic links followed: nothing outside the checkout is built or sent.
  const context = confinedPath("context", inputs.context, projectDir, { kind: "directory" });
  const dockerfile = confinedPath("dockerfile", inputs.dockerfile, projectDir, { base: context, kind: "file" });
  const revision = env.CI_COMMIT_SHA ?? "";
  if (!/^[0-9a-f]{7,64}$/.test(revision))
    throw new JobError(
      `CI_COMMIT_SHA is ${JSON.stringify(revision)}, not a commit`,
      "run the job in a GitLab pipeline (GitLab sets CI_COMMIT_SHA)",
    );
  return {
    image: inputs.image_name,
    tags: inputs.tags,
    buildArgs: inputs.build_args,
    context,
    dockerfile,
    tlsVerify: inputs.tls_verify,
    revision,
    source: env.CI_PROJECT_URL || undefined,
    // The commit's time makes the label the same on every rerun of the commit.
    created: env.CI_COMMIT_TIMESTAMP || new Date().toISOString(),
    userVariable: inputs.registry_user_variable,
    passwordVariable: inputs.registry_password_variable,
  };
}

/** The registry's login name: the variable `registry_user_variable` names. */
function username(env: NodeJS.ProcessEnv, name: string): { name: string; value: string } {
  const value = env[name] ?? "";
  if (value === "")
    throw new InputError(
      "registry_user_variable",
      name,
      `the CI/CD variable ${name} is missing or empty`,
      `GitLab sets CI_REGISTRY_USER when the project's container registry is enabled; for another registry create ${name} under Settings > CI/CD > Variables`,
    );
  return { name, value };
}

/** The registry password or token: the variable `registry_password_variable` names (registered for redaction first). */
function registryPassword(env: NodeJS.ProcessEnv, name: string): { name: string; value: string } {
  return readSecret(
    env,
    name,
    "registry_password_variable",
    "a masked variable (GitLab sets CI_REGISTRY_PASSWORD itself when the project's container registry is enabled)",
  );
}

/**
 * Environment for buildah: chroot isolation and vfs storage unless the runner chose otherwise (no
 * fuse, no overlay mounts). buildah still needs namespaces the Docker executor refuses by default:
 * see runtime/buildah-privileges.ts.
 */
function buildahEnv(session: RegistrySession, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return session.env({
    BUILDAH_ISOLATION: env.BUILDAH_ISOLATION || "chroot",
    STORAGE_DRIVER: env.STORAGE_DRIVER || "vfs",
  });
}

/** Builds the image from the Dockerfile, tagged locally with the first tag. */
async function buildImage(request: BuildRequest, session: RegistrySession, env: NodeJS.ProcessEnv): Promise<string> {
  const local = `${request.image.name}:${request.tags[0]}`;
  const labels = [`${REVISION_LABEL}=${request.revision}`, `org.opencontainers.image.created=${request.created}`];
  if (request.source) labels.push(`org.opencontainers.image.source=${request.source}`);
  const args = [
    "build",
    ...session.flags,
    "--isolation",
    env.BUILDAH_ISOLATION || "chroot",
    "--file",
    request.dockerfile,
    ...request.buildArgs.flatMap((arg) => ["--build-arg", arg]),
    ...labels.flatMap((label) => ["--label", label]),
    "--tag",
    local,
    request.context,
  ];
  const result = await section(`buildah build ${local}`, () =>
    run("buildah", args, { env: buildahEnv(session, env), cwd: request.context, echo: true }),
  );
  if (result.code !== 0) {
    if (isNamespaceRefused(result.stderr))
      throw namespaceRefusedError(
        `buildah could not build ${path.relative(process.cwd(), request.dockerfile) || request.dockerfile}`,
        result.stderr,
      );
    const lines = (result.stderr.trim() || result.stdout.trim()).split("\n").filter((l) => /^Error:|error/i.test(l));
    const cause = redact(lines.slice(-2).join("; ") || result.stderr.trim().split("\n").slice(-1).join(""));
    // The base image may live on another registry than image_name: name the tool's words, not our registry.
    if (
      /pinging container registry|unauthorized|authentication required|x509|dial tcp|manifest unknown|short-name .* did not resolve|unqualified-search registries/i.test(
        result.stderr,
      )
    )
      throw new InfrastructureError(
        `buildah could not pull the base image of ${path.relative(process.cwd(), request.dockerfile) || request.dockerfile}: ${cause}`,
        `check the FROM image names (a short name such as golang:1.22 needs an unqualified-search registry in the image's /etc/containers/registries.conf.d, as the tools image has; or write docker.io/library/golang:1.22) and that their registry is reachable from the runner; the job logs in to ${request.image.registry} only, so a private base image must live there`,
      );
    throw new JobError(
      `buildah could not build ${path.relative(process.cwd(), request.dockerfile) || request.dockerfile} (context ${path.relative(process.cwd(), request.context) || "."}): ${cause}`,
      "fix the Dockerfile (dockerfile input) or the files it uses in context; buildah's full output is in the section above",
    );
  }
  return local;
}

/** Pushes the local image to every tag and returns the digest the registry reported (the same for all tags). */
async function pushTags(
  request: BuildRequest,
  local: string,
  session: RegistrySession,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const scratch = mkdtempSync(path.join(tmpdir(), "gitops-digest-"));
  try {
    let digest: string | undefined;
    for (const tag of request.tags) {
      const destination = `${request.image.name}:${tag}`;
      const digestFile = path.join(scratch, `${tag}.digest`);
      const result = await run(
        "buildah",
        ["push", ...session.flags, "--quiet", "--digestfile", digestFile, local, `docker://${destination}`],
        { env: buildahEnv(session, env) },
      );
      if (result.code !== 0) throw session.failure(`cannot push ${destination}`, result);
      const reported = readFileSync(digestFile, "utf8").trim();
      if (!/^sha256:[0-9a-f]{64}$/.test(reported))
        throw new JobError(
          `the push of ${destination} reported the digest ${JSON.stringify(reported)}`,
          "check the registry; it must report a sha256 manifest digest",
        );
      if (digest !== undefined && reported !== digest)
        throw new JobError(
          `the registry reported ${reported} for ${destination} but ${digest} for ${request.tags[0]}`,
          "the registry changed the manifest of one tag; push to a registry that stores manifests as sent",
        );
      digest = reported;
      info(`pushed ${destination} (${reported})`);
    }
    return digest as string;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The image already built for this commit, if the first tag holds one whose revision label is this
 * commit. Missing tags are added (same digest), so a rerun ends with every tag in place.
 */
async function reusableImage(request: BuildRequest, session: RegistrySession): Promise<string | undefined> {
  const [first, ...others] = request.tags as [string, ...string[]];
  const existing = await session.inspect(first);
  if (!existing) return undefined;
  const revision = existing.labels[REVISION_LABEL];
  if (revision !== request.revision) {
    warn(
      `${request.image.name}:${first} exists but was built from ${revision ? `commit ${revision}` : "an unknown revision"}, not ${request.revision}; building it again`,
    );
    return undefined;
  }
  info(
    `reusing ${request.image.name}:${first} (${existing.digest}): it was already built from commit ${request.revision}; not building again`,
  );
  for (const tag of others) {
    const current = await session.inspect(tag);
    if (current?.digest === existing.digest) continue;
    await session.tag(existing.digest, tag);
    info(`tagged ${request.image.name}:${tag} (${existing.digest})`);
  }
  return existing.digest;
}

async function main(): Promise<void> {
  const env = process.env;
  // The runner starts the job in the project directory; paths in inputs and artifacts are relative to it.
  const projectDir = process.cwd();
  const request = readRequest(env, projectDir);
  const password = registryPassword(env, request.passwordVariable);
  const user = username(env, request.userVariable);
  const session = new RegistrySession(request.image, request.tlsVerify);
  try {
    await session.login({
      username: user.value,
      password: password.value,
      userVariable: user.name,
      passwordVariable: password.name,
    });
    info(`logged in to ${request.image.registry} as the user in ${user.name}`);
    let digest = await reusableImage(request, session);
    if (!digest) {
      const local = await buildImage(request, session, env);
      digest = await pushTags(request, local, session, env);
    }
    // What later jobs deploy: checked by the same parser that checks every image they read.
    const image = parseImageReference("GITOPS_IMAGE", `${request.image.name}@${digest}`, "pinned");
    // Annotated, so a key the component does not declare is a type error here too.
    const outputs: OutputValues<typeof OUTPUTS> = {
      GITOPS_IMAGE: `${image.repository}@${image.digest}`,
      GITOPS_IMAGE_DIGEST: digest,
      GITOPS_IMAGE_TAG: request.tags[0] as string,
    };
    writeOutputs(OUTPUTS, projectDir, outputs);
    info(`GITOPS_IMAGE=${outputs.GITOPS_IMAGE}`);
  } finally {
    session.dispose();
  }
}

/** A missing buildah or skopeo means the job runs in the wrong image: say which input fixes it. */
async function mainInToolsImage(): Promise<void> {
  try {
    await main();
  } catch (e) {
    const missing = /spawn (\S+) ENOENT/.exec(String((e as Error).message));
    if (missing)
      throw new JobError(
        `${missing[1]} is not installed in the job's image`,
        "set the image input to this catalog's tools image (its default), or to an image with node, buildah and skopeo",
      );
    throw e;
  }
}

await runJob(mainInToolsImage);
