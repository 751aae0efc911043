/**
 * Verified deployments, the side-effect half (`gate.ts` decides): the deploy-freeze check before
 * anything is fetched, the production gate on staging's Flux before the push, and the wait for
 * Flux to apply the promoted commit after it. The wait runs inside the promotion job itself: GitLab
 * creates a deployment only for an `environment: action: start` job and mirrors that job's status
 * into it (`app/models/concerns/ci/deployable.rb`: `deployment_job?`, `sync_status_with`), so the
 * deployment turns green only once this job has seen the commit applied and Ready.
 *
 * The Kustomization is polled with one `kubectl get -o json` every few seconds rather than
 * `kubectl wait`: the wait needs "this revision and Ready for this generation", a failure as soon
 * as Flux reports one, and Flux's own words at the end, none of which one `--for` expresses.
 */
import { DeployFailedError, ExhaustedError, RefusedError } from "../../runtime/errors.ts";
import type { Git } from "../../runtime/git.ts";
import { info, warn } from "../../runtime/log.ts";
import { fetchTips, openWorkspace, type PromotionWorkspace } from "./apply.ts";
import type { PromotionConfig } from "./config.ts";
import { shortSha } from "./decide.ts";
import { FluxClient, UnreachableClusterError } from "./flux-client.ts";
import { describeResource, formatDuration, type FluxResource, type Kustomization } from "./flux.ts";
import {
  gateQuestions,
  judgeFreeze,
  judgeReconcile,
  judgeStaging,
  pointerMismatch,
  reconcileQuestions,
  reconcileTimeout,
  type ContainsTarget,
} from "./gate.ts";

/** Time, injectable: tests never really sleep. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Pauses between polls (ms): soon after the push first (a webhook-driven Flux is quick), then every 10 s. */
export const POLL_MS = { first: 2000, max: 10_000 } as const;

/** Where a repository for ancestry answers comes from, and how to bring it up to date. */
export interface LineageSource {
  git(): Promise<Git>;
  /** Fetches the branches again (a commit Flux names may be newer than the last fetch). */
  refresh(): Promise<void>;
}

/**
 * "Does commit X contain the target?", from the promotion's tree-less commit graph. A commit the
 * graph lacks (pushed after the fetch) makes it fetch once more; a commit still unknown contains
 * nothing. Answers are kept: a poll asks about the same few commits again and again.
 */
export class TargetLineage {
  private readonly answers = new Map<string, boolean>();
  private readonly refreshedFor = new Set<string>();

  constructor(
    readonly target: string,
    private readonly source: LineageSource,
  ) {
    this.answers.set(target, true);
  }

  /** Answers for `commits` (the questions a `gate.ts` judgement announces). */
  async answer(commits: readonly string[]): Promise<ContainsTarget> {
    for (const commit of commits) {
      if (this.answers.has(commit)) continue;
      let git = await this.source.git();
      if (!(await hasCommit(git, commit)) && !this.refreshedFor.has(commit)) {
        this.refreshedFor.add(commit);
        await this.source.refresh();
        git = await this.source.git();
      }
      if (!(await hasCommit(git, commit))) continue; // unknown for now: asked again at the next poll, never fetched for again
      this.answers.set(commit, await git.isAncestor(this.target, commit));
    }
    return (commit) => this.answers.get(commit) ?? false;
  }
}

async function hasCommit(git: Git, commit: string): Promise<boolean> {
  return (await git.exec(["cat-file", "-e", `${commit}^{commit}`])).code === 0;
}

/** The inputs that name the wait's agent and Kustomization, for messages. */
const WAIT_INPUTS = { agent: "verify_agent", resource: "flux_resource" };

/**
 * Before anything is fetched: refuses during a deploy freeze this job respects, and reads the
 * Kustomization the wait will watch, so a wrong agent or resource, missing rights or a suspended
 * Kustomization fail the job before it pushes, not after.
 */
export async function beforePromotion(config: PromotionConfig): Promise<void> {
  const verdict = judgeFreeze({
    ...config.verification.freeze,
    dryRun: config.dryRun,
    environment: config.environment,
  });
  if (verdict.action === "refuse") throw new RefusedError(verdict.message, verdict.fix);
  if (verdict.note) warn(verdict.note);
  const wait = config.verification.wait;
  if (!wait) return;
  const { resource } = wait;
  const kustomization = await new FluxClient(wait.agent, WAIT_INPUTS).read(resource);
  if (kustomization.spec?.suspend === true)
    throw new RefusedError(
      `Flux Kustomization ${describeResource(resource)} is suspended (spec.suspend: true): Flux would not apply what this job pushes. Nothing was pushed`,
      `resume it (flux resume kustomization ${resource.name} -n ${resource.namespace}), then retry this job`,
    );
}

/**
 * The production gate (`staging_agent`): staging's Kustomization applied the target, is healthy,
 * and has run it for `staging_soak`. Called once a push is decided, before it; a refusal pushes nothing.
 */
export async function checkStagingGate(
  config: PromotionConfig,
  workspace: PromotionWorkspace,
  target: string,
  clock: Clock = SYSTEM_CLOCK,
): Promise<void> {
  const gate = config.verification.gate;
  if (!gate) return;
  const client = new FluxClient(gate.agent, { agent: "staging_agent", resource: "staging_flux_resource" });
  const kustomization = await client.read(gate.resource);
  const lineage = new TargetLineage(target, {
    git: async () => workspace.git,
    refresh: async () => void (await fetchTips(workspace, config.branches, target)),
  });
  const contains = await lineage.answer(gateQuestions(kustomization));
  const verdict = judgeStaging({
    kustomization,
    resource: gate.resource,
    target,
    contains,
    soakMs: gate.soakMs,
    soak: gate.soak,
    now: clock.now(),
  });
  if (verdict.action === "refuse") throw new RefusedError(verdict.message, verdict.fix);
  info(`Production gate passed: ${verdict.message}`);
}

/** What the promotion did, as far as the wait cares. */
export interface PromotedState {
  /** The commit chosen for this change ("" when the job stood down). */
  target: string;
  /** The environment branch's head after the job. */
  promoted: string;
}

/**
 * After the promotion: waits until Flux applied the target to this environment (`verify_agent`).
 * Nothing to wait for after a stand-down or a dry run. The ancestry answers come from a fresh
 * tree-less fetch, made only if Flux names a commit other than the target.
 */
export async function verifyDeployment(
  config: PromotionConfig,
  state: PromotedState,
  clock: Clock = SYSTEM_CLOCK,
): Promise<void> {
  const wait = config.verification.wait;
  if (!wait) return;
  if (config.dryRun)
    return info(
      `Dry run: not waiting for Flux (${describeResource(wait.resource)}), nothing was pushed for it to apply.`,
    );
  if (state.target === "")
    return info(`Nothing was promoted from this pipeline: not waiting for Flux (${describeResource(wait.resource)}).`);
  let workspace: PromotionWorkspace | undefined;
  const source: LineageSource = {
    git: async () => {
      workspace ??= await openWorkspace(config.repositoryUrl, config.credential.git, { keep: config.keepWorkdir });
      return workspace.git;
    },
    refresh: async () => {
      await source.git();
      await fetchTips(workspace as PromotionWorkspace, config.branches, state.target);
    },
  };
  try {
    const client = new FluxClient(wait.agent, WAIT_INPUTS);
    info(
      `Waiting up to ${wait.timeout} for Flux to apply ${shortSha(state.target)} to ${config.environment}: Kustomization ${describeResource(wait.resource)}, through agent ${wait.agent}` +
        (state.promoted !== state.target
          ? ` (${config.branches.environment} is at ${shortSha(state.promoted)}, which contains it)`
          : ""),
    );
    const message = await waitForReconcile({
      read: () => client.read(wait.resource),
      lineage: new TargetLineage(state.target, source),
      resource: wait.resource,
      target: state.target,
      branch: config.branches.environment,
      timeoutMs: wait.timeoutMs,
      timeout: wait.timeout,
      clock,
    });
    info(`${config.environment} runs ${shortSha(state.target)}: ${message}`);
  } finally {
    (workspace as PromotionWorkspace | undefined)?.dispose();
  }
}

/** What the wait loop needs; every effect is injected. */
export interface WaitOptions {
  read(): Promise<Kustomization>;
  lineage: Pick<TargetLineage, "answer">;
  resource: FluxResource;
  target: string;
  branch: string;
  timeoutMs: number;
  /** `verify_timeout` as written, for messages. */
  timeout: string;
  clock: Clock;
}

/**
 * Polls until the Kustomization applied the target (returns Flux's words and the time it took),
 * Flux reports a failure for it (throws, exit code `deployFailed`), or the timeout passes (throws
 * with the last status, exit code `exhausted`). A cluster that cannot be reached is tried again
 * until the timeout; every other read failure ends the wait at once. The log gets one line per
 * change of Flux's status, not one per poll.
 */
export async function waitForReconcile(options: WaitOptions): Promise<string> {
  const { clock } = options;
  const start = clock.now();
  let delay: number = POLL_MS.first;
  let said = "";
  let last: Kustomization | undefined;
  let unreachable: UnreachableClusterError | undefined;
  let noted = false;
  for (;;) {
    let kustomization: Kustomization | undefined;
    try {
      kustomization = await options.read();
      unreachable = undefined;
    } catch (error) {
      if (!(error instanceof UnreachableClusterError)) throw error;
      if (!unreachable) warn(`the cluster could not be reached; trying again until verify_timeout: ${error.message}`);
      unreachable = error;
    }
    if (kustomization) {
      last = kustomization;
      const facts = {
        kustomization,
        resource: options.resource,
        target: options.target,
        branch: options.branch,
        contains: await options.lineage.answer(reconcileQuestions(kustomization)),
      };
      const verdict = judgeReconcile(facts);
      if (verdict.state === "applied") return `${verdict.message} (after ${formatDuration(clock.now() - start)})`;
      if (verdict.state === "failed") throw new DeployFailedError(verdict.message, verdict.fix);
      if (verdict.summary !== said) info(`Flux: ${(said = verdict.summary)}`);
      const mismatch = pointerMismatch(kustomization, options.branch);
      if (mismatch && !noted) {
        noted = true;
        warn(mismatch);
      }
    }
    const elapsed = clock.now() - start;
    if (elapsed >= options.timeoutMs) {
      if (!last && unreachable) throw unreachable;
      const timedOut = reconcileTimeout(
        {
          kustomization: last as Kustomization,
          resource: options.resource,
          target: options.target,
          branch: options.branch,
          contains: () => false,
        },
        options.timeout,
      );
      throw new ExhaustedError(timedOut.message, timedOut.fix);
    }
    await clock.sleep(Math.min(delay, options.timeoutMs - elapsed));
    delay = Math.min(Math.round(delay * 1.5), POLL_MS.max);
  }
}
