/**
 * The Kubernetes API stand-in's schema check for apply patches: a small, explicit model of what
 * kube-apiserver does when it turns a server-side apply patch into a typed object
 * (sigs.k8s.io/structured-merge-diff `typed/validate.go`, called from
 * `staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/structuredmerge.go`):
 *
 * - a field the schema does not declare is "field not declared in schema" (and the rest of that
 *   map is not looked at, as `visitMapItems` stops at the first one);
 * - a scalar of the wrong type is "expected numeric (int or float), got string", "expected
 *   string, got …", "expected boolean, got …"; a map or list where the other is expected,
 *   "expected map, got …" / "expected list, got …";
 * - an element of a keyed list (containers by name, ports by port and protocol) that lacks a key
 *   with no default is refused, and two elements with the same key are duplicates;
 * - `null` is accepted anywhere.
 *
 * Paths are written as structured-merge-diff writes them (`.spec.template.spec.containers[name="web"].image`).
 * Only the structure is checked here; required fields and value rules are the registry's
 * validation (kube-api-kinds.ts), which answers 422 Invalid.
 */

/** A node of a type tree: a scalar, a struct with declared fields, a map, a list, or anything. */
export type TypeNode =
  | { scalar: "string" | "numeric" | "boolean" | "untyped" }
  | { fields: Readonly<Record<string, TypeNode>> }
  | { map: TypeNode }
  | { list: TypeNode; keys?: readonly string[]; keyDefaults?: Readonly<Record<string, unknown>> }
  | { any: true };

/** A string. */
export const str: TypeNode = { scalar: "string" };
/** An integer or a float. */
export const num: TypeNode = { scalar: "numeric" };
/** A boolean. */
export const bool: TypeNode = { scalar: "boolean" };
/** Any scalar: IntOrString and resource.Quantity are untyped scalars to structured-merge-diff. */
export const scalar: TypeNode = { scalar: "untyped" };
/** Anything at all (a custom resource's `x-kubernetes-preserve-unknown-fields: true`). */
export const anything: TypeNode = { any: true };

/** A struct with exactly these fields. */
export function struct(fields: Record<string, TypeNode>): TypeNode {
  return { fields };
}

/** A map of string keys to `element` (labels, annotations, data). */
export function mapOf(element: TypeNode): TypeNode {
  return { map: element };
}

/** An atomic list: elements are addressed by index. */
export function listOf(element: TypeNode): TypeNode {
  return { list: element };
}

/** An associative list (`x-kubernetes-list-type: map`): elements are addressed by their keys. */
export function keyedList(
  element: TypeNode,
  keys: readonly string[],
  keyDefaults: Record<string, unknown> = {},
): TypeNode {
  return { list: element, keys, keyDefaults };
}

/** structured-merge-diff's `value.ToString`: strings quoted, everything else as JSON. */
function toString(value: unknown): string {
  return JSON.stringify(value);
}

/** Go's `%T` of a decoded JSON value. */
function goType(value: unknown): string {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return "[]interface {}";
  return "map[string]interface {}";
}

/** Go's `%v` of structured-merge-diff's value wrapper (`&{…}`), for scalars. */
function goValue(value: unknown): string {
  return `&{${typeof value === "object" ? JSON.stringify(value) : String(value)}}`;
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Every structural error in `value` against `type`, as `<path>: <message>`. */
export function structuralErrors(type: TypeNode, value: unknown, path = ""): string[] {
  if (value === null || value === undefined || "any" in type) return [];
  const at = (message: string) => [path ? `${path}: ${message}` : message];
  if ("scalar" in type) {
    const isScalar = !isMap(value) && !Array.isArray(value);
    if (type.scalar === "numeric" && typeof value !== "number")
      return at(`expected numeric (int or float), got ${goType(value)}`);
    if (type.scalar === "string" && typeof value !== "string")
      return at(`expected string, got &value.valueUnstructured{Value:${JSON.stringify(value)}}`);
    if (type.scalar === "boolean" && typeof value !== "boolean") return at(`expected boolean, got ${goValue(value)}`);
    if (type.scalar === "untyped" && !isScalar) return at(`expected any scalar, got ${goValue(value)}`);
    return [];
  }
  if ("fields" in type || "map" in type) {
    if (!isMap(value)) return at(`expected map, got ${goValue(value)}`);
    const errors: string[] = [];
    for (const [key, child] of Object.entries(value)) {
      const childType = "fields" in type ? type.fields[key] : type.map;
      if (!childType) {
        errors.push(`${path}.${key}: field not declared in schema`);
        break; // visitMapItems stops iterating the map at the first undeclared field
      }
      errors.push(...structuralErrors(childType, child, `${path}.${key}`));
    }
    return errors;
  }
  if (!Array.isArray(value)) return at(`expected list, got ${goValue(value)}`);
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const [index, element] of value.entries()) {
    let elementPath = `[${index}]`;
    if (type.keys) {
      const parts: string[] = [];
      for (const key of [...type.keys].sort()) {
        const keyValue = isMap(element) && element[key] !== undefined ? element[key] : type.keyDefaults?.[key];
        if (keyValue === undefined)
          return [
            ...errors,
            ...at(
              `element ${index}: associative list with keys has an element that omits key field "${key}" (and doesn't have default value)`,
            ),
          ];
        parts.push(`${key}=${toString(keyValue)}`);
      }
      elementPath = `[${parts.join(",")}]`;
      if (seen.has(elementPath)) errors.push(...at(`duplicate entries for key ${elementPath}`));
      seen.add(elementPath);
    }
    errors.push(...structuralErrors(type.list, element, `${path}${elementPath}`));
  }
  return errors;
}

/** structured-merge-diff's `ValidationErrors.Error()`: one error alone, several under "errors:". */
export function joinStructuralErrors(errors: readonly string[]): string {
  return errors.length === 1 ? (errors[0] as string) : ["errors:", ...errors.map((e) => `  ${e}`)].join("\n");
}
