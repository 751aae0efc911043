/**
 * Each include's inputs against the pinned version's `spec:inputs`, as GitLab checks them when it
 * creates the pipeline (lib/gitlab/ci/config/interpolation/inputs.rb and inputs/*_input.rb):
 * unknown names, required inputs not given, values of the wrong type, outside `options`, or not
 * matching `regex`. GitLab reports these only once the pipeline is pushed; lint says it first,
 * with the input that was probably meant.
 */
import type { Problem } from "../../generator/problems.ts";
import type { DeclaredInput } from "../catalog-specs.ts";
import { closest } from "../did-you-mean.ts";
import { describePattern, matchesPattern } from "./input-patterns.ts";
import { inputPath, yamlInline, type LintCheck } from "./context.ts";

function typeOf(value: unknown): string {
  return Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
}

/** The first sentence: up to the first `.`, `!` or `?` that ends a sentence (`https://<slug>.<domain>` holds dots that do not). */
function firstSentence(text: string): string {
  return /^.*?[.!?](?=\s|$)/s.exec(text)?.[0] ?? text;
}

/** How to write a value of the declared type, as a fix; `written` is the value's text in the file (`1.10` for the number 1.1). */
function typeFix(name: string, declared: DeclaredInput, value: unknown, written: string): string {
  switch (declared.type) {
    case "string":
      return typeof value === "number" || typeof value === "boolean"
        ? `quote it: ${name}: ${JSON.stringify(written)} (GitLab reads YAML 1.1: unquoted, ${written} is a ${typeOf(value)})`
        : `write it as text, for example ${name}: ${yamlInline(declared.default ?? "value")}`;
    case "boolean":
      return `write true or false without quotes: ${name}: ${typeof value === "string" && /^(false|no|off|0)$/i.test(value) ? "false" : "true"}`;
    case "number":
      return `write a number without quotes, for example ${name}: ${typeof declared.default === "number" ? declared.default : 1}`;
    case "array":
      return `write a YAML list, for example ${name}: ${yamlInline(declared.default ?? [String(value)])}`;
  }
}

/** The fix for a value that breaks its input's pattern: the normalised value when there is one, else the rule. */
function patternProblem(
  name: string,
  pattern: string,
  value: string,
  description: string,
): { message: string; fix: string } {
  const { words, suggestion } = describePattern(pattern, value);
  return {
    message: `is ${JSON.stringify(value)}, which does not match the input's pattern ${pattern}: ${name} must ${words}; GitLab refuses the pipeline ("provided value does not match required RegEx pattern")`,
    fix:
      suggestion !== undefined
        ? `write ${name}: ${yamlInline(suggestion)}`
        : `give ${name} a value that is allowed (it must ${words}). The input: ${firstSentence(description)}`,
  };
}

/** Unknown, missing, mistyped and out-of-range inputs. */
export const checkInputs: LintCheck = (context) => {
  const problems: Problem[] = [];
  for (const resolved of context.includes) {
    const declared = resolved.spec.inputs;
    const names = Object.keys(declared);
    for (const [name, value] of Object.entries(resolved.include.inputs)) {
      const spec = declared[name];
      const path = inputPath(context, resolved, name);
      if (!spec) {
        const meant = closest(name, names);
        problems.push({
          path,
          message: `${resolved.include.component} has no input ${name}; GitLab refuses the pipeline ("unknown input arguments: ${name}")`,
          fix: meant
            ? `did you mean ${meant}? ${firstSentence(declared[meant]?.description ?? "")}`
            : `use one of its inputs: ${names.join(", ")}`,
        });
        continue;
      }
      // GitLab uses the default for an input given as null (`name:` with nothing after it).
      if (value === null) {
        if (!("default" in spec))
          problems.push({
            path,
            message: "is required but given no value",
            fix: `give it a value: ${firstSentence(spec.description)}`,
          });
        continue;
      }
      if (typeOf(value) !== spec.type) {
        problems.push({
          path,
          message: `must be a ${spec.type}, and is a ${typeOf(value)}; GitLab refuses the pipeline ("\`${name}\` input: provided value is not a ${spec.type}")`,
          value,
          fix: typeFix(
            name,
            spec,
            value,
            context.pipeline.sourceOf([...resolved.include.path, "inputs", name]) ?? String(value),
          ),
        });
        continue;
      }
      if (spec.options && !spec.options.some((option) => JSON.stringify(option) === JSON.stringify(value)))
        problems.push({
          path,
          message: `is not one of the allowed options ${spec.options.map((o) => JSON.stringify(o)).join(", ")}`,
          value,
          fix: `choose one of ${spec.options.map((o) => yamlInline(o)).join(", ")}`,
        });
      if (spec.regex && typeof value === "string" && !value.includes("$[[") && !matchesPattern(spec.regex, value))
        problems.push({ path, value, ...patternProblem(name, spec.regex, value, spec.description) });
    }
    for (const [name, spec] of Object.entries(declared)) {
      if ("default" in spec || Object.hasOwn(resolved.include.inputs, name)) continue;
      problems.push({
        path: [resolved.where, resolved.label, `input ${name}`],
        message: `required input ${name} is not given; GitLab refuses the pipeline ("\`${name}\` input: required value has not been provided")`,
        fix: `add ${name} under the include's inputs: ${spec.description}`,
      });
    }
  }
  return problems;
};
