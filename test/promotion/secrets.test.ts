/**
 * Secret hygiene: every promotion scenario, run with git's tracing switched on (GIT_TRACE,
 * GIT_TRACE_CURL, GIT_TRACE_PACKET, GIT_TRACE2_EVENT, to files and to the log), leaves the token in
 * no output and in no file: not the job's directory, not its temporary directory, not the kept
 * promotion repository (`.git/config` included).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireTools } from "../support/tools.ts";
import {
  filesContaining,
  filesUnder,
  PRODUCTION,
  Project,
  PROMOTER,
  promote,
  STAGING,
  type PromoteOptions,
} from "./history.ts";

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;
const WRONG = `glpat-${randomBytes(12).toString("hex")}`;
const UNPRIVILEGED = `glpat-${randomBytes(12).toString("hex")}`;

interface Scenario {
  name: string;
  token: string;
  /** Sets the project up; returns the job to run. */
  setup(project: Project, main: string[]): Promise<Omit<PromoteOptions, "keep" | "env">>;
  code: number;
  /** Does the job reach the push (and so send the token)? */
  pushes?: boolean;
  down?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: "fast-forward",
    pushes: true,
    token: TOKEN,
    code: 0,
    setup: async (p, m) => (
      await p.setBranch(STAGING, m[1] as string), { component: "promote-staging", target: m[4] as string }
    ),
  },
  {
    name: "first promotion",
    pushes: true,
    token: TOKEN,
    code: 0,
    setup: async (_p, m) => ({ component: "promote-staging", target: m[4] as string }),
  },
  {
    name: "up to date",
    token: TOKEN,
    code: 0,
    setup: async (p, m) => (
      await p.setBranch(STAGING, m[4] as string), { component: "promote-staging", target: m[2] as string }
    ),
  },
  {
    name: "diverged",
    token: TOKEN,
    code: 3,
    setup: async (p, m) => (
      await p.setBranch(STAGING, await p.commit([m[2] as string], "hotfix")),
      { component: "promote-staging", target: m[4] as string }
    ),
  },
  {
    name: "not on main",
    token: TOKEN,
    code: 3,
    setup: async (p, m) => ({ component: "promote-staging", target: await p.commit([m[4] as string], "feature") }),
  },
  {
    name: "production of a commit staging lacks",
    token: TOKEN,
    code: 3,
    setup: async (p, m) => (
      await p.setBranch(STAGING, m[2] as string), { component: "manual-production", target: m[4] as string }
    ),
  },
  {
    name: "production fast-forward",
    pushes: true,
    token: TOKEN,
    code: 0,
    setup: async (p, m) => (
      await p.setBranch(STAGING, m[4] as string),
      await p.setBranch(PRODUCTION, m[1] as string),
      { component: "manual-production", target: m[3] as string }
    ),
  },
  {
    name: "wrong token",
    pushes: true,
    token: WRONG,
    code: 5,
    setup: async (_p, m) => ({ component: "promote-staging", target: m[4] as string }),
  },
  {
    name: "user may not push",
    pushes: true,
    token: UNPRIVILEGED,
    code: 5,
    setup: async (_p, m) => ({ component: "promote-staging", target: m[4] as string }),
  },
  {
    name: "server down",
    token: TOKEN,
    code: 5,
    down: true,
    setup: async (_p, m) => ({ component: "promote-staging", target: m[4] as string }),
  },
];

/** The forms a token could leak in: as is, and inside an HTTP Basic header. */
function leakForms(token: string): string[] {
  return [token, Buffer.from(`oauth2:${token}`).toString("base64")];
}

describe.skipIf(!requireTools("git"))("promotion secret hygiene", () => {
  let server: GitServer;
  let n = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
    server.addToken(UNPRIVILEGED, "someone-else");
  });
  afterAll(() => server?.close());

  /** Runs a scenario on a fresh project with `env` added, keeping the job's directories and its promotion repository. */
  async function run(scenario: Scenario, env: Record<string, string>) {
    const project = new Project(server, `group/secrets-${++n}`);
    const main = await project.chain(undefined, 5);
    await project.setBranch("main", main[4] as string);
    const job = await scenario.setup(project, main);
    server.setDown(scenario.down ?? false);
    try {
      return await promote(project, scenario.token, {
        ...job,
        keep: true,
        env: { GITOPS_KEEP_WORKDIR: "true", ...env },
      });
    } finally {
      server.setDown(false);
    }
  }

  it.each(SCENARIOS)("leaves no token anywhere with every git trace on: $name", async (scenario) => {
    const traceDir = mkdtempSync(path.join(tmpdir(), "gitops-traces-"));
    const traced = await run(scenario, {
      GIT_TRACE: path.join(traceDir, "trace.log"),
      GIT_TRACE_CURL: path.join(traceDir, "curl.log"),
      GIT_TRACE_PACKET: path.join(traceDir, "packet.log"),
      GIT_TRACE2_EVENT: path.join(traceDir, "trace2.json"),
    });
    try {
      expect(traced.code, traced.output).toBe(scenario.code);
      // The traces were written, and the curl trace saw the HTTP traffic.
      expect(readFileSync(path.join(traceDir, "trace.log"), "utf8")).toContain("trace: built-in: git fetch");
      expect(readFileSync(path.join(traceDir, "curl.log"), "utf8")).toContain("=> Send header: GET");
      if (scenario.pushes)
        expect(readFileSync(path.join(traceDir, "curl.log"), "utf8")).toContain("Authorization: Basic <redacted>");
      // The promotion repository was kept for inspection (GITOPS_KEEP_WORKDIR) and is scanned too.
      expect(readdirSync(traced.tmpDir).some((d) => d.startsWith("gitops-promotion-"))).toBe(true);
      for (const form of leakForms(scenario.token)) {
        expect(traced.output).not.toContain(form);
        expect(filesContaining([traced.projectDir, traced.tmpDir, traceDir], form)).toEqual([]);
      }
      // Nothing even had to be masked: the token never reached a printable stream.
      expect(traced.output).not.toContain("[MASKED]");
    } finally {
      traced.cleanup();
      rmSync(traceDir, { recursive: true, force: true });
    }
  });

  it.each(SCENARIOS.filter((s) => ["fast-forward", "wrong token", "server down"].includes(s.name)))(
    "prints no token with GIT_TRACE=1 and GIT_CURL_VERBOSE=1 in the job log: $name",
    async (scenario) => {
      const result = await run(scenario, { GIT_TRACE: "1", GIT_TRACE_PACKET: "1", GIT_CURL_VERBOSE: "1" });
      try {
        expect(result.code, result.output).toBe(scenario.code);
        for (const form of leakForms(scenario.token)) {
          expect(result.output).not.toContain(form);
          expect(filesContaining([result.projectDir, result.tmpDir], form)).toEqual([]);
        }
        expect(result.output).not.toContain("[MASKED]");
      } finally {
        result.cleanup();
      }
    },
  );

  it("removes its promotion repository when the job ends", async () => {
    const project = new Project(server, `group/secrets-${++n}`);
    const main = await project.chain(undefined, 3);
    await project.setBranch("main", main[2] as string);
    const result = await promote(project, TOKEN, {
      component: "promote-staging",
      target: main[2] as string,
      keep: true,
    });
    try {
      expect(result.code, result.output).toBe(0);
      // Nothing is left in the job's temporary directory: neither the promotion repository nor the script.
      expect(readdirSync(result.tmpDir)).toEqual([]);
      // What is left in the project directory: the dotenv report and the promotion report, its artifacts.
      expect(existsSync(path.join(result.projectDir, "gitops-promotion.env"))).toBe(true);
      expect(
        filesUnder(result.projectDir)
          .map((f) => path.basename(f))
          .sort(),
      ).toEqual(["gitops-promotion-report.md", "gitops-promotion.env"]);
    } finally {
      result.cleanup();
    }
  });
});
