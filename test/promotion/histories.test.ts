/**
 * The embedded script on random real histories (fast-check, a few runs: each job is a real
 * process against the loopback git server). `decide.property.test.ts` covers a thousand simulated
 * histories; this checks the git side reaches the same verdicts on real repositories.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import { PRODUCTION, Project, PROMOTER, promote, STAGING } from "./history.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;

type Step = { kind: "commit" } | { kind: "merge"; from: number } | { kind: "feature"; from: number };
type Promotion = { production: boolean; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: "commit" as const }),
  fc.record({ kind: fc.constant("merge" as const), from: fc.nat() }),
  fc.record({ kind: fc.constant("feature" as const), from: fc.nat() }),
);

describe.skipIf(!requireTools("git"))("promotion on random real histories", () => {
  let server: GitServer;
  let n = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
  });
  afterAll(() => server?.close());

  it("keeps staging within main and production within staging, only ever moving forward", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 2, maxLength: 12 }),
        fc.array(fc.record({ production: fc.boolean(), pick: fc.nat() }), { minLength: 2, maxLength: 3 }),
        async (steps, promotions: Promotion[]) => {
          const project = new Project(server, `group/history-${++n}`);
          const [root] = await project.chain(undefined, 1);
          const all: string[] = [root as string];
          let main = root as string;
          for (const s of steps) {
            if (s.kind === "commit") main = await project.commit([main]);
            else if (s.kind === "merge") {
              const side = await project.commit([all[s.from % all.length] as string], "side work");
              all.push(side);
              main = await project.commit([main, side], "Merge side work");
            } else all.push(await project.commit([all[s.from % all.length] as string], "feature work"));
            if (s.kind !== "feature") all.push(main);
          }
          await project.setBranch("main", main);

          for (const p of promotions) {
            const before = { staging: project.branch(STAGING), production: project.branch(PRODUCTION) };
            const target = p.pick % 3 === 0 ? main : (all[p.pick % all.length] as string);
            const run = await promote(project, TOKEN, {
              component: p.production ? "manual-production" : "promote-staging",
              target,
            });
            expect([0, 3], run.output).toContain(run.code);
            const after = { staging: project.branch(STAGING), production: project.branch(PRODUCTION) };
            for (const key of ["staging", "production"] as const) {
              if (before[key] && after[key])
                expect(
                  await project.isAncestor(before[key] as string, after[key] as string),
                  `${key} moved backwards`,
                ).toBe(true);
            }
            if (after.staging) expect(await project.isAncestor(after.staging, main)).toBe(true);
            if (after.production)
              expect(after.staging && (await project.isAncestor(after.production, after.staging))).toBe(true);
            // A refusal changes nothing; a success leaves the environment containing the target.
            const env = p.production ? "production" : "staging";
            if (run.code === 3) expect(after[env]).toBe(before[env]);
            else expect(await project.isAncestor(target, after[env] as string)).toBe(true);
          }
        },
      ),
      { numRuns: 10 },
    );
  }, 240_000);
});
