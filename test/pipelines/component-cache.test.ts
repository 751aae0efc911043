/**
 * The harness's answer to gitlab-ci-local's component race (harness/gitlab-ci-local.ts): a
 * component template it left half-written in the project's include cache is fetched afresh, not
 * read again by every later run. The race itself cannot be provoked on demand; what it leaves
 * behind can: an empty cached template, which gitlab-ci-local 4.73.0 reads as nothing, and copies a
 * failed run wrote but did not report.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startGitServer, type GitServer } from "../../stand-ins/git-server.ts";
import {
  createProject,
  gitlabCiLocal,
  publishCatalog,
  removeUnfinishedCopies,
  runAsGroup,
  type Project,
  type PublishedCatalog,
} from "../../harness/gitlab-ci-local.ts";
import { requireTools } from "../support/tools.ts";

/** A process's state letter from /proc/<pid>/stat (R, S, Z, ...), or undefined once it is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0];
  } catch {
    return undefined;
  }
}

/** Every file under `dir` named `name`. */
function filesNamed(dir: string, name: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name === name)
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe.skipIf(!requireTools("git", "rsync"))("gitlab-ci-local's component cache", () => {
  let server: GitServer;
  let catalog: PublishedCatalog;
  let project: Project;

  beforeAll(async () => {
    server = await startGitServer();
    catalog = await publishCatalog(server, { version: "1.0.0" });
    const ci = { include: [{ component: catalog.component("build") }] };
    project = await createProject({ files: { ".gitlab-ci.yml": stringify(ci) } });
  }, 120_000);

  afterAll(async () => {
    project?.remove();
    catalog?.remove();
    await server?.close();
  });

  it("fetches a half-written cached component afresh", async () => {
    const list = () => gitlabCiLocal(project, ["--list-json"], { gitConfig: catalog.gitConfig });
    const first = await list();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const cached = filesNamed(path.join(project.dir, ".gitlab-ci-local", "includes"), "template.yml");
    expect(cached.length).toBeGreaterThan(0);
    for (const file of cached) writeFileSync(file, "");
    const again = await list();
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const jobs = JSON.parse(again.stdout.slice(again.stdout.indexOf("["))) as Array<{ name: string }>;
    expect(jobs.map((job) => job.name)).toEqual(["build"]);
  });
});

describe("removeUnfinishedCopies", () => {
  it("removes what the failed run wrote and did not report as downloaded, and nothing else", () => {
    const cache = mkdtempSync(path.join(tmpdir(), "gitops-gcl-cache-"));
    try {
      const version = path.join(cache, "127.0.0.1", "platform", "gitops-components", "1.2.0", "templates");
      const file = (name: string) => path.join(version, name, "template.yml");
      for (const name of ["build", "test", "review"]) {
        mkdirSync(path.dirname(file(name)), { recursive: true });
        writeFileSync(file(name), "# cut short, or whole\n");
      }
      // gitlab-ci-local's own clone of the catalog, which no run reads: left alone.
      const clone = path.join(
        cache,
        "127.0.0.1",
        "platform",
        "gitops-components",
        "1.2.0.tmp-0.5",
        "templates",
        "build",
      );
      mkdirSync(clone, { recursive: true });
      writeFileSync(path.join(clone, "template.yml"), "");
      // review came from an earlier run: older than this one.
      const earlier = new Date(Date.now() - 60_000);
      utimesSync(file("review"), earlier, earlier);
      const since = Date.now() - 5_000;
      const output =
        "downloaded platform/gitops-components 1.2.0 templates/test in 321 ms\n" +
        "Component include could not be fetched { project: platform/gitops-components, ref: 1.2.0, file: templates/build.yml,templates/build/template.yml }\n";
      removeUnfinishedCopies(cache, output, since);
      expect(["build", "test", "review"].map((name) => existsSync(file(name)))).toEqual([false, true, true]);
      expect(existsSync(path.join(clone, "template.yml"))).toBe(true);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe("runAsGroup", () => {
  it("ends what the command left running when it exited", async () => {
    const run = await runAsGroup("bash", ["-c", "sleep 30 >/dev/null 2>&1 & echo $!"], {
      cwd: tmpdir(),
      env: process.env,
    });
    expect(run.code).toBe(0);
    const pid = Number(run.stdout.trim());
    // Ended: gone, or a zombie its new parent has not reaped yet.
    const alive = () => ![undefined, "Z"].includes(processState(pid));
    for (let i = 0; i < 50 && alive(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive()).toBe(false);
  });
});
