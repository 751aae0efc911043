/**
 * The rollback job: reverts on the default branch what an environment received in its last
 * promotion (or since the commit GITOPS_ROLLBACK_SINCE names), as one commit whose title carries
 * `[gitops-rollback]`, pushed with the default branch's credential (or proposed in a merge
 * request). Environment branches only move forward, so this is how an environment goes back: the
 * rollback commit's own pipeline builds nothing (components/common.ts GUARDS) and promotes it like
 * any change, staging automatically and production by its manual job.
 *
 * Like the promotion, it fetches the commit graph only, then the three trees of the revert and the
 * blobs of the files both sides changed (revert-tree.ts). Outputs go to `gitops-rollback.env`.
 */
import { writeOutputs } from "../../runtime/dotenv.ts";
import { retryAfter, type RetryPolicy } from "../../runtime/retry.ts";
import { ExhaustedError, InputError, JobError, RefusedError, runJob } from "../../runtime/errors.ts";
import { GitCommandError } from "../../runtime/git.ts";
import { info, section, warn } from "../../runtime/log.ts";
import { ROLLBACK_BRANCH_PREFIX, ROLLBACK_MARKER, ROLLBACK_TRAILERS } from "../../runtime/bump-trailers.ts";
import { disableLazyFetch, fetchTips, openWorkspace, type PromotionWorkspace } from "../promotion/apply.ts";
import { fetchObjects } from "../promotion/changed-files.ts";
import { shortSha } from "../promotion/decide.ts";
import { openMergeRequest } from "../update-manifests/gitlab-merge-requests.ts";
import { readRollbackConfig, REPOSITORY, type RollbackApi, type RollbackConfig } from "./config.ts";
import { lastPromotion } from "./last-promotion.ts";
import { SINCE_VARIABLE } from "./outputs.ts";
import { OUTPUTS } from "./rollback.contract.ts";
import { revertTree } from "./revert-tree.ts";

/** Push attempts when the default branch keeps moving, with update-manifests' pauses (the same branch's writers). */
const PUSH_RETRY: RetryPolicy = { attempts: 3, pauseMs: { min: 125, max: 375 }, growth: 2 };
/** The commit message lists at most this many reverted commits. */
const LISTED = 50;

/** What the job did: its `GITOPS_ROLLBACK` output and the rest. */
interface Outcome {
  rollback: "committed" | "merge-request" | "already-rolled-back" | "nothing-to-revert";
  sha: string;
  from: string;
  to: string;
  commitCount: number;
  mergeRequestUrl?: string;
}

/** The range to undo: from the environment's head back to `to`, and how it was chosen (for the message). */
interface Range {
  head: string;
  to: string;
  why: string;
}

async function rangeToUndo(workspace: PromotionWorkspace, config: RollbackConfig, head: string): Promise<Range> {
  const { git } = workspace;
  const env = config.environment;
  if (config.since) {
    const to = await git.resolve(config.since);
    if (!to || !(await git.isAncestor(to, head)) || to === head)
      throw new RefusedError(
        `${SINCE_VARIABLE} = ${config.since} is not a commit ${config.branches.environment} received before its head ${shortSha(head)}`,
        `set ${SINCE_VARIABLE} to an earlier commit of ${config.branches.environment} (git log ${config.branches.environment} lists them), or leave it unset to undo ${env}'s last promotion`,
      );
    return { head, to, why: `since ${shortSha(to)}, named by ${SINCE_VARIABLE}` };
  }
  const last = await lastPromotion(config.api, env, config.branches.environment);
  const { previous, promoted } = last.record;
  if (promoted !== head)
    throw new RefusedError(
      `${config.branches.environment} is at ${shortSha(head)}, but ${env}'s last recorded promotion (deployment ${last.deployment}, job ${last.job}) moved it to ${shortSha(promoted)}: something else moved it since, so its last promotion is not what it received last`,
      `set ${SINCE_VARIABLE} when running the job to the commit ${env} should return to`,
    );
  if (!previous)
    throw new RefusedError(
      `${env}'s last promotion (deployment ${last.deployment}, job ${last.job}) created ${config.branches.environment}: there is no earlier state to return to`,
      `set ${SINCE_VARIABLE} when running the job to the commit ${env} should return to`,
    );
  info(
    `${env}'s last promotion (deployment ${last.deployment}, job ${last.job}) moved ${config.branches.environment} from ${shortSha(previous)} to ${shortSha(promoted)}`,
  );
  return { head, to: previous, why: `in its last promotion (deployment ${last.deployment}, job ${last.job})` };
}

/** A rollback commit of this very range already on the default branch, if any. */
async function existingRollback(
  workspace: PromotionWorkspace,
  range: Range,
  main: string,
): Promise<string | undefined> {
  const trailer = (key: string) => `%(trailers:key=${key},valueonly,separator=%x20)`;
  const log = await workspace.git.run([
    "log",
    `--format=%H%x1f${trailer(ROLLBACK_TRAILERS.from)}%x1f${trailer(ROLLBACK_TRAILERS.to)}`,
    `${range.head}..${main}`,
  ]);
  for (const line of log.split("\n")) {
    const [sha, from, to] = line.split("\x1f").map((s) => s.trim());
    if (from === range.head && to === range.to) return sha;
  }
  return undefined;
}

/** The tip of `branch` on the server when its tree is `tree` (commits only are fetched: a commit names its tree). */
async function existingBranchCommit(
  workspace: PromotionWorkspace,
  branch: string,
  tree: string,
): Promise<string | undefined> {
  const ref = `refs/remotes/origin/${branch}`;
  await workspace.git.run([
    "fetch",
    "--filter=tree:0",
    "--no-tags",
    "--quiet",
    workspace.url,
    `+refs/heads/${branch}:${ref}`,
  ]);
  await disableLazyFetch(workspace.git, workspace.url);
  const [tip, tipTree] = (await workspace.git.run(["log", "-1", "--format=%H %T", ref])).split(" ");
  return tipTree === tree ? tip : undefined;
}

/** The commit message: marker in the title, the reverted commits, trailers naming the range. */
function message(config: RollbackConfig, range: Range, commits: string[]): string {
  const env = config.environment;
  const listed = commits.slice(0, LISTED).map((line) => `- ${line.replace(/GitOps-Bump-Mode/gi, "bump mode")}`);
  if (commits.length > LISTED) listed.push(`- ... and ${commits.length - LISTED} more`);
  return [
    `Roll back ${env} to ${shortSha(range.to)}: revert ${commits.length} commit${commits.length === 1 ? "" : "s"} ${ROLLBACK_MARKER}`,
    "",
    `Reverts on ${config.branches.source} what ${env} received ${range.why}: every file changed in ${shortSha(range.to)}..${shortSha(range.head)} returns to its content at ${shortSha(range.to)}, and ${config.branches.source}'s later changes stay. This commit's pipeline builds nothing and promotes it like any change.`,
    "",
    "Reverted:",
    ...listed,
    "",
    `${ROLLBACK_TRAILERS.environment}: ${env}`,
    `${ROLLBACK_TRAILERS.from}: ${range.head}`,
    `${ROLLBACK_TRAILERS.to}: ${range.to}`,
    "",
  ].join("\n");
}

async function attempt(
  workspace: PromotionWorkspace,
  config: RollbackConfig,
  known: { range?: Range },
): Promise<Outcome | { rejected: GitCommandError }> {
  const { git } = workspace;
  const { branches } = config;
  // The tips only (the lookup of the third name in fetchTips answers nothing here).
  const { tips } = await fetchTips(workspace, branches, "0".repeat(40));
  if (!tips.source)
    throw new InputError(
      "source_branch",
      branches.source,
      "does not exist",
      "set source_branch to the default branch (default $CI_DEFAULT_BRANCH)",
    );
  if (!tips.environment)
    throw new RefusedError(
      `${branches.environment} does not exist: nothing was ever promoted to ${config.environment}, so there is nothing to roll back`,
      "promote first; a rollback undoes a promotion",
    );
  const main = tips.source;
  const head = tips.environment;
  if (!(await git.isAncestor(head, main)))
    throw new RefusedError(
      `${branches.environment} (at ${shortSha(head)}) holds commits ${branches.source} lacks: a revert on ${branches.source} cannot describe it`,
      `bring those commits into ${branches.source} first (git log ${branches.source}..${branches.environment} lists them)`,
    );
  // The range is decided once: a retry after a lost push race undoes the same promotion.
  const range = known.range && known.range.head === head ? known.range : await rangeToUndo(workspace, config, head);
  known.range = range;
  const commits = (await git.run(["log", "--no-decorate", "--format=%h %s", `${range.to}..${range.head}`]))
    .split("\n")
    .filter(Boolean);
  const done = await existingRollback(workspace, range, main);
  if (done) {
    info(
      `${branches.source} already has ${shortSha(done)}, which rolls back ${shortSha(range.to)}..${shortSha(range.head)}: nothing to do (promote it if ${config.environment} has not received it yet)`,
    );
    return { rollback: "already-rolled-back", sha: done, from: range.head, to: range.to, commitCount: commits.length };
  }
  const reverted = await revertTree(workspace, { base: range.head, ours: main, theirs: range.to });
  if ("conflicts" in reverted)
    throw new RefusedError(
      `the revert of ${shortSha(range.to)}..${shortSha(range.head)} conflicts with what ${branches.source} changed since ${shortSha(range.head)}, in: ${reverted.conflicts.join(", ")}. Nothing was committed`,
      `revert by hand on a branch (git revert --no-commit ${range.to}..${range.head}, resolve, put ${ROLLBACK_MARKER} in the title so that its pipeline builds nothing) and merge it; or, if ${branches.source}'s newer changes should go too, promote ${branches.source}'s latest instead`,
    );
  const mainTree = await git.run(["log", "--no-walk", "--format=%T", main]);
  if (reverted.tree === mainTree) {
    info(
      `every file ${config.environment} received in ${shortSha(range.to)}..${shortSha(range.head)} already has its earlier content on ${branches.source}: nothing to commit`,
    );
    return { rollback: "nothing-to-revert", sha: main, from: range.head, to: range.to, commitCount: commits.length };
  }
  const author = await config.author();
  const text = message(config, range, commits);
  const commit = await git.run(
    [
      "-c",
      `user.name=${author.name}`,
      "-c",
      `user.email=${author.email}`,
      "-c",
      "commit.gpgsign=false",
      "commit-tree",
      reverted.tree,
      "-p",
      main,
      "-F",
      "-",
    ],
    text,
  );
  // The push sends the new commit, its new trees (written here) and every blob main lacks: the
  // merged ones are here, the restored ones are fetched now (lazy fetching is off).
  const changed = (await git.run(["diff-tree", "-r", "--no-renames", "--no-commit-id", main, commit]))
    .split("\n")
    .filter(Boolean);
  const wanted = changed.map((line) => line.split(" ")[3] as string).filter((oid) => !/^0+$/.test(oid));
  const present = (
    await git.run(["cat-file", "--batch-check=%(objectname) %(objecttype)"], `${wanted.join("\n")}\n`)
  ).split("\n");
  await fetchObjects(
    workspace,
    wanted.filter((oid, i) => !present[i]?.endsWith(" blob")),
  );
  await section(
    `Rollback commit ${shortSha(commit)}: ${changed.length} file${changed.length === 1 ? "" : "s"} back to ${shortSha(range.to)}`,
    () => {
      for (const line of changed) info(`  ${line.split("\t")[1]}`);
      info(`Reverted commits (${commits.length}):`);
      for (const line of commits.slice(0, LISTED)) info(`  ${line}`);
    },
    { collapsed: true },
  );
  // Letters and digits of the environment's name only: whatever a GitLab environment may be called,
  // the branch name then passes runtime/branch-name.ts's rule (no .., no .lock, no leading -).
  const target =
    config.mode === "commit"
      ? branches.source
      : `${ROLLBACK_BRANCH_PREFIX}${config.environment.replace(/[^A-Za-z0-9]+/g, "-")}-${range.head.slice(0, 12)}`;
  const args = ["push", "--no-verify", workspace.url, `${commit}:refs/heads/${target}`];
  const pushed = await git.exec(args);
  let proposed = commit;
  if (pushed.code !== 0) {
    const error = new GitCommandError(args, pushed);
    if (error.failure !== "rejected") throw error;
    if (config.mode === "commit") return { rejected: error };
    // A second run finds the branch of the first: the same revert (same tree) is reused.
    proposed = (await existingBranchCommit(workspace, target, reverted.tree)) ?? "";
    if (!proposed)
      throw new RefusedError(
        `branch ${target} already exists with another revert`,
        `merge or close its merge request and delete the branch, then run the job again`,
      );
    info(`branch ${target} already holds this revert (${shortSha(proposed)})`);
  } else info(`pushed ${shortSha(commit)} to ${target}`);
  if (config.mode === "commit")
    return { rollback: "committed", sha: commit, from: range.head, to: range.to, commitCount: commits.length };
  const api = config.api as RollbackApi;
  const mr = await openMergeRequest({
    apiUrl: api.url,
    project: api.projectId,
    token: api.token,
    tokenDescription: api.description,
    sourceBranch: target,
    targetBranch: branches.source,
    title: text.split("\n")[0] as string,
    description: text.split("\n").slice(2).join("\n").trim(),
  });
  info(`${mr.created ? "opened" : "found the open"} merge request !${mr.iid}: ${mr.webUrl}`);
  return {
    rollback: "merge-request",
    sha: proposed,
    from: range.head,
    to: range.to,
    commitCount: commits.length,
    mergeRequestUrl: mr.webUrl,
  };
}

/** A git failure in the user's terms (runtime/remote-failure.ts): the repository, the default branch's credential, and the branch pushed. */
function remoteError(error: GitCommandError, config: RollbackConfig): JobError {
  const { credential, branches } = config;
  const ssh = credential.sshUrl !== undefined;
  const needs = ssh
    ? `deploy key with write access, allowed to push to ${branches.source}`
    : `project access token with the write_repository scope, of a user allowed to push to ${branches.source}`;
  return error.inTermsOf({
    action: `rolling back ${config.environment} on ${branches.source}`,
    remote: { input: ssh ? "ssh_repository_url" : REPOSITORY, value: config.repositoryUrl },
    credential: { description: credential.description, input: ssh ? "ssh_key_variable" : "token_variable", needs },
    branch: { input: "source_branch", value: branches.source },
  });
}

async function rollback(config: RollbackConfig): Promise<Outcome> {
  info(
    `Rolling back ${config.environment} (${config.branches.environment}) by a ${config.mode === "commit" ? "commit" : "merge request"} on ${config.branches.source}`,
  );
  const workspace = await openWorkspace(config.repositoryUrl, config.credential.git);
  const known: { range?: Range } = {};
  try {
    for (let n = 1; ; n++) {
      let outcome;
      try {
        outcome = await attempt(workspace, config, known);
      } catch (error) {
        throw error instanceof GitCommandError ? remoteError(error, config) : error;
      }
      if (!("rejected" in outcome)) return outcome;
      const again = () =>
        warn(
          `${config.branches.source} moved before the push landed: computing the revert again on its new tip (attempt ${n + 1} of ${PUSH_RETRY.attempts})`,
        );
      if (!(await retryAfter(PUSH_RETRY, n, again)))
        throw new ExhaustedError(
          `${config.branches.source} moved during each of ${PUSH_RETRY.attempts} push attempts; nothing was rolled back: ${outcome.rejected.message}`,
          "retry the job",
        );
    }
  } finally {
    workspace.dispose();
  }
}

runJob(async () => {
  const config = readRollbackConfig(process.env);
  let outcome: Outcome;
  try {
    outcome = await rollback(config);
  } finally {
    config.credential.dispose();
  }
  if (outcome.rollback === "committed")
    info(
      `${config.environment}: rollback commit ${shortSha(outcome.sha)} is on ${config.branches.source}; its pipeline promotes it (staging automatically, ${config.environment} by its manual job)`,
    );
  writeOutputs(OUTPUTS, config.outputDir, {
    GITOPS_ROLLBACK: outcome.rollback,
    GITOPS_ROLLBACK_SHA: outcome.sha,
    GITOPS_ROLLBACK_FROM: outcome.from,
    GITOPS_ROLLBACK_TO: outcome.to,
    GITOPS_ROLLBACK_COMMIT_COUNT: outcome.commitCount,
    ...(outcome.mergeRequestUrl ? { GITOPS_ROLLBACK_MERGE_REQUEST_URL: outcome.mergeRequestUrl } : {}),
  });
});
