/**
 * The `regex` rules of this catalog's inputs, said in words, with the normalisation that turns a
 * near miss into a valid value (`Review.Example.com` → `review.example.com`, `2 hours` → `2h`).
 * Keyed by the pattern text the templates carry, so a pin at an older release with the same
 * pattern reads the same; a pattern not listed here is named as it is.
 */

/** What lint can say about one pattern. */
interface PatternRule {
  /** The rule, completing "it must …". */
  words: string;
  /** A candidate value built from the given one; used only when it matches the pattern. */
  normalise?: (value: string) => string;
}

const DURATION_UNITS: Array<[RegExp, string]> = [
  [/^(ms|msecs?|milliseconds?)$/, "ms"],
  [/^(s|secs?|seconds?)$/, "s"],
  [/^(m|mins?|minutes?)$/, "m"],
  [/^(h|hrs?|hours?)$/, "h"],
];

/** `2 hours` → `2h`, `1h 30 min` → `1h30m`, `1 day` → `24h`; the input unchanged when a part is not a duration. */
function duration(value: string): string {
  const parts = [
    ...value
      .trim()
      .toLowerCase()
      .matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)[\s,]*(?:and\s+)?/g),
  ];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value.trim().toLowerCase()) return value;
  return parts
    .map(([, amount, unit]) => {
      if (/^(d|days?)$/.test(unit as string)) return `${Number(amount) * 24}h`;
      const known = DURATION_UNITS.find(([re]) => re.test(unit as string));
      return known ? `${amount}${known[1]}` : "?";
    })
    .join("");
}

const VARIABLE_NAME = "be the name of a CI/CD variable (a letter or _, then letters, digits and _), without $";
const DURATION = "be a duration made of a number and a unit (ms, s, m or h), such as 30m, 2h or 1h30m";

/** The rules, by the pattern text (an optional rule `^(X)?$` is read as X that may also be empty). */
const RULES: Record<string, PatternRule> = {
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$": {
    words:
      "be a DNS domain of at least two labels in lower case (letters, digits and -, separated by dots), without a scheme, port or path",
    normalise: (v) =>
      v
        .trim()
        .replace(/^[a-z]+:\/\//i, "")
        .replace(/[/.]+$/, "")
        .toLowerCase(),
  },
  "^[A-Za-z_][A-Za-z0-9_]*$": {
    words: VARIABLE_NAME,
    normalise: (v) =>
      v
        .trim()
        .replace(/^\$\{?([^}]*)\}?$/, "$1")
        .replace(/-/g, "_"),
  },
  "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$": { words: DURATION, normalise: duration },
  "^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$": { words: `be 0 (no wait) or ${DURATION.slice(3)}`, normalise: duration },
  "^[a-z][-a-z0-9]{0,19}$": {
    words: "start with a lower-case letter and hold at most 20 lower-case letters, digits and -",
    normalise: (v) =>
      v
        .trim()
        .toLowerCase()
        .replace(/[^-a-z0-9]+/g, "-")
        .slice(0, 20),
  },
  "^[^\\s:]+:[^\\s:]+$": {
    words: "name an agent as <agent configuration project path>:<agent name>, with no spaces",
    normalise: (v) => v.replace(/\s+/g, ""),
  },
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$": {
    words: "name a Flux resource as <namespace>/<name> in lower case",
    normalise: (v) => v.trim().toLowerCase(),
  },
  "^/.+/$": {
    words: "be a regular expression written between slashes, such as /Lines\\s*:\\s*(\\d+)%/",
    normalise: (v) => `/${v.trim().replace(/^\/|\/$/g, "")}/`,
  },
  "^[A-Za-z0-9_. /:-]+$": { words: "hold only letters, digits, spaces and _ . / : -" },
  "^((\\.?[^./\\s][^/\\s]*|\\.\\.[^/\\s]+|\\.)/)*(\\.?[^./\\s][^/\\s]*|\\.\\.[^/\\s]+|\\.)$": {
    words: "be a path relative to the project directory, with no leading /, no .. part and no spaces",
    normalise: (v) => v.trim().replace(/^\/+/, ""),
  },
};

/** What a value that does not match `pattern` should be: the rule in words, and a valid value near the given one. */
export function describePattern(pattern: string, value: string): { words: string; suggestion?: string } {
  const optional = /^\^\((.*)\)\?\$$/.exec(pattern);
  const rule = RULES[pattern] ?? (optional ? RULES[`^${optional[1]}$`] : undefined);
  if (!rule) return { words: `match the pattern ${pattern}` };
  const words = optional && !RULES[pattern] ? `${rule.words}, or be empty` : rule.words;
  const candidate = rule.normalise?.(value);
  return {
    words,
    suggestion:
      candidate !== undefined && candidate !== value && matchesPattern(pattern, candidate) ? candidate : undefined,
  };
}

/** Does `value` match the spec's RE2 pattern? Read as a JavaScript pattern; one JavaScript cannot read is not judged. */
export function matchesPattern(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return true;
  }
}
