/**
 * How build's inputs reach its script: array inputs through a job variable (in every form the
 * value takes on the way), and the image repository name.
 */
import { describe, expect, it } from "vitest";
import { inputVariable } from "../../components/common.ts";
import { interpolate } from "../../generator/interpolate.ts";
import { inputRefs } from "../../generator/inputs.ts";
import { listInput } from "../../runtime/env.ts";
import { parseImageName } from "../../runtime/image-reference.ts";

describe("array inputs in job variables", () => {
  const refs = inputRefs({ tags: { type: "array", description: "tags" } });

  it("renders the placeholder inside a JSON object, so GitLab writes the array as text, not as a YAML list", () => {
    expect(inputVariable(refs.tags)).toBe('{"tags":$[[ inputs.tags ]]}');
  });

  it.each([
    {
      form: "the generator's interpolation (Ruby's, as GitLab's)",
      value: interpolate(inputVariable(refs.tags), { tags: ["a", "b c#{x}"] }),
      want: ["a", "b c#{x}"],
    },
    { form: "gitlab-ci-local's interpolation (JSON)", value: '{"tags":["a","b c"]}', want: ["a", "b c"] },
    { form: "GitLab's interpolation (Ruby Array#to_s)", value: '{"tags":["a", "b c"]}', want: ["a", "b c"] },
    { form: "GitLab's Ruby escaping of #{", value: '{"tags":["X=\\#{y}"]}', want: ["X=#{y}"] },
    { form: "a bare JSON array", value: '["a","b"]', want: ["a", "b"] },
    {
      form: "a comma-separated list (an array placed as a whole variable value, stringified)",
      value: "a, b",
      want: ["a", "b"],
    },
    { form: "an empty array", value: '{"tags":[]}', want: [] },
    { form: "an unset variable", value: undefined, want: [] },
  ])("reads $form", ({ value, want }) => {
    expect(listInput({ GITOPS_TAGS: value as string | undefined }, "GITOPS_TAGS", "tags")).toEqual(want);
  });

  it("refuses a list of objects, naming the input", () => {
    expect(() => listInput({ GITOPS_TAGS: '{"tags":[{"a":1}]}' }, "GITOPS_TAGS", "tags")).toThrow(
      'input tags = "{\\"tags\\":[{\\"a\\":1}]}": is not a list of strings',
    );
  });

  it("refuses text that is no list, naming the input and the variable", () => {
    expect(() => listInput({ GITOPS_TAGS: '{"tags":[a' }, "GITOPS_TAGS", "tags")).toThrow(
      "is not a list of strings (job variable GITOPS_TAGS holds neither JSON nor the Ruby text GitLab writes for a list: no } at the end)",
    );
  });
});

describe("image_name", () => {
  it.each([
    {
      given: "registry.gitlab.com/group/project",
      want: { registry: "registry.gitlab.com", repository: "group/project" },
    },
    { given: "127.0.0.1:5000/group/sub/app", want: { registry: "127.0.0.1:5000", repository: "group/sub/app" } },
    { given: "localhost/app", want: { registry: "localhost", repository: "app" } },
    { given: "library/app", want: { registry: "docker.io", repository: "library/app" } },
  ])("splits $given into registry and repository", ({ given, want }) => {
    expect(parseImageName("image_name", given)).toEqual({ ...want, name: given });
  });

  it.each([
    { given: "", problem: "is empty or holds spaces, control or non-ASCII characters" },
    { given: "registry.example.com/app:v1", problem: "carries a tag or digest" },
    { given: `registry.example.com/app@sha256:${"0".repeat(64)}`, problem: "carries a tag or digest" },
    {
      given: "registry.example.com/Group/app",
      problem: 'has the path component "Group" (lower-case letters and digits, separated by . _ __ or -)',
    },
  ])("refuses $given: $problem", ({ given, problem }) => {
    expect(() => parseImageName("image_name", given)).toThrow(
      `input image_name = ${JSON.stringify(given)}: ${problem}`,
    );
  });
});
