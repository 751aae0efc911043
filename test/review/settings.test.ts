import { describe, expect, it } from "vitest";
import { INPUTS } from "../../components/review/deploy.contract.ts";
import { readTarget } from "../../components/review/settings.ts";
import { readInputs } from "../../runtime/contract.ts";

/** Every deploy input valid, so each case below breaks exactly one. */
const VALID = {
  GITOPS_REVIEW_AGENT: "platform/agents:review",
  GITOPS_REVIEW_MANIFESTS: "deploy/review",
  GITOPS_REVIEW_IMAGE_NAME: "registry.example.com/group/app",
  GITOPS_REVIEW_NEW_IMAGE: "registry.example.com/group/app:v1",
  GITOPS_REVIEW_DOMAIN: "review.example.com",
  GITOPS_REVIEW_NAMESPACE_PREFIX: "review-",
  GITOPS_REVIEW_ROLLOUT_TIMEOUT: "5m",
};

describe("review job settings", () => {
  it.each([
    {
      env: { GITOPS_REVIEW_AGENT: "platform/agents" },
      message: 'input agent = "platform/agents": is not an agent context',
    },
    {
      env: { GITOPS_REVIEW_NAMESPACE_PREFIX: "Review_" },
      message:
        'input namespace_prefix = "Review_": must be at most 20 lowercase letters, digits and -, starting with a letter',
    },
    {
      env: { GITOPS_REVIEW_DOMAIN: "https://review.example.com" },
      message: 'input domain = "https://review.example.com": is not a DNS domain',
    },
    {
      env: { GITOPS_REVIEW_ROLLOUT_TIMEOUT: "5 minutes" },
      message: 'input rollout_timeout = "5 minutes": is not a duration',
    },
  ])("refuses $env with a message naming the input", ({ env, message }) => {
    expect(() => readInputs({ ...VALID, ...env }, INPUTS)).toThrow(message);
  });

  it("names every wrong input at once, each with its fix", () => {
    const env = {
      ...VALID,
      GITOPS_REVIEW_AGENT: "platform/agents",
      GITOPS_REVIEW_DOMAIN: "",
      GITOPS_REVIEW_ROLLOUT_TIMEOUT: "soon",
    };
    expect(() => readInputs(env, INPUTS)).toThrow(
      [
        "3 inputs are wrong:",
        '  - input agent = "platform/agents": is not an agent context (fix: set agent to path/to/agent-project:agent-name, for example platform/gitops-agents:review)',
        '  - input domain = "": is empty (job variable GITOPS_REVIEW_DOMAIN) (fix: set domain to the review cluster\'s wildcard domain: lowercase labels joined by dots, such as review.example.com)',
        '  - input rollout_timeout = "soon": is not a duration (fix: set rollout_timeout to a number with a unit: 90s, 5m, 1h)',
      ].join("\n"),
    );
  });

  it("returns the typed settings when every input is valid", () => {
    const settings = readInputs(VALID, INPUTS);
    expect(settings.image_name.name).toBe("registry.example.com/group/app");
    expect(settings.new_image).toMatchObject({
      repository: "registry.example.com/group/app",
      tag: "v1",
      text: "registry.example.com/group/app:v1",
    });
    expect(settings.domain).toBe("review.example.com");
  });

  it("refuses a pipeline without CI_COMMIT_REF_NAME", () => {
    expect(() => readTarget({})).toThrow("input CI_COMMIT_REF_NAME: is not set");
  });

  it("computes the slug like GitLab when CI_COMMIT_REF_SLUG is missing", () => {
    expect(readTarget({ CI_COMMIT_REF_NAME: "Feature/Ü", CI_MERGE_REQUEST_IID: "4" })).toEqual({
      refName: "Feature/Ü",
      refSlug: "feature",
      mergeRequestIid: "4",
      projectId: undefined,
    });
  });
});
