#!/usr/bin/env node
// `npx gitops-components …` from a clone of the catalog (package.json "bin"). The commands are
// TypeScript, run through tsx like every other script of this repository (`npm run generate`,
// `npm run release`): a clone has run `npm ci` to generate and release anyway, so nothing is built
// or committed for the CLI, and no bundle can drift from its sources. npx links this checkout into
// its cache and installs nothing, since every dependency is a devDependency of the clone.
let register;
try {
  ({ register } = await import("tsx/esm/api"));
} catch {
  process.stderr.write(
    "gitops-components: this checkout's dependencies are not installed. Fix: run `npm ci` in the catalog's clone first.\n",
  );
  process.exit(2);
}
register();
const { main } = await import("./main.ts");
const { processIo } = await import("./process-io.ts");
process.exitCode = await main(process.argv.slice(2), processIo());
