/**
 * The promotion benchmark's repositories: synthetic GitOps monorepos written with `git fast-import`
 * from a seeded generator (the same seed builds the same history), in two shapes:
 *
 * - `short-lived`: ~75 % direct commits on main bumping 1-3 image tags, ~25 % "merge requests"
 *   of 1-3 side commits merged at once (about 16 % of all commits are merges);
 * - `merge-heavy`: as real projects grow: 40 side branches open at any time, each taking commits
 *   while main moves on, merged back (a quarter of them long-lived, merged again and again, the
 *   rest replaced by a fresh branch from main once merged), and main merged into side branches
 *   now and then; about a quarter of all commits are merges.
 *
 * 300 apps x 4 YAML files; about 1 % of commits vendor a random 0.5-2 MiB `charts/*.tgz`
 * (incompressible), sometimes deleting an old one, so the history weighs a few hundred MB.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";

/** How the history branches and merges. */
export type HistoryShape = "short-lived" | "merge-heavy";

/** Seeded PRNG (mulberry32): the same seed builds the same repository. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(random: () => number, size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = Math.floor(random() * 0xffffffff) | 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer, 0, size);
}

function git(dir: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd: dir, encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Writes a fast-import stream: commits with marks, on named refs. */
class History {
  private mark = 0;
  private time = 1_700_000_000;
  count = 0;

  constructor(private readonly write: (chunk: string | Buffer) => Promise<void>) {}

  /** One commit on `ref` (its first parent `from`, a second parent `merge`); returns its mark. */
  async commit(
    ref: string,
    message: string,
    from: number | undefined,
    merge: number | undefined,
    changes: Buffer[],
  ): Promise<number> {
    this.mark++;
    this.count++;
    this.time += 60;
    const msg = Buffer.from(message);
    await this.write(
      `commit ${ref}\nmark :${this.mark}\ncommitter Bench <bench@example.com> ${this.time} +0000\ndata ${msg.length}\n${message}\n`,
    );
    if (from !== undefined) await this.write(`from :${from}\n`);
    if (merge !== undefined) await this.write(`merge :${merge}\n`);
    for (const c of changes) await this.write(c);
    await this.write("\n");
    return this.mark;
  }
}

/**
 * Returns the bare repository `<dir>/<shape>-<commits>-s<seed>.git` with `commits` commits on
 * `main`, its only branch, building it once (later calls with the same `dir` reuse it).
 */
export async function benchRepository(
  dir: string,
  shape: HistoryShape,
  commits: number,
  seed = 1,
  log: (s: string) => void = () => {},
): Promise<string> {
  const repo = path.join(dir, `${shape}-${commits}-s${seed}.git`);
  if (existsSync(path.join(repo, "gitops-bench-complete"))) return repo;
  mkdirSync(dir, { recursive: true });
  const building = `${repo}.building`;
  rmSync(building, { recursive: true, force: true });
  git(dir, "init", "-q", "--bare", "-b", "main", building);
  const started = Date.now();
  const child = spawn("git", ["fast-import", "--done", "--quiet"], {
    cwd: building,
    stdio: ["pipe", "inherit", "inherit"],
  });
  const write = async (chunk: string | Buffer) => {
    if (!child.stdin.write(chunk)) await once(child.stdin, "drain");
  };
  const random = prng(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const files = new Map<string, string>();
  const apps = 300;
  const filler = (n: number, salt: string) =>
    Array.from({ length: n }, (_, i) => `  # ${salt} setting ${i}: ${"x".repeat(20 + ((i * 7) % 40))}`).join("\n");
  for (let a = 0; a < apps; a++) {
    const app = `app-${String(a).padStart(3, "0")}`;
    files.set(
      `apps/${app}/deployment.yaml`,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${app}\n          image: registry.example.com/${app}:v0.0.0\n${filler(10 + pick(30), app)}\n`,
    );
    files.set(
      `apps/${app}/service.yaml`,
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\n${filler(10 + pick(20), app)}\n`,
    );
    files.set(
      `apps/${app}/kustomization.yaml`,
      `resources:\n  - deployment.yaml\n  - service.yaml\n${filler(10 + pick(20), app)}\n`,
    );
    files.set(
      `apps/${app}/config.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}\n${filler(15 + pick(30), app)}\n`,
    );
  }
  const charts: string[] = [];
  let chartCounter = 0;
  const inline = (p: string, content: string | Buffer) => {
    const data = typeof content === "string" ? Buffer.from(content) : content;
    return Buffer.concat([Buffer.from(`M 100644 inline ${p}\ndata ${data.length}\n`), data, Buffer.from("\n")]);
  };
  const bump = () => {
    const changes: Buffer[] = [];
    for (let i = 0, n = 1 + pick(3); i < n; i++) {
      const app = `app-${String(pick(apps)).padStart(3, "0")}`;
      const file = `apps/${app}/deployment.yaml`;
      const content = (files.get(file) as string).replace(
        /:v\d+\.\d+\.\d+\n/,
        `:v${pick(9)}.${pick(99)}.${pick(999)}\n`,
      );
      files.set(file, content);
      changes.push(inline(file, content));
    }
    if (random() < 0.01) {
      const chart = `charts/vendor-${String(++chartCounter).padStart(4, "0")}.tgz`;
      charts.push(chart);
      changes.push(inline(chart, randomBytes(random, 512 * 1024 + pick(1536 * 1024))));
      if (charts.length > 20 && random() < 0.5)
        changes.push(Buffer.from(`D ${charts.splice(pick(charts.length), 1)[0]}\n`));
    }
    return changes;
  };

  const history = new History(write);
  const main = await history.commit(
    "refs/heads/main",
    "Initial manifests",
    undefined,
    undefined,
    [...files].map(([p, c]) => inline(p, c)),
  );
  const refs =
    shape === "short-lived"
      ? await shortLived(history, main, commits, random, bump, log)
      : await mergeHeavy(history, main, commits, random, bump, log);
  await write("done\n");
  child.stdin.end();
  const [code] = await once(child, "close");
  if (code !== 0) throw new Error(`git fast-import exited ${code}`);
  for (const ref of refs) git(building, "update-ref", "-d", ref);
  log(`  imported ${history.count} commits in ${((Date.now() - started) / 1000).toFixed(1)} s; repacking`);
  git(building, "-c", "pack.threads=2", "repack", "-a", "-d", "-b", "-q", "--window=10", "--depth=50");
  writeFileSync(path.join(building, "gitops-bench-complete"), "");
  rmSync(repo, { recursive: true, force: true });
  renameSync(building, repo);
  log(`  built ${repo} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return repo;
}

type Bump = () => Buffer[];

/** Short merge requests: 1-3 side commits merged at once. Returns the refs to delete. */
async function shortLived(
  history: History,
  start: number,
  commits: number,
  random: () => number,
  bump: Bump,
  log: (s: string) => void,
): Promise<string[]> {
  const pick = (n: number) => Math.floor(random() * n);
  let main = start;
  let mr = 0;
  while (history.count < commits) {
    if (random() < 0.25 && history.count + 2 <= commits) {
      mr++;
      let side = main;
      const sideCommits = Math.min(1 + pick(3), commits - history.count - 1);
      for (let i = 0; i < sideCommits; i++)
        side = await history.commit("refs/heads/mr", `MR ${mr}: change ${i + 1}`, side, undefined, bump());
      if (random() < 0.3 && history.count + 2 <= commits)
        main = await history.commit("refs/heads/main", `Direct change ${history.count}`, main, undefined, bump());
      main = await history.commit("refs/heads/main", `Merge branch 'mr-${mr}' into 'main'`, main, side, []);
    } else main = await history.commit("refs/heads/main", `Bump images (${history.count})`, main, undefined, bump());
    if (history.count % 2000 === 0) log(`  ... ${history.count} commits`);
  }
  return ["refs/heads/mr"];
}

/** How many side branches are open at once, and which share of them live on after a merge. */
const OPEN_BRANCHES = 40;
const LONG_LIVED = 10;

/**
 * Many side branches open at once, merged back while main moves on; some long-lived. Per step:
 * a side-branch commit (half the time), a direct commit on main, a merge of a side branch into
 * main, or a merge of main into a side branch. Returns the refs to delete.
 */
async function mergeHeavy(
  history: History,
  start: number,
  commits: number,
  random: () => number,
  bump: Bump,
  log: (s: string) => void,
): Promise<string[]> {
  const pick = (n: number) => Math.floor(random() * n);
  let main = start;
  // Each side branch: its tip, and whether it has commits main lacks.
  const sides = Array.from({ length: OPEN_BRANCHES }, () => ({ tip: start, ahead: false, name: 0 }));
  let named = 0;
  for (const side of sides) side.name = ++named;
  while (history.count < commits) {
    const roll = random();
    const i = pick(OPEN_BRANCHES);
    const side = sides[i] as (typeof sides)[number];
    const ref = `refs/heads/side-${i}`;
    if (roll < 0.45 || (roll < 0.7 && !side.ahead)) {
      side.tip = await history.commit(ref, `Side ${side.name}: change`, side.tip, undefined, bump());
      side.ahead = true;
    } else if (roll < 0.7) {
      main = await history.commit(
        "refs/heads/main",
        `Merge branch 'side-${side.name}' into 'main'`,
        main,
        side.tip,
        [],
      );
      side.ahead = false;
      // A short-lived branch is done; a fresh one starts from main.
      if (i >= LONG_LIVED) Object.assign(side, { tip: main, name: ++named });
    } else if (roll < 0.78 && side.ahead) {
      side.tip = await history.commit(ref, `Merge branch 'main' into 'side-${side.name}'`, side.tip, main, []);
    } else main = await history.commit("refs/heads/main", `Bump images (${history.count})`, main, undefined, bump());
    if (history.count % 2000 === 0) log(`  ... ${history.count} commits`);
  }
  return sides.map((_, i) => `refs/heads/side-${i}`);
}
