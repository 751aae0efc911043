/**
 * The whole flow end to end (`npm run demo` runs the same scenario): merge request → review app →
 * merge → build and bump on main → staging from the bump commit's pipeline → manual production.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runDemo, type DemoResult } from "../../demo/scenario.ts";
import { requireTools } from "../support/tools.ts";

const tools = requireTools("git", "rsync", "buildah", "skopeo", "docker-registry", "busybox", "kubectl");

describe.skipIf(!tools)("the GitOps flow, end to end", () => {
  it("moves an image from a merge request to production, forward only, leaving no process or temporary file behind", async () => {
    // Everything the demo and its jobs create under TMPDIR lands in one directory we can inspect.
    const scratch = mkdtempSync(path.join(tmpdir(), "gitops-e2e-"));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    let result: DemoResult;
    let left: string[];
    let processes: string[];
    try {
      result = await runDemo();
      left = readdirSync(scratch).filter((name) => !name.startsWith("gitops-base-busybox-")); // the base image cache is kept by design
      processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((line) => line.includes(scratch));
    } finally {
      process.env.TMPDIR = previous;
      rmSync(scratch, { recursive: true, force: true });
    }
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
