/**
 * `chooseTarget()` and `decide()` together against simulated default-branch pipelines (fast-check,
 * 500 random runs). Changes land on main; each pipeline builds images for some applications (none
 * for a manifests-only change); its update-manifests jobs run in any order with other pipelines'
 * jobs, each pushing a bump on main's tip unless a later change's bump of the same image is there
 * already (update-manifests' own stand-down); once a pipeline's bumps are done its promotion job
 * chooses a target, decides and pushes staging. Whatever the interleaving:
 * - staging only ever receives a bump made for the promoting pipeline's change, or that change's own
 *   commit when no bump was made or superseded for it;
 * - the commit staging receives names, for every image the change built, that image or a newer one;
 * - staging never moves backwards;
 * - once every job has run, staging is at main's tip: every change is deployed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chooseTarget, decide, type LaterCommit } from "../../components/promotion/decide.ts";

const APPS = ["api", "web"] as const;
type App = (typeof APPS)[number];

/** A commit on main: a change (with the images its pipeline builds) or a bump of one image for a change. */
interface Commit {
  sha: string;
  change?: { apps: App[] };
  bump?: { of: string; app: App };
}

/** Main is linear here (bumps are pushed on its tip, changes merged fast-forward): the index is the order. */
class Main {
  readonly commits: Commit[] = [];
  staging: string | undefined;
  readonly stagingHistory: Array<{ sha: string; by: string }> = [];

  add(commit: Omit<Commit, "sha">): string {
    const sha = `${this.commits.length.toString(16).padStart(8, "0")}`.padEnd(40, commit.bump ? "b" : "c");
    this.commits.push({ sha, ...commit });
    return sha;
  }

  index(sha: string): number {
    return this.commits.findIndex((c) => c.sha === sha);
  }

  tip(): string {
    return (this.commits.at(-1) as Commit).sha;
  }

  isAncestor = (a: string, b: string): boolean => this.index(a) !== -1 && this.index(a) <= this.index(b);

  /** `git log <sha>..main` with parents and trailers. */
  later(sha: string): LaterCommit[] {
    const from = this.index(sha);
    return this.commits.slice(from + 1).map((c, i) => ({
      commit: c.sha,
      parents: [(this.commits[from + i] as Commit).sha],
      ...(c.bump ? { bumpOf: c.bump.of } : {}),
    }));
  }

  /** The pipeline commit whose image of `app` the manifests at `sha` name (undefined: the image from before any bump). */
  imageAt(sha: string, app: App): string | undefined {
    for (let i = this.index(sha); i >= 0; i--) {
      const bump = (this.commits[i] as Commit).bump;
      if (bump?.app === app) return bump.of;
    }
    return undefined;
  }
}

/** One default-branch pipeline: its change and which of its jobs have run. */
interface Pipeline {
  commit: string;
  apps: App[];
  updated: Set<App>;
  promoted: boolean;
}

/** update-manifests for `app`: stands down over a later change's bump of the same image, else bumps on the tip. */
function runUpdate(main: Main, p: Pipeline, app: App): void {
  p.updated.add(app);
  const newer = main.commits.some((c) => c.bump?.app === app && main.index(c.bump.of) > main.index(p.commit));
  if (!newer) main.add({ bump: { of: p.commit, app } });
}

function runPromotion(main: Main, p: Pipeline): void {
  p.promoted = true;
  const choice = chooseTarget({ pipelineCommit: p.commit, later: main.later(p.commit) });
  if (choice.action === "stand-down") return;
  const target = choice.target;
  if (choice.kind === "bump")
    expect(main.commits[main.index(target)]?.bump?.of, "a bump target is a bump made for this change").toBe(p.commit);
  else {
    expect(target, "otherwise the change's own commit").toBe(p.commit);
    expect(
      main.commits.some((c) => c.bump?.of === p.commit),
      "no bump was made for it",
    ).toBe(false);
  }
  for (const app of p.apps) {
    const image = main.imageAt(target, app);
    expect(
      image !== undefined && main.index(image) >= main.index(p.commit),
      `the target names ${app}'s image of this change or a newer one`,
    ).toBe(true);
  }
  const plan = decide({
    branches: { source: "main", environment: "staging" },
    target,
    tips: { source: main.tip(), environment: main.staging },
    isAncestor: main.isAncestor,
  });
  expect(plan.action, "a target on main is never refused").not.toBe("refuse");
  if (plan.action !== "push") return;
  if (main.staging !== undefined)
    expect(main.isAncestor(main.staging, target), "staging never moves backwards").toBe(true);
  main.staging = target;
  main.stagingHistory.push({ sha: target, by: p.commit });
}

type Step = { kind: "change"; apps: App[] } | { kind: "job"; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("change" as const), apps: fc.subarray([...APPS]) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("job" as const), pick: fc.nat() }) },
);

/** The jobs that may run now: a pipeline's update-manifests jobs, then (after all of them) its promotion. */
function runnable(pipelines: Pipeline[]): Array<() => [Pipeline, App | "promote"]> {
  const jobs: Array<() => [Pipeline, App | "promote"]> = [];
  for (const p of pipelines) {
    for (const app of p.apps) if (!p.updated.has(app)) jobs.push(() => [p, app]);
    if (!p.promoted && p.apps.every((a) => p.updated.has(a))) jobs.push(() => [p, "promote"]);
  }
  return jobs;
}

function run(main: Main, pipeline: Pipeline, job: App | "promote"): void {
  if (job === "promote") runPromotion(main, pipeline);
  else runUpdate(main, pipeline, job);
}

describe("choosing the promotion target, against simulated pipelines", () => {
  it("deploys each change only as a commit naming its images or newer ones, never backwards, and ends at main's tip", () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (steps, finishOrder) => {
          const main = new Main();
          main.add({ change: { apps: [] } });
          const pipelines: Pipeline[] = [];
          for (const s of steps) {
            if (s.kind === "change") {
              const commit = main.add({ change: { apps: s.apps } });
              pipelines.push({ commit, apps: s.apps, updated: new Set(), promoted: false });
              continue;
            }
            const jobs = runnable(pipelines);
            if (jobs.length === 0) continue;
            const [p, job] = (jobs[s.pick % jobs.length] as () => [Pipeline, App | "promote"])();
            run(main, p, job);
          }
          // Every pipeline finishes, its remaining jobs interleaved with the others'.
          for (let i = 0; ; i++) {
            const jobs = runnable(pipelines);
            if (jobs.length === 0) break;
            const [p, job] = (
              jobs[(finishOrder[i % Math.max(finishOrder.length, 1)] ?? 0) % jobs.length] as () => [
                Pipeline,
                App | "promote",
              ]
            )();
            run(main, p, job);
          }
          if (pipelines.length > 0)
            expect(main.staging, "every change is deployed: staging ends at main's tip").toBe(main.tip());
          for (const { sha } of main.stagingHistory) {
            const commit = main.commits[main.index(sha)] as Commit;
            expect(
              commit.bump !== undefined || commit.change !== undefined,
              "staging only receives bumps and changes",
            ).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
