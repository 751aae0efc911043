/**
 * The bump commit's message and the names derived from the image. The message's title carries
 * the bump marker: the components' rules read it from `$CI_COMMIT_TITLE` to keep the bump commit's
 * own pipeline from building and bumping again.
 */
import { InputError } from "../../runtime/errors.ts";
import { BUMP_BRANCH_PREFIX, BUMP_MARKER, TRAILERS, type BumpMode } from "../../runtime/bump-trailers.ts";
import type { ImageReference } from "../../runtime/image-reference.ts";

/** The placeholder `commit_message` may hold for the new image. */
export const IMAGE_PLACEHOLDER = "{image}";

/** Where the bump came from, written as trailers so a reader (or a tool) can trace it. */
export interface BumpProvenance {
  /** `CI_COMMIT_SHA`: the commit whose pipeline built the image. */
  sourceCommit?: string;
  /** `CI_PIPELINE_URL`. */
  pipelineUrl?: string;
  /** How the bump reaches the branch; a `commit` bump's own pipeline skips promotion (components/common.ts GUARDS). */
  mode?: BumpMode;
}

/**
 * The full commit message: `template` with `{image}` filled, then trailers. Refuses a title
 * without the marker, since without it the bump commit's pipeline would build and bump again.
 */
export function bumpCommitMessage(template: string, image: string, provenance: BumpProvenance = {}): string {
  const message = template.split(IMAGE_PLACEHOLDER).join(image).replace(/\r\n/g, "\n").trim();
  const title = message.split("\n")[0] ?? "";
  if (!title.includes(BUMP_MARKER))
    throw new InputError(
      "commit_message",
      template,
      `its first line does not contain the marker ${BUMP_MARKER}, so the bump commit's own pipeline would build and bump again (a loop)`,
      `put ${BUMP_MARKER} in the first line, for example "chore(manifests): deploy ${IMAGE_PLACEHOLDER} ${BUMP_MARKER}"`,
    );
  const trailers = [`${TRAILERS.image}: ${image}`];
  if (provenance.sourceCommit) trailers.push(`${TRAILERS.sourceCommit}: ${provenance.sourceCommit}`);
  if (provenance.pipelineUrl) trailers.push(`${TRAILERS.pipeline}: ${provenance.pipelineUrl}`);
  if (provenance.mode) trailers.push(`${TRAILERS.mode}: ${provenance.mode}`);
  return `${message}\n\n${trailers.join("\n")}\n`;
}

/** The first line of a commit message (the merge request's title in `merge_request` mode). */
export function messageTitle(message: string): string {
  return message.split("\n")[0] ?? "";
}

/** The branch `merge_request` mode pushes: `gitops/bump-<12 hex of the digest>` or `gitops/bump-<tag>`. */
export function bumpBranchName(image: ImageReference): string {
  const id = image.digest ? (image.digest.split(":")[1] ?? image.digest).slice(0, 12) : (image.tag ?? "latest");
  // A tag may hold what a branch name may not (`..`, a `.lock` ending): runtime/branch-name.ts.
  return `${BUMP_BRANCH_PREFIX}${
    id
      .replace(/[^A-Za-z0-9._-]/g, "-")
      .replace(/\.{2,}/g, ".")
      .replace(/\.lock$|\.+$/, "")
      .replace(/^[.-]+/, "") || "image"
  }`;
}
