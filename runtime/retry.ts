/**
 * The one retry scheme of the jobs: a bounded number of attempts, with a jittered pause between
 * them so jobs racing for the same branch spread out. Time and chance are injectable, so tests
 * never really sleep and can choose the draw.
 */

/** How often to try and how long to pause. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The pause after the first attempt is drawn uniformly from `[min, max)` milliseconds… */
  readonly pauseMs: { readonly min: number; readonly max: number };
  /** …and multiplied by `growth` after each further attempt (1: the same range every time). */
  readonly growth: number;
}

/** Time and chance, injectable (tests); the real ones by default. */
export interface RetryClock {
  sleep(ms: number): Promise<void>;
  /** A number in `[0, 1)`. */
  random(): number;
}

/**
 * After failed attempt `attempt` (1-based): false when it was the last one the policy allows, else
 * pauses and returns true. The pause is drawn uniformly from the policy's range and multiplied by
 * `growth` once per earlier attempt; `announce` hears it first, for the log.
 */
export async function retryAfter(
  policy: RetryPolicy,
  attempt: number,
  announce: (pauseMs: number) => void,
  clock?: RetryClock,
): Promise<boolean> {
  if (attempt >= policy.attempts) return false;
  const { min, max } = policy.pauseMs;
  const pause = Math.round(
    (min + (clock ? clock.random() : Math.random()) * (max - min)) * policy.growth ** (attempt - 1),
  );
  announce(pause);
  await (clock ? clock.sleep(pause) : new Promise((resolve) => setTimeout(resolve, pause)));
  return true;
}
