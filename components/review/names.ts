/**
 * The names of one review app: its namespace, host and URL. Pure, and shared by the deploy and
 * stop jobs, so stop finds what deploy created from the pipeline's own variables, without the
 * branch or any repository file.
 */
import { createHash } from "node:crypto";

/** Kubernetes' limit for a namespace name (a DNS-1123 label). */
export const NAMESPACE_MAX = 63;
/** Hex digits of the hash that keeps namespaces unique when slugs collide. */
export const HASH_LENGTH = 8;
/** The longest `namespace_prefix`, so slug and hash keep room. */
export const PREFIX_MAX = 20;

/** What identifies a review app: the pipeline's predefined variables. */
export interface ReviewTarget {
  /** `CI_COMMIT_REF_NAME`: the merge request's source branch, in full. */
  refName: string;
  /** `CI_COMMIT_REF_SLUG` (computed with {@link refSlug} when the variable is absent). */
  refSlug: string;
  /** `CI_MERGE_REQUEST_IID`, unset outside merge-request pipelines. */
  mergeRequestIid?: string;
  /** `CI_PROJECT_ID`: review clusters are shared by projects, so it goes into the hash. */
  projectId?: string;
}

/** A review app's names. */
export interface ReviewNames {
  /** The slug in the host and the review label (GitLab's `CI_COMMIT_REF_SLUG`). */
  slug: string;
  /** `<prefix><iid>-<slug, cut to fit>-<hash>`: a DNS-1123 label of at most 63 characters. */
  namespace: string;
  /** `<slug>.<domain>` */
  host: string;
  /** `https://<host>` */
  url: string;
}

/**
 * GitLab's `CI_COMMIT_REF_SLUG` of a ref: lowercased, every character but `a-z` and `0-9` replaced
 * by `-`, cut to 63 characters, then leading and trailing `-` removed (Gitlab::Utils.slugify).
 */
export function refSlug(ref: string): string {
  const replaced = Array.from(ref.toLowerCase(), (c) => (/^[a-z0-9]$/.test(c) ? c : "-"));
  return replaced
    .slice(0, 63)
    .join("")
    .replace(/^-+|-+$/g, "");
}

/** Is `name` a DNS-1123 label (lowercase letters, digits and `-`, alphanumeric at both ends, at most 63)? */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

/** Is `name` a DNS-1123 subdomain (dot-separated labels, at most 253)? */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && name.split(".").every(isDnsLabel);
}

/**
 * The namespace of a review app: `<prefix><iid>-<slug, cut to fit>-<hash>`.
 *
 * It joins the merge request's IID (readable, unique within the project), as much of the slug as
 * fits, and a hash of project ID, IID and the *full* branch name: slugs are cut at 63 characters
 * and fold every non-ASCII character to `-`, so two branches can share a slug; the hash keeps
 * their namespaces apart, and the project ID keeps projects that share one review cluster apart.
 * Deploy and stop compute it from the same predefined variables, so they always agree.
 */
export function reviewNamespace(target: ReviewTarget, prefix: string): string {
  const iid = target.mergeRequestIid ? `${target.mergeRequestIid}-` : "";
  const hash = createHash("sha256")
    .update([target.projectId ?? "", target.mergeRequestIid ?? "", target.refName].join("\n"))
    .digest("hex")
    .slice(0, HASH_LENGTH);
  const room = NAMESPACE_MAX - prefix.length - iid.length - HASH_LENGTH - 1;
  const part = target.refSlug.slice(0, Math.max(0, room)).replace(/-+$/, "");
  return `${prefix}${iid}${part ? `${part}-` : ""}${hash}`;
}

/** The namespace, host and URL of a review app. */
export function reviewNames(target: ReviewTarget, options: { prefix: string; domain: string }): ReviewNames {
  const namespace = reviewNamespace(target, options.prefix);
  // An empty slug (a branch name with no ASCII letter or digit) still needs a host label.
  const host = `${target.refSlug || namespace}.${options.domain}`;
  return { slug: target.refSlug, namespace, host, url: `https://${host}` };
}
