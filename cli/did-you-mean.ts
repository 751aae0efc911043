/**
 * "Did you mean": the known name closest to a misspelt one, by edit distance (a swap of two
 * neighbours counts as one edit), after treating `-` and `_` and case alike.
 */

/** Optimal-string-alignment distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

const normal = (name: string) => name.toLowerCase().replace(/-/g, "_");

/** The candidate closest to `name`, if one is close enough to be what was meant. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(normal(name), normal(candidate));
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  // Short names tolerate fewer edits: one for up to five characters, at most three for long ones.
  return best.distance <= Math.max(1, Math.min(3, Math.floor(name.length / 3))) ? best.candidate : undefined;
}
