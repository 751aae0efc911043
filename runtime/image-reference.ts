/**
 * The one image-reference parser: every image input of build, review and update-manifests, and
 * every image they write, goes through it. The grammar is distribution/reference's (reference.go,
 * regexp.go), which registries, containerd, Docker and kustomize's Go tooling share:
 *
 *   reference      := name [ ":" tag ] [ "@" digest ]
 *   name           := [domain "/"] path-component ["/" path-component]*   (at most 255 characters of path)
 *   domain         := (domain-component ["." domain-component]* | "[" ipv6 "]") [":" port]
 *   path-component := [a-z0-9]+ ( ([._] | "__" | "-"+) [a-z0-9]+ )*
 *   tag            := [\w][\w.-]{0,127}
 *   digest         := algorithm ":" hex
 *
 * and a digest is valid only for a registered algorithm with its exact length of lower-case hex
 * (reference.Parse calls go-digest's digest.Parse; go-digest algorithm.go: sha256 64, sha384 96,
 * sha512 128). Which part names the registry follows normalize.go splitDockerDomain: the first
 * component when it holds a `.` or `:`, is `localhost` or has upper-case letters; else docker.io.
 */
import { InputError } from "./errors.ts";

/** An image reference in parts. */
export interface ImageReference {
  /** Everything before the tag and digest (`registry.example.com:5000/group/app`). */
  repository: string;
  tag?: string;
  /** `sha256:<hex>` (or sha384, sha512). */
  digest?: string;
}

/** An image repository split into the registry host and the path on it. */
export interface ImageName {
  /** `registry.gitlab.com`, `127.0.0.1:5000`; docker.io when the name has no registry part. */
  registry: string;
  /** `group/project` */
  repository: string;
  /** `registry/repository`, as written by the user (no tag, no digest). */
  name: string;
}

/** regexp.go's domainNameComponent. */
const LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
/** go-digest's registered algorithms and the length of their hex encoding. */
const DIGEST = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/** Splits `name` (no tag, no digest) into the registry and the path, as normalize.go does. */
function splitRegistry(name: string): { registry?: string; path: string } {
  const slash = name.indexOf("/");
  const first = name.slice(0, slash);
  if (slash > 0 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase()))
    return { registry: first, path: name.slice(slash + 1) };
  return { path: name };
}

/** What is wrong with `text` as an image reference, or its parts. */
function read(text: string): { problem: string } | ImageReference {
  if (text === "" || text.length > 1024 || /[^\x21-\x7e]/.test(text))
    return { problem: "is empty or holds spaces, control or non-ASCII characters" };
  const at = text.indexOf("@");
  const digest = at < 0 ? undefined : text.slice(at + 1);
  const rest = at < 0 ? text : text.slice(0, at);
  // A colon after the last slash starts the tag; one before it is a registry port (`host:5000/app`).
  const colon = rest.lastIndexOf(":");
  const tag = colon > rest.lastIndexOf("/") ? rest.slice(colon + 1) : undefined;
  const repository = tag === undefined ? rest : rest.slice(0, colon);
  const { registry, path } = splitRegistry(repository);
  const bad = path.split("/").find((component) => !PATH_COMPONENT.test(component));
  const problem =
    digest === undefined && /:[a-z0-9]+:[0-9a-f]{32,}$/i.test(text)
      ? "has a digest written as a tag (a digest follows @)"
      : registry !== undefined && !DOMAIN.test(registry)
        ? `has the invalid registry host ${JSON.stringify(registry)}`
        : bad !== undefined
          ? `has the path component ${JSON.stringify(bad)} (lower-case letters and digits, separated by . _ __ or -)`
          : path.length > 255
            ? "has a path over 255 characters"
            : tag !== undefined && !TAG.test(tag)
              ? `has the tag ${JSON.stringify(tag)} ([\\w][\\w.-]{0,127})`
              : digest !== undefined && !DIGEST.test(digest)
                ? `has the digest ${JSON.stringify(digest)} (sha256, sha384 or sha512: 64, 96 or 128 lower-case hex digits)`
                : undefined;
  return problem
    ? { problem }
    : { repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** Is `tag` a valid image tag (`[\w][\w.-]{0,127}`)? */
export function isImageTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Splits `text`; undefined when it is not an image reference registries accept. */
export function tryParseImageReference(text: string): ImageReference | undefined {
  const parsed = read(text);
  return "problem" in parsed ? undefined : parsed;
}

/** What `parseImageReference` requires beyond the grammar. */
export type ImageReferenceKind = "any" | "pinned" | "name";

/**
 * `value` as an image reference, or an {@link InputError} naming `input`. `pinned` requires a tag
 * or a digest (an image the job writes); `name` forbids both (a repository to match or push to).
 */
export function parseImageReference(input: string, value: string, kind: ImageReferenceKind = "any"): ImageReference {
  const parsed = read(value);
  const problem =
    "problem" in parsed
      ? parsed.problem
      : kind === "pinned" && !parsed.tag && !parsed.digest
        ? "has neither a tag nor a digest"
        : kind === "name" && (parsed.tag || parsed.digest)
          ? "carries a tag or digest"
          : undefined;
  if (problem)
    throw new InputError(
      input,
      value,
      problem,
      `set ${input} to ${kind === "name" ? "a repository without tag or digest, such as" : "an image such as"} registry.example.com/group/app${kind === "name" ? "" : "@sha256:<64 hex> or :v1.2"}`,
    );
  return parsed as ImageReference;
}

/** `value` as an image repository (no tag, no digest), split into registry and path. */
export function parseImageName(input: string, value: string): ImageName {
  const { repository } = parseImageReference(input, value, "name");
  const { registry, path } = splitRegistry(repository);
  return { registry: registry ?? "docker.io", repository: path, name: repository };
}

/** The reference as text: `repository[:tag][@digest]`. */
export function formatImageReference(image: ImageReference): string {
  return `${image.repository}${image.tag === undefined ? "" : `:${image.tag}`}${image.digest === undefined ? "" : `@${image.digest}`}`;
}
