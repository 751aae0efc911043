#!/usr/bin/env bash
# The test command (`npm test`): type-check, format check, then every test, then the plain summary
# line CI reads.
# Stopped by SIGTERM or SIGINT, it passes the signal on to vitest's whole process group (its
# workers and the servers the tests started), then still prints the summary line and exits non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."
results="$(mktemp -d)/vitest.json"
npx tsc --noEmit -p .
typecheck=$?
# Biome's format check (biome.json says which files; `npm run format` rewrites them).
npx biome format .
formatted=$?
# Job control gives the background vitest its own process group, so one kill reaches all of it.
set -m
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" &
vitest=$!
set +m
signalled=""
forward() {
  signalled=$1
  kill -s "$1" -- "-$vitest" 2>/dev/null || kill -s "$1" "$vitest" 2>/dev/null
}
trap 'forward TERM' TERM
trap 'forward INT' INT
# wait returns early when a trapped signal arrives; wait again until vitest has really ended.
wait "$vitest"
status=$?
while kill -0 "$vitest" 2>/dev/null; do
  wait "$vitest"
  status=$?
done
trap - TERM INT
[ -n "$signalled" ] && [ "$status" -eq 0 ] && status=1
node -e '
const fs = require("node:fs");
const file = process.argv[1];
if (!fs.existsSync(file)) { console.log("0 passed, 1 failed"); process.exit(0); }
const r = JSON.parse(fs.readFileSync(file, "utf8"));
// A type error, or a suite that failed to load without failing a test, still counts as a failure.
const broken =
  (Number(process.argv[2]) ? 1 : 0) + (Number(process.argv[4]) ? 1 : 0) + (Number(process.argv[3]) && r.numFailedTests === 0 ? 1 : 0);
const failed = r.numFailedTests + broken;
console.log(`${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results" "$typecheck" "$status" "$formatted"
rm -rf "$(dirname "$results")"
[ -z "$signalled" ] && [ "$typecheck" -eq 0 ] && [ "$formatted" -eq 0 ] && [ "$status" -eq 0 ]
