/**
 * Environment variables that run a job script on virtual time (fake-clock.mjs): its sleeps return
 * at once and advance its clock instead.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

/** `NODE_OPTIONS` preloading the fake clock, optionally starting `offsetMs` from now. */
export function fakeClockEnv(offsetMs = 0): Record<string, string> {
  const preload = pathToFileURL(path.join(import.meta.dirname, "fake-clock.mjs")).href;
  return { NODE_OPTIONS: `--import=${preload}`, GITOPS_TEST_CLOCK_OFFSET_MS: String(offsetMs) };
}
