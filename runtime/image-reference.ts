/**
 * Container image references, split the way registries and kustomize read them:
 * `[host[:port]/]path[:tag][@digest]`.
 */

/** An image reference in parts. */
export interface ImageReference {
  /** Everything before the tag and digest (`registry.example.com:5000/group/app`). */
  repository: string;
  tag?: string;
  /** `sha256:<hex>` (or another algorithm). */
  digest?: string;
}

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Fa-f0-9]{32,}$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Splits `reference`; undefined when it is not an image reference (empty, spaces, a bad tag or digest). */
export function parseImageReference(reference: string): ImageReference | undefined {
  if (reference === "" || /\s/.test(reference)) return undefined;
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  // A colon after the last slash starts the tag; one before it is a registry port (`host:5000/app`).
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (rest === "" || rest.startsWith("/") || rest.endsWith("/") || rest.includes("//")) return undefined;
  return { repository: rest, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** The reference as text: `repository[:tag][@digest]`. */
export function formatImageReference(image: ImageReference): string {
  return `${image.repository}${image.tag === undefined ? "" : `:${image.tag}`}${image.digest === undefined ? "" : `@${image.digest}`}`;
}
