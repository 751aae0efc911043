/**
 * The promotion report: what moves from the environment's head to the target. The commits (short
 * SHA, author, first line), the merge requests they came from, and the image references that
 * change in the manifests, per file.
 *
 * Merge requests are read from the commits themselves: GitLab's default merge commit template ends
 * with `See merge request <group/project>!<iid>` (doc/user/project/merge_requests/commit_templates.md).
 * Squash commits (template `%{title}`) and fast-forward merges carry no reference, so their commits
 * are listed without one; a squash template that adds `See merge request %{reference}` names them
 * too. GitLab's API could name them (`GET /projects/:id/repository/commits/:sha/merge_requests`,
 * one call per commit), but a promotion of hundreds of commits would make hundreds of calls.
 *
 * Image changes come from the files that differ between the two commits (changed-files.ts: the
 * trees on changed paths and a few levels around them, never an unchanged file's blob) and the
 * blobs of the changed YAML files.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Git } from "../../runtime/git.ts";
import { warn } from "../../runtime/log.ts";
import { disableLazyFetch, filteredFetch, type PromotionWorkspace } from "./apply.ts";
import {
  type ChangedFile,
  changedFiles,
  commitTrees,
  fetchObjects,
  missingObjects,
  readBlobs,
  COMMIT_ROUND_FILTER,
} from "./changed-files.ts";
import { imageChanges, imageMentions, type ImageChange } from "./image-mentions.ts";

/** At most this many commits are read (newest first); the count is exact beyond it. */
export const COMMIT_SCAN_LIMIT = 1000;
/** At most this many changed manifests are read. */
export const MANIFEST_LIMIT = 400;

/** One promoted commit. */
export interface ReportCommit {
  sha: string;
  /** The abbreviated SHA git prints. */
  short: string;
  author: string;
  title: string;
}

/** A merge request named by a commit's `See merge request` line. */
export interface MergeRequestRef {
  /** As written: `group/app!12`, or `!12`. */
  reference: string;
  /** Its page, when the project's URL is known. */
  url?: string;
  /** The merge request's title (from the merge commit), or the commit's first line. */
  title: string;
  /** The commit that names it. */
  commit: string;
}

/** One file's image changes. */
export interface FileImageChanges {
  path: string;
  changes: ImageChange[];
}

/** What moves from the environment's head to the target. */
export interface PromotedRange {
  /** Every commit the target adds (exact). */
  commitCount: number;
  /** The newest commits, at most {@link COMMIT_SCAN_LIMIT}, newest first. */
  commits: ReportCommit[];
  mergeRequests: MergeRequestRef[];
  images: FileImageChanges[];
  /** Why image changes are missing or partial, if they are. */
  imagesNote?: string;
}

/** Where merge request links point: `CI_SERVER_URL` and `CI_PROJECT_PATH`. */
export interface ProjectLinks {
  serverUrl?: string;
  projectPath?: string;
}

/** `See merge request group/app!12` (GitLab's default merge commit template; the path may be omitted). */
const MERGE_REQUEST_LINE = /^See merge request (\S*![0-9]+)\s*$/m;
/** A file whose images the report reads (YAML, and kustomize's extension-less `Kustomization`). */
const MANIFEST_FILE = /(\.ya?ml|(^|\/)Kustomization)$/;

/**
 * The report's facts for the range `from..to` (`from` undefined: the environment branch is created
 * at `to`), gathered while the push runs. The commits are read from the workspace; the trees and
 * blobs of the manifests go into a repository of their own (see {@link reportRepository}), so the
 * workspace that pushes never fetches them.
 */
export async function promotedRange(
  workspace: PromotionWorkspace,
  range: { from?: string; to: string },
  links: ProjectLinks,
  prefetched: ReportPrefetch["ready"] = Promise.resolve(undefined),
): Promise<PromotedRange> {
  // Both settle before anything is thrown: no git command of the report outlives this call.
  const [listed, changes] = await Promise.allSettled([
    listCommits(workspace.git, range, links),
    imageChangesOf(workspace, range, prefetched),
  ]);
  if (listed.status === "rejected") throw listed.reason;
  if (changes.status === "rejected") throw changes.reason;
  return { ...listed.value, ...changes.value };
}

/**
 * A second repository in the workspace's directory that reads the workspace's commits through
 * `objects/info/alternates` and receives the report's trees and blobs. A filtered fetch marks its
 * remote a promisor until disableLazyFetch runs again; in the workspace, a push meeting a missing
 * object meanwhile would fetch it on the spot instead of being rejected and re-decided
 * (test/promotion/race.test.ts, "decides again when main moves"). Here no push runs, so the report
 * fetches while the workspace pushes. It goes when the workspace goes (kept with it for
 * inspection under GITOPS_KEEP_WORKDIR).
 */
async function reportRepository(workspace: PromotionWorkspace): Promise<PromotionWorkspace> {
  const dir = path.join(workspace.git.dir, ".gitops-report");
  const git = workspace.git.sibling(dir);
  // Made again after a prefetch that failed half-way: lazy fetching off, whatever it left. A new
  // repository has no remote section to remove (and the prefetch runs beside the commit fetch).
  const again = existsSync(path.join(dir, ".git"));
  await git.init();
  writeFileSync(
    path.join(dir, ".git", "objects", "info", "alternates"),
    `${path.join(workspace.git.dir, ".git", "objects")}\n`,
  );
  if (again) await disableLazyFetch(git, workspace.url);
  return { git, url: workspace.url, dispose: () => {} };
}

/** The report's prefetch under way. */
export interface ReportPrefetch {
  /** The report's repository, once the prefetch is done with it (undefined if it failed). */
  ready: Promise<PromotionWorkspace | undefined>;
  /** Ends it before its next fetch: the job will not report (it stands down, or fails). */
  stop(): void;
}

/**
 * Started with the job, beside the commit fetch: the report's repository fetches the environment
 * branch's and the source branch's tips with their trees (`--depth=1`, no blobs), and then the
 * blobs of the manifests that differ between them, on the guess that the source's tip is what
 * the job promotes (usually right: the change's bump is the tip). So by the time the push goes
 * out, the report's objects are mostly here and it ends about when the push does. A wrong guess
 * costs bytes, not correctness: the report reads the range actually promoted and fetches whatever
 * is still missing. Never fails: anything going wrong leaves the work to the report.
 */
export function prefetchReport(
  workspace: PromotionWorkspace,
  branches: { source: string; environment: string },
): ReportPrefetch {
  let stopped = false;
  const ready = (async () => {
    const report = await reportRepository(workspace);
    const refs = { environment: "refs/gitops-report/environment", source: "refs/gitops-report/source" };
    const fetched = await report.git.exec(
      filteredFetch(workspace.url, COMMIT_ROUND_FILTER, {
        depth: 1,
        noHaves: true,
        refspecs: [
          `+refs/heads/${branches.environment}:${refs.environment}`,
          `+refs/heads/${branches.source}:${refs.source}`,
        ],
      }),
    );
    await disableLazyFetch(report.git, workspace.url);
    // A missing environment branch (a first promotion) or any other failure: nothing to guess from.
    if (fetched.code !== 0 || stopped) return report;
    const trees = await commitTrees(report.git, refs.environment, refs.source);
    if (trees.from === trees.to) return report;
    const { files } = await changedFiles(report, trees, { stopped: () => stopped });
    if (!stopped) await fetchManifests(report, files);
    return report;
  })().catch(() => undefined);
  return {
    ready,
    stop: () => {
      stopped = true;
    },
  };
}

/** Fetches the blobs of the changed manifests the report reads that the report's repository lacks. */
async function fetchManifests(report: PromotionWorkspace, files: readonly ChangedFile[]) {
  const manifests = files.filter((f) => MANIFEST_FILE.test(f.path));
  const read = manifests.slice(0, MANIFEST_LIMIT);
  const blobs = [...new Set(read.flatMap((f) => [f.from, f.to]).filter((oid): oid is string => oid !== undefined))];
  await fetchObjects(report, await missingObjects(report.git, blobs));
  return { manifests, read, blobs };
}

async function listCommits(
  git: Git,
  range: { from?: string; to: string },
  links: ProjectLinks,
): Promise<Pick<PromotedRange, "commitCount" | "commits" | "mergeRequests">> {
  const revisions = range.from ? [range.to, `^${range.from}`] : [range.to];
  const log = await git.run([
    "log",
    "--no-decorate",
    `--max-count=${COMMIT_SCAN_LIMIT + 1}`,
    "--format=%H%x1f%h%x1f%P%x1f%an%x1f%s%x1f%b%x1e",
    ...revisions,
  ]);
  const records = log
    .split("\x1e")
    .map((record) => record.replace(/^\n/, "").split("\x1f"))
    .filter((fields) => /^[0-9a-f]{40,64}$/.test(fields[0] ?? ""));
  const commitCount =
    records.length > COMMIT_SCAN_LIMIT ? Number(await git.run(["rev-list", "--count", ...revisions])) : records.length;
  const commits: ReportCommit[] = [];
  const mergeRequests: MergeRequestRef[] = [];
  const seen = new Set<string>();
  for (const [sha = "", short = "", parents = "", author = "", title = "", body = ""] of records.slice(
    0,
    COMMIT_SCAN_LIMIT,
  )) {
    commits.push({ sha, short, author, title });
    const reference = MERGE_REQUEST_LINE.exec(body)?.[1];
    if (!reference || seen.has(reference)) continue;
    seen.add(reference);
    // A merge commit's subject is "Merge branch 'x' into 'main'"; the request's title follows it.
    const merged =
      parents.split(" ").length > 1
        ? body
            .split("\n")
            .find((line) => line.trim() !== "" && !MERGE_REQUEST_LINE.test(line))
            ?.trim()
        : undefined;
    const url = mergeRequestUrl(reference, links);
    mergeRequests.push({ reference, title: merged || title, commit: sha, ...(url ? { url } : {}) });
  }
  return { commitCount, commits, mergeRequests };
}

/** The merge request's page: `<server>/<project path>/-/merge_requests/<iid>`. */
function mergeRequestUrl(reference: string, links: ProjectLinks): string | undefined {
  const [path, iid] = reference.split("!");
  const project = path || links.projectPath;
  return links.serverUrl && project
    ? `${links.serverUrl.replace(/\/+$/, "")}/${project}/-/merge_requests/${iid}`
    : undefined;
}

async function imageChangesOf(
  workspace: PromotionWorkspace,
  range: { from?: string; to: string },
  prefetched: ReportPrefetch["ready"],
): Promise<Pick<PromotedRange, "images" | "imagesNote">> {
  if (!range.from)
    return {
      images: [],
      imagesNote: "the environment branch is created: there is no earlier commit to compare the manifests with",
    };
  try {
    const trees = await commitTrees(workspace.git, range.from, range.to);
    if (trees.from === trees.to) return { images: [] };
    const report = (await prefetched) ?? (await reportRepository(workspace));
    const diff = await changedFiles(report, trees);
    const { manifests, read, blobs } = await fetchManifests(report, diff.files);
    const texts = await readBlobs(report.git, blobs);
    const images: FileImageChanges[] = [];
    for (const file of read) {
      const mentions = (oid: string | undefined) =>
        oid === undefined ? [] : imageMentions(texts.get(oid)?.toString("utf8") ?? "");
      const changes = imageChanges(mentions(file.from), mentions(file.to));
      if (changes.length > 0) images.push({ path: file.path, changes });
    }
    const notes = [
      diff.incomplete,
      manifests.length > read.length
        ? `${manifests.length} manifests changed; the first ${read.length} were read`
        : undefined,
    ].filter(Boolean);
    return { images, ...(notes.length > 0 ? { imagesNote: `partial: ${notes.join("; ")}` } : {}) };
  } catch (error) {
    // The report never fails a promotion: the push is what matters.
    const message = (error as Error).message.split("\n")[0];
    warn(`the promotion report lists no image changes: ${message}`);
    return { images: [], imagesNote: `not listed: ${message}` };
  }
}
