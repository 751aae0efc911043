/**
 * Hostile values and situations for the rollback job, run as it ships (the script embedded in
 * templates/rollback) against the loopback git server with a protected `main` and the Deployments
 * API stand-in. Each case must fail, name the input or variable, print the fix, leave every branch
 * on the server as it was (and make no request at all when the value alone is wrong), run no
 * injected text, and leave the token in no output and no file.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDeploymentsApi, type DeploymentsApi } from "../../stand-ins/gitlab-deployments.ts";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { expectNoSecret, expectRefusal } from "../support/hostile.ts";
import { runTemplateJob } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";
import { PRODUCTION, Project } from "../promotion/history.ts";

const TOKEN = "glpat-rollback-bot-hostile-secret";
const FOREIGN = "glpat-valid-but-not-allowed-token";
const WRONG = "glpat-a-token-nobody-was-given-1";
const PROJECT_ID = "7";
const MAIN_PUSHER = "manifests-bot";

interface Situation {
  inputs?: Record<string, unknown>;
  env?: Record<string, string>;
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

describe.skipIf(!requireTools("git"))("rollback refuses hostile values and situations", () => {
  let server: GitServer;
  let api: DeploymentsApi;
  let scratch: string;
  let n = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, MAIN_PUSHER);
    server.addToken(FOREIGN, "someone-else");
    // Accepts no token of these tests: every read of the last promotion is refused (401).
    api = await startDeploymentsApi({ projectId: PROJECT_ID, tokens: ["glpat-only-the-api-stand-in-knows"] });
    scratch = mkdtempSync(path.join(tmpdir(), "gitops-hostile-rollback-"));
  });
  afterAll(async () => {
    await api?.close();
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A project whose protected main is m[0]..m[3] (each with its own file content), with production at m[3]; the job runs with GITOPS_ROLLBACK_SINCE unless the case says otherwise. */
  async function run(situation: Situation, options: { since?: boolean } = {}) {
    const project = new Project(server, `group/hostile-rollback-${++n}`, [{ pattern: "main", user: MAIN_PUSHER }]);
    const main = await project.chain(undefined, 4, { withFiles: true });
    await project.setBranch("main", main[3] as string);
    await project.setBranch(PRODUCTION, main[3] as string);
    const refs = await project.git("for-each-ref", "--format=%(refname) %(objectname)");
    const requests = () =>
      server.requests.filter(
        (r) => r.path.startsWith(`/${project.repoPath}.git/`) || r.path.startsWith("/group/missing"),
      ).length;
    const apiBefore = api.requests.length;
    const before = requests();
    const dir = path.join(scratch, String(n));
    const [cwd, tmp] = [path.join(dir, "job"), path.join(dir, "tmp")];
    for (const d of [cwd, tmp]) mkdirSync(d, { recursive: true });
    const canary = path.join(tmp, "canary");
    const job = await runTemplateJob({
      component: "rollback",
      cwd,
      inputs: { author_name: "Rollback Bot", author_email: "rollback@example.com", ...situation.inputs },
      env: {
        CI_SERVER_URL: server.url,
        CI_PROJECT_PATH: project.repoPath,
        CI_API_V4_URL: api.apiUrl,
        CI_PROJECT_ID: PROJECT_ID,
        CI_DEFAULT_BRANCH: "main",
        CI_COMMIT_BRANCH: "main",
        GITOPS_MANIFESTS_TOKEN: TOKEN,
        ...(options.since === false ? {} : { GITOPS_ROLLBACK_SINCE: main[1] as string }),
        TMPDIR: tmp,
        CANARY: canary,
        ...situation.env,
      },
    });
    try {
      return {
        job,
        refs,
        refsAfter: await project.git("for-each-ref", "--format=%(refname) %(objectname)"),
        requests: requests() - before,
        apiRequests: api.requests.length - apiBefore,
        canary: existsSync(canary),
        dotenv: existsSync(path.join(cwd, "gitops-rollback.env")),
        main,
        project,
      };
    } finally {
      expectNoSecret(job, [TOKEN, FOREIGN, WRONG], [cwd, tmp]);
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
        name: "environment_branch with refs/heads/",
        names: `input environment_branch = "refs/heads/${PRODUCTION}"`,
        situation: { inputs: { environment_branch: `refs/heads/${PRODUCTION}` } },
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
        situation: { inputs: { environment_branch: `${PRODUCTION}\nmain` } },
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
      { name: "source_branch @", names: 'input source_branch = "@"', situation: { inputs: { source_branch: "@" } } },
      {
        name: "GITOPS_ROLLBACK_SINCE that is a ref, not a SHA",
        names: 'input GITOPS_ROLLBACK_SINCE = "HEAD~1"',
        situation: { env: { GITOPS_ROLLBACK_SINCE: "HEAD~1" } },
      },
      {
        name: "GITOPS_ROLLBACK_SINCE that is an option",
        names: "input GITOPS_ROLLBACK_SINCE",
        situation: { env: { GITOPS_ROLLBACK_SINCE: "--all" } },
      },
      {
        name: "a repository URL that is an option",
        names: "input CI_SERVER_URL/CI_PROJECT_PATH",
        situation: { env: { CI_SERVER_URL: "--upload-pack=touch $CANARY" } },
      },
      {
        name: "a file: repository URL",
        names: "input CI_SERVER_URL/CI_PROJECT_PATH",
        situation: { env: { CI_SERVER_URL: "file://" } },
      },
      {
        name: "a repository URL with the token in it",
        names: "input CI_SERVER_URL/CI_PROJECT_PATH",
        situation: { env: { CI_SERVER_URL: `http://oauth2:${TOKEN}@127.0.0.1:1` } },
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
        name: "a token variable that names nothing",
        names: "input token_variable",
        situation: { env: { GITOPS_MANIFESTS_TOKEN: "" } },
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
        name: "an author name with a line break",
        names: "input author_name",
        situation: { inputs: { author_name: "Bot\nEvil: x", author_email: "bot@example.com" } },
      },
      {
        name: "an author email with a command",
        names: "input author_email",
        situation: { inputs: { author_name: "Bot", author_email: "`touch $CANARY`" } },
      },
      {
        name: "an author email without a name",
        names: "input author_name",
        situation: { inputs: { author_name: "", author_email: "bot@example.com" } },
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
        name: `an injection in GITOPS_ROLLBACK_SINCE: ${payload}`,
        names: "input GITOPS_ROLLBACK_SINCE",
        situation: { env: { GITOPS_ROLLBACK_SINCE: payload } },
      })),
    ])("$name", async ({ names, situation }) => {
      const r = await run(situation);
      expectRefusal(r.job, names);
      expect(r.requests).toBe(0);
      expect(r.apiRequests).toBe(0);
      expect(r.refsAfter).toBe(r.refs);
      expect(r.canary).toBe(false);
      expect(r.dotenv).toBe(false);
    });
  });

  describe("remote failures name the input or variable and the fix", () => {
    it.each<{ name: string; names: string; fix: string; situation: Situation; since?: boolean }>([
      {
        name: "a wrong token",
        names: "the server refused the token in GITOPS_MANIFESTS_TOKEN",
        fix: "Fix: check token_variable: the token in GITOPS_MANIFESTS_TOKEN must be valid and unexpired",
        situation: { env: { GITOPS_MANIFESTS_TOKEN: WRONG } },
      },
      {
        name: "a foreign token (valid, not allowed to push to main)",
        names: "source_branch main is protected and the token in OTHER_TOKEN may not push to it",
        fix: 'Fix: let the token in OTHER_TOKEN push: choose its user or deploy key under "Allowed to push and merge" of main',
        situation: { inputs: { token_variable: "OTHER_TOKEN" }, env: { OTHER_TOKEN: FOREIGN } },
      },
      {
        name: "a project that does not exist",
        names: "CI_SERVER_URL/CI_PROJECT_PATH (",
        fix: "Fix: check CI_SERVER_URL/CI_PROJECT_PATH, and that the token in GITOPS_MANIFESTS_TOKEN may see it",
        situation: { env: { CI_PROJECT_PATH: "group/missing" } },
      },
      {
        name: "a git server that cannot be reached",
        names: "CI_SERVER_URL/CI_PROJECT_PATH (http://127.0.0.1:1/",
        fix: "Fix: check CI_SERVER_URL/CI_PROJECT_PATH and that the server is up",
        situation: { env: { CI_SERVER_URL: "http://127.0.0.1:1" } },
      },
      {
        name: "a token the Deployments API refuses (reading the last promotion)",
        names: "reading production's last promotion: the server refused the token in GITOPS_MANIFESTS_TOKEN",
        fix: "Fix: check token_variable: the token in GITOPS_MANIFESTS_TOKEN must be valid and unexpired, a project access token with the read_api scope (or set GITOPS_ROLLBACK_SINCE",
        situation: {},
        since: false,
      },
      {
        name: "a GitLab API that cannot be reached",
        names:
          "CI_API_V4_URL/projects/CI_PROJECT_ID (http://127.0.0.1:1/api/v4/projects/7/deployments) could not be reached",
        fix: "Fix: check CI_API_V4_URL/projects/CI_PROJECT_ID and that the server is up",
        situation: { env: { CI_API_V4_URL: "http://127.0.0.1:1/api/v4" } },
        since: false,
      },
    ])("$name", async ({ names, fix, situation, since }) => {
      const r = await run(situation, { since });
      expectRefusal(r.job, names);
      expect(r.job.stdout).toContain(fix);
      expect(r.refsAfter).toBe(r.refs);
      expect(r.dotenv).toBe(false);
    });
  });

  it("carries free text (environment) literally, never running it", async () => {
    const environment = "production $(touch $CANARY) `touch $CANARY`; touch $CANARY ../x.lock";
    const r = await run({ inputs: { environment } });
    expect(r.job.code, r.job.output).toBe(0);
    expect(r.canary).toBe(false);
    const main = r.project.branch("main") as string;
    expect(await r.project.git("log", "-1", "--format=%s", main)).toMatch(
      /^Roll back production \$\(touch .*canary\) `touch .*canary`; touch .*canary \.\.\/x\.lock to [0-9a-f]{12}: revert 2 commits \[gitops-rollback\]$/,
    );
  });
});
