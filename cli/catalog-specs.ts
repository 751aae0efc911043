/**
 * The catalog as a consumer sees it: each component's `spec:inputs` and its jobs, read from the
 * generated `templates/<name>/template.yml` (the same text GitLab serves), never from the
 * component modules. A pin at another version is read from that release tag's templates.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { componentSpecFromTemplate, type ComponentSpec } from "../generator/template-spec.ts";

export type { ComponentSpec, DeclaredInput } from "../generator/template-spec.ts";

/** The components of one catalog version. */
export interface CatalogSpecs {
  version: string;
  /** Where the templates were read: `templates/` of the work tree, or a release tag. */
  source: string;
  components: Map<string, ComponentSpec>;
}

/** GitLab's rule for what is a component in a catalog project (`TEMPLATE_PATH_REGEX`, app/models/ci/catalog/components_project.rb). */
const TEMPLATE_PATH = /^templates\/([\w-]+)(?:\/template)?\.yml$/;

/** The components of the work tree's `templates/`. */
export function workTreeSpecs(root: string, version: string): CatalogSpecs {
  const components = new Map<string, ComponentSpec>();
  const dir = path.join(root, "templates");
  for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
    const file = entry.isDirectory() ? `templates/${entry.name}/template.yml` : `templates/${entry.name}`;
    const match = TEMPLATE_PATH.exec(file);
    if (match && existsSync(path.join(root, file)))
      components.set(
        match[1] as string,
        componentSpecFromTemplate(match[1] as string, readFileSync(path.join(root, file), "utf8")),
      );
  }
  return { version, source: `templates/ of this checkout (${version})`, components };
}

/**
 * The components at release tag `version`, read with git from the catalog's own history; undefined
 * when the checkout has no such tag (a shallow clone, or a version from another catalog).
 */
export function taggedSpecs(root: string, version: string): CatalogSpecs | undefined {
  const git = (args: string[]) => spawnSync("git", args, { cwd: root, encoding: "utf8" });
  const listed = git(["ls-tree", "-r", "--name-only", `refs/tags/${version}`, "--", "templates"]);
  if (listed.status !== 0) return undefined;
  const components = new Map<string, ComponentSpec>();
  for (const file of listed.stdout.split("\n").filter(Boolean)) {
    const match = TEMPLATE_PATH.exec(file);
    if (!match) continue;
    const shown = git(["show", `refs/tags/${version}:${file}`]);
    if (shown.status === 0)
      components.set(match[1] as string, componentSpecFromTemplate(match[1] as string, shown.stdout));
  }
  return components.size > 0 ? { version, source: `release tag ${version}`, components } : undefined;
}

/** Specs by pinned version: the work tree for its own version, else the release tag, read once each. */
export class CatalogVersions {
  private readonly cache = new Map<string, CatalogSpecs | undefined>();

  constructor(
    readonly root: string,
    /** The checkout's own version (`package.json`). */
    readonly version: string,
  ) {}

  /** The specs a pin at `version` gets; undefined when neither the work tree nor a tag has them. */
  at(version: string): CatalogSpecs | undefined {
    if (!this.cache.has(version))
      this.cache.set(
        version,
        version === this.version ? workTreeSpecs(this.root, version) : taggedSpecs(this.root, version),
      );
    return this.cache.get(version);
  }

  /** The work tree's specs: what a pin that names no release is checked against. */
  current(): CatalogSpecs {
    return this.at(this.version) as CatalogSpecs;
  }
}
