/**
 * `npx tsx bench/promote.ts [runs] [commits] [seed]` (part of `npm run bench`): what a promotion
 * costs on two synthetic 20,000-commit repositories of a few hundred MB (bench/promote-repo.ts: a
 * history of short merge requests, and a merge-heavy one with long-lived side branches), staging
 * 500 commits behind main, over loopback HTTP (the test git server: `git http-backend` behind a
 * Node bridge, with protected environment branches).
 *
 * In the same run it measures:
 * - script: the promote-staging job's script exactly as the generated template embeds it, run by
 *   bash as a runner would (bash, node, git; the script file is written before the clock starts),
 *   its promotion report included (the trees of changed directories, the changed manifests' blobs);
 * - naive:  a full clone, `checkout` of staging, `merge --ff-only origin/main`, push;
 * - floor:  `git init`, a `--filter=tree:0` fetch of the two refs, push - no checks at all.
 * Time is wall time of the whole step (median of the runs); bytes are TCP payload both ways,
 * counted by a proxy in front of the server in one extra run of each (the timed runs go direct).
 * Staging is reset before every run and checked after.
 *
 * Everything it writes goes to a temporary directory under $TMPDIR, removed at the end; set
 * BENCH_CACHE_DIR to keep the built repositories there between runs. BENCH_SHORT=1 runs tiny
 * repositories once (the test that keeps the benchmark from rotting).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { run } from "../runtime/exec.ts";
import { Git } from "../runtime/git.ts";
import { startGitServer } from "../stand-ins/git-server.ts";
import { gitProcesses } from "../harness/git-trace.ts";
import { expandVariables, includeTemplate, scriptCommands } from "../harness/templates.ts";
import { benchRepository, type HistoryShape } from "./promote-repo.ts";

const STAGING = "_gitlab/agents/staging";
const BOT = "promotion-bot";
const SHORT = process.env.BENCH_SHORT === "1";
const BEHIND = SHORT ? 30 : 500;
const SHAPES: HistoryShape[] = ["short-lived", "merge-heavy"];

/** A TCP relay that counts payload bytes each way. */
async function byteCounter(targetPort: number) {
  const counts = { down: 0, up: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    client.on("data", (d) => (counts.up += d.length));
    upstream.on("data", (d) => (counts.down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    counts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await run("git", args, { cwd });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The first-parent ancestor of main with at least `behind` commits between it and main. */
async function startPoint(repo: string, behind: number): Promise<string> {
  const line = (await git(repo, "rev-list", "--first-parent", "main")).split("\n");
  let lo = 0;
  let hi = line.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Number(await git(repo, "rev-list", "--count", `${line[mid]}..main`)) >= behind) hi = mid;
    else lo = mid + 1;
  }
  return line[lo] as string;
}

interface Sample {
  seconds: number;
  down: number;
  up: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mb = (bytes: number) => (bytes / 1e6).toFixed(2);

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? (SHORT ? 1 : 7));
  const size = Number(process.argv[3] ?? (SHORT ? 300 : 20_000));
  const seed = Number(process.argv[4] ?? 1);
  const scratch = mkdtempSync(path.join(tmpdir(), "gitops-bench-promote-"));
  const server = await startGitServer();
  try {
    for (const shape of SHAPES) {
      console.log(`\n## ${shape} history\n\nBuilding (or reusing) the ${size}-commit repository...`);
      const cache = await benchRepository(
        process.env.BENCH_CACHE_DIR ?? path.join(scratch, "repositories"),
        shape,
        size,
        seed,
        console.log,
      );
      await measure(server, scratch, shape, cache, runs);
    }
  } finally {
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(
    `\nload average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} (${cpus().length} CPUs)`,
  );
}

/** Measures every strategy on the repository `cache` (a bare repository whose objects the server shares). */
async function measure(
  server: Awaited<ReturnType<typeof startGitServer>>,
  scratch: string,
  shape: HistoryShape,
  cache: string,
  runs: number,
): Promise<void> {
  const token = `glpat-${randomBytes(12).toString("hex")}`;
  server.addToken(token, BOT);
  server.createRepo(`bench/${shape}`, { protect: [{ pattern: "_gitlab/agents/*", user: BOT }] });
  const repo = path.join(server.root, `bench/${shape}.git`);
  // The server repository shares the cached objects (nothing is copied) and gets main.
  rmSync(path.join(repo, "objects"), { recursive: true, force: true });
  symlinkSync(path.join(cache, "objects"), path.join(repo, "objects"));
  const tip = await git(cache, "rev-parse", "main");
  await git(repo, "update-ref", "refs/heads/main", tip);
  const start = await startPoint(repo, BEHIND);
  const proxy = await byteCounter(Number(new URL(server.url).port));
  const proxyUrl = `http://127.0.0.1:${proxy.port}/bench/${shape}.git`;
  const directUrl = `${server.url}/bench/${shape}.git`;
  const [commits, merges, counted] = await Promise.all([
    git(repo, "rev-list", "--count", "main"),
    git(repo, "rev-list", "--count", "--merges", "main"),
    git(repo, "count-objects", "-v"),
  ]);
  const behind = await git(repo, "rev-list", "--count", `${start}..main`);
  console.log(
    `repository: ${commits} commits (${merges} merges), ${counted.match(/size-pack: (\d+)/)?.[1]} KiB packed; staging ${behind} commits behind main`,
  );

  // The job's script as the runner gets it: the template's job with its inputs and variables
  // resolved, written to a file before the clock starts (a runner does that too).
  const jobScript = (repositoryUrl: string) => {
    const job = includeTemplate("promote-staging", { repository_url: repositoryUrl })["promote-staging"] as {
      variables: Record<string, unknown>;
      script: unknown;
    };
    const ci = { CI_COMMIT_SHA: tip, CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main", GITOPS_STAGING_TOKEN: token };
    const variables: Record<string, string> = {};
    for (const [key, value] of Object.entries(job.variables))
      variables[key] = expandVariables(String(value), { ...ci, ...variables });
    return { env: { ...ci, ...variables }, text: `set -eo pipefail\n${scriptCommands(job.script).join("\n")}\n` };
  };
  const strategies: Record<string, (work: string, url: string) => Promise<void>> = {
    script: async (work, url) => {
      const { env, text } = jobScript(url);
      const file = path.join(work, "job.sh");
      writeFileSync(file, text);
      const projectDir = path.join(work, "project");
      mkdirSync(projectDir);
      // git's trace2 events name when the push's git process exited: when the environment moved.
      const events = path.join(work, "trace2.json");
      const startedAt = Date.now();
      const started = performance.now();
      const job = await run("bash", [file], {
        cwd: projectDir,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TMPDIR: work,
          CI_PROJECT_DIR: projectDir,
          ...env,
          GIT_TRACE2_EVENT: events,
        },
      });
      scriptSeconds = (performance.now() - started) / 1000;
      if (job.code !== 0 || !job.stdout.includes("fast-forward"))
        throw new Error(`the promote script failed:\n${job.stdout}${job.stderr}`);
      const moments = traceMoments(readFileSync(events, "utf8"));
      pushedSeconds = (moments.pushExit - startedAt) / 1000;
      firstGitSeconds = (moments.firstStart - startedAt) / 1000;
      // What the promotion report covered (report.ts): its counts, as the job logged them.
      reportLine = /\d+ commits?, \d+ merge requests?, \d+ image changes?/.exec(job.stdout)?.[0] ?? "(no report line)";
    },
    naive: async (work, url) => {
      const g = new Git(work, { token });
      await g.run(["clone", "-q", url, "w"]);
      const w = new Git(path.join(work, "w"), { token });
      await w.run(["checkout", "-q", "-b", STAGING, `origin/${STAGING}`]);
      await w.run(["merge", "-q", "--ff-only", "origin/main"]);
      await w.run(["push", "-q", "-o", "ci.skip", "origin", `HEAD:refs/heads/${STAGING}`]);
    },
    floor: async (work, url) => {
      const g = new Git(path.join(work, "w"), { token });
      await g.init();
      await g.run(["remote", "add", "origin", url]);
      await g.run([
        "fetch",
        "-q",
        "--filter=tree:0",
        "--no-tags",
        "origin",
        "+refs/heads/main:refs/remotes/origin/main",
        `+refs/heads/${STAGING}:refs/remotes/origin/${STAGING}`,
      ]);
      const sha = await g.run(["rev-parse", "refs/remotes/origin/main"]);
      await g.run(["push", "-q", "-o", "ci.skip", "origin", `${sha}:refs/heads/${STAGING}`]);
    },
  };
  let scriptSeconds = 0;
  let pushedSeconds = 0;
  let firstGitSeconds = 0;
  let reportLine = "";
  // Not a strategy: what starting Node alone costs here, the script's fixed overhead over the floor.
  strategies["node start-up"] = async () => {
    const r = await run("node", ["-e", "0"]);
    if (r.code !== 0) throw new Error("node -e 0 failed");
  };

  /**
   * One run of a strategy from a fresh directory, staging reset; returns its wall time in seconds,
   * from the strategy's first step to its last (removing the directory is not timed, for any of
   * them). Dirty pages are written out first: the naive clone writes hundreds of MB, whose
   * write-back would otherwise slow whichever strategy comes next.
   */
  const once = async (name: string, url: string): Promise<number> => {
    await git(repo, "update-ref", `refs/heads/${STAGING}`, start);
    await run("sync", []);
    const work = mkdtempSync(path.join(scratch, `${name.replace(/\W+/g, "-")}-`));
    const began = performance.now();
    let ended = began;
    try {
      await strategies[name]?.(work, url);
      ended = performance.now();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const seconds = name === "script" ? scriptSeconds : (ended - began) / 1000;
    if (name === "script") lastPushed = [pushedSeconds, firstGitSeconds];
    const now = await git(repo, "rev-parse", `refs/heads/${STAGING}`);
    if (name !== "node start-up" && now !== tip)
      throw new Error(`${name} left staging at ${now}, not main's tip ${tip}`);
    return seconds;
  };

  let lastPushed = [0, 0];
  const pushed: number[] = [];
  const beforeGit: number[] = [];
  const samples: Record<string, Sample[]> = { script: [], naive: [], floor: [], "node start-up": [] };
  // Bytes: one run of each through the counting proxy. Time: direct runs (no proxy in the way),
  // one warm-up of each first (page cache, bitmaps), the script, the floor and Node's start
  // interleaved so that other load on the machine affects them alike; the naive clones come after
  // them, since removing hundreds of MB of checkout slows whatever runs next.
  const bytes: Record<string, { down: number; up: number }> = {};
  for (const name of ["script", "naive", "floor"]) {
    proxy.counts.down = 0;
    proxy.counts.up = 0;
    await once(name, proxyUrl);
    bytes[name] = { ...proxy.counts };
    process.stdout.write(
      `bytes ${name}: ${mb(proxy.counts.down)} MB down, ${(proxy.counts.up / 1e3).toFixed(1)} kB up\n`,
    );
  }
  // The short mode (a test) skips the warm-up: it only proves the benchmark runs.
  const rounds = [["script", "floor", "node start-up"], ["naive"]];
  for (const round of rounds)
    for (let i = SHORT ? 0 : -1; i < runs; i++) {
      for (const name of round) {
        const seconds = await once(name, directUrl);
        if (i >= 0) samples[name]?.push({ seconds, down: bytes[name]?.down ?? 0, up: bytes[name]?.up ?? 0 });
        if (i >= 0 && name === "script") {
          pushed.push(lastPushed[0] as number);
          beforeGit.push(lastPushed[1] as number);
        }
        process.stdout.write(`${i < 0 ? "warm-up" : `run ${i + 1}`} ${name}: ${seconds.toFixed(2)} s\n`);
      }
    }
  await proxy.close();

  const summary = Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [
      name,
      {
        time: median(s.map((x) => x.seconds)),
        min: Math.min(...s.map((x) => x.seconds)),
        max: Math.max(...s.map((x) => x.seconds)),
        down: median(s.map((x) => x.down)),
        up: median(s.map((x) => x.up)),
      },
    ]),
  ) as Record<string, { time: number; min: number; max: number; down: number; up: number }>;
  const { script, naive, floor } = summary as Record<"script" | "naive" | "floor", (typeof summary)[string]>;
  const label: Record<string, string> = {
    script: "promote-staging (embedded script)",
    naive: "naive: full clone, merge --ff-only, push",
    floor: "floor: init, tree:0 fetch of 2 refs, push",
    "node start-up": "(for reference: `node -e 0`)",
  };
  console.log(
    `\n${shape} history: ${commits} commits (${merges} merges), staging ${behind} behind, median of ${runs} run${runs === 1 ? "" : "s"}${SHORT ? "" : " (after one warm-up)"}, loopback HTTP`,
  );
  console.log(`promotion report of each script run: ${reportLine}\n`);
  console.log("| strategy | time (median, min–max) | bytes down | bytes up |");
  console.log("|---|---|---|---|");
  for (const [name, s] of Object.entries(summary))
    console.log(
      `| ${label[name]} | ${s.time.toFixed(2)} s (${s.min.toFixed(2)}–${s.max.toFixed(2)}) | ${name in bytes ? `${mb(s.down)} MB` : "–"} | ${name in bytes ? `${(s.up / 1e3).toFixed(1)} kB` : "–"} |`,
    );
  const movedAt = median(pushed);
  console.log(
    `| promote-staging until its push ended (the environment moved) | ${movedAt.toFixed(2)} s (${Math.min(...pushed).toFixed(2)}–${Math.max(...pushed).toFixed(2)}) | | |`,
  );
  const faster = naive.time / script.time;
  const fewer = (naive.down + naive.up) / (script.down + script.up);
  const overFloor = script.time / floor.time;
  console.log("");
  console.log(
    `script vs naive: ${faster.toFixed(1)}× faster (target ≥ 10×) ${faster >= 10 ? "✔" : "✘"}; ${fewer.toFixed(0)}× fewer bytes (target ≥ 50×) ${fewer >= 50 ? "✔" : "✘"}`,
  );
  console.log(
    `script vs floor: ${overFloor.toFixed(2)}× the floor's time (target ≤ 1.2×) ${overFloor <= 1.2 ? "✔" : "✘"}; ${((script.down + script.up) / (floor.down + floor.up)).toFixed(2)}× its bytes`,
  );
  const started = median(beforeGit);
  console.log(
    `environment moved after ${(movedAt / floor.time).toFixed(2)}× the floor's time; the job ended ${(script.time - movedAt).toFixed(2)} s later (the promotion report, the outputs)`,
  );
  // The floor starts no runtime: bash, the script files and Node come before the job's first git command.
  console.log(
    `from its first git command (bash and Node took ${started.toFixed(2)} s before it): the job's git work ${((script.time - started) / floor.time).toFixed(2)}× the floor's time, the environment moved at ${((movedAt - started) / floor.time).toFixed(2)}×`,
  );
  // A bound for this job, not a measurement of one: the floor's git work plus what the job spends
  // before its first git command (bash writing its files, Node loading the script).
  const least = (floor.time + started) / floor.time;
  console.log(
    `the floor's git work started after this job's bash and Node: ${least.toFixed(2)}× the floor's time (the least this job can take, unless its git work beats the floor's)`,
  );
  // Fastest runs: the least disturbed by other load on the machine.
  console.log(
    `fastest runs: script ${script.min.toFixed(2)} s, naive ${naive.min.toFixed(2)} s, floor ${floor.min.toFixed(2)} s → ${(naive.min / script.min).toFixed(1)}× faster than naive, ${(script.min / floor.min).toFixed(2)}× the floor`,
  );
}

/** When the first git command started and the top-level `git push` exited (epoch ms), from a GIT_TRACE2_EVENT file. */
function traceMoments(trace: string): { firstStart: number; pushExit: number } {
  const processes = gitProcesses(trace);
  const push = processes.find((p) => !p.sid.includes("/") && p.argv[1] === "push");
  if (push?.exited === undefined || processes[0] === undefined)
    throw new Error("the script's trace has no git push that exited");
  return { firstStart: processes[0].started, pushExit: push.exited };
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
