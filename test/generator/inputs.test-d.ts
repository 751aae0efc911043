/**
 * Type tests: referring to an input the component does not declare, or placing an input where
 * its type does not fit, is a compile error. `tsc --noEmit` (part of `npm test`) fails if any
 * `@ts-expect-error` below stops being an error.
 */
import { expectTypeOf, test } from "vitest";
import { defineComponent } from "../../generator/component.ts";
import type { InputRef } from "../../generator/inputs.ts";
import { job } from "../../generator/job.ts";

test("inputs are typed by their declaration", () => {
  defineComponent(import.meta.url, {
    name: "typed",
    description: "Type test.",
    inputs: () => ({
      stage: { type: "string", description: "Stage.", default: "test" },
      optional: { type: "boolean", description: "Allow failure.", default: false },
      when: { type: "string", description: "When.", default: "manual", options: ["manual", "on_success"] },
      retries: { type: "number", description: "Retries.", default: 1 },
    }),
    jobs: (inputs) => {
      expectTypeOf(inputs.optional).toEqualTypeOf<InputRef<"optional", boolean>>();
      expectTypeOf(inputs.when).toEqualTypeOf<InputRef<"when", "manual" | "on_success">>();
      return [
        job("a", {
          stage: inputs.stage,
          allow_failure: inputs.optional,
          when: inputs.when,
          retry: inputs.retries,
          // @ts-expect-error — "nope" is not a declared input
          variables: { X: inputs.nope },
        }),
        // @ts-expect-error — a boolean input placed whole in a job variable would be inserted typed
        job("v", { variables: { FLAG: inputs.optional } }),
        // @ts-expect-error — a boolean input does not fit `stage`
        job("b", { stage: inputs.optional }),
        // @ts-expect-error — a string input does not fit `allow_failure`
        job("c", { allow_failure: inputs.stage }),
      ];
    },
  });
});

test("every keyword of GitLab's schema is typed, the ones no component uses yet included", () => {
  defineComponent(import.meta.url, {
    name: "typed-keywords",
    description: "Type test.",
    inputs: () => ({
      count: { type: "number", description: "Parallel jobs.", default: 2 },
      stage: { type: "string", description: "Stage.", default: "test" },
    }),
    jobs: (inputs) => [
      job("a", { stage: inputs.stage, parallel: inputs.count, inherit: { default: false }, interruptible: true }),
      // @ts-expect-error — a string input does not fit `parallel`
      job("b", { parallel: inputs.stage }),
      // @ts-expect-error — `inherit: default` is a boolean or a list of keywords, not a number
      job("c", { inherit: { default: 3 } }),
      // @ts-expect-error — no such keyword: every keyword is typed, so there is no `keywords` escape hatch
      job("d", { keywords: { bogus: true } }),
    ],
  });
});

test("a string input without options does not fit `when`", () => {
  defineComponent(import.meta.url, {
    name: "typed-when",
    description: "Type test.",
    inputs: () => ({ when: { type: "string", description: "When.", default: "manual" } }),
    // @ts-expect-error — any string is not a `when` value
    jobs: (inputs) => [job("a", { when: inputs.when })],
  });
});
