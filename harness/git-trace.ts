/**
 * The git processes a job ran, from git's own trace2 events (`GIT_TRACE2_EVENT=<file>`): each
 * process's argv, the repository it worked in, and when it started and exited. The tests count a
 * job's fetches with it; bench/promote.ts times the push. Child processes (a lazy fetch started by a
 * lookup, say) appear with a session id under their parent's (`parent/child`).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** One git process. */
export interface GitProcess {
  sid: string;
  argv: string[];
  /** The repository's working tree (absent for commands run outside one). */
  worktree?: string;
  /** When it started and exited (epoch milliseconds; no exit if the trace ends first). */
  started: number;
  exited?: number;
}

/** A trace file in a directory of its own, to pass as GIT_TRACE2_EVENT; read it, then remove it. */
export function gitTrace(): { env: { GIT_TRACE2_EVENT: string }; processes(): GitProcess[]; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "gitops-git-trace-"));
  const file = path.join(dir, "trace2.json");
  return {
    env: { GIT_TRACE2_EVENT: file },
    processes: () => gitProcesses(readFileSync(file, "utf8")),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Parses a GIT_TRACE2_EVENT file into its processes, in the order they started. */
export function gitProcesses(trace: string): GitProcess[] {
  const bySid = new Map<string, GitProcess>();
  for (const line of trace.split("\n")) {
    if (line.trim() === "") continue;
    const event = JSON.parse(line) as { event: string; sid: string; time: string; argv?: string[]; worktree?: string };
    if (event.event === "start")
      bySid.set(event.sid, { sid: event.sid, argv: event.argv ?? [], started: Date.parse(event.time) });
    const known = bySid.get(event.sid);
    if (event.event === "def_repo" && known && event.worktree) known.worktree = event.worktree;
    if (event.event === "exit" && known) known.exited = Date.parse(event.time);
  }
  return [...bySid.values()];
}

/** The processes that fetched (`git … fetch …`, top-level or started by another git) in a repository whose working tree is `dir`. */
export function fetchesIn(processes: readonly GitProcess[], test: (worktree: string) => boolean): GitProcess[] {
  return processes.filter((p) => p.argv.includes("fetch") && p.worktree !== undefined && test(p.worktree));
}
