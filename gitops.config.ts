/**
 * This catalog's configuration. A platform team that forks the catalog changes these values and
 * runs `npm run generate`; every template follows. The tools image every component defaults to is
 * derived from them: `$CI_REGISTRY/<catalogProject>/tools:<version>` (generator/config.ts).
 */
import { defineConfig } from "./generator/config.ts";

export default defineConfig({
  catalogProject: "platform/gitops-components",
  reviewAgent: "platform/gitops-agents:review",
  environmentBranches: {
    staging: "_gitlab/agents/staging",
    production: "_gitlab/agents/production",
    review: "_gitlab/agents/review",
  },
});
