/**
 * The parsers of image references and repository paths (runtime/input-parsers.ts has the rest),
 * apart so the scripts that read neither bundle neither.
 */
import type { InputSource, Parser } from "./contract.ts";
import { parseImageName, parseImageReference, type ImageReferenceKind } from "./image-reference.ts";
import { present } from "./input-parsers.ts";
import { relativePathInside } from "./project-path.ts";

/** An image repository without tag or digest, split into registry and path. */
export function imageName(fix: string) {
  return (raw: string | undefined, from: InputSource) => parseImageName(from.input, present(raw, from, fix));
}

/** An image reference, with its text; `kind` `pinned` requires a tag or digest. */
export function imageReference(kind: ImageReferenceKind, fix: string) {
  return (raw: string | undefined, from: InputSource) => {
    const value = present(raw, from, fix);
    return { text: value, ...parseImageReference(from.input, value, kind) };
  };
}

/** A clean repository-relative path (runtime/project-path.ts; confinement on disk is the script's). */
export function relativePath(fix: string): Parser<string> {
  return (raw, from) => relativePathInside(from.input, present(raw, from, fix));
}
