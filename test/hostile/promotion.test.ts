/**
 * Hostile values and situations for promote-staging and manual-production, run as they ship
 * (test/promotion/history.ts runs the script embedded in the templates) against the loopback git
 * server. Each case must fail, name the input or variable, print the fix, leave every branch on
 * the server as it was (and make no request at all when the value alone is wrong), run no injected
 * text, and leave the token in no output and no file.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { expectNoSecret, expectRefusal } from "../support/hostile.ts";
import { requireTools } from "../support/tools.ts";
import { PRODUCTION, Project, PROMOTER, promote, STAGING } from "../promotion/history.ts";

const TOKEN = "glpat-promotion-bot-hostile-secret";
const FOREIGN = "glpat-valid-but-not-allowed-token";
const WRONG = "glpat-a-token-nobody-was-given-1";
type Component = "promote-staging" | "manual-production";

interface Situation {
  component?: Component;
  inputs?: Record<string, unknown>;
  env?: Record<string, string>;
  /** The token in the component's default token variable (default: the promoter's). */
  token?: string;
}

/** What GitLab sets for the default ssh_repository_url. */
const SSH_HOST = { CI_SERVER_SHELL_SSH_HOST: "gitlab.example.com", CI_SERVER_SHELL_SSH_PORT: "22" };
const INJECTIONS = [
  "$(touch $CANARY)",
  "`touch $CANARY`",
  "x; touch $CANARY",
  "x\ntouch $CANARY",
  "--upload-pack=touch $CANARY",
  "-oProxyCommand=touch $CANARY",
];

describe.skipIf(!requireTools("git"))("promotion refuses hostile values and situations", () => {
  let server: GitServer;
  let scratch: string;
  let n = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, PROMOTER);
    server.addToken(FOREIGN, "someone-else");
    scratch = mkdtempSync(path.join(tmpdir(), "gitops-hostile-promotion-"));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A project with main at m[4], staging at m[3] and production at m[1]; the job promotes m[4] (staging) or m[3] (production). */
  async function run(situation: Situation) {
    const project = new Project(server, `group/hostile-${++n}`);
    const main = await project.chain(undefined, 5);
    await project.setBranch("main", main[4] as string);
    await project.setBranch(STAGING, main[3] as string);
    await project.setBranch(PRODUCTION, main[1] as string);
    const refs = await project.git("for-each-ref", "--format=%(refname) %(objectname)");
    const requests = () =>
      server.requests.filter(
        (r) => r.path.startsWith(`/${project.repoPath}.git/`) || r.path.startsWith("/group/missing"),
      ).length;
    const before = requests();
    const canary = path.join(scratch, `canary-${n}`);
    const component = situation.component ?? "promote-staging";
    const job = await promote(project, situation.token ?? TOKEN, {
      component,
      target: (component === "promote-staging" ? main[4] : main[3]) as string,
      inputs: situation.inputs,
      env: { CANARY: canary, ...situation.env },
      keep: true,
    });
    try {
      return {
        job,
        refsAfter: await project.git("for-each-ref", "--format=%(refname) %(objectname)"),
        refs,
        requests: requests() - before,
        canary: existsSync(canary),
      };
    } finally {
      expectNoSecret(job, [TOKEN, FOREIGN, WRONG], [job.projectDir, job.tmpDir]);
      job.cleanup();
    }
  }

  describe("refused from the value alone, before any request to the server", () => {
    it.each<{ name: string; names: string; situation: Situation }>([
      {
        name: "environment_branch HEAD",
        names: 'input environment_branch = "HEAD"',
        situation: { inputs: { environment_branch: "HEAD" } },
      },
      {
        name: "environment_branch @",
        names: 'input environment_branch = "@"',
        situation: { inputs: { environment_branch: "@" } },
      },
      {
        name: "environment_branch with refs/heads/",
        names: `input environment_branch = "refs/heads/${STAGING}"`,
        situation: { inputs: { environment_branch: `refs/heads/${STAGING}` } },
      },
      {
        name: "environment_branch -x",
        names: 'input environment_branch = "-x"',
        situation: { inputs: { environment_branch: "-x" } },
      },
      {
        name: "environment_branch a..b",
        names: 'input environment_branch = "a..b"',
        situation: { inputs: { environment_branch: "a..b" } },
      },
      {
        name: "environment_branch with a newline",
        names: "input environment_branch",
        situation: { inputs: { environment_branch: `${STAGING}\nmain` } },
      },
      {
        name: "environment_branch of 40 hex digits",
        names: "input environment_branch",
        situation: { inputs: { environment_branch: "0123456789abcdef0123456789abcdef01234567" } },
      },
      {
        name: "source_branch HEAD",
        names: 'input source_branch = "HEAD"',
        situation: { inputs: { source_branch: "HEAD" } },
      },
      {
        name: "source_branch refs/heads/main",
        names: 'input source_branch = "refs/heads/main"',
        situation: { inputs: { source_branch: "refs/heads/main" } },
      },
      {
        name: "production's require_branch with refs/heads/",
        names: "input require_branch",
        situation: { component: "manual-production", inputs: { require_branch: `refs/heads/${STAGING}` } },
      },
      {
        name: "production's environment_branch a..b",
        names: 'input environment_branch = "a..b"',
        situation: { component: "manual-production", inputs: { environment_branch: "a..b" } },
      },
      {
        name: "a repository_url that is an option",
        names: "input repository_url",
        situation: { inputs: { repository_url: "--upload-pack=touch $CANARY" } },
      },
      {
        name: "a file: repository_url",
        names: 'input repository_url = "file:///etc"',
        situation: { inputs: { repository_url: "file:///etc" } },
      },
      {
        name: "a repository_url with the token in it",
        names: "input repository_url",
        situation: { inputs: { repository_url: `http://oauth2:${TOKEN}@127.0.0.1:1/group/app.git` } },
      },
      {
        name: "an ssh_repository_url that is an option",
        names: "input ssh_repository_url",
        situation: {
          inputs: { ssh_key_variable: "DEPLOY_KEY", ssh_repository_url: "-oProxyCommand=touch $CANARY" },
          env: { DEPLOY_KEY: "x" },
        },
      },
      {
        name: "a token_variable that is no variable name",
        names: "input token_variable",
        situation: { inputs: { token_variable: "A;touch $CANARY" } },
      },
      {
        name: "an ssh_key_variable with a command",
        names: "input ssh_key_variable",
        situation: { inputs: { ssh_key_variable: "$(touch $CANARY)" }, env: SSH_HOST },
      },
      {
        name: "ssh_known_hosts with a command",
        names: "input ssh_known_hosts",
        situation: {
          inputs: { ssh_key_variable: "DEPLOY_KEY", ssh_known_hosts: "x; touch $CANARY" },
          env: {
            ...SSH_HOST,
            DEPLOY_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
          },
        },
      },
      {
        name: "a pipeline commit that is no commit",
        names: 'input CI_COMMIT_SHA = "HEAD"',
        situation: { env: { CI_COMMIT_SHA: "HEAD" } },
      },
      ...INJECTIONS.map((payload) => ({
        name: `an injection in environment_branch: ${payload}`,
        names: "input environment_branch",
        situation: { inputs: { environment_branch: payload } },
      })),
      ...INJECTIONS.map((payload) => ({
        name: `an injection in source_branch: ${payload}`,
        names: "input source_branch",
        situation: { inputs: { source_branch: payload } },
      })),
      ...INJECTIONS.map((payload) => ({
        name: `an injection in repository_url: ${payload}`,
        names: "input repository_url",
        situation: { inputs: { repository_url: payload } },
      })),
    ])("$name", async ({ names, situation }) => {
      const r = await run(situation);
      expectRefusal(r.job, names);
      expect(r.requests).toBe(0);
      expect(r.refsAfter).toBe(r.refs);
      expect(r.canary).toBe(false);
    });
  });

  describe("remote failures name the input or variable and the fix", () => {
    it.each<{ name: string; names: string; fix: string; situation: Situation }>([
      {
        name: "a wrong token",
        names: "the server refused the token in GITOPS_STAGING_TOKEN",
        fix: "Fix: check token_variable: the token in GITOPS_STAGING_TOKEN must be valid and unexpired",
        situation: { token: WRONG },
      },
      {
        name: "a foreign token (valid, not allowed to push the environment branch)",
        names: `environment_branch ${STAGING} is protected and the token in GITOPS_STAGING_TOKEN may not push to it`,
        fix: `Fix: let the token in GITOPS_STAGING_TOKEN push: choose its user or deploy key under "Allowed to push and merge" of ${STAGING}`,
        situation: { token: FOREIGN },
      },
      {
        name: "production with staging's foreign token",
        names: `environment_branch ${PRODUCTION} is protected and the token in GITOPS_PRODUCTION_TOKEN may not push to it`,
        fix: `of ${PRODUCTION} (Settings > Repository > Protected branches)`,
        situation: { component: "manual-production", token: FOREIGN },
      },
      {
        name: "a project that does not exist",
        names: "repository_url (",
        fix: "Fix: check repository_url, and that the token in GITOPS_STAGING_TOKEN may see it",
        situation: { env: { CI_PROJECT_PATH: "group/missing" } },
      },
      {
        name: "a source branch the server lacks",
        names: 'input source_branch = "trunk": does not exist',
        fix: "Fix: set source_branch to an existing branch",
        situation: { inputs: { source_branch: "trunk" } },
      },
    ])("$name", async ({ names, fix, situation }) => {
      const r = await run(situation);
      expectRefusal(r.job, names);
      expect(r.job.stdout).toContain(fix);
      expect(r.refsAfter).toBe(r.refs);
    });
  });

  it("carries free text (environment) literally, never running it", async () => {
    const r = await run({ inputs: { environment: "staging $(touch $CANARY) `touch $CANARY`; touch $CANARY" } });
    expect(r.job.code, r.job.output).toBe(0);
    expect(r.job.stdout).toContain("(environment staging $(touch ");
    expect(r.canary).toBe(false);
  });
});
