/**
 * Type tests: a script can write only the outputs its component declares, and its settings are
 * typed by its contract. `tsc --noEmit` (part of `npm test`) fails if an `@ts-expect-error` below
 * stops being an error.
 */
import { expectTypeOf, test } from "vitest";
import { INPUTS as BUILD_INPUTS, OUTPUTS as BUILD_OUTPUTS } from "../../components/build/build.contract.ts";
import { OUTPUTS } from "../../components/update-manifests/update.contract.ts";
import { readInputs, type OutputValues } from "../../runtime/contract.ts";
import { writeOutputs } from "../../runtime/dotenv.ts";

test("only declared outputs can be written", () => {
  const write = () => writeOutputs(OUTPUTS, ".", { GITOPS_MANIFESTS_SHA: "abc", GITOPS_MANIFESTS_CHANGED: true });
  expectTypeOf(write).returns.toBeVoid();
  // @ts-expect-error: GITOPS_IMAGE is build's output, not update-manifests'
  const other = () => writeOutputs(OUTPUTS, ".", { GITOPS_IMAGE: "registry.example.com/app@sha256:0" });
  // @ts-expect-error: an annotated value object is checked the same way
  const values: OutputValues<typeof BUILD_OUTPUTS> = { GITOPS_PROMOTED_SHA: "abc" };
  expectTypeOf(other).toBeFunction();
  expectTypeOf(values).toBeObject();
});

test("a script's settings are typed by its contract", () => {
  const settings = () => readInputs({}, BUILD_INPUTS);
  expectTypeOf(settings).returns.toHaveProperty("tls_verify").toEqualTypeOf<boolean>();
  expectTypeOf(settings).returns.toHaveProperty("tags").toEqualTypeOf<string[]>();
  // @ts-expect-error: build reads no input named mode
  expectTypeOf(settings).returns.toHaveProperty("mode");
});
