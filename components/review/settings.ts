/**
 * Reading the merge request a review job runs for from GitLab's predefined variables, each checked
 * with an error that names the variable, the value and the fix. (The inputs come through the jobs'
 * contracts, deploy.contract.ts and stop.contract.ts.)
 */
import { InputError } from "../../runtime/errors.ts";
import { isDnsLabel, refSlug, type ReviewTarget } from "./names.ts";

type Env = Record<string, string | undefined>;

/** A Go duration as `kubectl --timeout` takes it (`5m`, `90s`, `1h30m`). */
export const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** The merge request this pipeline runs for, from GitLab's predefined variables. */
export function readTarget(env: Env): ReviewTarget {
  const refName = env.CI_COMMIT_REF_NAME;
  if (!refName)
    throw new InputError(
      "CI_COMMIT_REF_NAME",
      refName,
      "is not set",
      "run the job in a GitLab merge-request pipeline (GitLab sets CI_COMMIT_REF_NAME)",
    );
  const iid = env.CI_MERGE_REQUEST_IID || undefined;
  if (iid !== undefined && !/^\d+$/.test(iid))
    throw new InputError(
      "CI_MERGE_REQUEST_IID",
      iid,
      "is not a number",
      "do not override CI_MERGE_REQUEST_IID; GitLab sets it in merge-request pipelines",
    );
  // GitLab always sets the slug; computing it the same way keeps the names stable if it is missing.
  const slug = env.CI_COMMIT_REF_SLUG || refSlug(refName);
  if (slug !== "" && !isDnsLabel(slug))
    throw new InputError(
      "CI_COMMIT_REF_SLUG",
      slug,
      "is not a DNS label",
      "do not override CI_COMMIT_REF_SLUG; GitLab sets it",
    );
  return { refName, refSlug: slug, mergeRequestIid: iid, projectId: env.CI_PROJECT_ID || undefined };
}
