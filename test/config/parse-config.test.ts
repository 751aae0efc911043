/**
 * `gitops.config.ts` is checked before anything is generated: each bad value is reported with its
 * key, the value and the fix, all at once, and `npm run generate` refuses it (exit 1, nothing written).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../generator/cli.ts";
import { parseConfig } from "../../generator/parse-config.ts";
import { formatProblem } from "../../generator/problems.ts";

const good = {
  catalogProject: "platform/gitops-components",
  reviewAgent: "platform/gitops-agents:review",
  environmentBranches: {
    staging: "_gitlab/agents/staging",
    production: "_gitlab/agents/production",
    review: "_gitlab/agents/review",
  },
};

function problems(change: Record<string, unknown>): string[] {
  return parseConfig({ ...good, ...change }).problems.map(formatProblem);
}

describe("parseConfig", () => {
  it("accepts the repository's own configuration, with or without a registry", () => {
    expect(parseConfig(good)).toEqual({ config: good, problems: [] });
    expect(parseConfig({ ...good, registry: "registry.example.com:5050" }).problems).toEqual([]);
  });

  it.each([
    [
      { catalogProject: "gitops-components" },
      "gitops.config.ts › catalogProject: needs a group (or user) and a project: group/project",
    ],
    [
      { catalogProject: "platform/-components" },
      'has the segment "-components", which GitLab does not accept in a path',
    ],
    [{ catalogProject: "platform/components.git" }, 'has the segment "components.git"'],
    [
      { catalogProject: "platform/My_.Catalog" },
      "makes the tools image $CI_REGISTRY/platform/my_.catalog/tools, which is not a valid image name",
    ],
    [
      { registry: "https://registry.example.com" },
      'gitops.config.ts › registry: is not a registry host[:port] (got "https://registry.example.com"). Fix: write the host and port only',
    ],
    [
      { reviewAgent: "platform/gitops-agents/review" },
      "gitops.config.ts › reviewAgent: is not an agent as GitLab names its kube context",
    ],
    [{ reviewAgent: "platform/gitops-agents:Review_EU" }, "reviewAgent: is not an agent"],
    [
      { environmentBranches: { ...good.environmentBranches, staging: "_gitlab/agents/staging " } },
      'gitops.config.ts › environmentBranches › staging: is not a valid branch name (got "_gitlab/agents/staging ")',
    ],
    [
      { environmentBranches: { ...good.environmentBranches, production: "_gitlab/agents/prod..eu" } },
      "environmentBranches › production: is not a valid branch name",
    ],
    [
      { environmentBranches: { ...good.environmentBranches, review: "_gitlab/agents/staging" } },
      "environmentBranches › review: is the same branch as staging: two environments would sync from one branch",
    ],
    [
      { reviewAgents: "x:y" },
      "gitops.config.ts › reviewAgents: is not a configuration key. Fix: use only catalogProject, registry, reviewAgent, environmentBranches",
    ],
  ])("refuses %j", (change, want) => {
    const found = problems(change);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(want);
    expect(found[0]).toMatch(/\. Fix: \S/);
  });

  it("reports every problem at once", () => {
    expect(problems({ catalogProject: "x", reviewAgent: "y", environmentBranches: {} })).toHaveLength(5);
  });
});

describe("npm run generate with a bad gitops.config.ts", () => {
  const scratch: string[] = [];
  afterEach(() => {
    for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("exits 1, names the key and the fix, and writes nothing", async () => {
    const fixtures = path.join(import.meta.dirname, "..", "fixtures");
    const root = mkdtempSync(path.join(fixtures, ".tmp-config-"));
    scratch.push(root);
    cpSync(path.join(fixtures, "basic"), root, { recursive: true, filter: (src) => !src.includes("node_modules") });
    const config = path.join(root, "gitops.config.ts");
    writeFileSync(config, readFileSync(config, "utf8").replace('staging: "env/staging"', 'staging: "env/stag ing"'));
    const template = readFileSync(path.join(root, "templates", "hello", "template.yml"), "utf8");
    let out = "";
    let err = "";
    const code = await main(
      ["--root", root],
      (s) => void (out += s),
      (s) => void (err += s),
    );
    expect(code).toBe(1);
    expect(err).toContain(
      'gitops.config.ts › environmentBranches › staging: is not a valid branch name (got "env/stag ing"). Fix: write a branch name such as _gitlab/agents/staging',
    );
    expect(out).toBe("");
    expect(readFileSync(path.join(root, "templates", "hello", "template.yml"), "utf8")).toBe(template);
  });
});
