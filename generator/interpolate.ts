/**
 * Input interpolation, as GitLab does it when a component is included: a placeholder that is a
 * whole value is replaced by the typed value; one inside a longer string becomes the value's Ruby
 * `to_s` (generator/ruby-text.ts).
 */
import { rubyToS } from "./ruby-text.ts";

/** Matches one `$[[ inputs.x ]]` block, with optional `| function` parts. */
export const PLACEHOLDER = /\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*((?:\|[^\]]*)?)\]\]/g;
const WHOLE = /^\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*(?:\|[^\]]*)?\]\]$/;

/** The input a string is nothing but a placeholder of (GitLab then inserts the typed value), if any. */
export function wholePlaceholder(text: string): string | undefined {
  return WHOLE.exec(text)?.[1];
}

/** Every input name referenced in a string. */
export function referencedInputs(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/** Calls `visit` for every string (keys included) in a JSON-like tree, with its path. */
export function walkStrings(
  value: unknown,
  visit: (text: string, path: (string | number)[]) => void,
  path: (string | number)[] = [],
): void {
  if (typeof value === "string") visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, i) => walkStrings(item, visit, [...path, i]));
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      visit(key, [...path, key]);
      walkStrings(item, visit, [...path, key]);
    }
  }
}

/**
 * Returns a copy of `value` with every placeholder replaced from `values`. Unknown names are left
 * as written (the semantic checks report them).
 */
export function interpolate(value: unknown, values: Record<string, unknown>): unknown {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole && Object.hasOwn(values, whole[1] as string)) return values[whole[1] as string];
    return value.replace(PLACEHOLDER, (text, name: string) =>
      Object.hasOwn(values, name) ? rubyToS(values[name]) : text,
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, values));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[interpolate(key, values) as string] = interpolate(item, values);
    return out;
  }
  return value;
}
