/**
 * The update-manifests job: repoint the manifests on the default branch at the new image, as one
 * commit (pushed plainly, re-derived on a fresh tip when the branch moved meanwhile) or as a
 * merge request. Outputs GITOPS_MANIFESTS_SHA, GITOPS_MANIFESTS_CHANGED and, for a merge request,
 * GITOPS_MERGE_REQUEST_URL.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { writeDotenv } from "../../runtime/dotenv.ts";
import { requireInput } from "../../runtime/env.ts";
import { EXIT_CODES, InputError, JobError, RefusedError, runJob } from "../../runtime/errors.ts";
import { parseBranchName } from "../../runtime/branch-name.ts";
import { checkRepositoryUrl, Git, GitCommandError } from "../../runtime/git.ts";
import { relativePathInside, symbolicLinkError } from "../../runtime/project-path.ts";
import { info, section, warn } from "../../runtime/log.ts";
import { authorFromInputs, bumpAuthor, type BumpAuthor } from "./bump-author.ts";
import { readBumpCredential, type BumpCredential } from "./credential.ts";
import { bumpBranchName, bumpCommitMessage, messageTitle } from "./bump-message.ts";
import { parseImageReference, tryParseImageReference, type ImageReference } from "../../runtime/image-reference.ts";
import type { BumpPlan } from "./manifest-files.ts";
import { MANIFESTS_DOTENV, VARIABLES } from "./outputs.ts";

/** Push attempts before giving up when the branch keeps moving. */
const MAX_ATTEMPTS = 5;

type Mode = "commit" | "merge_request";

interface Settings {
  manifests: string;
  imageName: string;
  image: ImageReference;
  imageText: string;
  mode: Mode;
  branch: string;
  /** The token (absent when a deploy key pushes in commit mode) and how git reaches the remote. */
  credential: BumpCredential;
  repositoryUrl: string;
  message: string;
  /** `CI_COMMIT_SHA`: the commit whose pipeline built the image (absent outside a pipeline). */
  sourceCommit?: string;
  /** The bump commit's author and committer (bump-author.ts). */
  author: BumpAuthor;
}

/** What reading the repository needs: how git authenticates and where it fetches from. */
type Remote = Pick<Settings, "credential" | "repositoryUrl">;

function readSettings(env: NodeJS.ProcessEnv): Omit<Settings, "author"> {
  const imageName = parseImageReference("image_name", requireInput(env, VARIABLES.imageName, "image_name", "set image_name to the image repository the manifests refer to, without tag or digest"), "name").repository;
  const imageText = requireInput(
    env,
    VARIABLES.newImage,
    "new_image",
    "the default is $GITOPS_IMAGE, which the build job publishes: run build in an earlier stage of this pipeline, or set new_image to an image reference",
  );
  const image = parseImageReference("new_image", imageText, "pinned");
  const mode = requireInput(env, VARIABLES.mode, "mode", "set mode to commit or merge_request");
  if (mode !== "commit" && mode !== "merge_request") throw new InputError("mode", mode, "must be commit or merge_request", "set mode: commit or mode: merge_request");
  const branch = parseBranchName("branch", requireInput(env, VARIABLES.branch, "branch", "set branch to the branch that holds the manifests (default: $CI_DEFAULT_BRANCH)"));
  const repositoryUrl = checkRepositoryUrl(requireInput(env, VARIABLES.repositoryUrl, REPOSITORY, "run the job in a GitLab pipeline, which sets both"), REPOSITORY, "https");
  const template = requireInput(env, VARIABLES.commitMessage, "commit_message", "set commit_message, for example \"chore(manifests): deploy {image} [gitops-bump]\"");
  const message = bumpCommitMessage(template, imageText, { sourceCommit: env.CI_COMMIT_SHA, pipelineUrl: env.CI_PIPELINE_URL, mode });
  const manifests = relativePathInside("manifests", requireInput(env, VARIABLES.manifests, "manifests", "set manifests to the path of a kustomization.yaml, a manifest, or a directory"));
  authorFromInputs(env);
  // Read last: a deploy key is written to disk only for a job that passed its checks.
  const credential = readBumpCredential(env, mode === "merge_request");
  return { manifests, imageName, image, imageText, mode, branch, credential, repositoryUrl: credential.sshUrl ?? repositoryUrl, message, sourceCommit: env.CI_COMMIT_SHA || undefined };
}

/** Where the HTTPS clone URL comes from: predefined variables, named in messages. */
const REPOSITORY = "CI_SERVER_URL/CI_PROJECT_PATH";

/** A git failure in the user's terms (runtime/remote-failure.ts): the repository, the credential and the branch. */
function remoteError(error: GitCommandError, settings: Remote, branch: string, action: string): JobError {
  const { credential } = settings;
  const ssh = credential.sshUrl !== undefined;
  const needs = ssh ? `deploy key with write access, allowed to push to ${branch}` : `project access token with the write_repository scope, of a user allowed to push to ${branch}`;
  const remote = { input: ssh ? "ssh_repository_url" : REPOSITORY, value: settings.repositoryUrl };
  return error.inTermsOf({ action, remote, credential: { description: credential.description, input: ssh ? "ssh_key_variable" : "token_variable", needs }, branch: { input: "branch", value: branch } });
}

/** Fetches `branch` into refs/remotes/origin/ with `options`; false when the server lacks it, any other failure in the user's terms. */
async function fetchBranch(git: Git, settings: Remote, branch: string, options: string[]): Promise<boolean> {
  const fetched = await git.exec(["fetch", "-q", "--no-tags", ...options, "origin", `+refs/heads/${branch}:refs/remotes/origin/${branch}`]);
  const error = fetched.code === 0 ? undefined : new GitCommandError(["fetch", "origin", branch], fetched);
  if (error && error.failure !== "missing-ref") throw remoteError(error, settings, branch, `fetching ${branch}`);
  return !error;
}

/** Fetches the branch tip (one commit, no blobs outside the manifests) and checks it out; returns its SHA. */
async function checkoutTip(git: Git, settings: Settings): Promise<string> {
  const remoteRef = `refs/remotes/origin/${settings.branch}`;
  if (!(await fetchBranch(git, settings, settings.branch, ["--depth=1", "--filter=blob:none"])))
    throw new InputError("branch", settings.branch, "does not exist in the repository", "set branch to the branch that holds the manifests (default: the default branch)");
  const tip = (await git.resolve(remoteRef)) as string;
  await git.run(["checkout", "-q", "-f", "--detach", tip]);
  // A link on the way to manifests may be left out of the sparse work tree, so the tree itself is asked.
  const parts = settings.manifests === "." ? [] : settings.manifests.split("/");
  const listed = await git.run(["ls-tree", "-z", "HEAD", "--", ...parts.map((_, i) => parts.slice(0, i + 1).join("/"))]);
  const link = listed.split("\0").find((entry) => entry.startsWith("120000 "));
  if (link) throw symbolicLinkError("manifests", settings.manifests, link.slice(link.indexOf("\t") + 1));
  return tip;
}

/** Writes the plan's files and commits them on top of `base`; returns the commit. */
async function commitPlan(git: Git, settings: Settings, plan: BumpPlan): Promise<string> {
  for (const f of plan.files) writeFileSync(path.join(git.dir, f.file), f.text);
  await git.run(["add", "--", ...plan.files.map((f) => f.file)]);
  const { name, email } = settings.author;
  await git.run(["-c", `user.name=${name}`, "-c", `user.email=${email}`, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-F", "-"], settings.message);
  return git.run(["rev-parse", "HEAD"]);
}

/** The branch's tip on the server now, or undefined if it is gone. */
async function remoteTip(git: Git, settings: Settings): Promise<string | undefined> {
  const listed = await git.exec(["ls-remote", "origin", `refs/heads/${settings.branch}`]);
  if (listed.code !== 0) throw remoteError(new GitCommandError(["ls-remote", "origin", settings.branch], listed), settings, settings.branch, "listing branches");
  return listed.stdout.split(/\s/)[0] || undefined;
}

/**
 * The commit graph (no trees, no blobs) of `branch`, in its own repository so the checkout stays
 * shallow; returns the repository and the branch's tip there, or no tip if the branch is missing.
 */
async function commitGraph(settings: Remote, scratch: string, branch: string): Promise<{ graph: Git; tip?: string }> {
  const graph = new Git(path.join(scratch, "graph"), settings.credential.git);
  if (!existsSync(path.join(graph.dir, ".git"))) {
    await graph.init();
    await graph.run(["remote", "add", "origin", settings.repositoryUrl]);
  }
  const ref = `refs/remotes/origin/${branch}`;
  await fetchBranch(graph, settings, branch, ["--filter=tree:0"]);
  return { graph, tip: await graph.resolve(ref) };
}

/**
 * Refuses an image built from a commit that is not on the default branch: whatever the rules say
 * (a consumer's own, or a merge-request pipeline that sees protected variables, which GitLab 18
 * allows between protected branches), unmerged code never reaches the manifests.
 */
async function requireMergedCommit(settings: Remote & Pick<Settings, "sourceCommit">, scratch: string, defaultBranch: string): Promise<void> {
  const ours = settings.sourceCommit;
  if (!ours) throw new InputError("CI_COMMIT_SHA", ours, "is empty", "run the job in a GitLab pipeline, which sets CI_COMMIT_SHA to the commit whose image it bumps");
  const { graph, tip } = await commitGraph(settings, scratch, defaultBranch);
  if (tip && (await graph.resolve(ours)) && (await graph.isAncestor(ours, tip))) return;
  throw new RefusedError(
    `this pipeline's commit ${ours.slice(0, 12)} is not on the default branch ${defaultBranch}: its image was built from code that is not merged, and only merged code is bumped into the manifests`,
    `run update-manifests only in pipelines of ${defaultBranch} (its default rules); merge the change first`,
  );
}

/**
 * A bump already on the branch that a newer pipeline made: its GitOps-Source-Commit trailer names
 * a commit that descends from this pipeline's. Bumping now would move the manifests back to an
 * older image (an older pipeline whose job ran late), so the job stands down instead.
 */
async function newerBump(settings: Settings, tip: string, scratch: string): Promise<{ commit: string; source: string } | undefined> {
  const ours = settings.sourceCommit;
  if (!ours || tip === ours) return undefined;
  const { graph, tip: graphTip = tip } = await commitGraph(settings, scratch, settings.branch);
  if (!(await graph.resolve(ours)) || !(await graph.isAncestor(ours, graphTip))) {
    warn(`this pipeline's commit ${ours.slice(0, 12)} is not on ${settings.branch}: cannot tell whether a newer bump exists`);
    return undefined;
  }
  const log = await graph.run(["log", "--format=%H%x1f%(trailers:key=GitOps-Source-Commit,valueonly,separator=%x20)%x1f%(trailers:key=GitOps-Image,valueonly,separator=%x20)", `${ours}..${graphTip}`]);
  for (const line of log.split("\n")) {
    const [commit = "", source = "", image = ""] = line.trim().split("\x1f");
    // Only bumps of the same image count: another image's bump (a second include) is no reason to stop.
    if (!source || source === ours || tryParseImageReference(image)?.repository !== settings.image.repository) continue;
    if ((await graph.resolve(source)) && (await graph.isAncestor(ours, source))) return { commit, source };
  }
  return undefined;
}

/** True (and says why) when a newer pipeline's bump is already on the branch. */
async function standDown(settings: Settings, tip: string, scratch: string): Promise<boolean> {
  const newer = await newerBump(settings, tip, scratch);
  if (!newer) return false;
  warn(
    `${settings.branch} already carries bump ${newer.commit.slice(0, 12)} from a newer pipeline (of ${newer.source.slice(0, 12)}, which follows this pipeline's ${settings.sourceCommit?.slice(0, 12)}); ` +
      `not moving the manifests back to ${settings.imageText}. To roll back on purpose, revert that commit`,
  );
  return true;
}

function logPlan(plan: BumpPlan, branch: string, base: string): void {
  if (plan.files.length === 0) {
    info(`${branch} (${base.slice(0, 12)}) already points at the image in ${plan.searched.join(", ")}: nothing to commit`);
    return;
  }
  for (const f of plan.files) for (const c of f.changes) info(`${f.file}:${c.line} ${c.path}: ${c.from ?? "(absent)"} -> ${c.to ?? "(removed)"}`);
}

interface Outcome {
  sha: string;
  changed: boolean;
  mergeRequestUrl?: string;
}

/** Commit mode: commit on the tip and push; when the branch moved meanwhile, start again from the new tip. */
async function bumpByCommit(git: Git, settings: Settings, scratch: string): Promise<Outcome> {
  const target = { imageName: settings.imageName, image: settings.image };
  for (let attempt = 1; ; attempt++) {
    const base = await section(`Fetch ${settings.branch}`, () => checkoutTip(git, settings), { collapsed: true });
    const { planBump } = await import("./manifest-files.ts");
    const plan = planBump({ root: git.dir, manifests: settings.manifests, branch: settings.branch }, target);
    logPlan(plan, settings.branch, base);
    if (plan.files.length === 0) return { sha: base, changed: false };
    if (await standDown(settings, base, scratch)) return { sha: base, changed: false };
    const commit = await commitPlan(git, settings, plan);
    const pushed = await git.exec(["push", "--porcelain", "origin", `${commit}:refs/heads/${settings.branch}`]);
    if (pushed.code === 0) {
      info(`pushed ${commit.slice(0, 12)} to ${settings.branch} (was ${base.slice(0, 12)})`);
      return { sha: commit, changed: true };
    }
    const error = new GitCommandError(["push", "origin", `${commit}:refs/heads/${settings.branch}`], pushed);
    const refused = remoteError(error, settings, settings.branch, `pushing to ${settings.branch}`);
    if (refused !== error) throw refused;
    // Only a branch that moved is a lost race; a refusal on an unmoved branch is protection or a hook.
    const now = await remoteTip(git, settings);
    if (now === base) throw error;
    if (attempt >= MAX_ATTEMPTS)
      throw new JobError(
        `${settings.branch} moved during each of ${MAX_ATTEMPTS} push attempts; the manifests were not updated`,
        "retry the job; if this keeps happening, serialise writers to the branch",
        EXIT_CODES.exhausted,
      );
    const wait = Math.round(250 * 2 ** (attempt - 1) * (0.5 + Math.random()));
    warn(`${settings.branch} moved (${base.slice(0, 12)} -> ${now?.slice(0, 12) ?? "deleted"}) before the push landed; re-applying the edit on the new tip in ${wait} ms (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
    await sleep(wait);
  }
}

/** Merge-request mode: push the bump to its own branch and open (or find) the merge request. */
async function bumpByMergeRequest(git: Git, settings: Settings, env: NodeJS.ProcessEnv, scratch: string): Promise<Outcome> {
  const apiUrl = requireInput(env, "CI_API_V4_URL", "CI_API_V4_URL", "run the job in a GitLab pipeline (GitLab sets CI_API_V4_URL)");
  const project = requireInput(env, "CI_PROJECT_ID", "CI_PROJECT_ID", "run the job in a GitLab pipeline (GitLab sets CI_PROJECT_ID)");
  const base = await section(`Fetch ${settings.branch}`, () => checkoutTip(git, settings), { collapsed: true });
  const { planBump } = await import("./manifest-files.ts");
  const plan = planBump({ root: git.dir, manifests: settings.manifests, branch: settings.branch }, { imageName: settings.imageName, image: settings.image });
  logPlan(plan, settings.branch, base);
  if (plan.files.length === 0) return { sha: base, changed: false };
  if (await standDown(settings, base, scratch)) return { sha: base, changed: false };
  let commit = await commitPlan(git, settings, plan);
  const sourceBranch = bumpBranchName(settings.image);
  const pushed = await git.exec(["push", "--porcelain", "origin", `${commit}:refs/heads/${sourceBranch}`]);
  if (pushed.code !== 0) {
    const error = new GitCommandError(["push", "origin", `${commit}:refs/heads/${sourceBranch}`], pushed);
    const refused = remoteError(error, settings, sourceBranch, `pushing to ${sourceBranch}`);
    if (refused !== error) throw refused;
    // A rerun finds its own branch: reuse it when it holds the same manifests.
    if (!(await fetchBranch(git, settings, sourceBranch, ["--depth=1", "--filter=blob:none"]))) throw error;
    const same = await git.exec(["diff", "--quiet", `refs/remotes/origin/${sourceBranch}`, commit, "--", ...plan.files.map((f) => f.file)]);
    if (same.code !== 0)
      throw new RefusedError(
        `branch ${sourceBranch} already exists with other manifests than this bump`,
        `merge or close its merge request and delete the branch, then retry the job`,
      );
    commit = (await git.resolve(`refs/remotes/origin/${sourceBranch}`)) as string;
    info(`branch ${sourceBranch} already holds this bump (${commit.slice(0, 12)})`);
  } else info(`pushed ${commit.slice(0, 12)} to ${sourceBranch}`);
  const { openMergeRequest } = await import("./gitlab-merge-requests.ts");
  const mr = await openMergeRequest({
    apiUrl,
    project,
    token: settings.credential.token as string,
    tokenDescription: settings.credential.tokenDescription,
    sourceBranch,
    targetBranch: settings.branch,
    title: messageTitle(settings.message),
    description: settings.message.split("\n").slice(1).join("\n").trim(),
  });
  info(`${mr.created ? "opened" : "found the open"} merge request !${mr.iid}: ${mr.webUrl}`);
  return { sha: commit, changed: true, mergeRequestUrl: mr.webUrl };
}

async function main(): Promise<void> {
  const env = process.env;
  const read = readSettings(env);
  const scratch = mkdtempSync(path.join(tmpdir(), "gitops-manifests-"));
  try {
    // Unmerged code is refused before anything else is asked of GitLab (GET /user for the author).
    await requireMergedCommit(read, scratch, env.CI_DEFAULT_BRANCH ? parseBranchName("CI_DEFAULT_BRANCH", env.CI_DEFAULT_BRANCH) : read.branch);
    const settings: Settings = { ...read, author: await bumpAuthor(env, { token: read.credential.token }) };
    const git = new Git(path.join(scratch, "work"), settings.credential.git);
    await git.init();
    await git.run(["remote", "add", "origin", settings.repositoryUrl]);
    // Only the manifests are checked out: a large repository costs one commit and its trees.
    if (settings.manifests !== ".") await git.run(["sparse-checkout", "set", "--no-cone", `/${settings.manifests.replace(/[*?[\]\\!#]/g, "\\$&")}`]);
    const outcome = settings.mode === "commit" ? await bumpByCommit(git, settings, scratch) : await bumpByMergeRequest(git, settings, env, scratch);
    // Artifact paths are relative to the job's working directory (the project directory on a runner;
    // gitlab-ci-local's CI_PROJECT_DIR names a path that does not exist on a shell executor).
    writeDotenv(path.resolve(MANIFESTS_DOTENV), {
      GITOPS_MANIFESTS_SHA: outcome.sha,
      GITOPS_MANIFESTS_CHANGED: String(outcome.changed),
      ...(outcome.mergeRequestUrl ? { GITOPS_MERGE_REQUEST_URL: outcome.mergeRequestUrl } : {}),
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    read.credential.dispose();
  }
}

await runJob(main);
