/**
 * The platform team's configuration: what makes this catalog an organisation's own. Read from
 * `gitops.config.ts` at the repository root; every template is generated from it.
 */

/** What a platform team sets once for its catalog. */
export interface CatalogConfig {
  /** The catalog project's path on the GitLab instance (`group/project`). */
  catalogProject: string;
  /**
   * The container registry that holds the catalog's tools image, as `host[:port]`.
   * @default "$CI_REGISTRY": the registry of the instance the job runs on, expanded by the runner
   * (`image:` is expanded by GitLab Runner, doc/ci/variables/where_variables_can_be_used.md). A
   * component can only be included from its own instance (`include:component` paths start with
   * `$CI_SERVER_FQDN`), so that is always the catalog's registry: the default fits every instance.
   */
  registry?: string;
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

/** The registry a catalog defaults to: the one of the instance the job runs on. */
export const INSTANCE_REGISTRY = "$CI_REGISTRY";

/**
 * The tools image repository (no tag), derived in this one place from the registry and the catalog
 * project: `<registry>/<catalog project>/tools`, which is `$CI_REGISTRY_IMAGE/tools` in the
 * catalog's own pipeline, where it is built and published (registry paths are lower case).
 */
export function toolsImageRepository(config: CatalogConfig): string {
  return `${config.registry ?? INSTANCE_REGISTRY}/${config.catalogProject.toLowerCase()}/tools`;
}

/** The tools image at this catalog version: every component's default `image`. */
export function toolsImageRef(catalog: Catalog): string {
  return `${toolsImageRepository(catalog.config)}:${catalog.version}`;
}
