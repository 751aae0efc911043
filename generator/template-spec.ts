/**
 * A generated template read back as a consumer's tools read it: its `spec:inputs` and its jobs,
 * from the template's text alone (what GitLab serves), never from the component module. Used by
 * `lint`, `setup` and the editor schema.
 */
import { parseAllDocuments } from "yaml";
import type { InputType } from "./inputs.ts";

/** One `spec:inputs` entry as the template declares it. */
export interface DeclaredInput {
  type: InputType;
  description: string;
  /** Absent: the input is required. */
  default?: unknown;
  options?: unknown[];
  regex?: string;
}

/** One component as its template declares it. */
export interface ComponentSpec {
  name: string;
  inputs: Record<string, DeclaredInput>;
  /** The template's jobs, placeholders not yet interpolated. */
  jobs: Record<string, unknown>;
}

/** Reads one template's text: its header's inputs and its jobs. */
export function componentSpecFromTemplate(name: string, text: string): ComponentSpec {
  const [header, body] = parseAllDocuments(text).map((doc) => doc.toJS() as Record<string, unknown> | null);
  const spec = (header?.spec ?? {}) as { inputs?: Record<string, Partial<DeclaredInput> | null> };
  const inputs: Record<string, DeclaredInput> = {};
  for (const [input, declared] of Object.entries(spec.inputs ?? {})) {
    const d = declared ?? {};
    inputs[input] = {
      type: d.type ?? "string",
      description: d.description ?? "",
      ...("default" in d ? { default: d.default } : {}),
      ...(d.options ? { options: d.options } : {}),
      ...(d.regex ? { regex: d.regex } : {}),
    };
  }
  return { name, inputs, jobs: body ?? {} };
}
