/**
 * The whole flow end to end (`npm run demo` runs the same scenario): merge request → review app →
 * merge → build and bump on main → staging from the bump commit's pipeline → manual production.
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
      "default-branch pipeline: build → update-manifests (a bump commit on main)",
      "the bump commit's pipeline: no build, promote-staging fast-forwards _gitlab/agents/staging",
      "the manual production job fast-forwards _gitlab/agents/production",
    ]);
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.kustomization).toContain(`digest: ${result.digest}`);
    expect(result.branches["_gitlab/agents/staging"]).toBe(result.branches.main);
    expect(result.branches["_gitlab/agents/production"]).toBe(result.branches.main);
    expect(result.reviewNamespaces).toEqual([]);
    expect(left).toEqual([]);
    expect(processes).toEqual([]);
  }, 240_000);
});
