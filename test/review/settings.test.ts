import { describe, expect, it } from "vitest";
import { readAgent, readDomain, readNamespacePrefix, readTarget, readTimeout } from "../../components/review/settings.ts";

describe("review job settings", () => {
  it.each([
    { read: readAgent, env: { GITOPS_REVIEW_AGENT: "platform/agents" }, message: 'input agent = "platform/agents": is not an agent context' },
    { read: readNamespacePrefix, env: { GITOPS_REVIEW_NAMESPACE_PREFIX: "Review_" }, message: 'input namespace_prefix = "Review_": must be at most 20 lowercase letters, digits and -, starting with a letter' },
    { read: readDomain, env: { GITOPS_REVIEW_DOMAIN: "https://review.example.com" }, message: 'input domain = "https://review.example.com": is not a DNS domain' },
    { read: readTimeout, env: { GITOPS_REVIEW_ROLLOUT_TIMEOUT: "5 minutes" }, message: 'input rollout_timeout = "5 minutes": is not a duration' },
    { read: readTarget, env: {}, message: "input CI_COMMIT_REF_NAME: is not set" },
  ])("refuses $env with a message naming the input", ({ read, env, message }) => {
    expect(() => read(env)).toThrow(message);
  });

  it("computes the slug like GitLab when CI_COMMIT_REF_SLUG is missing", () => {
    expect(readTarget({ CI_COMMIT_REF_NAME: "Feature/Ü", CI_MERGE_REQUEST_IID: "4" })).toEqual({ refName: "Feature/Ü", refSlug: "feature", mergeRequestIid: "4", projectId: undefined });
  });
});
