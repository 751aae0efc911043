/**
 * Which GitLab and project setup works on: read from the flags, or from the origin remote of the
 * pipeline's repository, whose credentials are dropped.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseRemote, resolveTarget } from "../../cli/setup/target.ts";
import { requireTools } from "../support/tools.ts";

describe("a remote URL names the instance and the project", () => {
  it.each([
    ["https://gitlab.example.com/group/app.git", "https://gitlab.example.com", "group/app"],
    [
      "https://oauth2:glpat-secretsecret@gitlab.example.com/group/sub/app.git",
      "https://gitlab.example.com",
      "group/sub/app",
    ],
    ["http://127.0.0.1:8080/group/app", "http://127.0.0.1:8080", "group/app"],
    ["git@gitlab.example.com:group/app.git", "https://gitlab.example.com", "group/app"],
    ["ssh://git@gitlab.example.com:2222/group/app.git", "https://gitlab.example.com", "group/app"],
  ])("%s", (remote, gitlabUrl, project) => {
    expect(parseRemote(remote)).toEqual({ gitlabUrl, project });
  });

  it("is not read from a local path or a URL without a project", () => {
    expect(parseRemote("/srv/git/app.git")).toBeUndefined();
    expect(parseRemote("https://gitlab.example.com/app")).toBeUndefined();
  });
});

describe.skipIf(!requireTools("git"))("the target of a pipeline file", () => {
  it("comes from the origin remote when no flag names it, without its credentials", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gitops-target-"));
    try {
      spawnSync("git", ["init", "-q", dir]);
      spawnSync("git", [
        "-C",
        dir,
        "remote",
        "add",
        "origin",
        "https://oauth2:glpat-secretsecret@gitlab.example.com/group/app.git",
      ]);
      writeFileSync(path.join(dir, ".gitlab-ci.yml"), "");
      expect(resolveTarget(path.join(dir, ".gitlab-ci.yml"), {})).toEqual({
        gitlabUrl: "https://gitlab.example.com",
        project: "group/app",
        source: `the origin remote of ${dir}`,
      });
      expect(resolveTarget(path.join(dir, ".gitlab-ci.yml"), { project: "other/app" })).toEqual({
        gitlabUrl: "https://gitlab.example.com",
        project: "other/app",
        source: `the origin remote of ${dir}`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("asks for the flags outside a repository, and refuses a URL with credentials", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gitops-target-"));
    try {
      expect(resolveTarget(path.join(dir, ".gitlab-ci.yml"), {})).toMatchObject({
        fix: "pass --gitlab-url https://gitlab.example.com --project group/app",
      });
      expect(
        resolveTarget(path.join(dir, ".gitlab-ci.yml"), {
          gitlabUrl: "https://user:pw@gitlab.example.com",
          project: "group/app",
        }),
      ).toMatchObject({ problem: "--gitlab-url must be an http(s) address without credentials or query" });
      expect(
        resolveTarget(path.join(dir, ".gitlab-ci.yml"), {
          gitlabUrl: "https://gitlab.example.com",
          project: "app; rm -rf /",
        }),
      ).toMatchObject({ fix: "pass the project as group/app or as its id" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
