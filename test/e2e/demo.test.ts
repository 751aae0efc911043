/**
 * The whole flow end to end (`npm run demo` runs the same scenario): merge request → review app →
 * merge → build, test, bump and staging (which waits for the simulated Flux) in the merge commit's
 * pipeline → production refused until staging soaked → no job in the bump commit's pipeline →
 * production refused during a deploy freeze → after the soak, manual production in the merge
 * commit's pipeline (which waits for Flux too).
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
async function inScratch<T>(body: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; left: string[]; processes: string[] }> {
  const scratch = mkdtempSync(path.join(tmpdir(), "gitops-e2e-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = scratch;
  try {
    const [outcome] = await Promise.allSettled([body()]);
    const left = readdirSync(scratch).filter((name) => !name.startsWith("gitops-base-busybox-")); // the base image cache is kept by design
    const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((line) => line.includes(scratch));
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

  it("moves an image from a merge request to production, forward only, leaving no process or temporary file behind", async () => {
    const { outcome, left, processes } = await inScratch(() => runDemo());
    if (outcome.status === "rejected") throw outcome.reason;
    const result: DemoResult = outcome.value;
    expect(result.steps.map((s) => s.name)).toEqual([
      "start the git server, the registry and the Kubernetes API stand-in (127.0.0.1 only)",
      expect.stringMatching(/^publish the catalog \d+\.\d+\.\d+ and create the application$/),
      "merge request pipeline on feature/greeting: build → test → review deploy",
      "merge: the review stop job removes the namespace",
      "default-branch pipeline of the merge commit: build → test → update-manifests (a bump commit) → promote-staging (the bump)",
      "the manual production job, played at once: refused, staging has not run the bump for staging_soak (30 s)",
      "the bump commit's pipeline: no job (no build, no bump, no second deployment)",
      "a deploy freeze (GitLab sets CI_DEPLOY_FREEZE): the production job refuses and says so",
      "staging runs the bump for staging_soak (30 s, counted from Flux's status.history)",
      "the manual production job of the merge commit's pipeline fast-forwards _gitlab/agents/production to the bump",
    ]);
    // Each environment received exactly one commit: the bump, naming the image built for the change.
    const image = expect.stringMatching(new RegExp(`/group/app@${result.digest}$`));
    expect(result.deliveries).toEqual([
      { branch: "_gitlab/agents/staging", commit: result.branches.main, title: expect.stringContaining("[gitops-bump]"), bumpOf: expect.stringMatching(/^[0-9a-f]{40}$/), image, step: result.steps[4]?.name },
      { branch: "_gitlab/agents/production", commit: result.branches.main, title: expect.stringContaining("[gitops-bump]"), bumpOf: expect.stringMatching(/^[0-9a-f]{40}$/), image, step: result.steps[9]?.name },
    ]);
    // Flux applied each delivery in the step that pushed it: the promotion job ended only after that.
    expect(result.reconciliations).toEqual([
      { environment: "staging", commit: result.branches.main, at: expect.any(Number), step: result.steps[4]?.name },
      { environment: "production", commit: result.branches.main, at: expect.any(Number), step: result.steps[9]?.name },
    ]);
    // Production was applied no sooner than staging_soak after staging.
    expect((result.reconciliations[1]?.at ?? 0) - (result.reconciliations[0]?.at ?? 0)).toBeGreaterThanOrEqual(30_000);
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.kustomization).toContain(`digest: ${result.digest}`);
    expect(result.branches["_gitlab/agents/staging"]).toBe(result.branches.main);
    expect(result.branches["_gitlab/agents/production"]).toBe(result.branches.main);
    expect(result.reviewNamespaces).toEqual([]);
    expect(left).toEqual([]);
    expect(processes).toEqual([]);
  }, 240_000);
});
