/**
 * Ancestry answers for one promotion attempt, each walk of the commit graph done at most once and
 * none whose answer is already implied. git answers "is A an ancestor of B" by walking history
 * (`merge-base --is-ancestor`: tens of milliseconds on a 20,000-commit history with many merges),
 * and the questions of one attempt overlap: when the target is the source branch's tip, "is the
 * environment head an ancestor of the source tip" and "... of the target" are the same walk; and
 * once the environment head is known to be a proper ancestor of the target, the target cannot be an
 * ancestor of it (a commit graph has no cycles), so that walk would only confirm a "no".
 */

/** One walk: is `ancestor` an ancestor of `descendant`? (`Git.isAncestor`.) */
export type AncestryWalk = (ancestor: string, descendant: string) => Promise<boolean>;

/** Memoised ancestry with the two shortcuts a commit graph allows: a commit is its own ancestor, and no cycles. */
export class Ancestry {
  private readonly answers = new Map<string, Promise<boolean>>();

  /**
   * `walk` asks git; `missing` holds commits that are not in the fetched graph (a pipeline commit
   * the fetch did not bring), which are ancestors of nothing and have none.
   */
  constructor(
    private readonly walk: AncestryWalk,
    private readonly missing: ReadonlySet<string> = new Set(),
  ) {}

  /** Is `ancestor` an ancestor of `descendant`, or the same commit? */
  isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    if (this.missing.has(ancestor) || this.missing.has(descendant)) return Promise.resolve(false);
    if (ancestor === descendant) return Promise.resolve(true);
    const key = `${ancestor}..${descendant}`;
    const known = this.answers.get(key);
    if (known) return known;
    const reverse = this.answers.get(`${descendant}..${ancestor}`);
    // Asked after its reverse: wait for that answer; if the descendant is a proper ancestor of the ancestor, the answer is no.
    const answer = reverse
      ? reverse.then((yes) => (yes ? false : this.walk(ancestor, descendant)))
      : this.walk(ancestor, descendant);
    this.answers.set(key, answer);
    return answer;
  }
}
