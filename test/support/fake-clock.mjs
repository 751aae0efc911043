/**
 * Virtual time for a job script under test, preloaded with `NODE_OPTIONS=--import=<this file>`
 * (see `fakeClockEnv` in fake-clock.ts): every `setTimeout` fires at once and moves `Date.now()`
 * forward by its delay, so a script that polls every few seconds for minutes runs in moments and
 * no test really sleeps. `GITOPS_TEST_CLOCK_OFFSET_MS` starts the clock that far from the real
 * time ("an hour later"). The script itself is the one embedded in the template, unchanged.
 */
const realNow = Date.now.bind(Date);
const realSetTimeout = globalThis.setTimeout;
let offset = Number(process.env.GITOPS_TEST_CLOCK_OFFSET_MS ?? "0");
Date.now = () => realNow() + offset;
globalThis.setTimeout = (callback, ms = 0, ...args) => {
  offset += Math.max(0, Number(ms) || 0);
  return realSetTimeout(callback, 0, ...args);
};
