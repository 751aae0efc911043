/**
 * The git commands the embedded promotion script runs, recorded by a `git` wrapper first on the
 * job's PATH: no history walk twice, none whose answer is already known, one walk for the report.
 * The fetch brings only the commit graph; everything after it is local until the push.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import { PRODUCTION, Project, PROMOTER, promote, STAGING } from "./history.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;

describe.skipIf(!requireTools("git"))("the git commands of a promotion", () => {
  let server: GitServer;
  let project: Project;
  let wrapper: string;
  let n = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
  });
  afterAll(() => server?.close());

  beforeEach(() => {
    project = new Project(server, `group/walks-${++n}`);
    wrapper = mkdtempSync(path.join(tmpdir(), "gitops-git-log-"));
    const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    writeFileSync(
      path.join(wrapper, "git"),
      `#!/bin/sh\nprintf '%s\\t%s\\n' "$PWD" "$*" >> '${path.join(wrapper, "log")}'\nexec '${realGit}' "$@"\n`,
    );
    chmodSync(path.join(wrapper, "git"), 0o755);
  });
  afterEach(() => rmSync(wrapper, { recursive: true, force: true }));

  /**
   * Runs a promotion with the wrapper on PATH; returns the git commands of the promoting repository
   * after its fetch, and those of the report's own repository (report.ts), SHAs by name.
   */
  async function commands(
    component: "promote-staging" | "manual-production",
    target: string,
    names: Record<string, string>,
  ): Promise<string[] & { report: string[] }> {
    const run = await promote(project, TOKEN, { component, target, env: { PATH: `${wrapper}:${process.env.PATH}` } });
    expect(run.code, run.output).toBe(0);
    const named = (line: string) => {
      let out = line.replace(project.url, "URL");
      for (const [name, sha] of Object.entries(names)) out = out.split(sha).join(name);
      return out;
    };
    const lines = readFileSync(path.join(wrapper, "log"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("\t") as [string, string]);
    const ofReport = ([cwd, args]: [string, string]) =>
      cwd.includes(".gitops-report") || args.includes(".gitops-report");
    const own = lines.filter((l) => !ofReport(l)).map(([, args]) => args);
    const afterFetch = own.slice(own.findIndex((l) => l.startsWith("fetch ")) + 1).map(named);
    return Object.assign(afterFetch, { report: lines.filter(ofReport).map(([, args]) => named(args)) });
  }

  it("fast-forwarding staging to main's tip walks the history twice: the decision and the report", async () => {
    const [base, , tip] = (await project.chain(undefined, 3)) as [string, string, string];
    await project.setBranch("main", tip);
    await project.setBranch(STAGING, base);
    const ran = await commands("promote-staging", tip, { TIP: tip, BASE: base });
    expect(ran.slice(0, 3)).toEqual([
      "config --remove-section remote.URL",
      "cat-file --batch-check=%(objectname) %(objecttype)",
      "merge-base --is-ancestor BASE TIP",
    ]);
    // The report and the push run side by side, so their commands interleave. These commits share
    // one (empty) tree: the report reads the two tree names and fetches nothing more.
    expect([...ran.slice(3)].sort()).toEqual([
      "log --no-decorate --max-count=1001 --format=%H%x1f%h%x1f%P%x1f%an%x1f%s%x1f%b%x1e TIP ^BASE",
      "log --no-walk=unsorted --format=%T BASE TIP",
      "push --no-verify -o ci.skip URL TIP:refs/heads/_gitlab/agents/staging",
    ]);
    // The report's repository, beside it: the two tips with their trees, once, and no walk at all.
    expect(ran.report.filter((c) => c.startsWith("-c fetch.negotiationAlgorithm=noop fetch"))).toEqual([
      expect.stringMatching(
        /fetch --depth=1 --filter=combine:tree:4\+blob:none .* URL \+refs\/heads\/_gitlab\/agents\/staging:\S+ \+refs\/heads\/main:\S+$/,
      ),
    ]);
    expect(ran.report.filter((c) => /^(log|rev-list) (?!--no-walk)|^merge-base/.test(c))).toEqual([]);
  });

  it("production walks once to decide when staging already holds main's tip", async () => {
    const [base, , tip] = (await project.chain(undefined, 3)) as [string, string, string];
    await project.setBranch("main", tip);
    await project.setBranch(STAGING, tip);
    await project.setBranch(PRODUCTION, base);
    const ran = await commands("manual-production", tip, { TIP: tip, BASE: base });
    expect(ran.filter((c) => c.startsWith("merge-base"))).toEqual(["merge-base --is-ancestor BASE TIP"]);
    // (`log --no-walk` reads two commits, walking nothing.)
    expect(ran.filter((c) => /^(log|rev-list) (?!--no-walk)/.test(c))).toEqual([
      expect.stringMatching(/^log .* TIP \^BASE$/),
    ]);
  });

  it("an older pipeline that staging already holds walks once: on main, so in staging at main's tip; up to date", async () => {
    const [base, old, tip] = (await project.chain(undefined, 3)) as [string, string, string];
    await project.setBranch("main", tip);
    await project.setBranch(STAGING, tip);
    const ran = await commands("promote-staging", old, { TIP: tip, OLD: old, BASE: base });
    // The pipeline's commit is on main, whose tip staging is: that one walk answers "staging holds it",
    // and so "staging's head is not an ancestor of it".
    expect(ran.filter((c) => c.startsWith("merge-base"))).toEqual(["merge-base --is-ancestor OLD TIP"]);
    expect(ran.some((c) => c.startsWith("push"))).toBe(false);
  });
});
