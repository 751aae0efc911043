/**
 * Inputs every component shares: its stage, its job's name (so it can be included twice) and its
 * image (the tools image at this catalog version by default).
 */
import { toolsImageRef, type Catalog } from "../generator/config.ts";
import type { Rule } from "../generator/job.ts";

/** `stage`, `job_name` and `image`, with this component's defaults. */
export function commonInputs<const Stage extends string, const Name extends string>(catalog: Catalog, defaults: { stage: Stage; job_name: Name }) {
  return {
    stage: { type: "string", description: "The stage the job runs in.", default: defaults.stage },
    job_name: {
      type: "string",
      description: "The job's name. Change it to include the component more than once in a pipeline.",
      default: defaults.job_name,
      regex: "^[A-Za-z0-9_. /:-]+$",
    },
    image: {
      type: "string",
      description: "The image the job runs in. The default is this catalog's tools image (node, git, buildah, kubectl, skopeo) at the same version as the component.",
      default: toolsImageRef(catalog),
    },
  } as const;
}

/** A `rules` input whose default holds the component's own rules, replaceable whole by a consumer. */
export function rulesInput(description: string, rules: Rule[]) {
  return { type: "array", description: `${description} Replaces the component's rules whole.`, default: rules } as const;
}

/** Rules matching pipelines of the default branch only (not merge-request, tag or other branch pipelines). */
export const DEFAULT_BRANCH_ONLY = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";
