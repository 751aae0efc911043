import { describe, expect, it } from "vitest";
import { retryAfter, type RetryPolicy } from "../../runtime/retry.ts";

const POLICY: RetryPolicy = { attempts: 3, pauseMs: { min: 100, max: 300 }, growth: 2 };

/** A clock that records the pauses it was asked for and never waits. */
function fakeClock(draw: number) {
  const slept: number[] = [];
  return { slept, clock: { sleep: async (ms: number) => void slept.push(ms), random: () => draw } };
}

describe("retry", () => {
  it.each([
    { attempt: 1, random: 0, pause: 100 },
    { attempt: 1, random: 0.5, pause: 200 },
    { attempt: 2, random: 0, pause: 200 },
    { attempt: 3, random: 0.999, pause: 1199 },
  ])(
    "pauses $pause ms after attempt $attempt for the draw $random (the range doubling per attempt)",
    async ({ attempt, random, pause }) => {
      const { slept, clock } = fakeClock(random);
      expect(await retryAfter({ ...POLICY, attempts: 9 }, attempt, () => {}, clock)).toBe(true);
      expect(slept).toEqual([pause]);
    },
  );

  it("announces and sleeps the jittered pause, then allows another attempt", async () => {
    const { slept, clock } = fakeClock(0.25);
    const announced: number[] = [];
    expect(await retryAfter(POLICY, 2, (ms) => announced.push(ms), clock)).toBe(true);
    expect(announced).toEqual([300]);
    expect(slept).toEqual([300]);
  });

  it("stops after the last attempt the policy allows, without sleeping", async () => {
    const { slept, clock } = fakeClock(0.5);
    expect(await retryAfter(POLICY, 3, () => {}, clock)).toBe(false);
    expect(slept).toEqual([]);
  });
});
