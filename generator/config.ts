/**
 * The platform team's configuration: what makes this catalog an organisation's own. Read from
 * `gitops.config.ts` at the repository root; every template is generated from it.
 */

/** What a platform team sets once for its catalog. */
export interface CatalogConfig {
  /** The catalog project's path on the GitLab instance (`group/project`). */
  catalogProject: string;
  /** The tools image repository (no tag); each template defaults to `<toolsImage>:<version>`. */
  toolsImage: string;
  /** The default agent for review apps (`path/to/agent-project:agent-name`). */
  reviewAgent: string;
  /** The environment branches the GitOps agents sync from. */
  environmentBranches: { staging: string; production: string; review: string };
}

/** Declares the configuration with its type checked. */
export function defineConfig(config: CatalogConfig): CatalogConfig {
  return config;
}

/** What a component's declaration may depend on: the catalog version and configuration. */
export interface Catalog {
  /** The catalog version (`package.json`). */
  version: string;
  config: CatalogConfig;
}

/** The tools image at this catalog version. */
export function toolsImageRef(catalog: Catalog): string {
  return `${catalog.config.toolsImage}:${catalog.version}`;
}
