/**
 * `npm run demo`: the whole GitOps flow on this machine (see demo/scenario.ts), then a timeline
 * that shows which commit each environment received and which image its manifests name.
 * Exits 1 if any step's state is not what the flow promises.
 */
import { runDemo, timeline } from "./scenario.ts";

const started = performance.now();
try {
  const result = await runDemo({ log: (line) => console.log(line) });
  console.log(`\nTimeline\n${timeline(result.steps, result.deliveries, result.reconciliations)}`);
  console.log(`\nDemo passed in ${((performance.now() - started) / 1000).toFixed(1)} s; nothing is left running.`);
} catch (error) {
  console.error(`\nDemo failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
