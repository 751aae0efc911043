/**
 * The whole flow end to end (`npm run demo` runs the same scenario): merge request → review app →
 * merge → build, test, bump, staging (which waits for the simulated Flux) and the production preview
 * in the merge commit's pipeline → production refused until staging soaked → no job in the bump
 * commit's pipeline → production refused during a deploy freeze → after the soak, manual production
 * in the merge commit's pipeline (which waits for Flux too) → a second change the same way → the
 * rollback job's revert on main → its pipeline promotes it through the same jobs (Flux wait, soak
 * gate): production returns to the first image.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DemoAssertionFailed, runDemo, type DemoResult } from "../../demo/scenario.ts";
import { requireTools } from "../support/tools.ts";

const tools = requireTools("git", "rsync", "buildah", "skopeo", "docker-registry", "busybox", "kubectl");

/** Runs `body` with TMPDIR pointing at a fresh directory; returns what it left there and the processes still using it. */
async function inScratch<T>(
  body: () => Promise<T>,
): Promise<{ outcome: PromiseSettledResult<T>; left: string[]; processes: string[] }> {
  const scratch = mkdtempSync(path.join(tmpdir(), "gitops-e2e-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = scratch;
  try {
    const [outcome] = await Promise.allSettled([body()]);
    const left = readdirSync(scratch).filter((name) => !name.startsWith("gitops-base-busybox-")); // the base image cache is kept by design
    const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes(scratch));
    return { outcome: outcome as PromiseSettledResult<T>, left, processes };
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(scratch, { recursive: true, force: true });
  }
}

describe.skipIf(!tools)("the GitOps flow, end to end", () => {
  it("stops everything and removes every temporary file when a step fails (a consumer pinned to a version that does not exist)", async () => {
    const { outcome, left, processes } = await inScratch(() => runDemo({ pin: "0.0.0-missing" }));
    expect(outcome.status).toBe("rejected");
    const reason = (outcome as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(DemoAssertionFailed);
    expect(reason.message).toMatch(/^merge request pipeline failed:/);
    expect(left).toEqual([]);
    expect(processes).toEqual([]);
  }, 120_000);

  it("moves an image from a merge request to production, previews and rolls back production, forward only, leaving no process or temporary file behind", async () => {
    const { outcome, left, processes } = await inScratch(() => runDemo());
    if (outcome.status === "rejected") throw outcome.reason;
    const result: DemoResult = outcome.value;
    expect(result.steps.map((s) => s.name)).toEqual([
      "start the git server, the registry, and the Kubernetes and GitLab API stand-ins (127.0.0.1 only)",
      expect.stringMatching(/^publish the catalog \d+\.\d+\.\d+ and create the application$/),
      "merge request pipeline on feature/greeting: build → test → review deploy",
      "merge: the review stop job removes the namespace",
      "default-branch pipeline of the merge commit: build → test → update-manifests (a bump commit) → promote-staging (the bump) → preview-production (the report of what production would receive)",
      "the manual production job, played at once: refused, staging has not run the bump for staging_soak (30 s)",
      "the bump commit's pipeline: no job (no build, no bump, no second deployment)",
      "a deploy freeze (GitLab sets CI_DEPLOY_FREEZE): the production job refuses and says so",
      "staging runs the bump for staging_soak (30 s, counted from Flux's status.history)",
      "the manual production job of the merge commit's pipeline fast-forwards _gitlab/agents/production to the bump",
      "a second change, merged: its pipeline builds, bumps and promotes staging; preview-production shows production's image would change",
      "the manual production job of the second change's pipeline, once staging ran it for staging_soak: production gets the second image",
      "rollback-production (manual): one commit on main reverts what production received in its last promotion",
      "the rollback commit's pipeline: no build, no bump; promote-staging moves staging to it",
      "the manual production job of the rollback commit's pipeline, once staging ran it for staging_soak: production returns to the first image",
    ]);
    // Each environment received the first bump, the second bump, then the rollback commit naming the first image again.
    const first = expect.stringMatching(new RegExp(`/group/app@${result.digest}$`));
    const second = expect.stringMatching(new RegExp(`/group/app@${result.secondDigest}$`));
    const sha = expect.stringMatching(/^[0-9a-f]{40}$/);
    const received = (branch: string, steps: [number, number, number]) => [
      {
        branch,
        commit: sha,
        title: expect.stringContaining("[gitops-bump]"),
        bumpOf: sha,
        image: first,
        step: result.steps[steps[0]]?.name,
      },
      {
        branch,
        commit: sha,
        title: expect.stringContaining("[gitops-bump]"),
        bumpOf: sha,
        image: second,
        step: result.steps[steps[1]]?.name,
      },
      {
        branch,
        commit: result.branches.main,
        title: expect.stringMatching(/^Roll back production to [0-9a-f]{12}: revert 3 commits \[gitops-rollback\]$/),
        rollbackOf: sha,
        image: first,
        step: result.steps[steps[2]]?.name,
      },
    ];
    const STAGING_STEPS = [4, 10, 13] as const;
    const PRODUCTION_STEPS = [9, 11, 14] as const;
    expect(result.deliveries.filter((d) => d.branch === "_gitlab/agents/staging")).toEqual(
      received("_gitlab/agents/staging", [...STAGING_STEPS]),
    );
    expect(result.deliveries.filter((d) => d.branch === "_gitlab/agents/production")).toEqual(
      received("_gitlab/agents/production", [...PRODUCTION_STEPS]),
    );
    // Flux applied each delivery in the step that pushed it (the rollback commit too): the promotion job ended only after that.
    const applied = (environment: string, steps: readonly number[]) =>
      result.deliveries
        .filter((d) => d.branch === `_gitlab/agents/${environment}`)
        .map((d, i) => ({
          environment,
          commit: d.commit,
          at: expect.any(Number),
          step: result.steps[steps[i] as number]?.name,
        }));
    expect(result.reconciliations.filter((r) => r.environment === "staging")).toEqual(
      applied("staging", STAGING_STEPS),
    );
    expect(result.reconciliations.filter((r) => r.environment === "production")).toEqual(
      applied("production", PRODUCTION_STEPS),
    );
    // Production applied each bump no sooner than staging_soak after staging did. The rollback commit's
    // manifests are the first bump's, which staging ran long before: Flux keeps one history entry per
    // manifests digest, so the gate counts its soak from then and production follows at once.
    for (const delivery of result.deliveries.filter((d) => d.branch === "_gitlab/agents/production")) {
      const at = (environment: string) =>
        result.reconciliations.find((r) => r.environment === environment && r.commit === delivery.commit)?.at ?? 0;
      expect(at("production") - at("staging")).toBeGreaterThanOrEqual(delivery.bumpOf ? 30_000 : 0);
    }
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.secondDigest).not.toBe(result.digest);
    expect(result.kustomization).toContain(`digest: ${result.digest}`);
    // The report before each production promotion: the first creates production, the second changes its image.
    expect(result.previews[0]).toMatch(
      /^Dry run, nothing pushed: would create `_gitlab\/agents\/production` at `[0-9a-f]{12}` \(created\): 4 commits, 1 merge request, 0 image changes\.$/m,
    );
    expect(result.previews[1]).toMatch(
      new RegExp(
        `^- \`deploy/base/kustomization.yaml\` \`images\\[.*/group/app\\]\`: \`.*@${result.digest}\` → \`.*@${result.secondDigest}\`$`,
        "m",
      ),
    );
    expect(result.branches["_gitlab/agents/staging"]).toBe(result.branches.main);
    expect(result.branches["_gitlab/agents/production"]).toBe(result.branches.main);
    expect(result.reviewNamespaces).toEqual([]);
    expect(left).toEqual([]);
    expect(processes).toEqual([]);
  }, 600_000);
});
