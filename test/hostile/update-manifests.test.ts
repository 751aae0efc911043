/**
 * Hostile values and situations for update-manifests, run as the job ships (the script embedded in
 * templates/update-manifests) against the loopback git server with a protected `main`. Each case
 * must fail, name the input, print the fix, leave the server's branches as they were (and, where the
 * value alone is wrong, make no request at all), write nothing outside the job's clone, and leave
 * the token in no output and no file.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { expectNoSecret, expectRefusal } from "../support/hostile.ts";
import { runTemplateJob, type JobRun } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";

const exec = promisify(execFile);
const APP = "registry.example.com/group/app";
const DIGEST = `sha256:${"1".repeat(64)}`;
const TOKEN = "glpat-bump-bot-hostile-secret";
const FOREIGN = "glpat-someone-else-valid-token";
const WRONG = "glpat-nobody-has-this-token-1";
const AUTHOR = {
  GIT_AUTHOR_NAME: "Dev",
  GIT_AUTHOR_EMAIL: "dev@example.com",
  GIT_COMMITTER_NAME: "Dev",
  GIT_COMMITTER_EMAIL: "dev@example.com",
};
const KUSTOMIZATION = `resources: [deployment.yaml]\nimages:\n- name: ${APP}\n  newTag: v1\n`;
const DEPLOYMENT = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: ${APP}:v1\n`;

interface Situation {
  inputs?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Symbolic links committed to the repository: path -> target (`{outside}` is a directory outside the checkout). */
  links?: Record<string, string>;
  /** Files committed besides the default kustomization and deployment (`null` leaves one out). */
  files?: Record<string, string | null>;
}

describe.skipIf(!requireTools("git"))("update-manifests refuses hostile values and situations", () => {
  let server: GitServer;
  let scratch: string;
  let counter = 0;

  beforeAll(async () => {
    server = await startGitServer();
    server.addToken(TOKEN, "bump-bot");
    server.addToken(FOREIGN, "someone-else");
    scratch = mkdtempSync(path.join(tmpdir(), "gitops-hostile-manifests-"));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function git(cwd: string, ...args: string[]): Promise<string> {
    return (await exec("git", args, { cwd, env: { ...process.env, ...AUTHOR } })).stdout.trim();
  }

  /** A project whose protected main holds the manifests (and the links), a directory outside it, and the job's directories. */
  async function project(situation: Situation) {
    const n = ++counter;
    const repo = `group/hostile-${n}`;
    const url = server.createRepo(repo, { protect: [{ pattern: "main", user: "bump-bot" }] });
    const base = path.join(scratch, String(n));
    const [work, outside, cwd, tmp] = ["work", "outside", "job", "tmp"].map((d) => path.join(base, d)) as [
      string,
      string,
      string,
      string,
    ];
    for (const dir of [work, outside, cwd, tmp]) mkdirSync(dir, { recursive: true });
    // What a link out would reach: a manifest naming the image, so an edit through the link would show.
    writeFileSync(path.join(outside, "kustomization.yaml"), KUSTOMIZATION);
    writeFileSync(path.join(outside, "deployment.yaml"), DEPLOYMENT);
    await git(work, "init", "-q", "-b", "main");
    const files: Record<string, string | null> = {
      "deploy/kustomization.yaml": KUSTOMIZATION,
      "deploy/deployment.yaml": DEPLOYMENT,
      ...situation.files,
    };
    for (const [file, text] of Object.entries(files)) {
      if (text === null) continue;
      mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      writeFileSync(path.join(work, file), text);
    }
    for (const [link, target] of Object.entries(situation.links ?? {})) {
      mkdirSync(path.dirname(path.join(work, link)), { recursive: true });
      symlinkSync(target.replace("{outside}", outside), path.join(work, link));
    }
    await git(work, "add", "-A");
    await git(work, "commit", "-q", "-m", "feat: the app");
    await git(work, "push", "-q", url.replace("http://", `http://bot:${TOKEN}@`), "HEAD:refs/heads/main");
    return { repo, work, outside, cwd, tmp, main: await git(work, "rev-parse", "HEAD") };
  }

  async function run(situation: Situation): Promise<{
    job: JobRun;
    before: number;
    requests: () => number;
    pushes: () => number;
    p: Awaited<ReturnType<typeof project>>;
  }> {
    const p = await project(situation);
    const requests = () =>
      server.requests.filter((r) => r.path.startsWith(`/${p.repo}.git/`) || r.path.startsWith("/group/missing")).length;
    const before = requests();
    // Requests that push (the seed push's are counted out).
    const seeded = server.requests.filter(
      (r) => r.path.startsWith(`/${p.repo}.git/`) && r.service === "git-receive-pack",
    ).length;
    const pushes = () =>
      server.requests.filter((r) => r.path.startsWith(`/${p.repo}.git/`) && r.service === "git-receive-pack").length -
      seeded;
    const job = await runTemplateJob({
      component: "update-manifests",
      inputs: { manifests: "deploy/kustomization.yaml", image_name: APP, ...situation.inputs },
      env: {
        CI_SERVER_URL: server.url,
        CI_PROJECT_PATH: p.repo,
        CI_DEFAULT_BRANCH: "main",
        CI_COMMIT_SHA: p.main,
        GITOPS_IMAGE: `${APP}@${DIGEST}`,
        GITOPS_MANIFESTS_TOKEN: TOKEN,
        GITLAB_USER_NAME: "Pipeline Starter",
        GITLAB_USER_EMAIL: "starter@example.com",
        TMPDIR: p.tmp,
        CANARY: path.join(p.tmp, "canary"),
        ...situation.env,
      },
      cwd: p.cwd,
    });
    return { job, before, requests, pushes, p };
  }

  /** Nothing changed: main where it was, no other branch, the outside files untouched, no canary, no token. */
  async function expectNothingChanged(r: Awaited<ReturnType<typeof run>>): Promise<void> {
    expect(server.branch(r.p.repo, "main")).toBe(r.p.main);
    expect(await git(path.join(server.root, `${r.p.repo}.git`), "for-each-ref", "--format=%(refname)")).toBe(
      "refs/heads/main",
    );
    expect(readFileSync(path.join(r.p.outside, "kustomization.yaml"), "utf8")).toBe(KUSTOMIZATION);
    expect(readFileSync(path.join(r.p.outside, "deployment.yaml"), "utf8")).toBe(DEPLOYMENT);
    expect(existsSync(path.join(r.p.tmp, "canary"))).toBe(false);
    expect(existsSync(path.join(r.p.cwd, "gitops-manifests.env"))).toBe(false);
    expectNoSecret(r.job, [TOKEN, FOREIGN, WRONG], [r.p.cwd, r.p.tmp]);
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

  describe("refused from the value alone, before any request to the server", () => {
    it.each<{ name: string; names: string; situation: Situation }>([
      {
        name: "manifests leaving the repository (../x)",
        names: 'input manifests = "../outside/kustomization.yaml"',
        situation: { inputs: { manifests: "../outside/kustomization.yaml" } },
      },
      {
        name: "an absolute manifests path through a variable",
        names: 'input manifests = "/etc/passwd"',
        situation: { inputs: { manifests: "$OUTSIDE_PATH" }, env: { OUTSIDE_PATH: "/etc/passwd" } },
      },
      { name: "branch HEAD", names: 'input branch = "HEAD"', situation: { inputs: { branch: "HEAD" } } },
      {
        name: "branch refs/heads/main",
        names: 'input branch = "refs/heads/main"',
        situation: { inputs: { branch: "refs/heads/main" } },
      },
      { name: "branch -x", names: 'input branch = "-x"', situation: { inputs: { branch: "-x" } } },
      { name: "branch a..b", names: 'input branch = "a..b"', situation: { inputs: { branch: "a..b" } } },
      {
        name: "branch with a newline",
        names: 'input branch = "main\\nevil"',
        situation: { inputs: { branch: "main\nevil" } },
      },
      {
        name: "branch of 40 hex digits",
        names: `input branch = "${"a".repeat(40)}"`,
        situation: { inputs: { branch: "a".repeat(40) } },
      },
      {
        name: "a default branch that is no branch",
        names: 'input CI_DEFAULT_BRANCH = "HEAD"',
        situation: { inputs: { branch: "main" }, env: { CI_DEFAULT_BRANCH: "HEAD" } },
      },
      {
        name: "image_name with an upper-case path",
        names: 'input image_name = "registry.example.com/Group/App"',
        situation: { inputs: { image_name: "registry.example.com/Group/App" } },
      },
      {
        name: "image_name with a .. component",
        names: 'input image_name = "registry.example.com/group/../app"',
        situation: { inputs: { image_name: "registry.example.com/group/../app" } },
      },
      {
        name: "new_image with a digest written as a tag",
        names: `input new_image = "${APP}:${DIGEST}"`,
        situation: { inputs: { new_image: `${APP}:${DIGEST}` } },
      },
      {
        name: "new_image with a short digest",
        names: `input new_image = "${APP}@sha256:abc"`,
        situation: { inputs: { new_image: `${APP}@sha256:abc` } },
      },
      {
        name: "new_image with an upper-case digest",
        names: "input new_image",
        situation: { inputs: { new_image: `${APP}@sha256:${"A".repeat(64)}` } },
      },
      {
        name: "mode with a command",
        names: 'input mode = "commit; touch',
        situation: { inputs: { mode: "commit; touch $CANARY" } },
      },
      {
        name: "a repository URL that is an option",
        names: "input CI_SERVER_URL/CI_PROJECT_PATH",
        situation: { env: { CI_SERVER_URL: "--upload-pack=touch $CANARY" } },
      },
      {
        name: "a repository URL with credentials",
        names: "input CI_SERVER_URL/CI_PROJECT_PATH",
        situation: { env: { CI_SERVER_URL: `http://oauth2:${TOKEN}@127.0.0.1:1` } },
      },
      {
        name: "an SSH URL that is an option",
        names: "input ssh_repository_url",
        situation: {
          inputs: { ssh_key_variable: "DEPLOY_KEY", ssh_repository_url: "-oProxyCommand=touch $CANARY" },
          env: { DEPLOY_KEY: "x" },
        },
      },
      {
        name: "an author name with a line break",
        names: "input author_name",
        situation: { inputs: { author_name: "Bot\nEvil: x", author_email: "bot@example.com" } },
      },
      {
        name: "a token variable that names nothing",
        names: "input token_variable",
        situation: { env: { GITOPS_MANIFESTS_TOKEN: "" } },
      },
      {
        name: "a token_variable with a command",
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
          inputs: { ssh_key_variable: "DEPLOY_KEY", ssh_known_hosts: "$(touch $CANARY)" },
          env: {
            ...SSH_HOST,
            DEPLOY_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
          },
        },
      },
      {
        name: "an author email with a command",
        names: "input author_email",
        situation: { inputs: { author_name: "Bot", author_email: "`touch $CANARY`" } },
      },
      ...INJECTIONS.map((payload) => ({
        name: `an injection in branch: ${payload}`,
        names: "input branch",
        situation: { inputs: { branch: payload } },
      })),
      ...INJECTIONS.map((payload) => ({
        name: `an injection in new_image: ${payload}`,
        names: "input new_image",
        situation: { inputs: { new_image: payload } },
      })),
      ...INJECTIONS.map((payload) => ({
        name: `an injection in image_name: ${payload}`,
        names: "input image_name",
        situation: { inputs: { image_name: payload } },
      })),
      {
        name: "a line break in manifests",
        names: "input manifests",
        situation: { inputs: { manifests: "deploy/x\ntouch $CANARY" } },
      },
    ])("$name", async ({ names, situation }) => {
      const r = await run(situation);
      expectRefusal(r.job, names);
      expect(r.requests()).toBe(r.before);
      await expectNothingChanged(r);
    });
  });

  describe("refused once the tree is fetched, before anything is written or pushed", () => {
    it.each<{ name: string; names: string; situation: Situation }>([
      {
        name: "a manifests file that is a link out of the repository",
        names: 'input manifests = "deploy/kustomization.yaml": deploy/kustomization.yaml is a symbolic link',
        situation: {
          files: { "deploy/kustomization.yaml": null },
          links: { "deploy/kustomization.yaml": "{outside}/kustomization.yaml" },
        },
      },
      {
        name: "a manifests file that is a link inside the repository",
        names: 'input manifests = "deploy/kustomization.yaml": deploy/kustomization.yaml is a symbolic link',
        situation: {
          files: { "deploy/kustomization.yaml": null, "base/kustomization.yaml": KUSTOMIZATION },
          links: { "deploy/kustomization.yaml": "../base/kustomization.yaml" },
        },
      },
      {
        name: "a manifests directory that is a link out",
        names: 'input manifests = "deploy": deploy is a symbolic link',
        situation: {
          inputs: { manifests: "deploy" },
          files: { "deploy/kustomization.yaml": null, "deploy/deployment.yaml": null },
          links: { deploy: "{outside}" },
        },
      },
      {
        name: "a link out on the way to the manifests file (left out of the sparse checkout)",
        names: 'input manifests = "overlay/kustomization.yaml": overlay is a symbolic link',
        situation: { inputs: { manifests: "overlay/kustomization.yaml" }, links: { overlay: "{outside}" } },
      },
      {
        name: "a linked manifest inside the manifests directory",
        names: "deploy/extra.yaml is a symbolic link",
        situation: { inputs: { manifests: "deploy" }, links: { "deploy/extra.yaml": "{outside}/deployment.yaml" } },
      },
      {
        name: "a linked directory inside the manifests directory",
        names: "deploy/shared is a symbolic link",
        situation: { inputs: { manifests: "deploy" }, links: { "deploy/shared": "{outside}" } },
      },
      {
        name: "a branch the server lacks",
        names: 'input branch = "release"',
        situation: { inputs: { branch: "release" } },
      },
      // A path may hold any character; it is never a command, only a file the tree lacks.
      ...INJECTIONS.filter((p) => !p.includes("\n")).map((payload) => ({
        name: `an injection in manifests: ${payload}`,
        names: "does not exist on branch main",
        situation: { inputs: { manifests: `deploy/${payload}` } },
      })),
    ])("$name", async ({ names, situation }) => {
      const r = await run(situation);
      expectRefusal(r.job, names);
      expect(r.pushes()).toBe(0);
      await expectNothingChanged(r);
    });
  });

  describe("remote failures name the input or variable and the fix", () => {
    it.each<{ name: string; names: string; fix: string; situation: Situation }>([
      {
        name: "a wrong token",
        names: "the server refused the token in GITOPS_MANIFESTS_TOKEN",
        fix: "Fix: check token_variable: the token in GITOPS_MANIFESTS_TOKEN must be valid and unexpired",
        situation: { env: { GITOPS_MANIFESTS_TOKEN: WRONG } },
      },
      {
        name: "a foreign token (valid, not allowed to push to main)",
        names: "branch main is protected and the token in OTHER_TOKEN may not push to it",
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
        name: "a server that cannot be reached",
        names: "CI_SERVER_URL/CI_PROJECT_PATH (http://127.0.0.1:1/",
        fix: "Fix: check CI_SERVER_URL/CI_PROJECT_PATH and that the server is up",
        situation: { env: { CI_SERVER_URL: "http://127.0.0.1:1" } },
      },
    ])("$name", async ({ names, fix, situation }) => {
      const r = await run(situation);
      expectRefusal(r.job, names);
      expect(r.job.stdout).toContain(fix);
      await expectNothingChanged(r);
    });
  });

  it("carries free text (commit_message) literally, never running it", async () => {
    const message = "chore: deploy {image} $(touch $CANARY) `touch $CANARY`; touch $CANARY [gitops-bump]";
    const r = await run({ inputs: { commit_message: message } });
    expect(r.job.code, r.job.output).toBe(0);
    const main = server.branch(r.p.repo, "main") as string;
    // GitLab expands $CANARY in job variables; nothing else of the text is interpreted.
    const canary = path.join(r.p.tmp, "canary");
    expect(await git(path.join(server.root, `${r.p.repo}.git`), "log", "-1", "--format=%s", main)).toBe(
      message.replace("{image}", `${APP}@${DIGEST}`).replaceAll("$CANARY", canary),
    );
    expect(existsSync(path.join(r.p.tmp, "canary"))).toBe(false);
    expectNoSecret(r.job, [TOKEN], [r.p.cwd, r.p.tmp]);
  });
});
