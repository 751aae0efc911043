/**
 * The verified-deployment decisions, pure, like `decide.ts`: whether Flux has applied the promoted
 * commit (the reconcile wait), whether production may receive a commit (staging applied it, is
 * healthy and has run it for `staging_soak`), and whether a deploy freeze stops the job. Each takes
 * the Kustomization as read and the answers to the ancestry questions it announces
 * ({@link reconcileQuestions}, {@link gateQuestions}); `verify.ts` reads and asks.
 */
import { shortSha } from "./decide.ts";
import {
  condition,
  describeCondition,
  describeStatus,
  formatDuration,
  isCurrent,
  parseRevision,
  revisionCommit,
  type FluxResource,
  type Kustomization,
} from "./flux.ts";

/** Does this commit contain the target (is the target an ancestor of it, or the commit itself)? */
export type ContainsTarget = (commit: string) => boolean;

/** The commits {@link judgeReconcile} asks {@link ContainsTarget} about. */
export function reconcileQuestions(k: Kustomization): string[] {
  return commits([k.status?.lastAppliedRevision, k.status?.lastAttemptedRevision]);
}

/** The commits {@link judgeStaging} asks {@link ContainsTarget} about. */
export function gateQuestions(k: Kustomization): string[] {
  return commits([
    k.status?.lastAppliedRevision,
    ...(k.status?.history ?? []).map((entry) => entry.metadata?.revision),
  ]);
}

function commits(revisions: Array<string | undefined>): string[] {
  return [...new Set(revisions.map(revisionCommit).filter((c): c is string => c !== undefined))];
}

/** Why Flux will not (or did not) run the target: suspended, stalled, or Ready=False for this generation. */
type FluxProblem = { reason: "suspended" | "stalled" | "failing"; message: string };

function fluxProblem(k: Kustomization, where: string): FluxProblem | undefined {
  if (k.spec?.suspend === true)
    return { reason: "suspended", message: `${where} is suspended (spec.suspend: true): Flux applies nothing to it` };
  const stalled = condition(k, "Stalled");
  if (stalled?.status === "True" && isCurrent(k, stalled))
    return {
      reason: "stalled",
      message: `${where} is stalled: ${describeCondition(stalled, "Stalled")}; ${describeStatus(k)}`,
    };
  const ready = condition(k, "Ready");
  if (ready?.status === "False" && isCurrent(k, ready) && ready.reason !== "Progressing")
    return { reason: "failing", message: `${where} reports a failure: ${describeStatus(k)}` };
  return undefined;
}

/** `kubectl events` for the object: where Flux's history of it is. */
function eventsHint(resource: FluxResource): string {
  return `kubectl events --for kustomization/${resource.name} -n ${resource.namespace}`;
}

/** What the reconcile wait knows at one poll. */
export interface ReconcileFacts {
  kustomization: Kustomization;
  resource: FluxResource;
  /** The commit this job promoted (or found already there). */
  target: string;
  /** The environment branch Flux should apply. */
  branch: string;
  contains: ContainsTarget;
}

/** Where the wait stands after one poll. */
export type ReconcileVerdict =
  | { state: "applied"; message: string }
  | { state: "waiting"; summary: string }
  | { state: "failed"; reason: FluxProblem["reason"]; message: string; fix: string };

/**
 * Has Flux applied the target? Applied: the last applied revision contains the target and Ready is
 * True for the current generation (Ready alone proves nothing: it stays True for the previous
 * revision until the source moves). Failed: suspended, Stalled (Flux's terminal state), or Ready
 * False for the current generation once Flux attempted a revision containing the target. Anything
 * else is waiting, including `ArtifactFailed` or `DependencyNotReady` before the new revision was
 * even fetched: those can clear on their own, and the timeout reports them.
 */
export function judgeReconcile(facts: ReconcileFacts): ReconcileVerdict {
  const { kustomization: k, resource, target, contains } = facts;
  const t = shortSha(target);
  const status = k.status ?? {};
  const ready = condition(k, "Ready");
  const applied = revisionCommit(status.lastAppliedRevision);
  const where = `Flux Kustomization ${resource.namespace}/${resource.name}`;
  if (
    ready?.status === "True" &&
    isCurrent(k, ready) &&
    applied !== undefined &&
    contains(applied) &&
    k.spec?.suspend !== true
  )
    return {
      state: "applied",
      message: `${where} applied ${status.lastAppliedRevision}, which contains ${t}: ${describeCondition(ready)}`,
    };
  const problem = fluxProblem(k, where);
  const attempted = revisionCommit(status.lastAttemptedRevision);
  if (problem && (problem.reason !== "failing" || (attempted !== undefined && contains(attempted))))
    return {
      state: "failed",
      reason: problem.reason,
      message: `${problem.message}; ${t} is not verified`,
      fix: `fix what Flux names (${eventsHint(resource)}), then retry this job: ${facts.branch} already holds ${t}`,
    };
  return { state: "waiting", summary: describeStatus(k) };
}

/**
 * A note when the Kustomization applies another branch than the environment branch (its
 * GitRepository tracks something else). Not a failure by itself: what it applies may still
 * contain the target.
 */
export function pointerMismatch(k: Kustomization, branch: string): string | undefined {
  const pointer = parseRevision(k.status?.lastAppliedRevision ?? k.status?.lastAttemptedRevision)?.pointer;
  if (pointer === undefined || pointer === branch || pointer === `refs/heads/${branch}`) return undefined;
  return `the Kustomization applies ${pointer}, not ${branch}: its GitRepository should track ${branch}`;
}

/** The failure when the wait times out: Flux's last words and where to look. */
export function reconcileTimeout(facts: ReconcileFacts, timeout: string): { message: string; fix: string } {
  const { kustomization: k, resource } = facts;
  const mismatch = pointerMismatch(k, facts.branch);
  return {
    message: `Flux did not report ${shortSha(facts.target)} applied and Ready within verify_timeout (${timeout}); Flux Kustomization ${resource.namespace}/${resource.name}: ${describeStatus(k)}${mismatch ? `; ${mismatch}` : ""}`,
    fix: `check that Flux fetches ${facts.branch} (flux get sources git -A) and the Kustomization's events (${eventsHint(resource)}); raise verify_timeout if Flux is only slow. Retrying this job waits again`,
  };
}

/** What the production gate reads about staging. */
export interface StagingFacts {
  kustomization: Kustomization;
  resource: FluxResource;
  /** The commit production would receive. */
  target: string;
  contains: ContainsTarget;
  /** `staging_soak` in milliseconds, and as written. */
  soakMs: number;
  soak: string;
  /** The time now, in milliseconds since the epoch. */
  now: number;
}

/** Why the production gate refuses. */
export type GateRefusal = FluxProblem["reason"] | "not-applied" | "no-history" | "no-record" | "soaking";

/** The production gate's answer. */
export type GateVerdict =
  | { action: "pass"; message: string }
  | { action: "refuse"; reason: GateRefusal; message: string; fix: string };

/**
 * May production receive the target? Only if staging's Kustomization is neither suspended, stalled
 * nor failing, has applied a revision containing the target, and (with a soak) has run such a
 * revision successfully for at least `staging_soak`. The soak starts at the earliest
 * `firstReconciled` of the successful `status.history` entries whose revision contains the target:
 * Flux keeps one entry per rendered-manifests digest, so that is when staging first ran the
 * target's manifests or a later commit's. `Ready.lastTransitionTime` cannot serve: every
 * reconciliation marks Ready Unknown and then True again, so it restarts every interval.
 */
export function judgeStaging(facts: StagingFacts): GateVerdict {
  const { kustomization: k, resource, target, contains } = facts;
  const t = shortSha(target);
  const where = `staging's Flux Kustomization ${resource.namespace}/${resource.name}`;
  const refuse = (reason: GateRefusal, message: string, fix: string): GateVerdict => ({
    action: "refuse",
    reason,
    message: `${message}. Nothing was pushed`,
    fix,
  });
  const problem = fluxProblem(k, where);
  if (problem)
    return refuse(
      problem.reason,
      `${problem.message}; production only receives what staging runs healthily`,
      `fix staging first (${eventsHint(resource)}), then run this job again`,
    );
  const status = k.status ?? {};
  const applied = revisionCommit(status.lastAppliedRevision);
  if (applied === undefined || !contains(applied))
    return refuse(
      "not-applied",
      `${where} has not applied ${t} yet: ${describeStatus(k)}`,
      `run this job again once Flux applied ${t} to staging (promote-staging with verify_agent waits for that)`,
    );
  const healthy = `${where} applied ${status.lastAppliedRevision}, which contains ${t}: ${describeCondition(condition(k, "Ready"))}`;
  if (facts.soakMs <= 0) return { action: "pass", message: healthy };

  if (status.history === undefined)
    return refuse(
      "no-history",
      `staging_soak is ${facts.soak}, but ${where} has no status.history (Flux records it from v2.7.0, kustomize-controller v1.7.0), so how long staging has run ${t} is unknown`,
      "upgrade Flux on staging to v2.7.0 or later, or set staging_soak: 0 (the gate then checks that staging applied the commit and is healthy)",
    );
  const starts = status.history
    .filter(
      (entry) =>
        entry.lastReconciledStatus === "ReconciliationSucceeded" &&
        contains(revisionCommit(entry.metadata?.revision) ?? ""),
    )
    .map((entry) => Date.parse(entry.firstReconciled ?? ""))
    .filter(Number.isFinite);
  if (starts.length === 0)
    return refuse(
      "no-record",
      `${healthy}, but its status.history holds no successful reconciliation of ${t} or later`,
      "run this job again after staging's next successful reconciliation",
    );
  const since = Math.min(...starts);
  // The runner's clock may be behind the cluster's: never a negative time.
  const ran = Math.max(0, facts.now - since);
  const sinceText = new Date(since).toISOString();
  if (ran < facts.soakMs)
    return refuse(
      "soaking",
      `staging has run ${t} (or later) since ${sinceText}, for ${formatDuration(ran)}; staging_soak is ${facts.soak}: ${formatDuration(facts.soakMs - ran)} left`,
      `run this job again after ${new Date(since + facts.soakMs).toISOString()}`,
    );
  return {
    action: "pass",
    message: `${healthy}; staging has run it since ${sinceText}, for ${formatDuration(ran)} (staging_soak ${facts.soak})`,
  };
}

/** What the freeze check knows. */
export interface FreezeFacts {
  /** GitLab set `CI_DEPLOY_FREEZE` for this job. */
  frozen: boolean;
  /** `respect_deploy_freeze`. */
  respect: boolean;
  dryRun: boolean;
  environment: string;
}

/** The freeze check's answer: go on (perhaps with a note for the log), or refuse before anything is fetched. */
export type FreezeVerdict = { action: "proceed"; note?: string } | { action: "refuse"; message: string; fix: string };

/**
 * GitLab sets `CI_DEPLOY_FREEZE` ("true") in jobs that run during one of the project's deploy
 * freeze periods (`Gitlab::Ci::Variables::Builder::Pipeline`, `pipeline.freeze_period?`, computed
 * when the job's variables are built). A respected freeze refuses; a dry run pushes nothing, so it runs.
 */
export function judgeFreeze(facts: FreezeFacts): FreezeVerdict {
  if (!facts.frozen) return { action: "proceed" };
  const freeze = "GitLab reports a deploy freeze (CI_DEPLOY_FREEZE)";
  if (!facts.respect)
    return {
      action: "proceed",
      note: `${freeze}; respect_deploy_freeze is false: promoting ${facts.environment} anyway`,
    };
  if (facts.dryRun) return { action: "proceed", note: `${freeze}; a dry run pushes nothing, so it runs` };
  return {
    action: "refuse",
    message: `${freeze}: ${facts.environment} is not promoted during a freeze. Nothing was fetched or pushed`,
    fix: "run this job again after the freeze (Settings > CI/CD > Deploy freezes), or set respect_deploy_freeze: false",
  };
}
