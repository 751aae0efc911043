/**
 * The update-manifests job: repoint the manifests on the default branch at the new image, as one
 * commit (pushed plainly, re-derived on a fresh tip when the branch moved meanwhile) or as a
 * merge request. Outputs GITOPS_MANIFESTS_SHA, GITOPS_MANIFESTS_CHANGED and, for a merge request,
 * GITOPS_MERGE_REQUEST_URL.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readInputs, type SettingsOf } from "../../runtime/contract.ts";
import { writeOutputs } from "../../runtime/dotenv.ts";
import { requireInput } from "../../runtime/env.ts";
import { ExhaustedError, InputError, JobError, RefusedError, runJob } from "../../runtime/errors.ts";
import { retryAfter, type RetryPolicy } from "../../runtime/retry.ts";
import { parseBranchName } from "../../runtime/branch-name.ts";
import { checkRepositoryUrl, Git, GitCommandError } from "../../runtime/git.ts";
import { symbolicLinkError } from "../../runtime/project-path.ts";
import { info, section, warn } from "../../runtime/log.ts";
import { authorFromInputs, bumpAuthor, type BumpAuthor } from "./bump-author.ts";
import { readBumpCredential, type BumpCredential } from "./credential.ts";
import { bumpBranchName, bumpCommitMessage, messageTitle } from "./bump-message.ts";
import { decideBump, type LaterBump } from "./decide.ts";
import { tryParseImageReference, type ImageReference } from "../../runtime/image-reference.ts";
import type { BumpPlan } from "./manifest-files.ts";
import { INPUTS, OUTPUTS } from "./update.contract.ts";

/** Push attempts before giving up when the branch keeps moving, with pauses of 125-375 ms, doubling. */
const BUMP_RETRY: RetryPolicy = { attempts: 5, pauseMs: { min: 125, max: 375 }, growth: 2 };

interface Settings {
  manifests: string;
  imageName: string;
  image: ImageReference;
  imageText: string;
  mode: "commit" | "merge_request";
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

/** Reads and checks the inputs (update.contract.ts) and predefined variables; every problem names its input. */
function readSettings(env: NodeJS.ProcessEnv): Omit<Settings, "author"> & { inputs: SettingsOf<typeof INPUTS> } {
  const inputs = readInputs(env, INPUTS);
  const { mode, branch, manifests } = inputs;
  const imageText = inputs.new_image.text;
  // Predefined in every job (doc/ci/variables/predefined_variables.md: both "Pre-pipeline"); without
  // them the URL is no HTTP(S) URL, and the error names them.
  const repositoryUrl = checkRepositoryUrl(
    `${env.CI_SERVER_URL ?? ""}/${env.CI_PROJECT_PATH ?? ""}.git`,
    REPOSITORY,
    "https",
  );
  const message = bumpCommitMessage(inputs.commit_message, imageText, {
    sourceCommit: env.CI_COMMIT_SHA,
    pipelineUrl: env.CI_PIPELINE_URL,
    mode,
  });
  authorFromInputs(inputs);
  // Read last: a deploy key is written to disk only for a job that passed its checks.
  const credential = readBumpCredential(env, inputs, mode === "merge_request");
  const settings = {
    manifests,
    imageName: inputs.image_name.repository,
    image: inputs.new_image,
    imageText,
    mode,
    branch,
    credential,
    message,
  };
  return {
    ...settings,
    inputs,
    repositoryUrl: credential.sshUrl ?? repositoryUrl,
    sourceCommit: env.CI_COMMIT_SHA || undefined,
  };
}

/** Where the HTTPS clone URL comes from: predefined variables, named in messages. */
const REPOSITORY = "CI_SERVER_URL/CI_PROJECT_PATH";

/** A git failure in the user's terms (runtime/remote-failure.ts): the repository, the credential and the branch. */
function remoteError(error: GitCommandError, settings: Remote, branch: string, action: string): JobError {
  const { credential } = settings;
  const ssh = credential.sshUrl !== undefined;
  const needs = ssh
    ? `deploy key with write access, allowed to push to ${branch}`
    : `project access token with the write_repository scope, of a user allowed to push to ${branch}`;
  const remote = { input: ssh ? "ssh_repository_url" : REPOSITORY, value: settings.repositoryUrl };
  return error.inTermsOf({
    action,
    remote,
    credential: { description: credential.description, input: ssh ? "ssh_key_variable" : "token_variable", needs },
    branch: { input: "branch", value: branch },
  });
}

/** Fetches `branch` into refs/remotes/origin/ with `options`; false when the server lacks it, any other failure in the user's terms. */
async function fetchBranch(git: Git, settings: Remote, branch: string, options: string[]): Promise<boolean> {
  const fetched = await git.exec([
    "fetch",
    "-q",
    "--no-tags",
    ...options,
    "origin",
    `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
  ]);
  const error = fetched.code === 0 ? undefined : new GitCommandError(["fetch", "origin", branch], fetched);
  if (error && error.failure !== "missing-ref") throw remoteError(error, settings, branch, `fetching ${branch}`);
  return !error;
}

/** Fetches the branch tip (one commit, no blobs outside the manifests) and checks it out; returns its SHA. */
async function checkoutTip(git: Git, settings: Settings): Promise<string> {
  const remoteRef = `refs/remotes/origin/${settings.branch}`;
  if (!(await fetchBranch(git, settings, settings.branch, ["--depth=1", "--filter=blob:none"])))
    throw new InputError(
      "branch",
      settings.branch,
      "does not exist in the repository",
      "set branch to the branch that holds the manifests (default: the default branch)",
    );
  const tip = (await git.resolve(remoteRef)) as string;
  await git.run(["checkout", "-q", "-f", "--detach", tip]);
  // A link on the way to manifests may be left out of the sparse work tree, so the tree itself is asked.
  const parts = settings.manifests === "." ? [] : settings.manifests.split("/");
  const listed = await git.run([
    "ls-tree",
    "-z",
    "HEAD",
    "--",
    ...parts.map((_, i) => parts.slice(0, i + 1).join("/")),
  ]);
  const link = listed.split("\0").find((entry) => entry.startsWith("120000 "));
  if (link) throw symbolicLinkError("manifests", settings.manifests, link.slice(link.indexOf("\t") + 1));
  return tip;
}

/** Writes the plan's files and commits them on top of `base`; returns the commit. */
async function commitPlan(git: Git, settings: Settings, plan: BumpPlan): Promise<string> {
  for (const f of plan.files) writeFileSync(path.join(git.dir, f.file), f.text);
  await git.run(["add", "--", ...plan.files.map((f) => f.file)]);
  const { name, email } = settings.author;
  await git.run(
    [
      "-c",
      `user.name=${name}`,
      "-c",
      `user.email=${email}`,
      "-c",
      "commit.gpgsign=false",
      "commit",
      "-q",
      "--no-verify",
      "-F",
      "-",
    ],
    settings.message,
  );
  return git.run(["rev-parse", "HEAD"]);
}

/** The branch's tip on the server now, or undefined if it is gone. */
async function remoteTip(git: Git, settings: Settings): Promise<string | undefined> {
  const listed = await git.exec(["ls-remote", "origin", `refs/heads/${settings.branch}`]);
  if (listed.code !== 0)
    throw remoteError(
      new GitCommandError(["ls-remote", "origin", settings.branch], listed),
      settings,
      settings.branch,
      "listing branches",
    );
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
async function requireMergedCommit(
  settings: Remote & Pick<Settings, "sourceCommit">,
  scratch: string,
  defaultBranch: string,
): Promise<void> {
  const ours = settings.sourceCommit;
  if (!ours)
    throw new InputError(
      "CI_COMMIT_SHA",
      ours,
      "is empty",
      "run the job in a GitLab pipeline, which sets CI_COMMIT_SHA to the commit whose image it bumps",
    );
  const { graph, tip } = await commitGraph(settings, scratch, defaultBranch);
  if (tip && (await graph.resolve(ours)) && (await graph.isAncestor(ours, tip))) return;
  throw new RefusedError(
    `this pipeline's commit ${ours.slice(0, 12)} is not on the default branch ${defaultBranch}: its image was built from code that is not merged, and only merged code is bumped into the manifests`,
    `run update-manifests only in pipelines of ${defaultBranch} (its default rules); merge the change first`,
  );
}

/**
 * The bumps on the branch after this pipeline's commit, from their trailers (decide.ts judges
 * them): a bump whose GitOps-Source-Commit descends from this pipeline's commit was made by a newer
 * pipeline. Undefined when this pipeline's commit is not on the branch (nothing can tell).
 */
async function laterBumps(settings: Settings, tip: string, scratch: string): Promise<LaterBump[] | undefined> {
  const ours = settings.sourceCommit;
  if (!ours || tip === ours) return [];
  const { graph, tip: graphTip = tip } = await commitGraph(settings, scratch, settings.branch);
  if (!(await graph.resolve(ours)) || !(await graph.isAncestor(ours, graphTip))) {
    warn(
      `this pipeline's commit ${ours.slice(0, 12)} is not on ${settings.branch}: cannot tell whether a newer bump exists`,
    );
    return undefined;
  }
  const log = await graph.run([
    "log",
    "--format=%H%x1f%(trailers:key=GitOps-Source-Commit,valueonly,separator=%x20)%x1f%(trailers:key=GitOps-Image,valueonly,separator=%x20)",
    `${ours}..${graphTip}`,
  ]);
  const bumps: LaterBump[] = [];
  for (const line of log.split("\n")) {
    const [commit = "", source = "", image = ""] = line.trim().split("\x1f");
    if (!source) continue;
    const repository = tryParseImageReference(image)?.repository;
    // Ancestry is asked only where the answer matters: another pipeline's bump of this image.
    const asked = source !== ours && repository === settings.image.repository;
    bumps.push({
      commit,
      source,
      repository,
      sourceFollowsOurs: asked && !!(await graph.resolve(source)) && (await graph.isAncestor(ours, source)),
    });
  }
  return bumps;
}

function logPlan(plan: BumpPlan, branch: string, base: string): void {
  if (plan.files.length === 0) {
    info(
      `${branch} (${base.slice(0, 12)}) already points at the image in ${plan.searched.join(", ")}: nothing to commit`,
    );
    return;
  }
  for (const f of plan.files)
    for (const c of f.changes) info(`${f.file}:${c.line} ${c.path}: ${c.from ?? "(absent)"} -> ${c.to ?? "(removed)"}`);
}

interface Outcome {
  sha: string;
  changed: boolean;
  mergeRequestUrl?: string;
}

/** Where merge_request mode opens the merge request (GitLab's predefined variables). */
interface MergeRequestApi {
  apiUrl: string;
  project: string;
}

/** A push that lost the race: the branch moved after the fetch (what moved, for the log). */
interface LostRace {
  lostRace: string;
}

/**
 * One attempt: fetch the branch tip, plan the edit, decide (decide.ts), carry the decision out; a
 * lost race when the branch moved before the bump commit's push landed (start again from the tip).
 */
async function attempt(
  git: Git,
  settings: Settings,
  api: MergeRequestApi | undefined,
  scratch: string,
): Promise<Outcome | LostRace> {
  const base = await section(`Fetch ${settings.branch}`, () => checkoutTip(git, settings), { collapsed: true });
  const { planBump } = await import("./manifest-files.ts");
  const plan = planBump(
    { root: git.dir, manifests: settings.manifests, branch: settings.branch },
    { imageName: settings.imageName, image: settings.image },
  );
  logPlan(plan, settings.branch, base);
  // The commit graph is fetched only for an edit that would be committed.
  const later = plan.files.length === 0 ? [] : await laterBumps(settings, base, scratch);
  const decision = decideBump({
    mode: settings.mode,
    changedFiles: plan.files.length,
    sourceCommit: settings.sourceCommit,
    repository: settings.image.repository,
    later,
  });
  switch (decision.action) {
    case "none":
      return { sha: base, changed: false };
    case "stand-down": {
      const { newer } = decision;
      warn(
        `${settings.branch} already carries bump ${newer.commit.slice(0, 12)} from a newer pipeline (of ${newer.source.slice(0, 12)}, which follows this pipeline's ${settings.sourceCommit?.slice(0, 12)}); ` +
          `not moving the manifests back to ${settings.imageText}. To roll back on purpose, revert that commit`,
      );
      return { sha: base, changed: false };
    }
    case "commit":
      return pushBump(git, settings, plan, base);
    default:
      return openBumpMergeRequest(git, settings, api as MergeRequestApi, plan);
  }
}

/** Commit mode: commit on the tip and push; a lost race when the branch moved meanwhile. */
async function pushBump(git: Git, settings: Settings, plan: BumpPlan, base: string): Promise<Outcome | LostRace> {
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
  return {
    lostRace: `${settings.branch} moved (${base.slice(0, 12)} -> ${now?.slice(0, 12) ?? "deleted"}) before the push landed`,
  };
}

/** Merge-request mode: push the bump to its own branch and open (or find) the merge request. */
async function openBumpMergeRequest(
  git: Git,
  settings: Settings,
  api: MergeRequestApi,
  plan: BumpPlan,
): Promise<Outcome> {
  let commit = await commitPlan(git, settings, plan);
  const sourceBranch = bumpBranchName(settings.image);
  const pushed = await git.exec(["push", "--porcelain", "origin", `${commit}:refs/heads/${sourceBranch}`]);
  if (pushed.code !== 0) {
    const error = new GitCommandError(["push", "origin", `${commit}:refs/heads/${sourceBranch}`], pushed);
    const refused = remoteError(error, settings, sourceBranch, `pushing to ${sourceBranch}`);
    if (refused !== error) throw refused;
    // A rerun finds its own branch: reuse it when it holds the same manifests.
    if (!(await fetchBranch(git, settings, sourceBranch, ["--depth=1", "--filter=blob:none"]))) throw error;
    const same = await git.exec([
      "diff",
      "--quiet",
      `refs/remotes/origin/${sourceBranch}`,
      commit,
      "--",
      ...plan.files.map((f) => f.file),
    ]);
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
    ...api,
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

/** Attempts until one lands, re-applying the edit on the new tip after a lost race (runtime/retry.ts). */
async function bump(git: Git, settings: Settings, api: MergeRequestApi | undefined, scratch: string): Promise<Outcome> {
  for (let n = 1; ; n++) {
    const outcome = await attempt(git, settings, api, scratch);
    if (!("lostRace" in outcome)) return outcome;
    const again = (ms: number) =>
      warn(
        `${outcome.lostRace}; re-applying the edit on the new tip in ${ms} ms (attempt ${n + 1} of ${BUMP_RETRY.attempts})`,
      );
    if (!(await retryAfter(BUMP_RETRY, n, again)))
      throw new ExhaustedError(
        `${settings.branch} moved during each of ${BUMP_RETRY.attempts} push attempts; ` +
          "the manifests were not updated",
        "retry the job; if this keeps happening, serialise writers to the branch",
      );
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const read = readSettings(env);
  const scratch = mkdtempSync(path.join(tmpdir(), "gitops-manifests-"));
  try {
    // Unmerged code is refused before anything else is asked of GitLab (GET /user for the author).
    await requireMergedCommit(
      read,
      scratch,
      env.CI_DEFAULT_BRANCH ? parseBranchName("CI_DEFAULT_BRANCH", env.CI_DEFAULT_BRANCH) : read.branch,
    );
    const settings: Settings = {
      ...read,
      author: await bumpAuthor(env, read.inputs, { token: read.credential.token }),
    };
    const git = new Git(path.join(scratch, "work"), settings.credential.git);
    await git.init();
    await git.run(["remote", "add", "origin", settings.repositoryUrl]);
    // Only the manifests are checked out: a large repository costs one commit and its trees.
    if (settings.manifests !== ".")
      await git.run(["sparse-checkout", "set", "--no-cone", `/${settings.manifests.replace(/[*?[\]\\!#]/g, "\\$&")}`]);
    const set = (name: string) =>
      requireInput(env, name, name, `run the job in a GitLab pipeline (GitLab sets ${name})`);
    const api =
      settings.mode === "merge_request" ? { apiUrl: set("CI_API_V4_URL"), project: set("CI_PROJECT_ID") } : undefined;
    const outcome = await bump(git, settings, api, scratch);
    // Artifact paths are relative to the job's working directory (the project directory on a runner;
    // gitlab-ci-local's CI_PROJECT_DIR names a path that does not exist on a shell executor).
    const { sha, changed, mergeRequestUrl: url } = outcome;
    // (The lines break before a value: esbuild then keeps the object on one line, and the script small.)
    writeOutputs(OUTPUTS, path.resolve(), {
      GITOPS_MANIFESTS_SHA: sha,
      GITOPS_MANIFESTS_CHANGED: changed,
      GITOPS_MERGE_REQUEST_URL: url,
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    read.credential.dispose();
  }
}

await runJob(main);
