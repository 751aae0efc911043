/**
 * A stand-in for the GitLab REST endpoints `setup` calls, on 127.0.0.1 at a port chosen at run
 * time. No GitLab exists here, so it answers as GitLab's API documentation and source say, for the
 * edition and tier it plays, and refuses anything outside that contract (recorded in `unexpected`,
 * which a test expects empty):
 *
 * - protected branches (doc/api/protected_branches.md; lib/api/protected_branches.rb): POST is 201,
 *   409 "Protected branch '<name>' already exists", 422 with the validation messages; a name with a
 *   raw `/` in the path is not found (NO_SLASH_URL_PART_REGEX: it must be URL-encoded); on an EE
 *   build without the licensed feature a user or group grant fails validation (422,
 *   ee/app/models/concerns/ee/protected_ref_access.rb `absence: true`), and a CE build drops it;
 * - project access tokens (doc/api/project_access_tokens.md; lib/api/resource_access_tokens.rb maps
 *   every service error to 400): create is 201 with `token` (only here and on rotate), refused with
 *   400 "User does not have permission to create project access token" on GitLab.com Free; rotate
 *   revokes the old token and returns a new one with a new id for the same bot user;
 * - variables (doc/api/project_level_variables.md): a duplicate key in a scope is 400
 *   `{"message":{"key":["(KEY) has already been taken"]}}`, not 409; masked values must be 8+
 *   characters of the masking alphabet; hidden values are listed as null;
 * - deploy keys (doc/api/deploy_keys.md), metadata, license (403 without an administrator),
 *   namespaces (a plan only on GitLab.com), projects and raw repository files.
 *
 * Exact texts marked "as GitLab words it" come from the sources above; the rest say the same thing.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { booleanParam, integerParam, parseRackQuery } from "./rack-params.ts";

/** What the stand-in plays. */
export type StandInEdition = "premium" | "ultimate" | "free-ee" | "ce" | "free-dotcom";

/** One access entry of a protected branch, as GitLab returns it. */
export interface StandInAccess {
  id: number;
  access_level: number | null;
  access_level_description: string;
  user_id: number | null;
  group_id: number | null;
  deploy_key_id: number | null;
}

/** A protected branch rule. */
export interface StandInRule {
  id: number;
  name: string;
  push_access_levels: StandInAccess[];
  merge_access_levels: StandInAccess[];
  allow_force_push: boolean;
  code_owner_approval_required: boolean;
}

/** A project access token, with its value (which GitLab shows once). */
export interface StandInToken {
  id: number;
  name: string;
  scopes: string[];
  access_level: number;
  expires_at: string;
  active: boolean;
  revoked: boolean;
  user_id: number;
  created_at: string;
  token: string;
}

/** A project variable. */
export interface StandInVariable {
  key: string;
  value: string;
  variable_type: "env_var" | "file";
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
  environment_scope: string;
  description: string | null;
}

/** A deploy key enabled for the project. */
export interface StandInDeployKey {
  id: number;
  title: string;
  key: string;
  can_push: boolean;
  created_at: string;
}

/** One request as the stand-in saw it. */
export interface RecordedRequest {
  method: string;
  /** The path as sent (still URL-encoded), without the query. */
  path: string;
  /** Query and body parameters, merged as GitLab merges them. */
  params: Record<string, unknown>;
  status: number;
}

/** How to start it. */
export interface ProjectApiOptions {
  /** The GITLAB_TOKEN it accepts. */
  token: string;
  edition: StandInEdition;
  project?: { id: number; path: string; defaultBranch: string };
  /** `GET /metadata` version (default 18.1.1, with `-ee` or `-ce`). */
  version?: string;
  /** Whether the token's user is an administrator (may read `GET /license`). */
  admin?: boolean;
  /** Repository files of other projects: `"<project path>:<file path>"` → text. */
  files?: Record<string, string>;
  /** The date GitLab considers today (`YYYY-MM-DD`), for expiry checks. */
  today: string;
}

/** A running stand-in and the state it holds. */
export interface ProjectApi {
  /** `http://127.0.0.1:<port>`: the instance URL (`--gitlab-url`). */
  url: string;
  requests: RecordedRequest[];
  /** Requests outside the documented contract, with the reason. */
  unexpected: string[];
  rules: StandInRule[];
  tokens: StandInToken[];
  variables: StandInVariable[];
  deployKeys: StandInDeployKey[];
  /** Users that are project members (bots of project access tokens, and the token's own user). */
  members: Set<number>;
  close(): Promise<void>;
}

const ROLE_NAMES: Record<number, string> = {
  0: "No one",
  30: "Developers + Maintainers",
  40: "Maintainers",
  60: "Admins",
};
const PUSH_LEVELS = [0, 30, 40, 60];
const TOKEN_LEVELS = [10, 15, 20, 30, 40, 50];
const SCOPES = [
  "api",
  "read_api",
  "read_user",
  "read_repository",
  "write_repository",
  "read_registry",
  "write_registry",
  "create_runner",
  "manage_runner",
  "ai_features",
  "k8s_proxy",
  "self_rotate",
];
/** GitLab's masking rule: 8+ characters of Base64 plus `@ : . ~ - _ =` (doc/ci/variables, "Mask a CI/CD variable"). */
const MASKABLE = /^[A-Za-z0-9+/=@:.~_-]{8,}$/;

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(/[.-]/).map(Number);
  return a > major || (a === major && b >= minor);
}

/** Starts the stand-in. */
export async function startProjectApi(options: ProjectApiOptions): Promise<ProjectApi> {
  const project = options.project ?? { id: 42, path: "group/app", defaultBranch: "main" };
  const ce = options.edition === "ce";
  const version = options.version ?? `18.1.1-${ce ? "ce" : "ee"}`;
  const licensed = options.edition === "premium" || options.edition === "ultimate";
  const dotCom = options.edition === "free-dotcom";
  let nextId = 100;
  const id = () => nextId++;
  const state: Omit<ProjectApi, "url" | "close"> = {
    requests: [],
    unexpected: [],
    rules: [],
    tokens: [],
    variables: [],
    deployKeys: [],
    members: new Set([1]),
  };
  const maxExpiry = new Date(`${options.today}T00:00:00Z`);
  maxExpiry.setUTCDate(maxExpiry.getUTCDate() + 365);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const rawPath = (req.url ?? "/").split("?")[0] as string;
      const method = req.method ?? "GET";
      const record: RecordedRequest = { method, path: rawPath, params: {}, status: 0 };
      state.requests.push(record);
      const answer = (status: number, body: unknown, type = "application/json") => {
        record.status = status;
        if (status === 204) {
          res.writeHead(204);
          res.end();
          return;
        }
        res.writeHead(status, { "Content-Type": type });
        res.end(typeof body === "string" && type !== "application/json" ? body : JSON.stringify(body));
      };
      const refuse = (status: number, body: unknown, why: string) => {
        state.unexpected.push(`${method} ${rawPath}: ${why}`);
        answer(status, body);
      };
      if (req.headers["private-token"] !== options.token) return answer(401, { message: "401 Unauthorized" });
      let body: Record<string, unknown> = {};
      const text = Buffer.concat(chunks).toString("utf8");
      if (text !== "" && text !== "{}") {
        if (!/^application\/json\b/.test(req.headers["content-type"] ?? ""))
          return refuse(415, { error: "415 Unsupported Media Type" }, "a body that is not JSON");
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          return refuse(400, { error: "body is not JSON" }, "unparsable JSON");
        }
      }
      const params = { ...parseRackQuery(url.searchParams), ...body };
      record.params = params;
      const path = rawPath.replace(/^\/api\/v4/, "");

      if (path === "/metadata" && method === "GET")
        return answer(200, {
          version,
          revision: "0123456789a",
          kas: { enabled: true, externalUrl: null, externalK8sProxyUrl: null, version },
          enterprise: !ce,
        });
      if (path === "/license" && method === "GET") {
        if (ce) return answer(404, { message: "404 Not Found" });
        if (!options.admin) return answer(403, { message: "403 Forbidden" });
        return answer(200, licensed ? { id: 1, plan: options.edition, expired: false } : null);
      }
      const namespace = /^\/namespaces\/([^/]+)$/.exec(path);
      if (namespace && method === "GET") {
        const top = project.path.split("/")[0];
        if (decodeURIComponent(namespace[1] as string) !== top)
          return answer(404, { message: "404 Namespace Not Found" });
        return answer(200, {
          id: 9,
          name: top,
          path: top,
          kind: "group",
          full_path: top,
          ...(dotCom ? { plan: "free" } : {}),
        });
      }
      const file = /^\/projects\/([^/]+)\/repository\/files\/([^/]+)\/raw$/.exec(path);
      if (file && method === "GET") {
        if (!url.searchParams.get("ref")) return refuse(400, { error: "ref is missing" }, "no ref");
        const content =
          options.files?.[`${decodeURIComponent(file[1] as string)}:${decodeURIComponent(file[2] as string)}`];
        return content === undefined
          ? answer(404, { message: "404 File Not Found" })
          : answer(200, content, "text/plain");
      }
      const inProject = /^\/projects\/([^/]+)(\/.*)?$/.exec(path);
      if (!inProject) return refuse(404, { error: "404 Not Found" }, "no such endpoint");
      const ref = decodeURIComponent(inProject[1] as string);
      if (ref !== String(project.id) && ref !== project.path) return answer(404, { message: "404 Project Not Found" });
      const rest = inProject[2] ?? "";
      if (rest === "" && method === "GET")
        return answer(200, {
          id: project.id,
          path_with_namespace: project.path,
          default_branch: project.defaultBranch,
          namespace: { id: 9, full_path: project.path.split("/").slice(0, -1).join("/"), kind: "group" },
        });

      // --- protected branches ---
      const grantsOf = (list: unknown, kind: "push" | "merge"): StandInAccess[] | string => {
        if (list === undefined) return [];
        if (!Array.isArray(list)) return `allowed_to_${kind} is invalid`;
        const out: StandInAccess[] = [];
        for (const raw of list as Array<Record<string, unknown>>) {
          const keys = ["access_level", "user_id", "group_id", "deploy_key_id"].filter((k) => raw[k] !== undefined);
          if (keys.length !== 1)
            return `allowed_to_${kind} entries name exactly one of access_level, user_id, group_id, deploy_key_id`;
          const value = integerParam(raw[keys[0] as string]) as number;
          if (Number.isNaN(value)) return `allowed_to_${kind}[${keys[0]}] is invalid`;
          if (keys[0] === "deploy_key_id" && kind === "merge") return "allowed_to_merge[deploy_key_id] does not exist";
          if (keys[0] === "access_level" && !PUSH_LEVELS.includes(value))
            return `allowed_to_${kind}[access_level] does not have a valid value`;
          out.push(access(keys[0] as string, value));
        }
        return out;
      };
      const access = (key: string, value: number): StandInAccess => ({
        id: id(),
        access_level: key === "access_level" ? value : key === "deploy_key_id" ? null : 40,
        access_level_description:
          key === "access_level"
            ? (ROLE_NAMES[value] ?? String(value))
            : key === "user_id"
              ? `User ${value}`
              : key === "deploy_key_id"
                ? `Deploy key ${value}`
                : `Group ${value}`,
        user_id: key === "user_id" ? value : null,
        group_id: key === "group_id" ? value : null,
        deploy_key_id: key === "deploy_key_id" ? value : null,
      });
      /** Validation of a rule's entries, as the models do it; the messages as GitLab words them. */
      const validate = (entries: StandInAccess[], kind: "Push" | "Merge"): string[] => {
        const errors: string[] = [];
        const seenLevels = new Set<number>();
        for (const e of entries) {
          if (e.user_id !== null || e.group_id !== null) {
            if (!licensed) errors.push(`${kind} access levels ${e.user_id !== null ? "user" : "group"} must be blank`);
            else if (e.user_id !== null && !state.members.has(e.user_id))
              errors.push(`${kind} access levels user is not a member of the project`);
          } else if (e.deploy_key_id !== null) {
            if (!state.deployKeys.some((k) => k.id === e.deploy_key_id && k.can_push))
              errors.push(`${kind} access levels deploy key is not enabled for this project`);
          } else if (seenLevels.has(e.access_level as number))
            errors.push(`${kind} access levels access level has already been taken`);
          else seenLevels.add(e.access_level as number);
        }
        return errors;
      };
      // A CE build takes role and deploy-key entries only (the user and group ones are EE parameters).
      const editionFilter = (entries: StandInAccess[]) =>
        ce ? entries.filter((e) => e.user_id === null && e.group_id === null) : entries;
      if (rest === "/protected_branches" && method === "GET") return answer(200, state.rules);
      if (rest === "/protected_branches" && method === "POST") {
        const name = params.name;
        if (typeof name !== "string" || name === "") return refuse(400, { error: "name is missing" }, "no name");
        if (state.rules.some((r) => r.name === name))
          return answer(409, { message: `Protected branch '${name}' already exists` });
        const push = grantsOf(params.allowed_to_push, "push");
        const merge = grantsOf(params.allowed_to_merge, "merge");
        if (typeof push === "string" || typeof merge === "string")
          return refuse(400, { error: typeof push === "string" ? push : merge }, "bad access list");
        const level = (key: string): StandInAccess[] | string => {
          const value = integerParam(params[key]);
          if (value === undefined) return [];
          return Number.isNaN(value) || !PUSH_LEVELS.includes(value)
            ? `${key} does not have a valid value`
            : [access("access_level", value)];
        };
        const pushLevel = level("push_access_level");
        const mergeLevel = level("merge_access_level");
        if (typeof pushLevel === "string" || typeof mergeLevel === "string")
          return refuse(400, { error: typeof pushLevel === "string" ? pushLevel : mergeLevel }, "bad access level");
        // ProtectedBranches::AccessLevelParams: the default (Maintainers) applies when nothing is given.
        const pushes = [...pushLevel, ...editionFilter(push)];
        const merges = [...mergeLevel, ...editionFilter(merge)];
        const rule: StandInRule = {
          id: id(),
          name,
          push_access_levels: pushes.length ? pushes : [access("access_level", 40)],
          merge_access_levels: merges.length ? merges : [access("access_level", 40)],
          allow_force_push: booleanParam(params.allow_force_push) ?? false,
          code_owner_approval_required: false,
        };
        const errors = [...validate(rule.push_access_levels, "Push"), ...validate(rule.merge_access_levels, "Merge")];
        if (errors.length) return answer(422, { message: errors });
        state.rules.push(rule);
        return answer(201, rule);
      }
      const oneRule = /^\/protected_branches\/([^/]+)$/.exec(rest);
      if (rest.startsWith("/protected_branches/") && !oneRule) return answer(404, { error: "404 Not Found" });
      if (oneRule && (method === "GET" || method === "PATCH")) {
        const rule = state.rules.find((r) => r.name === decodeURIComponent(oneRule[1] as string));
        if (!rule) return answer(404, { message: "404 Not found" });
        if (method === "GET") return answer(200, rule);
        const edited = structuredClone(rule);
        for (const kind of ["push", "merge"] as const) {
          const list = params[`allowed_to_${kind}`];
          if (list === undefined) continue;
          if (!Array.isArray(list)) return refuse(400, { error: `allowed_to_${kind} is invalid` }, "bad access list");
          const field = kind === "push" ? "push_access_levels" : "merge_access_levels";
          for (const raw of list as Array<Record<string, unknown>>) {
            if (booleanParam(raw._destroy) === true) {
              const at = edited[field].findIndex((e) => e.id === integerParam(raw.id));
              if (at < 0) return refuse(404, { message: "404 Not found" }, "destroy of an unknown entry");
              edited[field].splice(at, 1);
              continue;
            }
            const added = grantsOf([raw], kind);
            if (typeof added === "string") return refuse(400, { error: added }, "bad access entry");
            edited[field].push(...editionFilter(added));
          }
        }
        const force = booleanParam(params.allow_force_push);
        if (force !== undefined) edited.allow_force_push = force;
        const errors = [
          ...validate(edited.push_access_levels, "Push"),
          ...validate(edited.merge_access_levels, "Merge"),
        ];
        if (errors.length) return answer(422, { message: errors });
        Object.assign(rule, edited);
        return answer(200, rule);
      }

      // --- project access tokens ---
      const listed = (t: StandInToken) => {
        const { token: _value, ...shown } = t;
        return { ...shown, description: null, last_used_at: null };
      };
      if (rest === "/access_tokens" && method === "GET") return answer(200, state.tokens.map(listed));
      const issue = (name: string, scopes: string[], level: number, expires: string, userId: number): StandInToken => {
        const token: StandInToken = {
          id: id(),
          name,
          scopes,
          access_level: level,
          expires_at: expires,
          active: true,
          revoked: false,
          user_id: userId,
          created_at: `${options.today}T00:00:00.000Z`,
          token: `glpat-${randomBytes(15).toString("base64url")}`,
        };
        state.tokens.push(token);
        return token;
      };
      const checkExpiry = (value: unknown): string | undefined => {
        if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return "expires_at is invalid";
        if (new Date(`${value}T00:00:00Z`) > maxExpiry)
          return `Expiration date must be before ${maxExpiry.toISOString().slice(0, 10)}`;
        if (value <= options.today) return "Expiration date must be in the future";
        return undefined;
      };
      if (rest === "/access_tokens" && method === "POST") {
        const { name, scopes } = params as { name?: unknown; scopes?: unknown };
        const level = integerParam(params.access_level) ?? 40;
        if (typeof name !== "string" || name === "") return refuse(400, { error: "name is missing" }, "no name");
        if (!Array.isArray(scopes) || scopes.length === 0 || scopes.some((s) => !SCOPES.includes(String(s))))
          return refuse(400, { error: "scopes does not have a valid value" }, "bad scopes");
        if (!TOKEN_LEVELS.includes(level))
          return refuse(400, { error: "access_level does not have a valid value" }, "bad access level");
        if (dotCom) return answer(400, { message: "User does not have permission to create project access token" });
        const expiry = checkExpiry(params.expires_at);
        if (expiry) return answer(400, { message: expiry });
        const bot = id();
        state.members.add(bot);
        return answer(201, {
          ...listed(issue(name, scopes.map(String), level, params.expires_at as string, bot)),
          token: state.tokens[state.tokens.length - 1]?.token,
        });
      }
      const tokenPath = /^\/access_tokens\/(\d+)(\/rotate)?$/.exec(rest);
      if (tokenPath) {
        const token = state.tokens.find((t) => t.id === Number(tokenPath[1]));
        if (tokenPath[2] && method === "POST") {
          if (!token) return answer(404, { message: "404 Not Found" });
          if (!token.active) return answer(401, { message: "401 Unauthorized" });
          const expiry = checkExpiry(params.expires_at);
          if (params.expires_at === undefined)
            return refuse(
              400,
              { message: "expires_at is missing" },
              "rotation without expires_at defaults to one week",
            );
          if (expiry) return answer(400, { message: expiry });
          Object.assign(token, { active: false, revoked: true });
          const next = issue(token.name, token.scopes, token.access_level, params.expires_at as string, token.user_id);
          return answer(200, { ...listed(next), token: next.token });
        }
        if (!tokenPath[2] && method === "DELETE") {
          if (!token || token.revoked) return answer(404, { message: "404 Not Found" });
          Object.assign(token, { active: false, revoked: true });
          return answer(204, undefined);
        }
      }

      // --- variables ---
      const shown = (v: StandInVariable) => ({ ...v, value: v.hidden ? null : v.value });
      if (rest === "/variables" && method === "GET") return answer(200, state.variables.map(shown));
      const variableRules = (v: StandInVariable): Record<string, string[]> | undefined => {
        if (v.masked && !MASKABLE.test(v.value)) return { value: ["is invalid"] };
        if (!["env_var", "file"].includes(v.variable_type)) return { variable_type: ["is not included in the list"] };
        return undefined;
      };
      if (rest === "/variables" && method === "POST") {
        const key = params.key;
        if (typeof key !== "string" || !/^[A-Za-z0-9_]{1,255}$/.test(key))
          return refuse(400, { message: { key: ["can contain only letters, digits and '_'."] } }, "bad key");
        if (typeof params.value !== "string") return refuse(400, { error: "value is missing" }, "no value");
        const scope = typeof params.environment_scope === "string" ? params.environment_scope : "*";
        if (state.variables.some((v) => v.key === key && v.environment_scope === scope))
          return answer(400, { message: { key: [`(${key}) has already been taken`] } });
        const hidden = booleanParam(params.masked_and_hidden) === true;
        if (hidden && !atLeast(version, 17, 4))
          return refuse(400, { error: "masked_and_hidden is not supported before 17.4" }, "hidden on an old version");
        const variable: StandInVariable = {
          key,
          value: params.value,
          variable_type: (params.variable_type as StandInVariable["variable_type"]) ?? "env_var",
          protected: booleanParam(params.protected) ?? false,
          masked: hidden || (booleanParam(params.masked) ?? false),
          hidden,
          raw: booleanParam(params.raw) ?? false,
          environment_scope: scope,
          description: typeof params.description === "string" ? params.description : null,
        };
        const invalid = variableRules(variable);
        if (invalid) return answer(400, { message: invalid });
        state.variables.push(variable);
        return answer(201, shown(variable));
      }
      const variablePath = /^\/variables\/([^/]+)$/.exec(rest);
      if (variablePath && method === "PUT") {
        const filter = (params.filter as { environment_scope?: string } | undefined)?.environment_scope;
        const matches = state.variables.filter(
          (v) =>
            v.key === decodeURIComponent(variablePath[1] as string) &&
            (filter === undefined || v.environment_scope === filter),
        );
        if (matches.length === 0) return answer(404, { message: "404 Variable Not Found" });
        if (matches.length > 1)
          return answer(409, {
            message: "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'",
          });
        if (typeof params.value !== "string") return refuse(400, { error: "value is missing" }, "no value");
        if (params.masked_and_hidden !== undefined)
          return refuse(
            400,
            { error: "masked_and_hidden is not a parameter of PUT" },
            "hidden is set at creation only",
          );
        const variable = matches[0] as StandInVariable;
        const edited: StandInVariable = {
          ...variable,
          value: params.value,
          protected: booleanParam(params.protected) ?? variable.protected,
          masked: variable.hidden || (booleanParam(params.masked) ?? variable.masked),
          raw: booleanParam(params.raw) ?? variable.raw,
          variable_type: (params.variable_type as StandInVariable["variable_type"]) ?? variable.variable_type,
          description: typeof params.description === "string" ? params.description : variable.description,
        };
        const invalid = variableRules(edited);
        if (invalid) return answer(400, { message: invalid });
        Object.assign(variable, edited);
        return answer(200, shown(variable));
      }

      // --- deploy keys ---
      if (rest === "/deploy_keys" && method === "GET") return answer(200, state.deployKeys);
      if (rest === "/deploy_keys" && method === "POST") {
        const { title, key } = params as { title?: unknown; key?: unknown };
        if (typeof title !== "string" || title === "") return refuse(400, { error: "title is missing" }, "no title");
        if (typeof key !== "string" || !/^ssh-(ed25519|rsa) [A-Za-z0-9+/]+=*( .*)?$/.test(key))
          return answer(400, { message: { key: ["is invalid"] } });
        const body64 = key.split(" ")[1];
        if (state.deployKeys.some((k) => k.key.split(" ")[1] === body64))
          return answer(400, { message: { "deploy_key.fingerprint_sha256": ["has already been taken"] } });
        const created: StandInDeployKey = {
          id: id(),
          title,
          key,
          can_push: booleanParam(params.can_push) ?? false,
          created_at: `${options.today}T00:00:00.000Z`,
        };
        state.deployKeys.push(created);
        return answer(201, created);
      }
      const keyPath = /^\/deploy_keys\/(\d+)$/.exec(rest);
      if (keyPath && method === "DELETE") {
        const at = state.deployKeys.findIndex((k) => k.id === Number(keyPath[1]));
        if (at < 0) return answer(404, { message: "404 Deploy Key Not Found" });
        state.deployKeys.splice(at, 1);
        return answer(204, undefined);
      }
      return refuse(404, { error: "404 Not Found" }, "no such endpoint");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ...state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
