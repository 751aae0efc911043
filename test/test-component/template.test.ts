/**
 * The `test` template as GitLab reads it: the job runs the consumer's commands in the image build
 * pushed, whatever that image's ENTRYPOINT would start.
 */
import { describe, expect, it } from "vitest";
import { includeTemplate } from "../../harness/templates.ts";

describe("test template", () => {
  it("runs in the built image with its entrypoint overridden, so the Docker executor's shell gets the script", () => {
    const job = includeTemplate("test", { script: ["npm test"] }).test;
    expect(job?.image).toEqual({ name: "$GITOPS_IMAGE", entrypoint: [""] });
  });

  it("passes the image input through as the image's name", () => {
    const job = includeTemplate("test", { script: ["make check"], image: "registry.example.com/app:1.2.3" }).test;
    expect(job?.image).toEqual({ name: "registry.example.com/app:1.2.3", entrypoint: [""] });
    expect(job?.script).toEqual(["make check"]);
  });
});
