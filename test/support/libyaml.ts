/**
 * GitLab's YAML parser, reached from the tests: GitLab loads CI configuration with Psych, Ruby's
 * binding of libyaml (YAML 1.1). PyYAML's `CSafeLoader` is the same C parser with a YAML 1.1
 * resolver (Debian's python3-yaml), so a template that reads the same here and with the `yaml`
 * package (YAML 1.2, what the generator and the tests use) reads the same in GitLab.
 */
import { spawnSync } from "node:child_process";

/** The interpreter with python3-yaml (Debian's, not whatever `python3` a PATH finds first). */
const PYTHON = "/usr/bin/python3";
const INSTALL = "apt-get install -y python3-yaml";

/**
 * Loads every document with CSafeLoader and prints them as JSON. A value JSON cannot carry as
 * itself (a non-string key such as the boolean YAML 1.1 makes of `on:`, a timestamp) becomes a
 * string that says what libyaml made of it, so it can never compare equal by accident.
 */
const LOADER = String.raw`
import datetime, json, sys, yaml
def plain(v):
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else "!key %s %r" % (type(k).__name__, k)): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, (datetime.date, datetime.datetime, bytes, set)):
        return "!%s %r" % (type(v).__name__, v)
    return v
docs = [plain(d) for d in yaml.load_all(sys.stdin.read(), Loader=yaml.CSafeLoader)]
sys.stdout.write(json.dumps(docs))
`;

/**
 * True when libyaml is reachable through PyYAML. When it is not: under CI=true, throws (the suite
 * fails); otherwise prints how to install it and returns false (use with `describe.skipIf(!…)`).
 */
export function requireLibyaml(): boolean {
  const probe = spawnSync(PYTHON, ["-c", "import yaml; yaml.CSafeLoader"], { encoding: "utf8" });
  if (probe.status === 0) return true;
  const why = `libyaml through PyYAML (${PYTHON} with yaml.CSafeLoader) is missing: ${INSTALL}`;
  if (process.env.CI === "true") throw new Error(`${why}. .ci/run must install it.`);
  console.warn(`skipping the YAML 1.1 parse tests — ${why}`);
  return false;
}

/** Every document of `text` as libyaml reads it (see {@link LOADER} for values JSON cannot carry). */
export function parseWithLibyaml(text: string): unknown[] {
  const result = spawnSync(PYTHON, ["-c", LOADER], { input: text, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`libyaml refused the YAML: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as unknown[];
}
