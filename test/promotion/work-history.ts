/**
 * Histories with real files, authors and merges, written in a working clone and pushed to a
 * project on the test git server. Every commit has a fixed author, committer and date, so the same
 * steps always give the same commit SHAs (golden files can name them).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Project } from "./history.ts";

const exec = promisify(execFile);

/** A file's new content, or null to delete it. */
export type FileChanges = Record<string, string | null>;

/** A working clone whose commits land on the server's project when pushed. */
export class WorkHistory {
  readonly dir: string;
  private minute = 0;

  private constructor(readonly project: Project) {
    this.dir = mkdtempSync(path.join(tmpdir(), "gitops-work-history-"));
  }

  /** A fresh working clone (an empty repository on `main`) for `project`. */
  static async create(project: Project): Promise<WorkHistory> {
    const history = new WorkHistory(project);
    await history.git("init", "-q", "-b", "main");
    return history;
  }

  /** Runs git in the working clone as `author`, at the next minute of 2026-01-01. */
  async git(...args: string[]): Promise<string> {
    return this.gitAs("Ann Author", ...args);
  }

  private async gitAs(author: string, ...args: string[]): Promise<string> {
    const date = new Date(Date.UTC(2026, 0, 1, 0, this.minute)).toISOString();
    const email = `${author.split(" ")[0]?.toLowerCase()}@example.com`;
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: author,
      GIT_AUTHOR_EMAIL: email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: "GitLab",
      GIT_COMMITTER_EMAIL: "gitlab@example.com",
      GIT_COMMITTER_DATE: date,
    };
    const { stdout } = await exec("git", ["-c", "commit.gpgsign=false", ...args], { cwd: this.dir, env });
    return stdout.trim();
  }

  /** Writes (or deletes) files and commits them on the current branch; returns the commit. */
  async commit(message: string, files: FileChanges, author = "Ann Author"): Promise<string> {
    this.minute++;
    for (const [file, content] of Object.entries(files)) {
      const full = path.join(this.dir, file);
      if (content === null) await this.git("rm", "-q", "--", file);
      else {
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, content);
        await this.git("add", "--", file);
      }
    }
    await this.gitAs(author, "commit", "-q", "--allow-empty", "-m", message);
    return this.git("rev-parse", "HEAD");
  }

  /** Starts branch `name` at the current commit (or at `from`). */
  async branch(name: string, from?: string): Promise<void> {
    await this.git("checkout", "-q", "-b", name, ...(from ? [from] : []));
  }

  /** Checks out a branch or commit. */
  async checkout(ref: string): Promise<void> {
    await this.git("checkout", "-q", ref);
  }

  /** Merges `branch` into the current branch with a merge commit and `message` (GitLab's merge method `merge`). */
  async merge(branch: string, message: string): Promise<string> {
    this.minute++;
    await this.gitAs("Merger Person", "merge", "-q", "--no-ff", "-m", message, branch);
    return this.git("rev-parse", "HEAD");
  }

  /** Squashes `branch` into one commit on the current branch (GitLab's squash with the default template: the title only). */
  async squash(branch: string, message: string, author: string): Promise<string> {
    this.minute++;
    await this.git("merge", "-q", "--squash", branch);
    await this.gitAs(author, "commit", "-q", "-m", message);
    return this.git("rev-parse", "HEAD");
  }

  /** Pushes the current commit to `branch` of the server's project (straight into its bare repository); returns it. */
  async push(branch: string): Promise<string> {
    await this.git("push", "-q", this.project.dir, `HEAD:refs/heads/${branch}`);
    return this.git("rev-parse", "HEAD");
  }

  /** Removes the working clone. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
