/**
 * A platform team makes the catalog its own by changing `gitops.config.ts` and regenerating: every
 * value it sets must reach the output, and none of the old ones may survive.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateCatalog, loadConfig } from "../../generator/catalog.ts";
import { toolsImageRef, toolsImageRepository, type CatalogConfig } from "../../generator/config.ts";

const BASIC = fileURLToPath(new URL("../fixtures/basic/", import.meta.url));
const OWN_PIPELINE = fileURLToPath(new URL("../fixtures/own-pipeline/", import.meta.url));

const forked: CatalogConfig = {
  catalogProject: "acme/ci/gitops-catalog",
  registry: "registry.acme.test",
  reviewAgent: "acme/clusters:review-eu",
  environmentBranches: {
    staging: "_gitlab/agents/stage-eu",
    production: "_gitlab/agents/prod-eu",
    review: "_gitlab/agents/review-eu",
  },
};

describe("a changed gitops.config.ts re-targets the generated catalog", async () => {
  const original = await loadConfig(BASIC);
  const generated = await generateCatalog({ root: BASIC, config: forked });
  const template = generated.files.get("templates/hello/template.yml") ?? "";
  const readme = generated.files.get("README.md") ?? "";

  it("starts from a fixture whose own values differ from the fork's", () => {
    expect(original.catalogProject).not.toBe(forked.catalogProject);
    expect(toolsImageRepository(original)).not.toBe(toolsImageRepository(forked));
    // The committed fixture holds the original values, so the assertions below can fail.
    expect(readFileSync(`${BASIC}templates/hello/template.yml`, "utf8")).toContain(
      `default: ${toolsImageRepository(original)}:9.8.7`,
    );
  });

  it("makes the tools image, derived from the registry and the catalog project, at the catalog version every template's default image", () => {
    expect(template).toContain(
      "    image:\n      type: string\n      description: Image the job runs in.\n      default: registry.acme.test/acme/ci/gitops-catalog/tools:9.8.7\n",
    );
    expect(template).not.toContain(toolsImageRepository(original));
  });

  it("defaults to the registry of the instance the job runs on ($CI_REGISTRY, expanded by the runner), with the project path in lower case as registry paths are", () => {
    const { registry: _, ...onTheInstance } = forked;
    expect(
      toolsImageRef({ version: "9.8.7", config: { ...onTheInstance, catalogProject: "Acme/CI/GitOps-Catalog" } }),
    ).toBe("$CI_REGISTRY/acme/ci/gitops-catalog/tools:9.8.7");
  });

  it("writes the catalog project into the README's include references and the tools image into its input tables", () => {
    expect(readme).toContain("| [`hello`](#hello) | `$CI_SERVER_FQDN/acme/ci/gitops-catalog/hello@9.8.7` |");
    expect(readme).toContain("  - component: $CI_SERVER_FQDN/acme/ci/gitops-catalog/hello@9.8.7\n");
    expect(readme).toContain("| `image` | string | `registry.acme.test/acme/ci/gitops-catalog/tools:9.8.7` |");
    expect(readme).not.toContain(`/${original.catalogProject}/`);
  });

  it("builds the library's own pipeline on the configured tools image", async () => {
    const own = await generateCatalog({ root: OWN_PIPELINE, config: forked });
    const pipeline = own.files.get(".gitlab-ci.yml") ?? "";
    expect(pipeline).toContain("image: registry.acme.test/acme/ci/gitops-catalog/tools:$CI_COMMIT_SHA");
    expect(pipeline).not.toContain(toolsImageRepository(original));
  });
});
