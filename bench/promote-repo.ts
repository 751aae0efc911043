/**
 * The promotion benchmark's repository: a synthetic GitOps monorepo of 20,000 commits and a few
 * hundred MB of history (research/promotion.md B1), written with `git fast-import` from a seeded
 * generator and cached under /tmp between runs.
 *
 * Shape: 300 apps × 4 YAML files; ~75 % direct commits bumping 1–3 image tags, ~25 % "merge
 * requests" (1–3 side commits and a merge commit); about 1 % of commits vendor a random
 * 0.5–2 MiB `charts/*.tgz` (incompressible), sometimes deleting an old one.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";

/** Where built repositories are cached. */
export const CACHE = "/tmp/gitops-bench";

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

/**
 * Returns the bare repository with `commits` commits (building it once; later calls reuse it).
 * `main` is the only branch.
 */
export async function benchRepository(commits = 20_000, seed = 1, log: (s: string) => void = () => {}): Promise<string> {
  const dir = path.join(CACHE, `r${commits}-s${seed}.git`);
  if (existsSync(path.join(dir, "gitops-bench-complete"))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  git(CACHE, "init", "-q", "--bare", "-b", "main", building);
  const started = Date.now();
  const child = spawn("git", ["fast-import", "--done", "--quiet"], { cwd: building, stdio: ["pipe", "inherit", "inherit"] });
  const write = async (chunk: string | Buffer) => {
    if (!child.stdin.write(chunk)) await once(child.stdin, "drain");
  };
  const random = prng(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const files = new Map<string, string>();
  const apps = 300;
  const filler = (n: number, salt: string) => Array.from({ length: n }, (_, i) => `  # ${salt} setting ${i}: ${"x".repeat(20 + ((i * 7) % 40))}`).join("\n");
  for (let a = 0; a < apps; a++) {
    const app = `app-${String(a).padStart(3, "0")}`;
    files.set(`apps/${app}/deployment.yaml`, `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${app}\n          image: registry.example.com/${app}:v0.0.0\n${filler(10 + pick(30), app)}\n`);
    files.set(`apps/${app}/service.yaml`, `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\n${filler(10 + pick(20), app)}\n`);
    files.set(`apps/${app}/kustomization.yaml`, `resources:\n  - deployment.yaml\n  - service.yaml\n${filler(10 + pick(20), app)}\n`);
    files.set(`apps/${app}/config.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}\n${filler(15 + pick(30), app)}\n`);
  }
  let mark = 0;
  let time = 1_700_000_000;
  const charts: string[] = [];
  let chartCounter = 0;
  const inline = (p: string, content: string | Buffer) => {
    const data = typeof content === "string" ? Buffer.from(content) : content;
    return Buffer.concat([Buffer.from(`M 100644 inline ${p}\ndata ${data.length}\n`), data, Buffer.from("\n")]);
  };
  const commit = async (ref: string, message: string, from: number | undefined, merge: number | undefined, changes: Buffer[]) => {
    mark++;
    const msg = Buffer.from(message);
    time += 60;
    await write(`commit ${ref}\nmark :${mark}\ncommitter Bench <bench@example.com> ${time} +0000\ndata ${msg.length}\n${message}\n`);
    if (from !== undefined) await write(`from :${from}\n`);
    if (merge !== undefined) await write(`merge :${merge}\n`);
    for (const c of changes) await write(c);
    await write("\n");
    return mark;
  };
  const bump = () => {
    const changes: Buffer[] = [];
    for (let i = 0, n = 1 + pick(3); i < n; i++) {
      const app = `app-${String(pick(apps)).padStart(3, "0")}`;
      const file = `apps/${app}/deployment.yaml`;
      const content = (files.get(file) as string).replace(/:v\d+\.\d+\.\d+\n/, `:v${pick(9)}.${pick(99)}.${pick(999)}\n`);
      files.set(file, content);
      changes.push(inline(file, content));
    }
    if (random() < 0.01) {
      const chart = `charts/vendor-${String(++chartCounter).padStart(4, "0")}.tgz`;
      charts.push(chart);
      changes.push(inline(chart, randomBytes(random, 512 * 1024 + pick(1536 * 1024))));
      if (charts.length > 20 && random() < 0.5) changes.push(Buffer.from(`D ${charts.splice(pick(charts.length), 1)[0]}\n`));
    }
    return changes;
  };

  let count = 0;
  let main = await commit("refs/heads/main", "Initial manifests", undefined, undefined, [...files].map(([p, c]) => inline(p, c)));
  count++;
  let mr = 0;
  while (count < commits) {
    if (random() < 0.25 && count + 2 <= commits) {
      mr++;
      let side = main;
      const sideCommits = Math.min(1 + pick(3), commits - count - 1);
      for (let i = 0; i < sideCommits; i++) {
        side = await commit("refs/heads/mr", `MR ${mr}: change ${i + 1}`, side, undefined, bump());
        count++;
      }
      if (random() < 0.3 && count + 2 <= commits) {
        main = await commit("refs/heads/main", `Direct change ${count}`, main, undefined, bump());
        count++;
      }
      main = await commit("refs/heads/main", `Merge branch 'mr-${mr}' into 'main'`, main, side, []);
      count++;
    } else {
      main = await commit("refs/heads/main", `Bump images (${count})`, main, undefined, bump());
      count++;
    }
    if (count % 2000 === 0) log(`  … ${count} commits`);
  }
  await write("done\n");
  child.stdin.end();
  const [code] = await once(child, "close");
  if (code !== 0) throw new Error(`git fast-import exited ${code}`);
  git(building, "update-ref", "-d", "refs/heads/mr");
  log(`  imported ${count} commits in ${((Date.now() - started) / 1000).toFixed(1)} s; repacking`);
  git(building, "-c", "pack.threads=2", "repack", "-a", "-d", "-b", "-q", "--window=10", "--depth=50");
  spawnSync("touch", [path.join(building, "gitops-bench-complete")]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  log(`  built ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

if (process.argv[1]?.endsWith("promote-repo.ts")) {
  benchRepository(Number(process.argv[2] ?? 20_000), Number(process.argv[3] ?? 1), console.log).then((dir) => console.log(dir));
}
