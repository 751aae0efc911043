/**
 * Which GitLab and which project: `--gitlab-url` and `--project`, or else the `origin` remote of
 * the repository that holds the pipeline file. A remote URL may carry credentials
 * (`https://user:token@host/…`); they are dropped and never printed.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";

/** Where setup works. */
export interface Target {
  /** `https://gitlab.example.com` (no trailing slash, no path). */
  gitlabUrl: string;
  /** The project's path (`group/app`) or numeric id. */
  project: string;
  /** Where the URL came from, for messages: `--gitlab-url`, or `the origin remote of <dir>`. */
  source?: string;
}

/** The GitLab URL and project path of a remote URL (HTTPS, `ssh://` or scp-like `git@host:path`). */
export function parseRemote(remote: string): Target | undefined {
  const strip = (p: string) =>
    p
      .replace(/^\/+/, "")
      .replace(/\.git\/?$/, "")
      .replace(/\/+$/, "");
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/)(.+)$/.exec(remote);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(remote))
    return { gitlabUrl: `https://${scp[1]}`, project: strip(scp[2] as string) };
  let url: URL;
  try {
    url = new URL(remote);
  } catch {
    return undefined;
  }
  const project = strip(decodeURIComponent(url.pathname));
  if (!project.includes("/")) return undefined;
  if (url.protocol === "https:" || url.protocol === "http:")
    return { gitlabUrl: `${url.protocol}//${url.host}`, project };
  if (url.protocol === "ssh:") return { gitlabUrl: `https://${url.hostname}`, project };
  return undefined;
}

/** The target, or the reason it cannot be known with its fix. */
export function resolveTarget(
  pipelineFile: string,
  flags: { gitlabUrl?: string; project?: string },
): Target | { problem: string; fix: string } {
  let gitlabUrl = flags.gitlabUrl;
  let project = flags.project;
  if (!gitlabUrl || !project) {
    const remote = spawnSync("git", ["-C", path.dirname(pipelineFile), "remote", "get-url", "origin"], {
      encoding: "utf8",
    });
    const parsed = remote.status === 0 ? parseRemote(remote.stdout.trim()) : undefined;
    if (!parsed)
      return {
        problem: `cannot tell the GitLab project: ${remote.status === 0 ? "the origin remote of the pipeline's repository is not a GitLab project URL" : "the pipeline file is not in a git repository with an origin remote"}`,
        fix: "pass --gitlab-url https://gitlab.example.com --project group/app",
      };
    gitlabUrl ??= parsed.gitlabUrl;
    project ??= parsed.project;
  }
  const source = flags.gitlabUrl ? "--gitlab-url" : `the origin remote of ${path.dirname(pipelineFile)}`;
  let url: URL;
  try {
    url = new URL(gitlabUrl);
  } catch {
    return {
      problem: `--gitlab-url ${JSON.stringify(gitlabUrl)} is not a URL`,
      fix: "pass the instance's address, such as https://gitlab.example.com",
    };
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search)
    return {
      problem: `--gitlab-url must be an http(s) address without credentials or query`,
      fix: "pass the instance's address, such as https://gitlab.example.com",
    };
  if (!/^(\d+|[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+)$/.test(project))
    return {
      problem: `--project ${JSON.stringify(project)} is neither a project path (group/app) nor a numeric id`,
      fix: "pass the project as group/app or as its id",
    };
  return { gitlabUrl: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`, project, source };
}
