/**
 * The one GitLab REST call `merge_request` mode needs: open a merge request, or find the open one
 * a rerun already opened. Node's global `fetch`; the token goes only into the `PRIVATE-TOKEN` header.
 */
import { InfrastructureError, JobError } from "../../runtime/errors.ts";
import { httpFailureKind, remoteFailure, type RemoteParty } from "../../runtime/remote-failure.ts";

/** What to open, and where. */
export interface MergeRequestOptions {
  /** `CI_API_V4_URL` (`https://gitlab.example.com/api/v4`). */
  apiUrl: string;
  /** `CI_PROJECT_ID` (or the project's path); URL-encoded here. */
  project: string;
  token: string;
  /** How messages name the token (`the token in GITOPS_MANIFESTS_TOKEN`). */
  tokenDescription: string;
  sourceBranch: string;
  targetBranch: string;
  title: string;
  description: string;
}

/** The merge request that carries the bump. */
export interface MergeRequest {
  iid: number;
  webUrl: string;
  /** False when an open merge request for the branch already existed. */
  created: boolean;
}

const TIMEOUT_MS = 30_000;

/** Opens a merge request; when GitLab answers 409 (one is already open for the branch), returns that one. */
export async function openMergeRequest(options: MergeRequestOptions): Promise<MergeRequest> {
  const base = `${options.apiUrl.replace(/\/+$/, "")}/projects/${encodeURIComponent(options.project)}/merge_requests`;
  const created = await call(options, "POST", base, {
    source_branch: options.sourceBranch,
    target_branch: options.targetBranch,
    title: options.title,
    description: options.description,
    remove_source_branch: true,
  });
  if (created.status === 201) return { ...mergeRequestFrom(created.body, base), created: true };
  if (created.status !== 409) throw failure("POST", base, created, options);
  const query = new URLSearchParams({
    state: "opened",
    source_branch: options.sourceBranch,
    target_branch: options.targetBranch,
  });
  const found = await call(options, "GET", `${base}?${query}`);
  if (found.status !== 200) throw failure("GET", base, found, options);
  const first = Array.isArray(found.body) ? found.body[0] : undefined;
  if (!first)
    throw new JobError(
      `GitLab refused to open a merge request from ${options.sourceBranch} (409: ${describe(created.body)}) but lists no open one`,
      `look at the project's merge requests for ${options.sourceBranch}, close or merge the stale one, and retry the job`,
    );
  return { ...mergeRequestFrom(first, base), created: false };
}

/** A GitLab answer: its status and its body, parsed. */
export interface Response {
  status: number;
  body: unknown;
}

/** One GitLab REST call: the token in PRIVATE-TOKEN only, JSON both ways (a body that is not JSON is kept as text), a timeout; a network failure throws. */
export async function gitlabRequest(url: string, token: string, method = "GET", body?: unknown): Promise<Response> {
  const response = await fetch(url, {
    method,
    headers: {
      "PRIVATE-TOKEN": token,
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

async function call(
  options: MergeRequestOptions,
  method: "GET" | "POST",
  url: string,
  body?: unknown,
): Promise<Response> {
  try {
    return await gitlabRequest(url, options.token, method, body);
  } catch (e) {
    throw remoteFailure("unreachable", `${method} ${url} failed: ${(e as Error).message}`, party(url, options));
  }
}

function mergeRequestFrom(body: unknown, url: string): { iid: number; webUrl: string } {
  const mr = body as { iid?: unknown; web_url?: unknown };
  if (typeof mr?.iid !== "number" || typeof mr.web_url !== "string")
    throw new InfrastructureError(
      `${url} answered without iid and web_url: ${describe(body)}`,
      "check that CI_API_V4_URL points at GitLab's REST API v4",
    );
  return { iid: mr.iid, webUrl: mr.web_url };
}

/** The API's remote party: the URL the predefined variables make, and the token. */
function party(url: string, options: MergeRequestOptions): RemoteParty {
  const needs = "project access token with the api scope, of a user with at least the Developer role";
  return {
    action: "opening the merge request",
    remote: { input: "CI_API_V4_URL/projects/CI_PROJECT_ID", value: url },
    credential: { description: options.tokenDescription, input: "token_variable", needs },
  };
}

function failure(method: string, url: string, response: Response, options: MergeRequestOptions): JobError {
  const what = `${method} ${url} answered ${response.status}: ${describe(response.body)}`;
  const kind = httpFailureKind(response.status);
  if (kind === "other")
    return new JobError(what, "read GitLab's message; the branch was pushed, so a rerun only opens the merge request");
  return remoteFailure(kind, what, party(url, options));
}

function describe(body: unknown): string {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
