/**
 * `gitops-components setup [rotate]`: read the pipeline, read the project, print the plan; with
 * `--apply`, carry it out. Every line of output passes through {@link Secrets.redact}.
 */
import path from "node:path";
import { formatProblem } from "../../generator/problems.ts";
import { readPipeline, UnreadablePipeline } from "../consumer-pipeline.ts";
import { EXIT, type CliIo } from "../io.ts";
import { lintPipeline } from "../lint/lint.ts";
import { applyPlan } from "./apply.ts";
import { gitbeakerApi, GitLabApiError } from "./gitlab-api.ts";
import { setupNeeds } from "./needs.ts";
import { planCounts, planRotation, planSetup, renderPlan } from "./plan.ts";
import { Secrets } from "./secrets.ts";
import { readInstance, readProjectState, readTier, type Tier } from "./state.ts";
import { resolveTarget } from "./target.ts";

/** The options of `setup` and `setup rotate`. */
export interface SetupOptions {
  file: string;
  apply: boolean;
  rotate: boolean;
  project?: string;
  gitlabUrl?: string;
  tier?: Tier;
  /** rotate: tokens expiring within this many days. */
  withinDays: number;
  /**
   * Lifetime of new and rotated tokens, in days. The default, 364, stays inside GitLab's default
   * maximum of 365 days even when the instance's date is a day behind UTC.
   */
  lifetimeDays: number;
}

function addDays(now: Date, days: number): string {
  const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const TIER_NAMES: Record<Tier, string> = { free: "Free", premium: "Premium", ultimate: "Ultimate" };

/** Runs setup or setup rotate. */
export async function setupCommand(options: SetupOptions, io: CliIo): Promise<number> {
  const secrets = new Secrets();
  const token = io.env.GITLAB_TOKEN?.trim();
  secrets.add(token);
  const out = (text: string) => io.out(secrets.redact(text));
  const err = (text: string) => io.err(secrets.redact(text));
  const catalog = await io.catalog();
  const file = path.resolve(io.cwd, options.file);

  let pipeline;
  try {
    pipeline = { ...readPipeline(file), file: options.file };
  } catch (error) {
    if (!(error instanceof UnreadablePipeline)) throw error;
    for (const problem of error.problems) err(`${formatProblem(problem)}\n`);
    return EXIT.problems;
  }
  const lint = lintPipeline(pipeline, catalog.catalogProject, catalog.versions);
  if (lint.problems.length > 0) {
    for (const problem of lint.problems) err(`${formatProblem(problem)}\n`);
    err(
      `setup: ${options.file} has ${lint.problems.length} problem(s) (npx gitops-components lint ${options.file}); fix them first, so setup creates what the corrected pipeline reads\n`,
    );
    return EXIT.problems;
  }
  if (!token) {
    err(
      "setup: GITLAB_TOKEN is not set. Fix: export GITLAB_TOKEN, a personal access token with the api scope of a Maintainer of the project (it is never printed)\n",
    );
    return EXIT.usage;
  }
  const target = resolveTarget(file, { gitlabUrl: options.gitlabUrl, project: options.project });
  if ("problem" in target) {
    err(`setup: ${target.problem}. Fix: ${target.fix}\n`);
    return EXIT.usage;
  }

  const api = gitbeakerApi(target.gitlabUrl, token);
  try {
    const instance = await readInstance(api, target.gitlabUrl);
    const project = await api.project(target.project);
    const { needs, problems } = setupNeeds(lint.includes, project.default_branch ?? "main");
    if (problems.length > 0) {
      for (const problem of problems) err(`${formatProblem(problem)}\n`);
      return EXIT.problems;
    }
    const state = await readProjectState(api, project, options.rotate ? [] : needs.agents);
    const expiresAt = addDays(io.now(), options.lifetimeDays);
    const tier = options.rotate ? undefined : await readTier(api, instance, project, options.tier);
    const plan = options.rotate
      ? planRotation(needs, state, addDays(io.now(), 0), options.withinDays, expiresAt)
      : planSetup({ needs, state, instance, tier: tier ?? { how: "" }, expiresAt });
    out(
      `setup${options.rotate ? " rotate" : ""}: ${project.path_with_namespace} at ${target.gitlabUrl} (GitLab ${instance.version}${tier ? `; tier: ${tier.tier ? `${TIER_NAMES[tier.tier]}, from ${tier.how}` : "unknown"}` : ""})\n`,
    );
    out(
      `pipeline: ${options.file}, ${lint.includes.length} include(s) of ${catalog.catalogProject}${options.rotate ? `; tokens expiring by ${addDays(io.now(), options.withinDays)}` : ""}\n\n`,
    );
    out(renderPlan(plan));
    const counts = planCounts(plan);
    if (counts.blockers > 0) {
      err(
        `setup: ${counts.blockers} blocker(s); ${options.apply ? "nothing was applied. " : ""}Fix them (each says how) and run setup again\n`,
      );
      return EXIT.problems;
    }
    if (counts.changes === 0) {
      out("Nothing to do.\n");
      return EXIT.ok;
    }
    if (!options.apply) {
      out(`Run again with --apply to make these changes.\n`);
      return EXIT.ok;
    }
    out("\nApplying:\n");
    const result = await applyPlan(plan, api, project.id, secrets, (line) => out(`${line}\n`));
    for (const step of result.manual) out(`  by hand: ${step}\n`);
    if (!result.ok) {
      err(
        `setup: stopped${result.manual.length ? " with steps left to do by hand" : ""}; run setup again once the cause is fixed, it plans only what is still missing\n`,
      );
      return EXIT.problems;
    }
    out(`Done. Run setup again to check: it should plan nothing.\n`);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof GitLabApiError)) throw error;
    const hint =
      error.status === 401
        ? " Fix: check GITLAB_TOKEN (valid, not expired, api scope)"
        : error.status === 403
          ? " Fix: GITLAB_TOKEN's user needs the Maintainer role in the project"
          : error.status === 404
            ? " Fix: check --project and --gitlab-url, and that GITLAB_TOKEN's user can see the project"
            : "";
    if (error.status === undefined) {
      // No HTTP answer at all: the address is wrong or unreachable from here, not the token.
      err(`setup: ${error.message}, from ${target.gitlabUrl}/api/v4 (the GitLab URL comes from ${target.source}).\n`);
      err(
        `Fix: check that ${target.gitlabUrl} is your GitLab instance's address and is reachable from this machine (network, proxy, VPN); to use another address, pass --gitlab-url https://gitlab.example.com${target.source === "--gitlab-url" ? "" : " (and --project group/app)"}\n`,
      );
      return EXIT.problems;
    }
    err(`setup: ${error.message}.${hint}\n`);
    return EXIT.problems;
  }
}
