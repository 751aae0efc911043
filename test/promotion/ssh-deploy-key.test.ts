/**
 * The deploy-key credential (GitLab Free, where a single deploy key, but no single token user, can
 * be the one allowed to push to a protected branch): promote-staging, manual-production and
 * update-manifests push over SSH to Debian's sshd on loopback, with a host key the test made, the
 * key given as a File or a plain CI/CD variable, the server's key pinned by ssh_known_hosts. The
 * repositories' pre-receive hook lets only the named deploy key push to the environment branches.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import { requireSshd, startSshServer, type SshServer } from "../../stand-ins/ssh-server.ts";
import { runTemplateJob } from "../../harness/templates.ts";
import { requireTools } from "../support/tools.ts";
import { filesContaining, PRODUCTION, Project, PROMOTER, promote, STAGING } from "./history.ts";

const exec = promisify(execFile);
const KEY_VARIABLE = "GITOPS_STAGING_DEPLOY_KEY";
const IMAGE = "registry.example.com/app";

/** A bump commit's message as update-manifests writes it for the pipeline commit `of`. */
function bumpMessage(of: string): string {
  const image = `${IMAGE}@sha256:${"1".repeat(64)}`;
  return `chore(manifests): deploy ${image} [gitops-bump]\n\nGitOps-Image: ${image}\nGitOps-Source-Commit: ${of}\nGitOps-Pipeline: https://gitlab.example.com/group/app/-/pipelines/1\nGitOps-Bump-Mode: commit\n`;
}

describe.skipIf(!requireTools("git") || !requireSshd())("pushing with an SSH deploy key", () => {
  let git: GitServer;
  let ssh: SshServer;
  let promoterKey: string;
  let strangerKey: string;
  const scratch: string[] = [];
  let n = 0;

  beforeAll(async () => {
    git = await startGitServer();
    ssh = await startSshServer(git);
    promoterKey = ssh.addDeployKey(PROMOTER);
    strangerKey = ssh.addDeployKey("someone-else");
  });
  afterAll(async () => {
    await ssh?.close();
    await git?.close();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  /** A File variable: GitLab writes the value to a file and the variable holds its path. */
  function fileVariable(content: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), "gitops-file-variable-"));
    scratch.push(dir);
    writeFileSync(path.join(dir, KEY_VARIABLE), content, { mode: 0o600 });
    return path.join(dir, KEY_VARIABLE);
  }

  async function project(): Promise<{ project: Project; main: string[] }> {
    const p = new Project(git, `group/ssh-${++n}`);
    const main = await p.chain(undefined, 3);
    await p.setBranch("main", main[2] as string);
    return { project: p, main };
  }

  const sshInputs = (p: Project, knownHosts = ssh.knownHosts) => ({
    ssh_key_variable: KEY_VARIABLE,
    ssh_known_hosts: knownHosts,
    ssh_repository_url: ssh.url(p.repoPath),
  });

  it("promote-staging fast-forwards staging over SSH to the bump made for the pipeline's commit, with the key from a File variable; no token exists, the key is gone afterwards and was never printed", async () => {
    const { project: p, main } = await project();
    const change = main[2] as string;
    // The bump update-manifests pushed for the change: found by its trailer in the commit graph fetched over SSH.
    const bump = await p.commit([change], bumpMessage(change));
    await p.setBranch("main", bump);
    const run = await promote(p, undefined, {
      component: "promote-staging",
      target: change,
      inputs: sshInputs(p),
      env: { [KEY_VARIABLE]: fileVariable(promoterKey) },
      keep: true,
    });
    try {
      expect(run.code, run.output).toBe(0);
      expect(p.branch(STAGING)).toBe(bump);
      expect(run.outputs).toMatchObject({ GITOPS_PROMOTED_SHA: bump, GITOPS_PROMOTION: "created" });
      expect(run.stdout).toContain(
        `Target ${bump}: promoting ${bump.slice(0, 12)}, the manifests bump update-manifests pushed for ${change.slice(0, 12)}`,
      );
      expect(ssh.sessions().filter((s) => s.repo === `${p.repoPath}.git`)).toContainEqual({
        user: PROMOTER,
        service: "git-receive-pack",
        repo: `${p.repoPath}.git`,
      });
      expect(git.requests.filter((r) => r.path.startsWith(`/${p.repoPath}.git/`))).toEqual([]);
      for (const line of promoterKey.split("\n").filter((l) => l.length > 20)) expect(run.output).not.toContain(line);
      expect(readdirSync(run.tmpDir)).toEqual([]);
      expect(filesContaining([run.projectDir], promoterKey.split("\n")[1] as string)).toEqual([]);
    } finally {
      run.cleanup();
    }
  });

  it("manual-production fast-forwards production with the key from a plain variable", async () => {
    const { project: p, main } = await project();
    await p.setBranch(STAGING, main[2] as string);
    const run = await promote(p, undefined, {
      component: "manual-production",
      target: main[1] as string,
      inputs: sshInputs(p),
      env: { [KEY_VARIABLE]: promoterKey },
    });
    expect(run.code, run.output).toBe(0);
    expect(p.branch(PRODUCTION)).toBe(main[1]);
  });

  it("refuses a server whose host key is not in ssh_known_hosts, and pushes nothing", async () => {
    const { project: p, main } = await project();
    const otherHost = `${ssh.knownHosts.split(" ")[0]} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl`;
    const run = await promote(p, undefined, {
      component: "promote-staging",
      target: main[2] as string,
      inputs: sshInputs(p, otherHost),
      env: { [KEY_VARIABLE]: promoterKey },
    });
    expect(run.code).toBe(5);
    expect(run.output).toContain(`ERROR: promoting to ${STAGING}: the SSH host key of ssh_repository_url (`);
    expect(run.output).toContain("Fix: check ssh_known_hosts against the fingerprints your GitLab instance publishes");
    expect(p.branch(STAGING)).toBeUndefined();
  });

  it("names the protected-branch setting when another deploy key may not push to the branch", async () => {
    const { project: p, main } = await project();
    const run = await promote(p, undefined, {
      component: "promote-staging",
      target: main[2] as string,
      inputs: sshInputs(p),
      env: { [KEY_VARIABLE]: strangerKey },
    });
    expect(run.code).toBe(5);
    expect(run.output).toContain("GitLab: You are not allowed to push code to protected branches on this project.");
    expect(run.output).toContain(
      `Fix: let the deploy key in ${KEY_VARIABLE} push: choose its user or deploy key under "Allowed to push and merge" of ${STAGING}`,
    );
    expect(p.branch(STAGING)).toBeUndefined();
  });

  it.each<{ what: string; inputs: Record<string, string>; key: () => string; error: string }>([
    {
      what: "no known hosts",
      inputs: { ssh_known_hosts: "" },
      key: () => promoterKey,
      error: 'ERROR: input ssh_known_hosts = "": is empty, and ssh_key_variable is set',
    },
    {
      what: "a known_hosts line that is none",
      inputs: { ssh_known_hosts: "gitlab.example.com" },
      key: () => promoterKey,
      error: 'ERROR: input ssh_known_hosts = "gitlab.example.com": is not a known_hosts line',
    },
    {
      what: "a variable without a private key",
      inputs: {},
      key: () => "not a key at all",
      error: `ERROR: input ssh_key_variable = "${KEY_VARIABLE}": the CI/CD variable ${KEY_VARIABLE} holds no private key (the value is withheld)`,
    },
    {
      what: "an HTTPS URL as the SSH URL",
      inputs: { ssh_repository_url: "https://gitlab.example.com/group/app.git" },
      key: () => promoterKey,
      error: 'ERROR: input ssh_repository_url = "https://gitlab.example.com/group/app.git": is not an SSH URL',
    },
  ])("refuses $what before anything is written or pushed", async ({ inputs, key, error }) => {
    const { project: p, main } = await project();
    const run = await promote(p, undefined, {
      component: "promote-staging",
      target: main[2] as string,
      inputs: { ...sshInputs(p), ...inputs },
      env: { [KEY_VARIABLE]: key() },
      keep: true,
    });
    try {
      expect(run.code).toBe(2);
      expect(run.output).toContain(error);
      expect(run.output).not.toContain("not a key at all");
      expect(readdirSync(run.tmpDir)).toEqual([]);
      expect(p.branch(STAGING)).toBeUndefined();
    } finally {
      run.cleanup();
    }
  });

  /** A project whose main (protected: only the deploy key's user pushes) holds a kustomization; returns it and the seed commit. */
  async function manifestsProject(): Promise<{ project: Project; seed: string; work: string }> {
    const p = new Project(git, `group/ssh-bump-${++n}`, [{ pattern: "main", user: PROMOTER }]);
    const work = mkdtempSync(path.join(tmpdir(), "gitops-ssh-bump-"));
    scratch.push(work);
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: "Dev",
      GIT_AUTHOR_EMAIL: "dev@example.com",
      GIT_COMMITTER_NAME: "Dev",
      GIT_COMMITTER_EMAIL: "dev@example.com",
    };
    mkdirSync(path.join(work, "deploy"));
    writeFileSync(path.join(work, "deploy", "kustomization.yaml"), `images:\n  - name: ${IMAGE}\n    newTag: "v1"\n`);
    for (const args of [
      ["init", "-q", "-b", "main"],
      ["add", "-A"],
      ["commit", "-q", "-m", "app"],
    ])
      await exec("git", args, { cwd: work, env });
    git.addToken("seed-token", PROMOTER);
    await exec("git", ["push", "-q", p.url.replace("http://", "http://seed:seed-token@"), "HEAD:refs/heads/main"], {
      cwd: work,
      env,
    });
    return { project: p, seed: p.branch("main") as string, work };
  }

  /** update-manifests in commit mode over SSH, for a pipeline of `pipelineCommit`; no token exists. */
  function bumpOverSsh(p: Project, pipelineCommit: string, work: string) {
    return runTemplateJob({
      component: "update-manifests",
      inputs: {
        manifests: "deploy/kustomization.yaml",
        image_name: IMAGE,
        ssh_key_variable: KEY_VARIABLE,
        ssh_known_hosts: ssh.knownHosts,
        ssh_repository_url: ssh.url(p.repoPath),
      },
      env: {
        CI_SERVER_URL: git.url,
        CI_PROJECT_PATH: p.repoPath,
        CI_DEFAULT_BRANCH: "main",
        CI_COMMIT_SHA: pipelineCommit,
        CI_PIPELINE_URL: "https://gitlab.example.com/group/app/-/pipelines/7",
        GITOPS_IMAGE: `${IMAGE}@sha256:${"3".repeat(64)}`,
        [KEY_VARIABLE]: fileVariable(promoterKey),
        GITLAB_USER_NAME: "Key Owner",
        GITLAB_USER_EMAIL: "owner@example.com",
      },
      cwd: work,
    });
  }

  it("update-manifests commits the bump over SSH in commit mode, with no token, and promote-staging over SSH promotes that bump for the same pipeline commit", async () => {
    const { project: p, seed, work } = await manifestsProject();
    const httpRequests = () => git.requests.filter((r) => r.path.startsWith(`/${p.repoPath}.git/`)).length;
    const seeded = httpRequests();
    const job = await bumpOverSsh(p, seed, work);
    expect(job.code, job.output).toBe(0);
    const bump = p.branch("main") as string;
    expect(bump).not.toBe(seed);
    expect(await p.git("log", "-1", "--format=%an <%ae>", bump)).toBe("Key Owner <owner@example.com>");
    // The trailers the promotion finds the bump by, and the guard of the bump's own pipeline reads.
    expect(
      await p.git(
        "log",
        "-1",
        "--format=%(trailers:key=GitOps-Source-Commit,valueonly)%(trailers:key=GitOps-Bump-Mode,valueonly)",
        bump,
      ),
    ).toBe(`${seed}\ncommit`);
    expect(ssh.sessions()).toContainEqual({ user: PROMOTER, service: "git-receive-pack", repo: `${p.repoPath}.git` });

    const run = await promote(p, undefined, {
      component: "promote-staging",
      target: seed,
      inputs: sshInputs(p),
      env: { [KEY_VARIABLE]: promoterKey },
    });
    expect(run.code, run.output).toBe(0);
    expect(p.branch(STAGING)).toBe(bump);
    // Both jobs talked SSH only: no HTTP request reached the repository after the seed push.
    expect(httpRequests()).toBe(seeded);
  });

  it("update-manifests over SSH refuses a pipeline commit that is not on main, and pushes nothing", async () => {
    const { project: p, seed, work } = await manifestsProject();
    const feature = await p.commit([seed], "feat: under review");
    await p.setBranch("feature", feature);
    const pushes = ssh
      .sessions()
      .filter((s) => s.repo === `${p.repoPath}.git` && s.service === "git-receive-pack").length;
    const job = await bumpOverSsh(p, feature, work);
    expect(job.code).toBe(3);
    expect(job.stderr).toContain(`this pipeline's commit ${feature.slice(0, 12)} is not on the default branch main`);
    expect(p.branch("main")).toBe(seed);
    expect(
      ssh.sessions().filter((s) => s.repo === `${p.repoPath}.git` && s.service === "git-receive-pack").length,
    ).toBe(pushes);
  });
});
