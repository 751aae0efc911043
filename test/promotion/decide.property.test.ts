/**
 * `decide()` against simulated histories (fast-check, 1,000 random runs): main grows by commits and
 * merges, feature commits appear off main, and promotion jobs to staging and production start and
 * finish interleaved, each deciding on a snapshot of the branch tips and pushing later with git's
 * real rule (a plain push lands only if the server's branch is an ancestor of the pushed commit;
 * otherwise the job fetches again and decides again). Whatever happens:
 * - staging only holds commits of main, and production only commits of staging;
 * - no environment branch ever moves backwards;
 * - promoting main's tip afterwards brings staging and then production to it (the rules are not
 *   merely safe by refusing everything).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decide,
  type BranchTips,
  type PromotionBranches,
  type PromotionPlan,
} from "../../components/promotion/decide.ts";

const MAIN = "main";
const STAGING = "_gitlab/agents/staging";
const PRODUCTION = "_gitlab/agents/production";

/** A commit graph and a server holding branches, with git's ancestry and push rules. */
class SimulatedRepo {
  private parents = new Map<string, string[]>();
  private ancestors = new Map<string, Set<string>>();
  readonly branches = new Map<string, string>();
  readonly commits: string[] = [];
  /** Every value each environment branch has held, in order. */
  readonly history = new Map<string, string[]>();

  commit(parents: string[]): string {
    const sha = `c${this.commits.length.toString().padStart(4, "0")}`.padEnd(40, "0");
    this.parents.set(sha, parents);
    const set = new Set<string>([sha]);
    for (const p of parents) for (const a of this.ancestorsOf(p)) set.add(a);
    this.ancestors.set(sha, set);
    this.commits.push(sha);
    return sha;
  }

  ancestorsOf(sha: string): Set<string> {
    return this.ancestors.get(sha) ?? new Set();
  }

  isAncestor = (a: string, b: string): boolean => this.ancestorsOf(b).has(a);

  /** The server side of `git push <sha>:refs/heads/<branch>` without force. */
  push(branch: string, sha: string): boolean {
    const current = this.branches.get(branch);
    if (current !== undefined && !this.isAncestor(current, sha)) return false;
    this.branches.set(branch, sha);
    this.history.set(branch, [...(this.history.get(branch) ?? []), sha]);
    return true;
  }
}

/** A promotion job between its decision and its push. */
interface PendingJob {
  branches: PromotionBranches;
  target: string;
  plan: PromotionPlan;
  attempts: number;
}

function tipsOf(repo: SimulatedRepo, branches: PromotionBranches): BranchTips {
  return {
    source: repo.branches.get(branches.source) as string,
    environment: repo.branches.get(branches.environment),
    ...(branches.required ? { required: repo.branches.get(branches.required) } : {}),
  };
}

function decideNow(repo: SimulatedRepo, branches: PromotionBranches, target: string): PromotionPlan {
  return decide({ branches, target, tips: tipsOf(repo, branches), isAncestor: repo.isAncestor });
}

/** Finishes a job: push its plan; a rejected push fetches and decides again (at most 10 attempts). */
function finish(repo: SimulatedRepo, job: PendingJob): PromotionPlan {
  let plan = job.plan;
  for (let attempt = job.attempts; attempt < 10; attempt++) {
    if (plan.action !== "push") return plan;
    if (repo.push(job.branches.environment, plan.target)) return plan;
    plan = decideNow(repo, job.branches, job.target);
  }
  throw new Error("a promotion exhausted its attempts without other jobs running");
}

const STAGING_JOB: PromotionBranches = { source: MAIN, environment: STAGING };
const PRODUCTION_JOB: PromotionBranches = { source: MAIN, environment: PRODUCTION, required: STAGING };

type Op =
  | { kind: "commit" }
  | { kind: "merge"; from: number; length: number }
  | { kind: "feature"; from: number }
  | { kind: "start"; production: boolean; pick: number; old: boolean }
  | { kind: "finish"; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "commit" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("merge" as const),
      from: fc.nat(),
      length: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("feature" as const), from: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("start" as const),
      production: fc.boolean(),
      pick: fc.nat(),
      old: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("finish" as const), pick: fc.nat() }) },
);

function pickFrom<T>(list: readonly T[], n: number): T {
  return list[n % list.length] as T;
}

function checkInvariants(repo: SimulatedRepo): void {
  const main = repo.branches.get(MAIN) as string;
  const staging = repo.branches.get(STAGING);
  const production = repo.branches.get(PRODUCTION);
  if (staging) expect(repo.isAncestor(staging, main), "staging holds only commits of main").toBe(true);
  if (production) {
    expect(staging, "production exists only after staging").toBeDefined();
    expect(repo.isAncestor(production, staging as string), "production holds only commits of staging").toBe(true);
  }
  for (const values of repo.history.values())
    for (let i = 1; i < values.length; i++)
      expect(
        repo.isAncestor(values[i - 1] as string, values[i] as string),
        "an environment branch never moves backwards",
      ).toBe(true);
}

/** Runs a history of operations; returns the repository afterwards. */
function play(ops: Op[]): SimulatedRepo {
  const repo = new SimulatedRepo();
  const root = repo.commit([]);
  repo.branches.set(MAIN, root);
  const mainLine: string[] = [root];
  const pending: PendingJob[] = [];
  for (const o of ops) {
    switch (o.kind) {
      case "commit": {
        const c = repo.commit([repo.branches.get(MAIN) as string]);
        repo.branches.set(MAIN, c);
        mainLine.push(c);
        break;
      }
      case "merge": {
        let side = pickFrom(mainLine, o.from);
        for (let i = 0; i < o.length; i++) side = repo.commit([side]);
        const m = repo.commit([repo.branches.get(MAIN) as string, side]);
        repo.branches.set(MAIN, m);
        mainLine.push(m);
        break;
      }
      case "feature":
        repo.commit([pickFrom(repo.commits, o.from)]);
        break;
      case "start": {
        // A pipeline's commit: usually main's tip, sometimes an older pipeline, or any commit at all
        // (a feature branch, a side commit of a merge).
        const target = o.old ? pickFrom(repo.commits, o.pick) : (repo.branches.get(MAIN) as string);
        const branches = o.production ? PRODUCTION_JOB : STAGING_JOB;
        pending.push({ branches, target, plan: decideNow(repo, branches, target), attempts: 0 });
        break;
      }
      case "finish": {
        if (pending.length === 0) break;
        const [job] = pending.splice(o.pick % pending.length, 1);
        const plan = finish(repo, job as PendingJob);
        if (plan.action === "push") expect(repo.isAncestor(plan.target, repo.branches.get(MAIN) as string)).toBe(true);
        break;
      }
    }
    checkInvariants(repo);
  }
  while (pending.length > 0) {
    finish(repo, pending.shift() as PendingJob);
    checkInvariants(repo);
  }
  return repo;
}

describe("decide() on simulated histories", () => {
  it("keeps staging within main and production within staging, never moving either backwards, and still promotes main's tip", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const repo = play(ops);
        const tip = repo.branches.get(MAIN) as string;
        const staged = finish(repo, {
          branches: STAGING_JOB,
          target: tip,
          plan: decideNow(repo, STAGING_JOB, tip),
          attempts: 0,
        });
        expect(staged.action).not.toBe("refuse");
        expect(repo.branches.get(STAGING)).toBe(tip);
        const released = finish(repo, {
          branches: PRODUCTION_JOB,
          target: tip,
          plan: decideNow(repo, PRODUCTION_JOB, tip),
          attempts: 0,
        });
        expect(released.action).not.toBe("refuse");
        expect(repo.branches.get(PRODUCTION)).toBe(tip);
        checkInvariants(repo);
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses, and pushes nothing, whenever the environment branch holds a commit main lacks", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), fc.nat(), fc.nat(), (ops, hotfixBase, targetPick) => {
        const repo = play(ops);
        const hotfix = repo.commit([pickFrom(repo.commits, hotfixBase)]);
        repo.branches.set(STAGING, hotfix);
        const target = pickFrom(repo.commits, targetPick);
        const plan = decideNow(repo, STAGING_JOB, target);
        expect(plan.action).toBe("refuse");
        if (plan.action === "refuse") expect(["diverged", "target-not-on-source"]).toContain(plan.reason);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses production for any commit staging lacks, whatever main holds", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), fc.nat(), (ops, targetPick) => {
        const repo = play(ops);
        const target = pickFrom(repo.commits, targetPick);
        const staging = repo.branches.get(STAGING);
        const plan = decideNow(repo, PRODUCTION_JOB, target);
        if (staging === undefined || !repo.isAncestor(target, staging)) expect(plan.action).toBe("refuse");
      }),
      { numRuns: 500 },
    );
  });
});
