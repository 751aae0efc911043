/**
 * Promotion test fixtures: a project on the test git server whose history the test writes straight
 * into the bare repository (commits with empty trees, made with `git commit-tree`), and a runner
 * for the promotion jobs exactly as the generated templates embed them.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { GitServer, ProtectedBranch } from "../../stand-ins/git-server.ts";
import { readDotenv, runTemplateJob, type JobRun } from "../../harness/templates.ts";

const exec = promisify(execFile);

/** The branch names the catalog uses. */
export const STAGING = "_gitlab/agents/staging";
export const PRODUCTION = "_gitlab/agents/production";

/** The user whose token may push to the environment branches (and nobody else). */
export const PROMOTER = "promotion-bot";

const COMMIT_ENV = {
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_COMMITTER_NAME: "Test Author",
  GIT_COMMITTER_EMAIL: "author@example.com",
  GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
};

/** A project on the test git server, with helpers that write its history directly. */
export class Project {
  readonly dir: string;
  readonly url: string;
  private counter = 0;
  private emptyTree: Promise<string> | undefined;

  /** `protect`: more protected branches than the environment branches (which only {@link PROMOTER} may push). */
  constructor(
    readonly server: GitServer,
    readonly repoPath: string,
    protect: ProtectedBranch[] = [],
  ) {
    this.url = server.createRepo(repoPath, { protect: [{ pattern: "_gitlab/agents/*", user: PROMOTER }, ...protect] });
    this.dir = path.join(server.root, `${repoPath}.git`);
  }

  /** How many POST requests of this git service (`git-upload-pack`: fetches, `git-receive-pack`: pushes) the server has had for this repository. */
  posts(service: "git-upload-pack" | "git-receive-pack"): number {
    return this.server.requests.filter(
      (r) => r.method === "POST" && r.path.startsWith(`/${this.repoPath}.git/`) && r.service === service,
    ).length;
  }

  /** Runs git in the bare repository (async: the server runs in this process). */
  async git(...args: string[]): Promise<string> {
    const { stdout } = await exec("git", args, { cwd: this.dir, env: { ...process.env, ...COMMIT_ENV } });
    return stdout.trim();
  }

  /**
   * A new commit with these parents; no branch moves. Its tree is empty unless `content` is given
   * (then one file holding it: a tree a tree-less fetch does not bring).
   */
  async commit(parents: string[], message = `change ${++this.counter}`, content?: string): Promise<string> {
    let tree: string;
    if (content === undefined)
      tree = await (this.emptyTree ??= this.git("hash-object", "-w", "-t", "tree", "/dev/null"));
    else {
      const blob = (
        await exec("sh", ["-c", 'printf %s "$1" | git hash-object -w --stdin', "sh", content], { cwd: this.dir })
      ).stdout.trim();
      tree = (
        await exec("sh", ["-c", 'printf "100644 blob %s\\tfile.txt\\n" "$1" | git mktree', "sh", blob], {
          cwd: this.dir,
        })
      ).stdout.trim();
    }
    return this.git("commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-m", message);
  }

  /** Adds `count` commits on top of `parent` (or a root) and returns them, oldest first; `withFiles` gives each its own tree. */
  async chain(parent: string | undefined, count: number, options: { withFiles?: boolean } = {}): Promise<string[]> {
    const out: string[] = [];
    let at = parent;
    for (let i = 0; i < count; i++) {
      const n = ++this.counter;
      at = await this.commit(at ? [at] : [], `change ${n}`, options.withFiles ? `content ${n}\n` : undefined);
      out.push(at);
    }
    return out;
  }

  /** Sets a branch on the server directly (bypassing protection: this is the test's own setup). */
  async setBranch(branch: string, sha: string): Promise<void> {
    await this.git("update-ref", `refs/heads/${branch}`, sha);
  }

  /** Deletes a branch on the server directly. */
  async deleteBranch(branch: string): Promise<void> {
    await this.git("update-ref", "-d", `refs/heads/${branch}`);
  }

  /** The commit a branch points at on the server, or undefined. */
  branch(branch: string): string | undefined {
    return this.server.branch(this.repoPath, branch);
  }

  /** Is `a` an ancestor of (or equal to) `b`? */
  async isAncestor(a: string, b: string): Promise<boolean> {
    try {
      await exec("git", ["merge-base", "--is-ancestor", a, b], { cwd: this.dir });
      return true;
    } catch {
      return false;
    }
  }
}

/** A promotion job's run and what it left. */
export interface PromotionRun extends JobRun {
  /** The dotenv report, if the job wrote one. */
  outputs?: Record<string, string>;
  /** The promotion report (gitops-promotion-report.md), if the job wrote one. */
  report?: string;
  /** The job's working directory (CI_PROJECT_DIR) and temporary directory, kept until `cleanup`. */
  projectDir: string;
  tmpDir: string;
  cleanup(): void;
}

/** How to run one promotion job. */
export interface PromoteOptions {
  component: "promote-staging" | "manual-production" | "preview-production";
  target: string;
  inputs?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  /** Keep the directories for inspection (call `cleanup()` yourself). */
  keep?: boolean;
}

/** Runs a promotion job from its generated template, as a default-branch pipeline of `project` would. */
export async function promote(
  project: Project,
  token: string | undefined,
  options: PromoteOptions,
): Promise<PromotionRun> {
  const projectDir = mkdtempSync(path.join(tmpdir(), "gitops-promote-project-"));
  const tmpDir = mkdtempSync(path.join(tmpdir(), "gitops-promote-tmp-"));
  const tokenVariable = {
    "promote-staging": "GITOPS_STAGING_TOKEN",
    "manual-production": "GITOPS_PRODUCTION_TOKEN",
    "preview-production": "CI_JOB_TOKEN",
  }[options.component];
  const run = await runTemplateJob({
    component: options.component,
    inputs: options.inputs,
    cwd: projectDir,
    env: {
      CI_COMMIT_SHA: options.target,
      CI_COMMIT_BRANCH: "main",
      CI_DEFAULT_BRANCH: "main",
      CI_SERVER_URL: project.server.url,
      CI_PROJECT_PATH: project.repoPath,
      CI_PROJECT_DIR: projectDir,
      TMPDIR: tmpDir,
      ...(token === undefined ? {} : { [tokenVariable]: token }),
      ...options.env,
    },
  });
  const cleanup = () => {
    rmSync(projectDir, { recursive: true, force: true });
    rmSync(tmpDir, { recursive: true, force: true });
  };
  let outputs: Record<string, string> | undefined;
  try {
    outputs = readDotenv(path.join(projectDir, "gitops-promotion.env"));
  } catch {
    outputs = undefined;
  }
  const reportFile = path.join(projectDir, "gitops-promotion-report.md");
  const report = existsSync(reportFile) ? readFileSync(reportFile, "utf8") : undefined;
  if (!options.keep) cleanup();
  return { ...run, outputs, ...(report === undefined ? {} : { report }), projectDir, tmpDir, cleanup };
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** The files under `dirs` whose bytes contain `needle`. */
export function filesContaining(dirs: string[], needle: string): string[] {
  const bytes = Buffer.from(needle);
  return dirs.flatMap(filesUnder).filter((file) => readFileSync(file).includes(bytes));
}
