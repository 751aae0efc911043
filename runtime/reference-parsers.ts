/**
 * The parsers of image references and repository paths (runtime/input-parsers.ts has the rest),
 * apart so the scripts that read neither bundle neither.
 */
import type { Parser } from "./contract.ts";
import {
  parseImageName,
  parseImageReference,
  type ImageName,
  type ImageReference,
  type ImageReferenceKind,
} from "./image-reference.ts";
import { present } from "./input-parsers.ts";
import { relativePathInside } from "./project-path.ts";

/** An image repository without tag or digest, split into registry and path; the argument is the fix when empty. */
export const imageName: Parser<ImageName, "string", string> = (raw, from, fix) =>
  parseImageName(from.input, present(raw, from, fix));

/** An image reference, with its text; the argument is `[kind, fix]` (`pinned` requires a tag or digest). */
export const imageReference: Parser<
  ImageReference & { text: string },
  "string",
  readonly [ImageReferenceKind, string]
> = (raw, from, [kind, fix]) => {
  const value = present(raw, from, fix);
  return { text: value, ...parseImageReference(from.input, value, kind) };
};

/** A clean repository-relative path (runtime/project-path.ts; confinement on disk is the script's); the argument is the fix. */
export const relativePath: Parser<string, "string", string> = (raw, from, fix) =>
  relativePathInside(from.input, present(raw, from, fix));
