/** Lists in messages: each item once, in first-seen order, joined the way a sentence reads. */

/** `a, b` / `a or b` / `a and b`, with repeated items named once. */
export function listOnce(items: Iterable<string>, separator: string = ", "): string {
  return [...new Set(items)].join(separator);
}
