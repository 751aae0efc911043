/**
 * This catalog's configuration. A platform team that forks the catalog changes these values and
 * runs `npm run generate`; every template follows.
 */
import { defineConfig } from "./generator/config.ts";

export default defineConfig({
  catalogProject: "platform/gitops-components",
  toolsImage: "registry.gitlab.com/platform/gitops-components/tools",
  reviewAgent: "platform/gitops-agents:review",
  environmentBranches: {
    staging: "_gitlab/agents/staging",
    production: "_gitlab/agents/production",
    review: "_gitlab/agents/review",
  },
});
