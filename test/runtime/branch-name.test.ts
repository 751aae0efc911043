/**
 * The one branch-name rule (runtime/branch-name.ts): git's `check-ref-format --branch`, checked
 * against git itself on generated names, plus GitLab's and the catalog's few extra refusals.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { branchNameProblem, parseBranchName } from "../../runtime/branch-name.ts";
import { requireTools } from "../support/tools.ts";

describe("parseBranchName", () => {
  it.each([
    "main",
    "_gitlab/agents/staging",
    "feature/x-1",
    "release-2.0",
    "caf\u00e9",
    "a@b",
    "x/HEAD",
    "fix-267208abfe40e546f5e847444276f7d43a39503e",
    "$(id)",
    "`id`",
    "a;b",
  ])("accepts %j", (name) => {
    expect(parseBranchName("branch", name)).toBe(name);
  });

  const git = (rule: string) => `has ${rule}, which git refuses in a branch name`;
  it.each([
    { given: "HEAD", problem: "names the current commit (HEAD), not a branch" },
    { given: "@", problem: "names the current commit (HEAD), not a branch" },
    {
      given: "refs/heads/_gitlab/agents/staging",
      problem: "starts with refs/: give the short name, the job adds refs/heads/",
    },
    {
      given: "267208abfe40e546f5e847444276f7d43a39503e",
      problem: "starts with 40 hex digits, like a commit SHA, which GitLab refuses",
    },
    { given: "-x", problem: git("a leading -") },
    { given: "-oProxyCommand=x", problem: git("a leading -") },
    { given: "--upload-pack=touch /tmp/x", problem: git("a space, a control character or one of ~ ^ : ? * [ \\") },
    { given: "main\nHEAD", problem: git("a space, a control character or one of ~ ^ : ? * [ \\") },
    { given: "a..b", problem: git("one of .. @{ //, or a leading /, or a trailing / or .") },
    { given: "a@{1}", problem: git("one of .. @{ //, or a leading /, or a trailing / or .") },
    { given: "a//b", problem: git("one of .. @{ //, or a leading /, or a trailing / or .") },
    { given: "a/", problem: git("one of .. @{ //, or a leading /, or a trailing / or .") },
    { given: "a.", problem: git("one of .. @{ //, or a leading /, or a trailing / or .") },
    { given: "x.lock", problem: git("a component that starts with . or ends with .lock") },
    { given: "a/.hidden", problem: git("a component that starts with . or ends with .lock") },
    { given: "", problem: "is empty" },
  ])("refuses $given: $problem", ({ given, problem }) => {
    expect(() => parseBranchName("environment_branch", given)).toThrow(
      `input environment_branch = ${JSON.stringify(given)}: ${problem}`,
    );
  });

  it("says how to fix it", () => {
    expect(() => parseBranchName("branch", "HEAD")).toThrow(
      expect.objectContaining({ fix: "set branch to a branch's short name, such as main or _gitlab/agents/staging" }),
    );
  });
});

describe.skipIf(!requireTools("git"))("branchNameProblem against git check-ref-format --branch", () => {
  // Outside any repository, so `--branch` does not expand @{-1} or @ against a checkout.
  const dir = mkdtempSync(path.join(tmpdir(), "gitops-refname-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const gitAccepts = (name: string) =>
    spawnSync("git", ["check-ref-format", "--branch", name], {
      cwd: dir,
      env: { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(dir) },
    }).status === 0;
  /** GitLab's and the catalog's refusals on top of git's (runtime/branch-name.ts). */
  const extra = (name: string) => name === "@" || name.startsWith("refs/") || /^[0-9a-f]{40}/i.test(name);

  const pieces = [
    "a",
    "b",
    "0",
    "f",
    "HEAD",
    "refs/",
    "heads",
    ".",
    "..",
    "/",
    "//",
    "-",
    "@",
    "@{",
    "{",
    "}",
    ".lock",
    "lock",
    "~",
    "^",
    ":",
    "?",
    "*",
    "[",
    "\\",
    " ",
    "\t",
    "\n",
    "\x01",
    "\x7f",
    "\u00e9",
    "$(x)",
    "`",
    ";",
    "267208abfe40e546f5e847444276f7d43a39503e",
  ];
  const names = fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(""));

  it("accepts exactly what git accepts, less GitLab's and the catalog's extra refusals", () => {
    fc.assert(
      fc.property(names, (name) => {
        expect(branchNameProblem(name) === undefined, JSON.stringify(name)).toBe(gitAccepts(name) && !extra(name));
      }),
      { numRuns: 400 },
    );
  });

  it("agrees with git on the documented hostile names", () => {
    for (const name of [
      "HEAD",
      "-x",
      "a..b",
      "a\nb",
      "a@{1}",
      "x.lock",
      "a/",
      "a.",
      "a//b",
      ".a",
      "a b",
      "a:b",
      "a~1",
      "a^",
      "a?",
      "a*",
      "a[",
      "a\\b",
    ]) {
      expect(gitAccepts(name), name).toBe(false);
      expect(branchNameProblem(name), name).toBeDefined();
    }
  });
});
