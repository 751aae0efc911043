/**
 * A stand-in for the GitLab REST endpoints the jobs call: the merge-request endpoints
 * (`/api/v4/projects/:id/merge_requests`) and the current user (`GET /api/v4/user`), on 127.0.0.1
 * at a port chosen at run time. No real GitLab exists here, so this answers the way GitLab
 * documents it (201 with `iid` and `web_url`, 409 when an open merge request already exists for
 * the branch, 401 for a wrong token, 403 `insufficient_scope` for a token without the scope, 404
 * for another project, 400 for a bad body), checks every request and records it for the test to read.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the stand-in saw it. */
export interface RecordedApiRequest {
  method: string;
  /** The raw path, query included (`/api/v4/projects/42/merge_requests`). */
  path: string;
  /** The `PRIVATE-TOKEN` header, or the token of `Authorization: Bearer`. */
  token?: string;
  contentType?: string;
  /** The parsed JSON body (undefined for GET). */
  body?: unknown;
  /** The status the stand-in answered. */
  status: number;
}

/** A merge request the stand-in holds. */
export interface StandInMergeRequest {
  iid: number;
  web_url: string;
  source_branch: string;
  target_branch: string;
  title: string;
  description: string;
  remove_source_branch: boolean;
  state: "opened";
}

/**
 * The token's user as `GET /user` returns it (doc/api/users.md, "Get the current user"; the fields
 * the jobs read and their neighbours). A project access token's user is a bot named after the
 * token, with the username `project_<id>_bot_<random>` and the email `<username>@noreply.<host>`
 * (app/services/resource_access_tokens/create_service.rb).
 */
export interface StandInUser {
  id: number;
  username: string;
  name: string;
  email: string;
  commit_email: string;
  public_email: string | null;
  bot: boolean;
  state: "active";
}

/** The bot user of a project access token named `name` in project `projectId`. */
export function projectBot(projectId: string, name: string): StandInUser {
  const username = `project_${projectId}_bot_8d5f3c2a1b9e4f70`;
  const email = `${username}@noreply.gitlab.example.com`;
  return { id: 4711, username, name, email, commit_email: email, public_email: null, bot: true, state: "active" };
}

/** Scopes that let a token read `GET /user` (lib/api/users.rb: read_user, or a wider API scope). */
const USER_SCOPES = ["api", "read_api", "read_user"];

/** A running stand-in. */
export interface GitLabApi {
  /** `http://127.0.0.1:<port>/api/v4`: what GitLab puts in `CI_API_V4_URL`. */
  apiUrl: string;
  requests: RecordedApiRequest[];
  mergeRequests: StandInMergeRequest[];
  close(): Promise<void>;
}

/**
 * Starts the stand-in for one project (by id, or by its URL-encoded path) and one token, whose
 * `scopes` (default `api`) decide what it may call, and whose user (default: the project bot of a
 * token named "gitops-manifests") `GET /user` returns.
 */
export async function startGitLabApi(options: {
  token: string;
  projectId: string;
  projectPath: string;
  scopes?: string[];
  user?: StandInUser;
}): Promise<GitLabApi> {
  const scopes = options.scopes ?? ["api"];
  const user = options.user ?? projectBot(options.projectId, "gitops-manifests");
  const requests: RecordedApiRequest[] = [];
  const mergeRequests: StandInMergeRequest[] = [];
  const projectKeys = new Set([options.projectId, options.projectPath]);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
      const token = (req.headers["private-token"] as string | undefined) ?? bearer;
      const record: RecordedApiRequest = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        token,
        contentType: req.headers["content-type"],
        status: 0,
      };
      requests.push(record);
      const answer = (status: number, body: unknown) => {
        record.status = status;
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (token !== options.token) return answer(401, { message: "401 Unauthorized" });
      const insufficientScope = (needed: string[]) =>
        answer(403, {
          error: "insufficient_scope",
          error_description: "The request requires higher privileges than provided by the access token.",
          scope: needed.join(" "),
        });
      if (url.pathname === "/api/v4/user") {
        if (req.method !== "GET") return answer(405, { error: "405 Method Not Allowed" });
        if (!scopes.some((s) => USER_SCOPES.includes(s))) return insufficientScope(USER_SCOPES);
        return answer(200, user);
      }
      if (!scopes.includes("api")) return insufficientScope(["api"]);
      // GitLab takes `:id` as the number or the URL-encoded path (`group%2Fapp`): one path segment.
      const match = /^\/api\/v4\/projects\/([^/]+)\/merge_requests$/.exec(url.pathname);
      if (!match) return answer(404, { error: "404 Not Found" });
      if (!projectKeys.has(decodeURIComponent(match[1] as string)))
        return answer(404, { message: "404 Project Not Found" });
      if (req.method === "GET") {
        const wanted = (mr: StandInMergeRequest) =>
          (!url.searchParams.get("state") || url.searchParams.get("state") === mr.state) &&
          (!url.searchParams.get("source_branch") || url.searchParams.get("source_branch") === mr.source_branch) &&
          (!url.searchParams.get("target_branch") || url.searchParams.get("target_branch") === mr.target_branch);
        return answer(200, mergeRequests.filter(wanted));
      }
      if (req.method !== "POST") return answer(405, { error: "405 Method Not Allowed" });
      if (!/^application\/json\b/.test(req.headers["content-type"] ?? ""))
        return answer(415, { error: "body must be application/json" });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        return answer(400, { error: "body is not JSON" });
      }
      record.body = body;
      for (const field of ["source_branch", "target_branch", "title"])
        if (typeof body[field] !== "string" || body[field] === "") return answer(400, { error: `${field} is missing` });
      const existing = mergeRequests.find(
        (mr) => mr.source_branch === body.source_branch && mr.target_branch === body.target_branch,
      );
      if (existing)
        return answer(409, {
          message: [`Another open merge request already exists for this source branch: !${existing.iid}`],
        });
      const iid = mergeRequests.length + 1;
      const mr: StandInMergeRequest = {
        iid,
        web_url: `https://gitlab.example.com/${options.projectPath}/-/merge_requests/${iid}`,
        source_branch: body.source_branch as string,
        target_branch: body.target_branch as string,
        title: body.title as string,
        description: typeof body.description === "string" ? body.description : "",
        remove_source_branch: body.remove_source_branch === true,
        state: "opened",
      };
      mergeRequests.push(mr);
      return answer(201, mr);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`,
    requests,
    mergeRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
