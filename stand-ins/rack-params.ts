/**
 * Request parameters the way GitLab's API (Grape on Rack) reads them: the query string, with
 * Rack's bracket syntax (`allowed_to_push[][user_id]=5` starts a new array element whenever a key
 * repeats in the last one), merged with a JSON body. @gitbeaker/rest sends some calls' parameters
 * in the query string and others in the body, and GitLab takes both.
 */

type Params = Record<string, unknown>;

function setNested(target: Params, keys: string[], value: string): void {
  const [head, ...rest] = keys as [string, ...string[]];
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  if (rest[0] === "") {
    const list = (Array.isArray(target[head]) ? target[head] : (target[head] = [])) as unknown[];
    const inner = rest.slice(1);
    if (inner.length === 0) {
      list.push(value);
      return;
    }
    const last = list[list.length - 1] as Params | undefined;
    // Rack: a key already present in the last element starts a new element.
    if (last && typeof last === "object" && !((inner[0] as string) in last)) setNested(last, inner, value);
    else {
      const fresh: Params = {};
      setNested(fresh, inner, value);
      list.push(fresh);
    }
    return;
  }
  const child = (
    target[head] !== null && typeof target[head] === "object" && !Array.isArray(target[head])
      ? target[head]
      : (target[head] = {})
  ) as Params;
  setNested(child, rest, value);
}

/** The query string's parameters, nested as Rack nests them. */
export function parseRackQuery(search: URLSearchParams): Params {
  const params: Params = {};
  for (const [key, value] of search) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) continue;
    const keys = [m[1] as string, ...[...(m[2] as string).matchAll(/\[([^[\]]*)\]/g)].map((k) => k[1] as string)];
    setNested(params, keys, value);
  }
  return params;
}

/** A parameter as a boolean, as Grape coerces `Boolean` ("true"/"false" or JSON booleans); undefined when absent or not one. */
export function booleanParam(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

/** A parameter as an integer, as Grape coerces `Integer`; undefined when absent, NaN when not a number. */
export function integerParam(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
  return Number.NaN;
}
