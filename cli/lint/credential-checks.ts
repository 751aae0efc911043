/**
 * Promotion chains and credentials: production requires a branch that another promotion pushes;
 * no two promotions push one branch; each branch has its own credential (a token variable named
 * for two branches lets one token push both, and a protected branch names one credential); a deploy
 * key comes with the host keys it must trust; consumers of a build name the image it pushes.
 */
import type { Problem } from "../../generator/problems.ts";
import { listOnce } from "../word-lists.ts";
import { DEFAULT_BRANCH_WRITERS, isPromotion, type ResolvedInclude } from "../resolve.ts";
import { includesOf, inputPath, jobNames, stringValue, type LintCheck, type LintContext } from "./context.ts";

/** Includes that push an environment branch (promote-staging, manual-production). */
function promotionsOf(context: LintContext): ResolvedInclude[] {
  return context.includes.filter(isPromotion);
}

/** The components that follow an environment without pushing it: they must name a branch a promotion of the pipeline pushes. */
const FOLLOWERS = ["preview-production", "rollback"];

/** `require_branch` is another promotion's branch; no branch is pushed by two promotions or is the source. */
export const checkPromotionChain: LintCheck = (context) => {
  const problems: Problem[] = [];
  const promotions = promotionsOf(context);
  const pushed = [...new Set(promotions.map((p) => stringValue(p, "environment_branch")))];
  for (const promotion of promotions) {
    const branch = stringValue(promotion, "environment_branch");
    const required = stringValue(promotion, "require_branch");
    if (
      "require_branch" in promotion.spec.inputs &&
      required !== "" &&
      !promotions.some((p) => p !== promotion && stringValue(p, "environment_branch") === required)
    )
      problems.push({
        path: inputPath(context, promotion, "require_branch"),
        message: `${required} is no other promotion's environment_branch (this pipeline's promotions push ${pushed.join(", ")}): nothing moves it, so every promotion of ${branch} is refused`,
        value: required,
        fix: `set require_branch to the branch the promotion before it pushes${pushed.filter((b) => b !== branch).length ? ` (${pushed.filter((b) => b !== branch).join(" or ")})` : ", and include that promotion (promote-staging)"}`,
      });
    const others = promotions.filter((p) => p !== promotion && stringValue(p, "environment_branch") === branch);
    if (others.length > 0 && promotions.indexOf(promotion) > promotions.indexOf(others[0] as ResolvedInclude))
      problems.push({
        path: inputPath(context, promotion, "environment_branch"),
        message: `${branch} is also pushed by ${others.map((o) => o.label).join(", ")}: two promotions would move one environment`,
        value: branch,
        fix: "give each promotion its own environment_branch (and token_variable)",
      });
    if (branch === stringValue(promotion, "source_branch") || branch === "$CI_DEFAULT_BRANCH")
      problems.push({
        path: inputPath(context, promotion, "environment_branch"),
        message: "is the branch promotions take commits from",
        value: branch,
        fix: "name the environment's own branch, such as _gitlab/agents/staging",
      });
  }
  // A preview of, or a rollback of, a branch no promotion pushes reports on or reverts nothing this pipeline deploys.
  for (const follower of context.includes.filter((r) => FOLLOWERS.includes(r.include.component))) {
    const branch = stringValue(follower, "environment_branch");
    if (promotions.length > 0 && !pushed.includes(branch))
      problems.push({
        path: inputPath(context, follower, "environment_branch"),
        message: `${branch} is no promotion's environment_branch (this pipeline's promotions push ${pushed.join(", ")}): ${follower.include.component === "rollback" ? "the job would undo promotions of a branch this pipeline never moves" : "the preview would report on a branch this pipeline never moves"}`,
        value: branch,
        fix: "set environment_branch (and environment) to those of the promotion it follows, such as manual-production's",
      });
  }
  return problems;
};

/** What one include pushes with: the variable, and the branch it may push. */
interface CredentialUse {
  resolved: ResolvedInclude;
  input: "token_variable" | "ssh_key_variable";
  variable: string;
  branch: string;
}

function credentialUses(context: LintContext): CredentialUse[] {
  const uses: CredentialUse[] = [];
  for (const resolved of context.includes) {
    const promotion = isPromotion(resolved);
    const branchInput = DEFAULT_BRANCH_WRITERS[resolved.include.component];
    if (!promotion && !branchInput) continue;
    const branch = promotion
      ? stringValue(resolved, "environment_branch")
      : stringValue(resolved, branchInput as string) || "$CI_DEFAULT_BRANCH";
    const key = stringValue(resolved, "ssh_key_variable");
    if (key) uses.push({ resolved, input: "ssh_key_variable", variable: key, branch });
    // A deploy key replaces the token, except for merge requests of update-manifests and rollback (they need the API).
    if (!key || (!promotion && stringValue(resolved, "mode") === "merge_request"))
      uses.push({ resolved, input: "token_variable", variable: stringValue(resolved, "token_variable"), branch });
  }
  return uses;
}

/** One credential per branch; deploy keys with their host keys. */
export const checkCredentials: LintCheck = (context) => {
  const problems: Problem[] = [];
  const uses = credentialUses(context);
  for (const use of uses) {
    const shared = uses.filter((u) => u.variable === use.variable && u.branch !== use.branch);
    if (shared.length > 0 && shared.every((u) => uses.indexOf(u) < uses.indexOf(use)))
      problems.push({
        path: inputPath(context, use.resolved, use.input),
        message: `${use.variable} is also the credential of ${shared.map((u) => `${u.resolved.label} (${u.branch})`).join(", ")}: one credential could then push ${listOnce([use.branch, ...shared.map((u) => u.branch)], " and ")}, and a protected branch names exactly one`,
        value: use.variable,
        fix: `give ${use.branch} its own variable (for example GITOPS_${use.branch
          .split("/")
          .pop()
          ?.toUpperCase()
          .replace(
            /[^A-Z0-9]+/g,
            "_",
          )}_${use.input === "token_variable" ? "TOKEN" : "DEPLOY_KEY"}) and its own token or deploy key; npx gitops-components setup creates them`,
      });
    if (use.input === "ssh_key_variable" && stringValue(use.resolved, "ssh_known_hosts").trim() === "")
      problems.push({
        path: inputPath(context, use.resolved, "ssh_known_hosts"),
        message:
          "is empty while ssh_key_variable is set: the job would not know which host key to trust, and refuses to push",
        fix: "set ssh_known_hosts to the output of ssh-keyscan -p <port> <your GitLab host>, checked against the fingerprints your instance publishes (Help > SSH host keys fingerprints)",
      });
  }
  return problems;
};

/** review and update-manifests name the image their build job pushes. */
export const checkImageNames: LintCheck = (context) => {
  const problems: Problem[] = [];
  const builds = includesOf(context, "build");
  for (const consumer of context.includes.filter(
    (r) => "build_job" in r.spec.inputs && "image_name" in r.spec.inputs,
  )) {
    if (stringValue(consumer, "new_image") !== "$GITOPS_IMAGE") continue; // it names its image itself
    const build = builds.find((b) => jobNames(b).includes(stringValue(consumer, "build_job")));
    if (!build || stringValue(build, "image_name") === stringValue(consumer, "image_name")) continue;
    problems.push({
      path: inputPath(context, consumer, "image_name"),
      message: `is ${stringValue(consumer, "image_name")}, but ${stringValue(consumer, "build_job")} pushes ${stringValue(build, "image_name")}: the manifests are searched for an image the build never pushes, so ${consumer.include.component === "update-manifests" ? "the bump changes nothing (or another application's image)" : "the review app runs the old image"}`,
      value: stringValue(consumer, "image_name"),
      fix: `set image_name to ${stringValue(build, "image_name")} (what ${stringValue(consumer, "build_job")} pushes), and name that image literally in the manifests`,
    });
  }
  return problems;
};
