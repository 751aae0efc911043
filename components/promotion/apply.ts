/**
 * The git side of a promotion: a fresh repository that fetches only the commit graph of the
 * branches involved (`--filter=tree:0`, never the runner's shallow checkout), the ancestry answers
 * `decide` needs, and the plain push of `<sha>:refs/heads/<branch>` that carries a plan out.
 *
 * Lazy fetching is switched off after every fetch: everything here needs commits only, so an
 * accidental tree or blob lookup fails at once instead of quietly downloading history.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Git, GitCommandError, type GitOptions } from "../../runtime/git.ts";
import { TRAILERS } from "../../runtime/bump-trailers.ts";
import type { BranchTips, LaterCommit, PromotionBranches, PromotionPlan } from "./decide.ts";
import { Ancestry } from "./ancestry.ts";
import { ancestryQuestions } from "./decide.ts";

/** A throw-away repository for one promotion job, and the remote it talks to. */
export interface PromotionWorkspace {
  git: Git;
  /** The repository's URL (no credentials). Used directly, so no remote is configured. */
  url: string;
  /** Removes the repository (unless it is kept for inspection). */
  dispose(): void;
}

/**
 * Creates an empty repository in a fresh temporary directory. The URL holds no credentials; a
 * token reaches git only through `runtime/git.ts`'s credential helper, a deploy key through its
 * ssh command.
 */
export async function openWorkspace(
  url: string,
  credential: GitOptions,
  options: { keep?: boolean } = {},
): Promise<PromotionWorkspace> {
  const dir = mkdtempSync(path.join(tmpdir(), "gitops-promotion-"));
  const git = new Git(dir, credential);
  await git.init();
  return {
    git,
    url,
    dispose: () => {
      if (!options.keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function trackingRef(branch: string): string {
  return `refs/remotes/origin/${branch}`;
}

/** The fetched tips, and whether the target commit is in the fetched graph. */
export interface FetchedState {
  tips: { source?: string; environment?: string; required?: string };
  targetKnown: boolean;
}

/**
 * Fetches the commit graph (no trees, no blobs) of the given branches and returns their tips.
 * A branch the server lacks comes back `undefined`; it costs one extra ref listing, and only then.
 */
export async function fetchTips(
  workspace: PromotionWorkspace,
  branches: PromotionBranches,
  target: string,
): Promise<FetchedState> {
  const { git, url } = workspace;
  const wanted = {
    source: branches.source,
    environment: branches.environment,
    ...(branches.required ? { required: branches.required } : {}),
  };
  let present = Object.values(wanted);
  const first = await git.exec(fetchArgs(url, present));
  if (first.code !== 0) {
    const failure = new GitCommandError(fetchArgs(url, present), first);
    if (failure.failure !== "missing-ref") throw failure;
    const listed = await git.run(["ls-remote", "--heads", url, ...present.map((b) => `refs/heads/${b}`)]);
    const existing = new Set(listed.split("\n").map((line) => line.split("\t")[1]?.replace(/^refs\/heads\//, "")));
    present = present.filter((b) => existing.has(b));
    if (present.length > 0) await git.run(fetchArgs(url, present));
  }
  await disableLazyFetch(git, url);
  // One lookup for every tip and the target (a missing target is not fetched: lazy fetch is off).
  const names = [...present.map(trackingRef), target];
  const found = (
    await git.run(["cat-file", "--batch-check=%(objectname) %(objecttype)"], `${names.join("\n")}\n`)
  ).split("\n");
  const sha = (name: string) => {
    const [oid, type] = (found[names.indexOf(name)] ?? "").split(" ");
    return type === "commit" ? oid : undefined;
  };
  const tips: FetchedState["tips"] = {};
  for (const [key, branch] of Object.entries(wanted) as Array<[keyof typeof wanted, string]>)
    tips[key] = present.includes(branch) ? sha(trackingRef(branch)) : undefined;
  return { tips, targetKnown: sha(target) === target };
}

function fetchArgs(url: string, branches: string[]): string[] {
  return filteredFetch(url, "tree:0", { refspecs: branches.map((b) => `+refs/heads/${b}:${trackingRef(b)}`) });
}

/**
 * The arguments of every filtered fetch of a promotion: no tags, no FETCH_HEAD, no submodules, no
 * maintenance, quiet. `refspecs` fetch branches; `stdin` reads object names from standard input.
 * `depth` makes it shallow. `noHaves` sends no "have" lines (`fetch.negotiationAlgorithm=noop`):
 * for a fetch of objects the repository's commits lead to, which a server told of them would omit.
 */
export function filteredFetch(
  url: string,
  filter: string,
  what: { refspecs?: readonly string[]; stdin?: boolean; depth?: number; noHaves?: boolean },
): string[] {
  return [
    ...(what.noHaves ? ["-c", "fetch.negotiationAlgorithm=noop"] : []),
    "fetch",
    ...(what.depth ? [`--depth=${what.depth}`] : []),
    `--filter=${filter}`,
    "--no-tags",
    "--no-write-fetch-head",
    "--no-recurse-submodules",
    "--no-auto-maintenance",
    "--quiet",
    ...(what.stdin ? ["--stdin"] : []),
    url,
    ...(what.refspecs ?? []),
  ];
}

/**
 * `git fetch --filter` marks the remote as a promisor (`remote.<url>.promisor`,
 * `.partialclonefilter`), which lets any later command that meets a missing object fetch it on the
 * spot. Removing that section makes such a lookup fail instead.
 */
export async function disableLazyFetch(git: Git, url: string): Promise<void> {
  const result = await git.exec(["config", "--remove-section", `remote.${url}`]);
  if (result.code !== 0 && !/no such section/i.test(result.stderr))
    throw new GitCommandError(["config", "--remove-section", `remote.${url}`], result);
}

/**
 * Answers every ancestry question `decide` may ask and returns them as a lookup. The questions go
 * to `ancestry` together (the walks run in parallel), except that of a pair of reverse questions
 * (environment head and target) the one whose ancestor is the environment head goes first: in a
 * promotion the environment is usually behind the target, and that "yes" answers the reverse.
 */
export async function gatherAncestry(
  ancestry: Ancestry,
  target: string,
  tips: BranchTips,
): Promise<(ancestor: string, descendant: string) => boolean> {
  const questions = ancestryQuestions(target, tips);
  const asked = new Set(questions.map(([a, d]) => `${a}..${d}`));
  const second = ([a, d]: [string, string]) => a !== tips.environment && asked.has(`${d}..${a}`);
  const order = [...questions.filter((q) => !second(q)), ...questions.filter(second)];
  const pending = new Map(order.map(([a, d]) => [`${a}..${d}`, ancestry.isAncestor(a, d)]));
  const table = new Map<string, boolean>();
  for (const [key, answer] of pending) table.set(key, await answer);
  return (ancestor, descendant) => {
    const answer = table.get(`${ancestor}..${descendant}`);
    if (answer === undefined)
      throw new Error(`decide asked an ancestry question nobody answered: ${ancestor} → ${descendant}`);
    return answer;
  };
}

/** The attempt's ancestry answers from git; `missing` commits (not fetched) are ancestors of nothing. */
export function gitAncestry(git: Git, missing: readonly string[] = []): Ancestry {
  return new Ancestry((ancestor, descendant) => git.isAncestor(ancestor, descendant), new Set(missing));
}

const FULL_SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Every commit of the source branch that the pipeline's commit lacks, with its parents and bump
 * trailers: what `chooseTarget` reads. The tree-less fetch already brought these commit objects;
 * reading their messages fetches nothing. None when the pipeline's commit is the source tip.
 */
export async function laterCommits(git: Git, pipelineCommit: string, sourceTip: string): Promise<LaterCommit[]> {
  if (pipelineCommit === sourceTip) return [];
  const trailer = (key: string) => `%(trailers:key=${key},valueonly,separator=%x20)`;
  const log = await git.run([
    "log",
    "--no-decorate",
    `--format=%H%x1f%P%x1f${trailer(TRAILERS.sourceCommit)}%x1f${trailer(TRAILERS.pipeline)}%x1e`,
    `${pipelineCommit}..${sourceTip}`,
  ]);
  const commits: LaterCommit[] = [];
  for (const record of log.split("\x1e")) {
    const [commit = "", parents = "", source = "", pipeline = ""] = record.trim().split("\x1f");
    if (!FULL_SHA.test(commit)) continue;
    const bumpOf = source.trim();
    commits.push({
      commit,
      parents: parents.split(" ").filter(Boolean),
      // A trailer that is not one full SHA (hand-written, or repeated) names no pipeline commit.
      ...(FULL_SHA.test(bumpOf) ? { bumpOf } : {}),
      ...(pipeline.trim() ? { pipeline: pipeline.trim() } : {}),
    });
  }
  return commits;
}

/** The outcome of one push attempt. */
export type PushOutcome = { pushed: true } | { pushed: false; error: GitCommandError };

/**
 * Pushes exactly `<sha>:refs/heads/<branch>`, plainly: never `--force`, never a `+` refspec. The
 * server and git's own fast-forward check both refuse anything but a fast-forward or a creation.
 */
export async function pushPlan(
  workspace: PromotionWorkspace,
  plan: Extract<PromotionPlan, { action: "push" }>,
  branch: string,
  options: { skipCi: boolean },
): Promise<PushOutcome> {
  const args = [
    "push",
    "--no-verify",
    ...(options.skipCi ? ["-o", "ci.skip"] : []),
    workspace.url,
    `${plan.target}:refs/heads/${branch}`,
  ];
  const result = await workspace.git.exec(args);
  return result.code === 0 ? { pushed: true } : { pushed: false, error: new GitCommandError(args, result) };
}
