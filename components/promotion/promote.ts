/**
 * The promotion job (`promote-staging`, `manual-production`): fast-forwards an environment branch
 * to the commit this pipeline's change is promoted as (the bump update-manifests pushed for it, or
 * the pipeline's own commit), or stands down. Each attempt fetches fresh tips, chooses the target
 * and decides (pure, `decide.ts`) and pushes plainly; a rejected push means someone else moved a
 * branch, so the job fetches and decides again, a bounded number of times with jittered pauses.
 * Outputs go to `gitops-promotion.env`.
 */
import { writeOutputs } from "../../runtime/dotenv.ts";
import { ExhaustedError, InputError, JobError, RefusedError, runJob } from "../../runtime/errors.ts";
import { retryAfter, type RetryPolicy } from "../../runtime/retry.ts";
import { GitCommandError } from "../../runtime/git.ts";
import { info, warn } from "../../runtime/log.ts";
import type { Ancestry } from "./ancestry.ts";
import {
  fetchTips,
  gatherAncestry,
  gitAncestry,
  laterCommits,
  openWorkspace,
  pushPlan,
  type PromotionWorkspace,
} from "./apply.ts";
import { describeCredential, readConfig, type PromotionConfig } from "./config.ts";
import { OUTPUTS } from "./promote.contract.ts";
import { chooseTarget, decide, shortSha, type Promotion, type PromotionPlan, type StandDownReason } from "./decide.ts";
import { prefetchReport, promotedRange, type PromotedRange, type ReportPrefetch } from "./report.ts";
import { publishReport } from "./report-job.ts";
import { refuseRollbackRerun } from "./rerun.ts";

/**
 * Attempts before giving up. A rejected push means a branch moved after the fetch: another
 * promoter moved the environment branch forward (with n promoters racing, at most n rounds are
 * needed, and `resource_group` keeps n at 1 normally), or main moved and the push lacked the
 * objects to prove the target is already on the server (the next fetch brings them).
 */
const PUSH_RETRY: RetryPolicy = { attempts: 10, pauseMs: { min: 100, max: 900 }, growth: 1 };
/** An unreachable server gets one more try, then the job fails: the runner's retry is better placed. */
const UNREACHABLE_RETRY: RetryPolicy = { ...PUSH_RETRY, attempts: 2 };

/** What the job did. */
interface PromotionResult {
  promotion: Promotion;
  previous: string;
  promoted: string;
  commitCount: number;
  /** The commit chosen for this change ("" for a stand-down). */
  target: string;
  /** Why nothing was promoted, for a stand-down. */
  standDown?: string;
  /** What moved, for the promotion report (report.ts). */
  range?: PromotedRange;
}

/** One attempt's outcome: a decision (or a stand-down), what it did, or the push that was rejected. */
type Attempt =
  | { plan: PromotionPlan; result?: PromotionResult; rejected?: GitCommandError }
  | { plan?: undefined; result: PromotionResult; rejected?: undefined };

/** A git failure outside the push race, in the user's terms: wrong or foreign credential, unknown host key, server down, no permission, protected branch. */
function remoteFailure(error: GitCommandError, config: PromotionConfig): JobError {
  const { credential, branches } = config;
  const ssh = credential.kind === "deploy key";
  return error.inTermsOf({
    action: `promoting to ${branches.environment}`,
    remote: { input: ssh ? "ssh_repository_url" : "repository_url", value: config.repositoryUrl },
    credential: {
      description: describeCredential(credential),
      input: ssh ? "ssh_key_variable" : "token_variable",
      needs: ssh
        ? `deploy key with write access, enabled for this project and allowed to push to ${branches.environment}`
        : `project access token with the write_repository scope, of a user allowed to push to ${branches.environment}`,
    },
    branch: { input: "environment_branch", value: branches.environment },
  });
}

/**
 * The commit to promote: chosen from the commits of the source branch after the pipeline's commit
 * (the bump made for it, or itself), or a stand-down. A pipeline commit that is not on the source
 * branch is returned as it is, for `decide` to refuse: only commits of the source branch move.
 */
async function target(
  git: PromotionWorkspace["git"],
  ancestry: Ancestry,
  config: PromotionConfig,
  sourceTip: string,
): Promise<{ target: string } | { standDown: StandDownReason; message: string }> {
  const commit = config.pipelineCommit;
  if (!(await ancestry.isAncestor(commit, sourceTip))) return { target: commit };
  const choice = chooseTarget({
    pipelineCommit: commit,
    later: await laterCommits(git, commit, sourceTip),
    pendingMergeRequest: config.pendingMergeRequest,
  });
  if (choice.action === "stand-down") return { standDown: choice.reason, message: choice.message };
  info(`Target ${choice.target}: ${choice.message}`);
  return { target: choice.target };
}

async function attempt(
  workspace: PromotionWorkspace,
  config: PromotionConfig,
  prefetched: ReportPrefetch,
): Promise<Attempt> {
  const { git } = workspace;
  const { tips, targetKnown } = await fetchTips(workspace, config.branches, config.pipelineCommit);
  if (tips.source === undefined)
    throw new InputError(
      "source_branch",
      config.branches.source,
      `does not exist at ${config.repositoryUrl}`,
      "set source_branch to an existing branch (default $CI_DEFAULT_BRANCH)",
    );
  const sourceTips = { ...tips, source: tips.source };
  // One set of answers for the attempt: target() and decide() ask overlapping questions. A
  // pipeline commit the fetch did not bring is an ancestor of nothing; a chosen bump was fetched.
  const ancestry = gitAncestry(git, targetKnown ? [] : [config.pipelineCommit]);
  const chosen = await target(git, ancestry, config, tips.source);
  if ("standDown" in chosen) {
    const at = tips.environment ?? "";
    return {
      result: {
        promotion: chosen.standDown,
        previous: at,
        promoted: at,
        commitCount: 0,
        target: "",
        standDown: chosen.message,
      },
    };
  }
  const plan = decide({
    branches: config.branches,
    target: chosen.target,
    tips: sourceTips,
    isAncestor: await gatherAncestry(ancestry, chosen.target, sourceTips),
  });
  if (plan.action === "refuse") return { plan };
  if (plan.action === "none")
    return {
      plan,
      result: {
        promotion: plan.promotion,
        previous: plan.previous,
        promoted: plan.previous,
        commitCount: 0,
        target: plan.target,
      },
    };
  // Verified deployments (verify.ts): production only receives what staging's Flux applied and soaked.
  if (config.verification.gate) await (await import("./verify.ts")).checkStagingGate(config, workspace, plan.target);

  // The report is gathered while the push runs (report.ts): the push goes out as soon as the decision is made.
  const links = { serverUrl: config.gitlab.serverUrl, projectPath: config.gitlab.projectPath };
  const push = config.dryRun
    ? Promise.resolve({ pushed: true as const })
    : pushPlan(workspace, plan, config.branches.environment, { skipCi: config.skipCi });
  // Both settle before either's failure is thrown: a retry never meets the report still at work.
  const [reported, pushed] = await Promise.allSettled([
    promotedRange(workspace, { from: plan.previous, to: plan.target }, links, prefetched.ready),
    push,
  ]);
  if (pushed.status === "rejected") throw pushed.reason;
  const outcome = pushed.value;
  if (!outcome.pushed) return { plan, rejected: outcome.error };
  if (reported.status === "rejected") throw reported.reason;
  const range = reported.value;
  const result: PromotionResult = {
    promotion: plan.promotion,
    previous: plan.previous ?? "",
    promoted: plan.target,
    commitCount: range.commitCount,
    target: plan.target,
    range,
  };
  return { plan, result };
}

async function promote(config: PromotionConfig): Promise<PromotionResult> {
  const { branches } = config;
  info(
    `Promoting the change of ${shortSha(config.pipelineCommit)} from ${branches.source} to ${branches.environment} (environment ${config.environment})` +
      `${branches.required ? `, only if ${branches.required} already has it` : ""}${config.dryRun ? " — dry run: nothing is pushed" : ""}`,
  );
  const workspace = await openWorkspace(config.repositoryUrl, config.credential.git, { keep: config.keepWorkdir });
  // The report's objects are fetched beside the commit graph, not after the decision (report.ts).
  const prefetched = prefetchReport(workspace, branches);
  let unreachable = 0;
  try {
    for (let n = 1; ; n++) {
      let outcome;
      try {
        outcome = await attempt(workspace, config, prefetched);
      } catch (error) {
        if (!(error instanceof GitCommandError)) throw error;
        if (
          error.failure === "unreachable" &&
          (await retryAfter(UNREACHABLE_RETRY, ++unreachable, () =>
            warn("the git server could not be reached; trying once more"),
          ))
        )
          continue;
        throw remoteFailure(error, config);
      }
      const { plan, result, rejected } = outcome;
      if (plan?.action === "refuse") throw new RefusedError(plan.message, plan.fix);
      if (result) return result;
      if (!rejected) throw new Error("a push attempt ended with neither a result nor a rejection");
      if (/does not support push options/i.test(rejected.result.stderr))
        throw new InputError(
          "skip_ci",
          "true",
          "the git server does not accept push options (-o ci.skip)",
          "set skip_ci: false, or enable push options on the server",
        );
      // Only a lost race is worth another round; a refusal of the credential or of the branch is not.
      if (rejected.failure !== "rejected") throw remoteFailure(rejected, config);
      const again = () =>
        warn(
          `the push was rejected (a branch moved since the fetch): fetching and deciding again (attempt ${n + 1} of ${PUSH_RETRY.attempts})`,
        );
      if (!(await retryAfter(PUSH_RETRY, n, again)))
        throw new ExhaustedError(
          `the push to ${branches.environment} was rejected ${PUSH_RETRY.attempts} times, each time after deciding again from fresh branch tips: ${rejected.message}`,
          `other jobs keep moving ${branches.environment}; give the jobs a common resource_group so they run one at a time, then retry this job`,
        );
    }
  } finally {
    // Its git commands run in the workspace's directory: they end before the directory goes. A job
    // that reports has had all of it; one that stands down or fails waits for one command at most.
    prefetched.stop();
    await prefetched.ready;
    workspace.dispose();
  }
}

function report(config: PromotionConfig, result: PromotionResult): void {
  const { branches } = config;
  const dry = config.dryRun ? "dry run, nothing pushed: would " : "";
  switch (result.promotion) {
    case "up-to-date":
      info(
        `${config.environment} is up to date: ${branches.environment} is at ${shortSha(result.previous)}, which already contains ${shortSha(result.target)}. Nothing pushed.`,
      );
      break;
    case "superseded":
    case "pending-merge-request":
      info(
        `${config.environment}: ${result.standDown}. ${branches.environment} stays at ${result.previous ? shortSha(result.previous) : "(not created yet)"}; nothing pushed.`,
      );
      break;
    case "created":
      info(
        `${config.environment}: ${dry}create ${branches.environment} at ${shortSha(result.promoted)} (${result.commitCount} commits).`,
      );
      break;
    case "fast-forward":
      info(
        `${config.environment}: ${dry}fast-forward ${branches.environment} ${shortSha(result.previous)} → ${shortSha(result.promoted)} (${result.commitCount} commit${result.commitCount === 1 ? "" : "s"}).`,
      );
      break;
  }
}

runJob(async () => {
  const config = readConfig(process.env);
  let result: PromotionResult;
  let reportCounts: Record<string, number>;
  try {
    // Verified deployments (verify.ts, with the Flux client and the gate's judgements) load only for
    // a job that has one: a deploy freeze to judge, verify_agent or staging_agent.
    const { freeze, wait, gate } = config.verification;
    const verify = freeze.frozen || wait || gate ? await import("./verify.ts") : undefined;
    await verify?.beforePromotion(config);
    result = await promote(config);
    report(config, result);
    // GitLab's "Rollback environment" re-runs an old deployment job: say so rather than stand down (rerun.ts).
    await refuseRollbackRerun(config, result);
    // The report before the wait: the log says what ships while Flux applies it.
    reportCounts = await publishReport(config, result);
    // Verified deployments (verify.ts): the job, and so GitLab's deployment, ends once Flux applied the commit.
    await verify?.verifyDeployment(config, result);
  } finally {
    config.credential.dispose();
  }
  writeOutputs(OUTPUTS, config.outputDir, {
    GITOPS_PREVIOUS_SHA: result.previous,
    GITOPS_PROMOTED_SHA: result.promoted,
    GITOPS_PROMOTION: result.promotion,
    GITOPS_COMMIT_COUNT: result.commitCount,
    // A dry run reports what would happen; later jobs must be able to tell. (Not GITOPS_DRY_RUN:
    // a dotenv variable outranks a later job's own variable of the same name.)
    GITOPS_PROMOTION_DRY_RUN: String(config.dryRun),
    ...reportCounts,
  });
});
