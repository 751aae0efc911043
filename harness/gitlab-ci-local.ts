/**
 * Pipelines run for real with `gitlab-ci-local` (shell executor): a consumer project in a temporary
 * git repository includes the catalog by `component:` reference, pinned to a version tag of a
 * catalog repository served by the test git server.
 */
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { GitServer } from "../stand-ins/git-server.ts";
import { ROOT } from "./templates.ts";

const exec = promisify(execFile);

/** The host consumer projects pretend to live on; its URLs are redirected to the test git server. */
export const GITLAB_HOST = "gitlab.example.com";

/** A consumer project: a temporary git repository. */
export interface Project {
  dir: string;
  /** Runs git in the project (async: the test git server runs in this process). */
  git(...args: string[]): Promise<string>;
  /** Writes files (path → content) and commits them; returns the new commit. */
  commit(message: string, files?: Record<string, string>): Promise<string>;
  remove(): void;
}

async function gitIn(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await exec("git", args, { cwd: dir, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return stdout.trim();
}

const AUTHOR = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
};

/** Creates a project repository with `files` committed on `branch`, origin `https://gitlab.example.com/<projectPath>.git`. */
export async function createProject(options: {
  files: Record<string, string>;
  projectPath?: string;
  branch?: string;
  message?: string;
}): Promise<Project> {
  const dir = mkdtempSync(path.join(tmpdir(), "gitops-project-"));
  const branch = options.branch ?? "main";
  await gitIn(dir, ["init", "-q", "-b", branch]);
  await gitIn(dir, ["remote", "add", "origin", `https://${GITLAB_HOST}/${options.projectPath ?? "group/app"}.git`]);
  // gitlab-ci-local reads the default branch from origin/HEAD.
  const project: Project = {
    dir,
    git: (...args) => gitIn(dir, args, AUTHOR),
    async commit(message, files = {}) {
      for (const [file, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), content);
      }
      await gitIn(dir, ["add", "-A"]);
      await gitIn(dir, ["commit", "-q", "--allow-empty", "-m", message], AUTHOR);
      return gitIn(dir, ["rev-parse", "HEAD"]);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  await project.commit(options.message ?? "initial", options.files);
  await gitIn(dir, ["update-ref", `refs/remotes/origin/${branch}`, "HEAD"]);
  await gitIn(dir, ["symbolic-ref", "refs/remotes/origin/HEAD", `refs/remotes/origin/${branch}`]);
  return project;
}

/** A published catalog: where it lives and the git config that redirects `gitlab.example.com` to it. */
export interface PublishedCatalog {
  /** `platform/gitops-components` */
  projectPath: string;
  version: string;
  /** A git config file for `GIT_CONFIG_GLOBAL` (insteadOf redirects to the test server). */
  gitConfig: string;
  /** `gitlab.example.com/platform/gitops-components/<name>@<version>` */
  component(name: string): string;
  remove(): void;
}

/**
 * Publishes `<root>/templates` and README.md as a catalog repository on `server`, tagged `version`
 * (what a catalog release serves), and returns how to include it.
 */
export async function publishCatalog(
  server: GitServer,
  options: { version: string; root?: string; projectPath?: string },
): Promise<PublishedCatalog> {
  const root = options.root ?? ROOT;
  const projectPath = options.projectPath ?? "platform/gitops-components";
  const url = server.createRepo(projectPath);
  server.addToken("catalog-publisher-token", "catalog-publisher");
  const work = mkdtempSync(path.join(tmpdir(), "gitops-catalog-"));
  cpSync(path.join(root, "templates"), path.join(work, "templates"), { recursive: true });
  if (existsSync(path.join(root, "README.md"))) cpSync(path.join(root, "README.md"), path.join(work, "README.md"));
  await gitIn(work, ["init", "-q", "-b", "main"]);
  await gitIn(work, ["add", "-A"]);
  await gitIn(work, ["commit", "-q", "-m", `release ${options.version}`], AUTHOR);
  await gitIn(work, ["tag", options.version]);
  const pushUrl = url.replace("http://", "http://publisher:catalog-publisher-token@");
  await gitIn(work, ["push", "-q", pushUrl, "HEAD:refs/heads/main", `refs/tags/${options.version}`]);
  rmSync(work, { recursive: true, force: true });
  const configDir = mkdtempSync(path.join(tmpdir(), "gitops-gitconfig-"));
  const gitConfig = path.join(configDir, "gitconfig");
  writeFileSync(
    gitConfig,
    `[url "${server.url}/"]\n\tinsteadOf = https://${GITLAB_HOST}:443/\n\tinsteadOf = http://${GITLAB_HOST}:443/\n\tinsteadOf = https://${GITLAB_HOST}/\n` +
      `[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n`,
  );
  return {
    projectPath,
    version: options.version,
    gitConfig,
    component: (name) => `${GITLAB_HOST}/${projectPath}/${name}@${options.version}`,
    remove: () => rmSync(configDir, { recursive: true, force: true }),
  };
}

/** What a gitlab-ci-local run printed. */
export interface PipelineRun {
  code: number;
  /** stdout with gitlab-ci-local's WARN lines kept (they matter when debugging). */
  stdout: string;
  stderr: string;
}

/**
 * Runs `gitlab-ci-local` in a project: shell executor (jobs' `image:` ignored), each job in its
 * own copy of the project, `variables` passed with `--variable`. `home` isolates its state.
 *
 * It runs again (three runs at most) if gitlab-ci-local lost its own race: 4.73.0 fetches the
 * components of one catalog version in parallel, each copying `…/templates` into the same directory
 * of the project's include cache (`.gitlab-ci-local/includes/`), and on a loaded machine one copy
 * now and then fails ("Component include could not be fetched"). It then exits while the other
 * copies may still be writing, and a template cut short stays in the cache, where every later run
 * reads it as nothing ("Cannot read properties of undefined (reading 'include')"). So after the
 * first failure the cache loses what that run wrote but did not report as downloaded (the rest
 * stays, so the next run fetches fewer components side by side); after the second, a cut-short
 * file already in the cache, the whole cache goes. No job has run then, so running again is safe.
 */
export async function gitlabCiLocal(
  project: Project | string,
  args: string[],
  options: { variables?: Record<string, string>; gitConfig?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<PipelineRun> {
  const cache = path.join(typeof project === "string" ? project : project.dir, ".gitlab-ci-local", "includes");
  for (let runs = 1; ; runs++) {
    const began = Date.now();
    const run = await gitlabCiLocalOnce(project, args, options);
    const output = run.stdout + run.stderr;
    if (run.code === 0 || runs === 3) return run;
    if (CUT_SHORT.test(output)) rmSync(cache, { recursive: true, force: true });
    else if (FETCH_RACE.test(output)) removeUnfinishedCopies(cache, output, began);
    else return run;
  }
}

/**
 * Runs `command` in a process group of its own and, once it has exited, kills whatever of the
 * group is still running: gitlab-ci-local 4.73.0 exits on a failed component copy while its other
 * copies go on (see {@link gitlabCiLocal}); they end here, not in the middle of the next run.
 */
export function runAsGroup(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  return new Promise<PipelineRun>((resolve, reject) => {
    const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // Nothing of the group is left.
      }
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

/** gitlab-ci-local 4.73.0's words when one of its parallel component copies failed. */
const FETCH_RACE = /Component include could not be fetched/;
/** ... and when it read a cached template that a failed run cut short. */
const CUT_SHORT = /Cannot read properties of undefined \(reading 'include'\)/;

/**
 * Removes from the include cache every file written since `since` whose component the run did not
 * report as downloaded (`downloaded <project> <ref> templates/<name>`): copies the failed run left
 * unfinished. Cached paths are `<host>/<project path>/<ref>/templates/<name>(.yml|/template.yml)`.
 */
export function removeUnfinishedCopies(cache: string, output: string, since: number): void {
  if (!existsSync(cache)) return;
  for (const entry of readdirSync(cache, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const parts = path.relative(cache, file).split(path.sep);
    // gitlab-ci-local's own clones (`<version>.tmp-<random>`) are not read by any run.
    if (!entry.isFile() || parts.some((part) => part.includes(".tmp-"))) continue;
    if ((statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) < since) continue;
    const at = parts.indexOf("templates");
    const name = parts[at + 1]?.replace(/\.yml$/, "");
    const downloaded = `downloaded ${parts.slice(1, at - 1).join("/")} ${parts[at - 1]} templates/${name} in `;
    if (at < 3 || !output.includes(downloaded)) rmSync(file, { force: true });
  }
}

async function gitlabCiLocalOnce(
  project: Project | string,
  args: string[],
  options: { variables?: Record<string, string>; gitConfig?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<PipelineRun> {
  const dir = typeof project === "string" ? project : project.dir;
  const home = mkdtempSync(path.join(tmpdir(), "gitops-gcl-home-"));
  const variableArgs = Object.entries(options.variables ?? {}).flatMap(([k, v]) => ["--variable", `${k}=${v}`]);
  const overridden = Object.keys(options.variables ?? {}).filter((k) => k.startsWith("CI_"));
  const cli = path.join(ROOT, "node_modules", ".bin", "gitlab-ci-local");
  try {
    return await runAsGroup(
      cli,
      [
        "--force-shell-executor",
        "--shell-executor-no-image",
        "--shell-isolation",
        "--no-color",
        ...(overridden.length ? ["--ignore-predefined-vars", overridden.join(",")] : []),
        ...variableArgs,
        ...args,
      ],
      {
        cwd: dir,
        env: {
          ...process.env,
          HOME: home,
          ...(options.gitConfig ? { GIT_CONFIG_GLOBAL: options.gitConfig } : {}),
          ...options.env,
        },
      },
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
