/**
 * The promotion report as people and jobs read it: Markdown written with lists only, so the same
 * lines read well in the job log (a collapsed section) and in the artifact
 * (`gitops-promotion-report.md`); and counts for the dotenv report. The artifact starts with a
 * one-line record of the move (an HTML comment, invisible when rendered) that the rollback job
 * reads back to learn what an environment received in its last promotion.
 */
import { shortSha, type Promotion } from "./decide.ts";
import type { PromotedRange } from "./report.ts";

/** The whole report of one promotion job. */
export interface PromotionReport {
  /** The GitLab environment. */
  environment: string;
  /** The environment branch. */
  branch: string;
  promotion: Promotion;
  dryRun: boolean;
  /** The environment branch's head before ("" when it did not exist). */
  previous: string;
  /** Its head after (the same as `previous` when nothing moved). */
  promoted: string;
  /** Why nothing moves, when nothing does. */
  reason?: string;
  /** What moves, when something does. */
  range?: PromotedRange;
  /** `CI_PIPELINE_URL`, for the artifact's header. */
  pipelineUrl?: string;
}

/** The move as the artifact records it, for the rollback job. */
export type PromotionRecord = Pick<
  PromotionReport,
  "environment" | "branch" | "promotion" | "previous" | "promoted" | "dryRun"
>;

/** The log lists at most this many commits, the artifact at most {@link ARTIFACT_COMMITS}. */
const LOG_COMMITS = 50;
const ARTIFACT_COMMITS = 200;
const RECORD = "<!-- gitops-promotion: ";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const imageCount = (range?: PromotedRange) => range?.images.reduce((n, file) => n + file.changes.length, 0) ?? 0;

/** `3 commits, 1 merge request, 2 image changes`. */
export function reportCounts(range: PromotedRange): string {
  return `${plural(range.commitCount, "commit")}, ${plural(range.mergeRequests.length, "merge request")}, ${plural(imageCount(range), "image change")}`;
}

/** The dotenv outputs the report adds. */
export function reportOutputs(report: PromotionReport): Record<string, number> {
  return {
    GITOPS_MERGE_REQUEST_COUNT: report.range?.mergeRequests.length ?? 0,
    GITOPS_IMAGE_CHANGE_COUNT: imageCount(report.range),
  };
}

/** One line of text: no line breaks, no HTML, backticks only where this file puts them. */
const text = (s: string) =>
  s
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/`/g, "'");
const code = (s: string) => `\`${text(s)}\``;

/** The record line; `>` is escaped so that no value can end the comment. */
export function recordLine(report: PromotionReport): string {
  const { environment, branch, promotion, previous, promoted, dryRun } = report;
  return `${RECORD}${JSON.stringify({ environment, branch, promotion, previous, promoted, dryRun }).replace(/>/g, "\\u003e")} -->`;
}

/** The record an artifact starts with, or undefined when it holds none. */
export function parseRecord(markdown: string): PromotionRecord | undefined {
  const line = markdown.split("\n").find((l) => l.startsWith(RECORD) && l.endsWith(" -->"));
  try {
    const record = line && (JSON.parse(line.slice(RECORD.length, -4)) as PromotionRecord);
    return record &&
      typeof record.previous === "string" &&
      typeof record.promoted === "string" &&
      typeof record.dryRun === "boolean"
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

/** The report's lines, listing at most `commits` commits: the log section's body, and the artifact's after its header. */
export function reportLines(report: PromotionReport, commits: number): string[] {
  const range = report.range;
  if (!range)
    return [
      `Nothing moves (${report.promotion}): ${text(report.reason ?? "")}. ${code(report.branch)} stays at ${report.previous ? code(shortSha(report.previous)) : "(not created yet)"}.`,
    ];
  const [verb, where] = report.previous ? ["move", `from ${code(shortSha(report.previous))} to`] : ["create", "at"];
  const done = report.dryRun ? `Dry run, nothing pushed: would ${verb}` : verb === "move" ? "Moved" : "Created";
  const lines = [
    `${done} ${code(report.branch)} ${where} ${code(shortSha(report.promoted))} (${report.promotion}): ${reportCounts(range)}.`,
    "",
    "## Image changes",
    "",
  ];
  for (const file of range.images)
    for (const c of file.changes)
      lines.push(
        `- ${code(file.path)} ${code(c.field)}: ${c.from ? code(c.from) : "(none)"} → ${c.to ? code(c.to) : "(none)"}`,
      );
  if (range.images.length === 0) lines.push("- none");
  if (range.imagesNote) lines.push(`- (${text(range.imagesNote)})`);
  lines.push("", "## Merge requests", "");
  for (const mr of range.mergeRequests)
    lines.push(
      `- ${mr.url ? `[${text(mr.reference)}](${mr.url})` : text(mr.reference)} ${text(mr.title)} (${code(shortSha(mr.commit))})`,
    );
  if (range.mergeRequests.length === 0)
    lines.push("- none named by a merge commit (squash and fast-forward merges name none)");
  lines.push("", "## Commits, newest first", "");
  for (const c of range.commits.slice(0, commits))
    lines.push(`- ${code(c.short)} ${text(c.title)} (${text(c.author)})`);
  if (range.commitCount > commits) lines.push(`- … and ${range.commitCount - commits} older commits`);
  return lines;
}

/** The artifact: a title, the record, the pipeline, then the report. */
export function markdownReport(report: PromotionReport): string {
  const header = [`# Promotion report: ${text(report.environment)}`, "", recordLine(report), ""];
  if (report.pipelineUrl) header.push(`Pipeline: ${report.pipelineUrl}`, "");
  return `${[...header, ...reportLines(report, ARTIFACT_COMMITS)].join("\n")}\n`;
}

/** The log section's title and body. */
export function logReport(report: PromotionReport): { title: string; lines: string[] } {
  const count = report.range?.commitCount ?? 0;
  return {
    title: `Promotion report: ${report.dryRun ? "would promote" : "promoted"} ${plural(count, "commit")} to ${report.environment}`,
    lines: reportLines(report, LOG_COMMITS),
  };
}
