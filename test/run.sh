#!/usr/bin/env bash
# The test command (`npm test`): type-check, then every test, then the plain summary line CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."
results="$(mktemp -d)/vitest.json"
npx tsc --noEmit -p .
typecheck=$?
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
status=$?
node -e '
const fs = require("node:fs");
const file = process.argv[1];
if (!fs.existsSync(file)) { console.log("0 passed, 1 failed"); process.exit(0); }
const r = JSON.parse(fs.readFileSync(file, "utf8"));
// A type error, or a suite that failed to load without failing a test, still counts as a failure.
const broken = (Number(process.argv[2]) ? 1 : 0) + (Number(process.argv[3]) && r.numFailedTests === 0 ? 1 : 0);
const failed = r.numFailedTests + broken;
console.log(`${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results" "$typecheck" "$status"
rm -rf "$(dirname "$results")"
[ "$typecheck" -eq 0 ] && [ "$status" -eq 0 ]
