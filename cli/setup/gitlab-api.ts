/**
 * The GitLab REST calls `setup` makes, through `@gitbeaker/rest` (pinned: its option names and
 * request encoding are part of what the tests check). Every failure becomes a {@link GitLabApiError}
 * holding only the method, the endpoint, the status and GitLab's message: gitbeaker's own error
 * carries the request, whose `private-token` header `util.inspect` prints, so it never leaves here.
 *
 * Contracts (GitLab's doc/api/*.md): protected_branches.md, project_access_tokens.md,
 * project_level_variables.md, deploy_keys.md, metadata.md, license.md, namespaces.md,
 * repository_files.md.
 */
import { Gitlab } from "@gitbeaker/rest";

/** A GitLab API call failed; the message names the call, the status and GitLab's answer, nothing else. */
export class GitLabApiError extends Error {
  constructor(
    readonly call: string,
    readonly status: number | undefined,
    readonly gitlabMessage: string,
  ) {
    super(
      `${call}: ${status === undefined ? "no answer" : `HTTP ${status}`}${gitlabMessage ? `: ${gitlabMessage}` : ""}`,
    );
    this.name = "GitLabApiError";
  }
}

/** GitLab's access levels (doc/api/access_requests.md, "Valid access levels"). */
export const ACCESS = { none: 0, developer: 30, maintainer: 40 } as const;

/** One entry of a protected branch's push or merge access list. */
export interface AccessEntry {
  id?: number;
  access_level?: number | null;
  access_level_description?: string;
  user_id?: number | null;
  group_id?: number | null;
  deploy_key_id?: number | null;
}

/** A protected branch rule (name may be a wildcard). */
export interface ProtectedBranch {
  id: number;
  name: string;
  push_access_levels: AccessEntry[];
  merge_access_levels: AccessEntry[];
  allow_force_push: boolean;
}

/** A project access token as GitLab lists it (never with its value). */
export interface AccessToken {
  id: number;
  name: string;
  scopes: string[];
  access_level: number;
  /** `YYYY-MM-DD`. */
  expires_at: string | null;
  active: boolean;
  revoked: boolean;
  user_id: number;
}

/** A project CI/CD variable, without its value. */
export interface Variable {
  key: string;
  variable_type: "env_var" | "file";
  protected: boolean;
  masked: boolean;
  hidden?: boolean;
  environment_scope: string;
  description: string | null;
}

/** A deploy key enabled for the project. */
export interface DeployKey {
  id: number;
  title: string;
  can_push: boolean;
}

/** The project setup works on. */
export interface ProjectInfo {
  id: number;
  path_with_namespace: string;
  default_branch: string | null;
  namespace: { full_path: string };
}

/** What a variable is written with. `value` is a secret: it goes into the request body and nowhere else. */
export interface VariableWrite {
  key: string;
  value: string;
  file: boolean;
  masked: boolean;
  /** Masked and hidden (GitLab 17.4+); only at creation. */
  hidden: boolean;
  description: string;
}

/** An access list entry to grant (`allowed_to_push[]`, `allowed_to_merge[]`). */
export type Grant =
  | { user_id: number }
  | { deploy_key_id: number }
  | { access_level: number }
  | { id: number; _destroy: true };

/** The calls setup makes. */
export interface SetupApi {
  metadata(): Promise<{ version: string; enterprise: boolean }>;
  /** The license's plan; undefined when the token may not read it (administrators only). */
  licensePlan(): Promise<string | null | undefined>;
  /** A namespace's plan (GitLab.com shows it to its maintainers and owners); undefined when not shown. */
  namespacePlan(fullPath: string): Promise<string | undefined>;
  project(ref: string): Promise<ProjectInfo>;
  protectedBranches(project: number): Promise<ProtectedBranch[]>;
  /**
   * Protects `name`: push by `pusher` only, merge by no one, no force push. `push_access_level: 0` goes
   * along, so a GitLab that drops the grant (the API took deploy keys on Free only from
   * gitlab-org/gitlab!224542; CE ignores user grants) protects the branch with "No one" rather than
   * its default, Maintainers.
   */
  protectBranch(project: number, name: string, pusher: Grant): Promise<ProtectedBranch>;
  updateProtectedBranch(
    project: number,
    name: string,
    change: { push?: Grant[]; merge?: Grant[]; allowForcePush?: boolean },
  ): Promise<ProtectedBranch>;
  accessTokens(project: number): Promise<AccessToken[]>;
  createAccessToken(
    project: number,
    token: { name: string; scopes: string[]; accessLevel: number; expiresAt: string },
  ): Promise<AccessToken & { token: string }>;
  rotateAccessToken(project: number, id: number, expiresAt: string): Promise<AccessToken & { token: string }>;
  revokeAccessToken(project: number, id: number): Promise<void>;
  variables(project: number): Promise<Variable[]>;
  createVariable(project: number, variable: VariableWrite): Promise<void>;
  updateVariable(project: number, variable: VariableWrite): Promise<void>;
  deployKeys(project: number): Promise<DeployKey[]>;
  createDeployKey(project: number, key: { title: string; publicKey: string }): Promise<DeployKey>;
  removeDeployKey(project: number, id: number): Promise<void>;
  /** A file's text at `ref`; undefined when it does not exist or cannot be read. */
  fileText(project: string, file: string, ref: string): Promise<string | undefined>;
}

/**
 * GitLab's message as text: gitbeaker passes a message that is a list (validation errors) or an
 * object (errors by attribute) as JSON; `["a"]` reads `a`, `{"key":["is taken"]}` reads `key is taken`.
 */
export function readableMessage(message: string): string {
  try {
    const parsed = JSON.parse(message) as unknown;
    if (Array.isArray(parsed)) return parsed.map(String).join("; ");
    if (parsed !== null && typeof parsed === "object")
      return Object.entries(parsed)
        .map(([key, value]) => `${key} ${Array.isArray(value) ? value.map(String).join(", ") : String(value)}`)
        .join("; ");
  } catch {
    // Plain text already.
  }
  return message;
}

/** The status and message of a gitbeaker error, and nothing else of it. */
function failure(call: string, error: unknown): GitLabApiError {
  const status = (error as { cause?: { response?: { status?: unknown } } }).cause?.response?.status;
  const message = error instanceof Error ? readableMessage(error.message) : "";
  return new GitLabApiError(call, typeof status === "number" ? status : undefined, message.slice(0, 500));
}

async function call<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw failure(name, error);
  }
}

/** The status of a failed call, for callers that treat some statuses as answers. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof GitLabApiError ? error.status : undefined;
}

/** A {@link SetupApi} talking to `host` (`https://gitlab.example.com`) with `token`. */
export function gitbeakerApi(host: string, token: string): SetupApi {
  // No retries beyond gitbeaker's own (429 and 502 only); a call waits at most a minute.
  const api = new Gitlab({ host, token, queryTimeout: 60_000 });
  // gitbeaker's option types lag GitLab: deploy_key_id (17.5), masked_and_hidden (17.4) and `_destroy`
  // pass through at runtime (options are spread into the request), so they are cast here, once.
  const loose = api as unknown as Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>>;
  const camel = (grants: Grant[]) =>
    grants.map((g) =>
      "user_id" in g
        ? { userId: g.user_id }
        : "deploy_key_id" in g
          ? { deployKeyId: g.deploy_key_id }
          : "_destroy" in g
            ? { id: g.id, _destroy: true }
            : { accessLevel: g.access_level },
    );
  return {
    metadata: () =>
      call(
        "GET /metadata",
        async () => (await api.Metadata.show()) as unknown as { version: string; enterprise: boolean },
      ),
    async licensePlan() {
      try {
        const license = (await (loose.License as Record<string, () => Promise<unknown>>).show?.()) as {
          plan?: string;
        } | null;
        return license === null ? null : (license?.plan ?? null);
      } catch (error) {
        const status = (error as { cause?: { response?: { status?: number } } }).cause?.response?.status;
        if (status === 401 || status === 403 || status === 404) return undefined;
        throw failure("GET /license", error);
      }
    },
    async namespacePlan(fullPath) {
      const namespace = await call(`GET /namespaces/${fullPath}`, () => api.Namespaces.show(fullPath));
      return typeof namespace.plan === "string" ? namespace.plan : undefined;
    },
    project: (ref) =>
      call(`GET /projects/${ref}`, async () => (await api.Projects.show(ref)) as unknown as ProjectInfo),
    protectedBranches: (project) =>
      call(
        "GET protected_branches",
        async () => (await api.ProtectedBranches.all(project)) as unknown as ProtectedBranch[],
      ),
    protectBranch: (project, name, pusher) =>
      call(
        `POST protected_branches (${name})`,
        async () =>
          // One allowed_to_push entry only: gitbeaker sends these in the query string as
          // allowed_to_push[][key]=value, where two entries with different keys would read as one.
          (await loose.ProtectedBranches?.protect?.(project, name, {
            allowForcePush: false,
            pushAccessLevel: ACCESS.none,
            mergeAccessLevel: ACCESS.none,
            allowedToPush: camel([pusher]),
          })) as ProtectedBranch,
      ),
    updateProtectedBranch: (project, name, change) =>
      call(
        `PATCH protected_branches/${name}`,
        async () =>
          (await loose.ProtectedBranches?.edit?.(project, name, {
            ...(change.allowForcePush === undefined ? {} : { allowForcePush: change.allowForcePush }),
            ...(change.push ? { allowedToPush: camel(change.push) } : {}),
            ...(change.merge ? { allowedToMerge: camel(change.merge) } : {}),
          })) as ProtectedBranch,
      ),
    accessTokens: (project) =>
      call("GET access_tokens", async () => (await api.ProjectAccessTokens.all(project)) as unknown as AccessToken[]),
    createAccessToken: (project, t) =>
      call(
        `POST access_tokens (${t.name})`,
        async () =>
          (await loose.ProjectAccessTokens?.create?.(project, t.name, t.scopes, t.expiresAt, {
            accessLevel: t.accessLevel,
          })) as AccessToken & { token: string },
      ),
    rotateAccessToken: (project, id, expiresAt) =>
      call(
        `POST access_tokens/${id}/rotate`,
        async () =>
          (await api.ProjectAccessTokens.rotate(project, id, { expiresAt })) as unknown as AccessToken & {
            token: string;
          },
      ),
    revokeAccessToken: (project, id) =>
      call(`DELETE access_tokens/${id}`, async () => void (await api.ProjectAccessTokens.revoke(project, id))),
    variables: (project) =>
      call("GET variables", async () => (await api.ProjectVariables.all(project)) as unknown as Variable[]),
    createVariable: (project, v) =>
      call(
        `POST variables (${v.key})`,
        async () =>
          void (await loose.ProjectVariables?.create?.(project, v.key, v.value, {
            protected: true,
            masked: v.masked,
            ...(v.hidden ? { maskedAndHidden: true } : {}),
            raw: true,
            description: v.description,
            variableType: v.file ? "file" : "env_var",
            environmentScope: "*",
          })),
      ),
    updateVariable: (project, v) =>
      call(
        `PUT variables/${v.key}`,
        async () =>
          void (await loose.ProjectVariables?.edit?.(project, v.key, v.value, {
            protected: true,
            masked: v.masked,
            raw: true,
            description: v.description,
            variableType: v.file ? "file" : "env_var",
            filter: { environment_scope: "*" },
          })),
      ),
    deployKeys: (project) =>
      call("GET deploy_keys", async () => (await api.DeployKeys.all({ projectId: project })) as unknown as DeployKey[]),
    createDeployKey: (project, key) =>
      call(
        `POST deploy_keys (${key.title})`,
        async () =>
          (await api.DeployKeys.create(project, key.title, key.publicKey, { canPush: true })) as unknown as DeployKey,
      ),
    removeDeployKey: (project, id) =>
      call(`DELETE deploy_keys/${id}`, async () => void (await api.DeployKeys.remove(project, id))),
    async fileText(project, file, ref) {
      try {
        const text = await api.RepositoryFiles.showRaw(project, file, ref);
        return typeof text === "string" ? text : undefined;
      } catch (error) {
        const status = (error as { cause?: { response?: { status?: number } } }).cause?.response?.status;
        if (status === 401 || status === 403 || status === 404) return undefined;
        throw failure(`GET repository/files/${file}/raw`, error);
      }
    },
  };
}
