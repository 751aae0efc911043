/**
 * `setup` against the GitLab API stand-in: it plans and applies the single-app example's whole
 * set-up on Premium, a second run plans nothing, it never prints a secret, it says what a tier
 * forbids and uses the documented fallback (a deploy key per branch), it undoes a token whose
 * branch rule GitLab refused, and it rotates tokens that expire soon.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../../harness/templates.ts";
import {
  startProjectApi,
  type ProjectApi,
  type ProjectApiOptions,
  type StandInRule,
} from "../../stand-ins/gitlab-project-api.ts";
import { requireTools } from "../support/tools.ts";
import { runCli, type CliRun } from "./run-cli.ts";

const TODAY = "2026-12-01";
const NOW = new Date(`${TODAY}T10:00:00Z`);
const GITLAB_TOKEN = "glpat-maintainer-Tq8vZ3nW1xY7";
const SINGLE_APP = path.join(ROOT, "examples", "single-app", ".gitlab-ci.yml");

const started: ProjectApi[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((api) => api.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** GitLab's default rule for the default branch: Maintainers push and merge. */
function mainRule(): StandInRule {
  const entry = (id: number) => ({
    id,
    access_level: 40,
    access_level_description: "Maintainers",
    user_id: null,
    group_id: null,
    deploy_key_id: null,
  });
  return {
    id: 1,
    name: "main",
    push_access_levels: [entry(2)],
    merge_access_levels: [entry(3)],
    allow_force_push: false,
    code_owner_approval_required: false,
  };
}

async function standIn(options: Partial<ProjectApiOptions> & Pick<ProjectApiOptions, "edition">): Promise<ProjectApi> {
  const api = await startProjectApi({ token: GITLAB_TOKEN, today: TODAY, ...options });
  api.rules.push(mainRule());
  started.push(api);
  return api;
}

/** A project directory holding `pipeline` as its .gitlab-ci.yml. */
function projectWith(pipeline: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "gitops-setup-"));
  dirs.push(dir);
  writeFileSync(path.join(dir, ".gitlab-ci.yml"), pipeline);
  return dir;
}

function singleApp(): string {
  const dir = projectWith("");
  copyFileSync(SINGLE_APP, path.join(dir, ".gitlab-ci.yml"));
  return dir;
}

function setup(api: ProjectApi, dir: string, ...args: string[]): Promise<CliRun> {
  return runCli(["setup", ...args, "--gitlab-url", api.url, "--project", "group/app"], {
    cwd: dir,
    env: { GITLAB_TOKEN },
    now: NOW,
  });
}

/** Every secret the stand-in issued or stored, and the one setup was given. */
function secretsOf(api: ProjectApi): string[] {
  const privateKeyLines = api.variables
    .filter((v) => v.variable_type === "file")
    .flatMap((v) => v.value.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")));
  return [GITLAB_TOKEN, ...api.tokens.map((t) => t.token), ...api.variables.map((v) => v.value), ...privateKeyLines];
}

/** Every file under `dir`, with its text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, "utf8"));
}

function expectNoSecretIn(api: ProjectApi, texts: string[]): void {
  const secrets = secretsOf(api);
  expect(secrets.length).toBeGreaterThan(1);
  for (const text of texts)
    for (const secret of secrets)
      expect(text.includes(secret), `a secret (${secret.slice(0, 6)}…) was printed or written`).toBe(false);
}

describe("setup on Premium, for the single-app example", () => {
  it("plans every protected branch, token and variable, and changes nothing without --apply", async () => {
    const api = await standIn({ edition: "premium", admin: true });
    const run = await setup(api, singleApp());
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("tier: Premium, from the instance's license (GET /license: premium)");
    for (const [branch, variable, token] of [
      ["_gitlab/agents/staging", "GITOPS_STAGING_TOKEN", "gitops-staging"],
      ["_gitlab/agents/production", "GITOPS_PRODUCTION_TOKEN", "gitops-production"],
      ["_gitlab/agents/review", "GITOPS_REVIEW_TOKEN", "gitops-review"],
    ]) {
      expect(run.stdout).toContain(`${branch} <- ${variable} (project access token`);
      expect(run.stdout).toContain(
        `+ create project access token ${token} (write_repository; role Developer; expires 2027-11-30)`,
      );
      expect(run.stdout).toContain(`+ protect ${branch} (push: ${token}'s bot only; merge: no one; force push: off)`);
      expect(run.stdout).toContain(`+ create CI/CD variable ${variable} (protected, masked and hidden)`);
    }
    expect(run.stdout).toContain(
      "+ create project access token gitops-manifests (read_api, read_user, write_repository; role Developer; expires 2027-11-30)",
    );
    expect(run.stdout).toContain(
      "~ let gitops-manifests's bot push to main, keeping its rule (now push: Maintainers; merge: Maintainers; force push: off)",
    );
    expect(run.stdout).toContain("> add to .gitlab/agents/review/config.yaml in platform/gitops-agents");
    expect(run.stdout).toContain("12 changes to make, 0 already right.");
    expect(run.stdout).toContain("Run again with --apply to make these changes.");
    expect(api.requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(api.unexpected).toEqual([]);
  });

  it("applies the plan as GitLab's API documents it, and a second run plans nothing", async () => {
    const api = await standIn({ edition: "premium", admin: true });
    const dir = singleApp();
    const applied = await setup(api, dir, "--apply");
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Done. Run setup again to check: it should plan nothing.");
    expect(api.unexpected).toEqual([]);

    // Each environment branch: its own token's bot pushes, no one merges, no force push.
    for (const [branch, token] of [
      ["_gitlab/agents/staging", "gitops-staging"],
      ["_gitlab/agents/production", "gitops-production"],
      ["_gitlab/agents/review", "gitops-review"],
    ]) {
      const rule = api.rules.find((r) => r.name === branch);
      const bot = api.tokens.find((t) => t.name === token && t.active)?.user_id;
      expect(rule?.push_access_levels.filter((e) => e.user_id !== null).map((e) => e.user_id)).toEqual([bot]);
      expect(rule?.push_access_levels.every((e) => e.user_id === bot || e.access_level === 0)).toBe(true);
      expect(rule?.merge_access_levels.map((e) => e.access_level)).toEqual([0]);
      expect(rule?.allow_force_push).toBe(false);
    }
    // Least scopes and role, an expiry date, one token per variable.
    expect(api.tokens.map((t) => [t.name, t.scopes, t.access_level, t.expires_at])).toEqual([
      ["gitops-staging", ["write_repository"], 30, "2027-11-30"],
      ["gitops-production", ["write_repository"], 30, "2027-11-30"],
      ["gitops-review", ["write_repository"], 30, "2027-11-30"],
      ["gitops-manifests", ["read_api", "read_user", "write_repository"], 30, "2027-11-30"],
    ]);
    // Each variable protected, masked and hidden, holding its own token.
    for (const variable of api.variables) {
      expect(variable).toMatchObject({
        protected: true,
        masked: true,
        hidden: true,
        variable_type: "env_var",
        environment_scope: "*",
      });
      const token = api.tokens.find((t) => t.token === variable.value);
      expect(variable.description).toContain(`(id ${token?.id})`);
    }
    expect(api.variables.map((v) => v.key).sort()).toEqual([
      "GITOPS_MANIFESTS_TOKEN",
      "GITOPS_PRODUCTION_TOKEN",
      "GITOPS_REVIEW_TOKEN",
      "GITOPS_STAGING_TOKEN",
    ]);
    // main keeps Maintainers and gains the manifests bot.
    const main = api.rules.find((r) => r.name === "main");
    expect(main?.push_access_levels.map((e) => e.user_id ?? e.access_level)).toEqual([
      40,
      api.tokens.find((t) => t.name === "gitops-manifests")?.user_id,
    ]);

    const writes = api.requests.length;
    const again = await setup(api, dir, "--apply");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 changes to make, 12 already right.");
    expect(again.stdout).toContain("Nothing to do.");
    expect(again.stdout).not.toMatch(/^  [+~!-] /m);
    expect(api.requests.slice(writes).filter((r) => r.method !== "GET")).toEqual([]);
    expectNoSecretIn(api, [applied.stdout, applied.stderr, again.stdout, again.stderr, ...filesUnder(dir)]);
  });

  it("says the agent configuration authorizes the project once it does", async () => {
    const config = [
      "ci_access:",
      "  projects:",
      "    - id: group/app",
      '      environments: ["review/*"]',
      "user_access:",
      "  access_as:",
      "    agent: {}",
      "  projects:",
      "    - id: group/app",
      "",
    ].join("\n");
    const api = await standIn({
      edition: "premium",
      admin: true,
      files: { "platform/gitops-agents:.gitlab/agents/review/config.yaml": config },
    });
    const run = await setup(api, singleApp());
    expect(run.stdout).toContain(
      "= .gitlab/agents/review/config.yaml in platform/gitops-agents authorizes the project under ci_access and user_access",
    );
    expect(run.stdout).not.toContain("ci_access:\n");
  });

  it("replaces a token whose variable setup cannot vouch for by rotating it, keeping its bot in the branch rule", async () => {
    const api = await standIn({ edition: "premium", admin: true });
    const dir = singleApp();
    expect((await setup(api, dir, "--apply")).code).toBe(0);
    const staging = api.variables.find((v) => v.key === "GITOPS_STAGING_TOKEN");
    if (staging) staging.description = "typed in by hand";
    const bot = api.tokens.find((t) => t.name === "gitops-staging" && t.active)?.user_id;
    const plan = await setup(api, dir);
    expect(plan.stdout).toContain("~ rotate project access token gitops-staging");
    expect(plan.stdout).toContain(
      "~ store the new value in CI/CD variable GITOPS_STAGING_TOKEN (protected, masked): it holds no credential setup knows",
    );
    expect(plan.stdout).toContain("= _gitlab/agents/staging is protected");
    expect((await setup(api, dir, "--apply")).code).toBe(0);
    const rotated = api.tokens.filter((t) => t.name === "gitops-staging");
    expect(rotated.map((t) => t.active)).toEqual([false, true]);
    expect(rotated[1]?.user_id).toBe(bot);
    expect(api.variables.find((v) => v.key === "GITOPS_STAGING_TOKEN")?.value).toBe(rotated[1]?.token);
    expect((await setup(api, dir)).stdout).toContain("Nothing to do.");
  });

  it("refuses while main is unprotected, since main's pipelines would not receive the protected manifests token", async () => {
    const api = await standIn({ edition: "premium", admin: true });
    api.rules.splice(0);
    const run = await setup(api, singleApp());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "  ! is not protected, but GITOPS_MANIFESTS_TOKEN (read by include[3] update-manifests@0.1.0, include[7] rollback@0.1.0 in main's pipelines) is stored as a protected variable, which GitLab gives only to pipelines of protected branches: the job on main would run without it.\n    Fix: protect main (Settings > Repository > Protected branches; GitLab's default: push and merge Maintainers, force push off), then run setup again: it lets gitops-manifests's bot push there\n",
    );
    expect(run.stderr).toContain("setup: 1 blocker(s)");
    expect(api.tokens).toEqual([]);
  });

  it("refuses to plan while a wildcard rule lets others push to an environment branch", async () => {
    const api = await standIn({ edition: "premium", admin: true });
    api.rules.push({ ...mainRule(), id: 7, name: "_gitlab/*" });
    const run = await setup(api, singleApp(), "--apply");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "! the protected branch rule _gitlab/* also matches it (push: Maintainers; merge: Maintainers; force push: off); the most permissive matching rule wins",
    );
    expect(run.stdout).toContain("Fix: narrow _gitlab/* so it does not match _gitlab/agents/staging");
    expect(run.stderr).toContain("nothing was applied");
    expect(api.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });
});

/** The single-app example with a deploy key per environment branch (the Free fallback). */
function withDeployKeys(): string {
  const pipeline = readFileSync(SINGLE_APP, "utf8")
    .replace(
      "  - component: $CI_SERVER_FQDN/platform/gitops-components/promote-staging@0.1.0\n  - component",
      "  - component: $CI_SERVER_FQDN/platform/gitops-components/promote-staging@0.1.0\n    inputs:\n      ssh_key_variable: GITOPS_STAGING_DEPLOY_KEY\n      ssh_known_hosts: $GITLAB_KNOWN_HOSTS\n  - component",
    )
    .replace(
      "  - component: $CI_SERVER_FQDN/platform/gitops-components/manual-production@0.1.0\n",
      "  - component: $CI_SERVER_FQDN/platform/gitops-components/manual-production@0.1.0\n    inputs:\n      ssh_key_variable: GITOPS_PRODUCTION_DEPLOY_KEY\n      ssh_known_hosts: $GITLAB_KNOWN_HOSTS\n",
    )
    .replace(
      "      token_variable: GITOPS_REVIEW_TOKEN\n",
      "      ssh_key_variable: GITOPS_REVIEW_DEPLOY_KEY\n      ssh_known_hosts: $GITLAB_KNOWN_HOSTS\n",
    );
  expect(pipeline.match(/ssh_key_variable/g)).toHaveLength(3);
  return projectWith(pipeline);
}

describe("setup on Free", () => {
  it("says a token cannot be an environment branch's only pusher, and names the deploy-key fallback", async () => {
    const api = await standIn({ edition: "free-ee", admin: true });
    const run = await setup(api, singleApp(), "--apply");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("tier: Free, from no license on this Enterprise Edition instance (GET /license)");
    expect(run.stdout).toContain(
      "! read by include[4] promote-staging@0.1.0 to push _gitlab/agents/staging: on Free, a protected branch names roles, not a single token's bot",
    );
    expect(run.stdout).toContain(
      "Fix: push with a deploy key (the Free fallback, README: Requirements): give include[4] promote-staging@0.1.0 ssh_key_variable: GITOPS_STAGING_DEPLOY_KEY and ssh_known_hosts",
    );
    expect(api.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("with ssh_key_variable, creates a deploy key per branch with its private key in a protected File variable; the manifests token gets the role main's rule names", async () => {
    const api = await standIn({ edition: "free-ee", admin: true });
    const dir = withDeployKeys();
    const run = await setup(api, dir, "--apply");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(api.unexpected).toEqual([]);
    for (const [branch, title, variable] of [
      ["_gitlab/agents/staging", "gitops-staging", "GITOPS_STAGING_DEPLOY_KEY"],
      ["_gitlab/agents/production", "gitops-production", "GITOPS_PRODUCTION_DEPLOY_KEY"],
      ["_gitlab/agents/review", "gitops-review", "GITOPS_REVIEW_DEPLOY_KEY"],
    ]) {
      const key = api.deployKeys.find((k) => k.title === title);
      expect(key?.can_push).toBe(true);
      expect(key?.key).toMatch(/^ssh-ed25519 AAAA/);
      const rule = api.rules.find((r) => r.name === branch);
      expect(rule?.push_access_levels.filter((e) => e.deploy_key_id !== null).map((e) => e.deploy_key_id)).toEqual([
        key?.id,
      ]);
      expect(rule?.push_access_levels.every((e) => e.deploy_key_id === key?.id || e.access_level === 0)).toBe(true);
      const stored = api.variables.find((v) => v.key === variable);
      expect(stored).toMatchObject({ variable_type: "file", protected: true, masked: false });
      expect(stored?.value).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    }
    // Free: roles only on main, whose rule lets Maintainers push, so the manifests token is a Maintainer.
    expect(api.tokens.map((t) => [t.name, t.access_level])).toEqual([["gitops-manifests", 40]]);
    expect(run.stdout).toContain(
      "+ create project access token gitops-manifests (read_api, read_user, write_repository; role Maintainer;",
    );
    const again = await setup(api, dir);
    expect(again.stdout).toContain("Nothing to do.");
    expectNoSecretIn(api, [run.stdout, run.stderr, again.stdout, ...filesUnder(dir)]);
  });

  it("on GitLab.com Free, where project access tokens need Premium, points every token at a deploy key", async () => {
    // The instance is GitLab.com only at https://gitlab.com, which a loopback stand-in cannot be: plan directly.
    const { planSetup } = await import("../../cli/setup/plan.ts");
    const manifests = {
      variable: "GITOPS_MANIFESTS_TOKEN",
      kind: "token" as const,
      name: "gitops-manifests",
      branch: "main",
      exclusive: false,
      scopes: ["read_user", "write_repository"],
      usedBy: ["include[3] update-manifests@0.1.0"],
    };
    const state = {
      project: { id: 42, path_with_namespace: "group/app", default_branch: "main", namespace: { full_path: "group" } },
      protectedBranches: [],
      tokens: [],
      variables: [],
      deployKeys: [],
      agentConfigs: new Map(),
    };
    const plan = planSetup({
      needs: { credentials: [manifests], agents: [] },
      state,
      instance: { url: "https://gitlab.com", version: "18.3.0-ee", enterprise: true, dotCom: true },
      tier: { tier: "free", how: "the plan of group (GET /namespaces: free)" },
      expiresAt: "2027-06-01",
    });
    expect(plan.credentials[0]?.steps).toEqual([]);
    expect(plan.credentials[0]?.blockers.map((b) => b.message)).toEqual([
      "read by include[3] update-manifests@0.1.0: GitLab.com offers project access tokens with Premium and Ultimate only (tier: the plan of group (GET /namespaces: free))",
    ]);
    expect(plan.credentials[0]?.blockers[0]?.fix).toContain(
      "push with a deploy key instead: give include[3] update-manifests@0.1.0 ssh_key_variable: GITOPS_MANIFESTS_DEPLOY_KEY",
    );
  });
});

describe("setup when GitLab refuses", () => {
  it("on an instance whose tier it cannot read, stops at the refused branch rule and revokes the token it made for it", async () => {
    const api = await standIn({ edition: "free-ee", admin: false });
    const run = await setup(api, singleApp(), "--apply");
    expect(run.stdout).toContain("note: The tier is unknown (GET /license needs an administrator's token)");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "failed: protect _gitlab/agents/staging (push: gitops-staging's bot only; merge: no one; force push: off): POST protected_branches (_gitlab/agents/staging): HTTP 422: Push access levels user must be blank",
    );
    expect(run.stdout).toContain("undone: revoked project access token gitops-staging");
    expect(api.tokens.map((t) => [t.name, t.active])).toEqual([["gitops-staging", false]]);
    expect(api.variables).toEqual([]);
    expect(api.rules.map((r) => r.name)).toEqual(["main"]);
  });

  it("on a Community Edition build that drops a user grant, finds the branch protected without the bot and undoes the token", async () => {
    const api = await standIn({ edition: "ce" });
    const run = await setup(api, singleApp(), "--apply", "--tier", "premium");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("GitLab answered with a rule for _gitlab/agents/staging without user");
    expect(run.stdout).toContain("(push: No one)");
    expect(api.tokens.every((t) => !t.active)).toBe(true);
    // The branch is left protected with "No one", never with GitLab's default (Maintainers).
    expect(
      api.rules.find((r) => r.name === "_gitlab/agents/staging")?.push_access_levels.map((e) => e.access_level),
    ).toEqual([0]);
  });

  it("reports a branch protected by someone else between plan and apply (409) and a variable created meanwhile (400), taking back the token", async () => {
    const { applyPlan } = await import("../../cli/setup/apply.ts");
    const { planSetup } = await import("../../cli/setup/plan.ts");
    const { Secrets } = await import("../../cli/setup/secrets.ts");
    const { gitbeakerApi } = await import("../../cli/setup/gitlab-api.ts");
    const needs = {
      credentials: [
        {
          variable: "GITOPS_STAGING_TOKEN",
          kind: "token" as const,
          name: "gitops-staging",
          branch: "_gitlab/agents/staging",
          exclusive: true,
          scopes: ["write_repository"],
          usedBy: ["include[4]"],
        },
      ],
      agents: [],
    };
    const empty = {
      project: { id: 42, path_with_namespace: "group/app", default_branch: "main", namespace: { full_path: "group" } },
      protectedBranches: [],
      tokens: [],
      variables: [],
      deployKeys: [],
      agentConfigs: new Map(),
    };
    const plan = planSetup({
      needs,
      state: empty,
      instance: { url: "", version: "18.1.1-ee", enterprise: true, dotCom: false },
      tier: { tier: "premium", how: "test" },
      expiresAt: "2027-06-01",
    });

    const conflict = await standIn({ edition: "premium" });
    conflict.rules.push({ ...mainRule(), id: 8, name: "_gitlab/agents/staging" });
    const lines: string[] = [];
    const first = await applyPlan(plan, gitbeakerApi(conflict.url, GITLAB_TOKEN), 42, new Secrets(), (l) =>
      lines.push(l),
    );
    expect(first.ok).toBe(false);
    expect(lines.join("\n")).toContain("HTTP 409: Protected branch '_gitlab/agents/staging' already exists");
    expect(lines.join("\n")).toContain("undone: revoked project access token gitops-staging");
    expect(conflict.tokens.every((t) => !t.active)).toBe(true);

    const duplicate = await standIn({ edition: "premium" });
    duplicate.variables.push({
      key: "GITOPS_STAGING_TOKEN",
      value: "someone-elses-value",
      variable_type: "env_var",
      protected: true,
      masked: true,
      hidden: false,
      raw: false,
      environment_scope: "*",
      description: null,
    });
    lines.length = 0;
    const second = await applyPlan(plan, gitbeakerApi(duplicate.url, GITLAB_TOKEN), 42, new Secrets(), (l) =>
      lines.push(l),
    );
    expect(second.ok).toBe(false);
    expect(lines.join("\n")).toContain("HTTP 400: key (GITOPS_STAGING_TOKEN) has already been taken");
    expect(lines.join("\n")).toContain("undone: revoked project access token gitops-staging");
    expect(duplicate.variables.map((v) => v.value)).toEqual(["someone-elses-value"]);
  });

  it("names the fix for a token GitLab does not accept, without printing it", async () => {
    const api = await standIn({ edition: "premium" });
    const run = await runCli(["setup", "--gitlab-url", api.url, "--project", "group/app"], {
      cwd: singleApp(),
      env: { GITLAB_TOKEN: "glpat-wrong-token-1234" },
      now: NOW,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "setup: GET /metadata: HTTP 401: 401 Unauthorized. Fix: check GITLAB_TOKEN (valid, not expired, api scope)",
    );
    expect(run.stdout + run.stderr).not.toContain("glpat-wrong-token-1234");
  });
});

describe("setup when GitLab does not answer", () => {
  /** An http URL on 127.0.0.1 where nothing listens (a port the system gave and took back). */
  async function closedUrl(): Promise<string> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
  }

  it("names the URL, that --gitlab-url gave it, and the fix", async () => {
    const url = await closedUrl();
    const run = await runCli(["setup", "--gitlab-url", url, "--project", "group/app"], {
      cwd: singleApp(),
      env: { GITLAB_TOKEN },
      now: NOW,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `setup: GET /metadata: no answer: fetch failed, from ${url}/api/v4 (the GitLab URL comes from --gitlab-url).\n`,
    );
    expect(run.stderr).toContain(
      `Fix: check that ${url} is your GitLab instance's address and is reachable from this machine (network, proxy, VPN); to use another address, pass --gitlab-url https://gitlab.example.com\n`,
    );
  });

  it.skipIf(!requireTools("git"))("names the origin remote when the URL came from it", async () => {
    const url = await closedUrl();
    const dir = singleApp();
    spawnSync("git", ["init", "-q", dir]);
    spawnSync("git", ["-C", dir, "remote", "add", "origin", `${url}/group/app.git`]);
    const run = await runCli(["setup"], { cwd: dir, env: { GITLAB_TOKEN }, now: NOW });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`from ${url}/api/v4 (the GitLab URL comes from the origin remote of ${dir}).\n`);
    expect(run.stderr).toContain("pass --gitlab-url https://gitlab.example.com (and --project group/app)\n");
  });
});

describe("setup rotate", () => {
  it("rotates the tokens that expire within the window and stores the new values; the others stay", async () => {
    const api = await standIn({ edition: "premium", admin: true });
    const dir = singleApp();
    expect((await setup(api, dir, "--apply", "--lifetime", "20")).code).toBe(0);
    const staging = api.tokens.find((t) => t.name === "gitops-staging");
    if (staging) staging.expires_at = "2027-06-01";
    const plan = await runCli(
      ["setup", "rotate", "--within", "30", "--gitlab-url", api.url, "--project", "group/app"],
      { cwd: dir, env: { GITLAB_TOKEN }, now: NOW },
    );
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("= project access token gitops-staging");
    expect(plan.stdout).toContain("expires 2027-06-01, after 2026-12-31");
    expect(plan.stdout).toContain("~ rotate project access token gitops-production");
    expect(plan.stdout).toContain("6 changes to make, 1 already right.");
    const before = api.tokens.filter((t) => t.active).map((t) => t.token);
    const run = await runCli(["setup", "rotate", "--apply", "--gitlab-url", api.url, "--project", "group/app"], {
      cwd: dir,
      env: { GITLAB_TOKEN },
      now: NOW,
    });
    expect(run.code).toBe(0);
    expect(api.unexpected).toEqual([]);
    for (const name of ["gitops-production", "gitops-review", "gitops-manifests"]) {
      const active = api.tokens.filter((t) => t.name === name && t.active);
      expect(active).toHaveLength(1);
      expect(active[0]?.expires_at).toBe("2027-11-30");
      expect(before).not.toContain(active[0]?.token);
      expect(api.variables.find((v) => v.value === active[0]?.token)?.description).toContain(`(id ${active[0]?.id})`);
    }
    expect(api.tokens.find((t) => t.name === "gitops-staging" && t.active)?.token).toBe(staging?.token);
    // Rotation keeps the bots, so the branch rules need no change.
    expect((await setup(api, dir)).stdout).toContain("Nothing to do.");
    expectNoSecretIn(api, [plan.stdout, run.stdout, run.stderr]);
  });
});

describe("setup's arguments", () => {
  it("refuses a pipeline lint finds problems in, before talking to GitLab", async () => {
    const api = await standIn({ edition: "premium" });
    const dir = projectWith(
      readFileSync(SINGLE_APP, "utf8").replace("junit: report.xml", "junit: report.xml\n      dry-run: true"),
    );
    const run = await setup(api, dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("test has no input dry-run");
    expect(api.requests).toEqual([]);
  });

  it("needs GITLAB_TOKEN, and says so", async () => {
    const run = await runCli(["setup", "--gitlab-url", "https://gitlab.example.com", "--project", "group/app"], {
      cwd: singleApp(),
      env: {},
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("GITLAB_TOKEN is not set");
  });

  it("rejects unknown options and a misspelt command", async () => {
    expect((await runCli(["setup", "--aply"], { cwd: ROOT })).stderr).toContain("Unknown option '--aply'");
    const misspelt = await runCli(["lnt"], { cwd: ROOT });
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toContain('unknown command "lnt"; did you mean lint?');
  });
});
