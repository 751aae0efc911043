/**
 * The promotion job's report step: from what the job did to the log section, the Markdown artifact
 * and the counts for the dotenv report. Called once, after the promotion (promote.ts).
 */
import { writeFileSync } from "node:fs";
import { info, section } from "../../runtime/log.ts";
import type { PromotionConfig } from "./config.ts";
import type { Promotion } from "./decide.ts";
import type { PromotedRange } from "./report.ts";
import { logReport, markdownReport, reportOutputs, type PromotionReport } from "./report-render.ts";

/** What the job did, as the report needs it. */
export interface ReportedOutcome {
  promotion: Promotion;
  previous: string;
  promoted: string;
  /** Why nothing moved. */
  standDown?: string;
  /** What moved (absent when nothing did). */
  range?: PromotedRange;
}

/** Prints the report (when something moves), writes its artifact, and returns the counts to publish. */
export async function publishReport(
  config: PromotionConfig,
  outcome: ReportedOutcome,
): Promise<Record<string, number>> {
  const report: PromotionReport = {
    environment: config.environment,
    branch: config.branches.environment,
    promotion: outcome.promotion,
    dryRun: config.dryRun,
    previous: outcome.previous,
    promoted: outcome.promoted,
    range: outcome.range,
    reason: outcome.standDown ?? `${config.branches.environment} already contains the commit chosen for this change`,
    pipelineUrl: config.gitlab.pipelineUrl,
  };
  if (report.range) {
    const { title, lines } = logReport(report);
    await section(title, () => lines.forEach((line) => info(line)), { collapsed: true });
  }
  writeFileSync(config.report, markdownReport(report));
  return reportOutputs(report);
}
