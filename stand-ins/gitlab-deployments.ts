/**
 * A stand-in for the GitLab REST endpoints the promotion and rollback jobs read: a project's
 * deployments (`GET /api/v4/projects/:id/deployments`, filtered by environment and status, ordered
 * by id, one page: doc/api/deployments.md) and a single file of a job's artifacts
 * (`GET /api/v4/projects/:id/jobs/:job_id/artifacts/*artifact_path`: doc/api/job_artifacts.md).
 * It answers on 127.0.0.1 at a port chosen at run time, accepts the tokens it is given (a job token
 * in `JOB-TOKEN`, a project access token in `PRIVATE-TOKEN`), and records every request.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** A deployment as the API lists it (the fields the jobs read, and their neighbours). */
export interface StandInDeployment {
  id: number;
  iid: number;
  status: "created" | "running" | "success" | "failed" | "canceled";
  sha: string;
  ref: string;
  environment: { id: number; name: string };
  deployable: { id: number; name: string; status: string; pipeline: { id: number; sha: string } };
}

/** One request as the stand-in saw it. */
export interface RecordedRequest {
  path: string;
  /** `JOB-TOKEN` or `PRIVATE-TOKEN`, whichever came. */
  token?: string;
  status: number;
}

/** A running stand-in. */
export interface DeploymentsApi {
  /** `http://127.0.0.1:<port>/api/v4`. */
  apiUrl: string;
  deployments: StandInDeployment[];
  /** Artifact files by job id and path. */
  artifacts: Map<string, string>;
  requests: RecordedRequest[];
  /** Adds a deployment (newest id) and returns it. */
  deploy(options: {
    environment: string;
    jobId: number;
    jobName: string;
    pipelineId: number;
    sha: string;
    status?: StandInDeployment["status"];
  }): StandInDeployment;
  /** Makes every request answer `status` (0: back to normal). */
  failWith(status: number): void;
  close(): Promise<void>;
}

/** Starts the stand-in for one project id and the tokens it accepts. */
export async function startDeploymentsApi(options: { projectId: string; tokens: string[] }): Promise<DeploymentsApi> {
  const deployments: StandInDeployment[] = [];
  const artifacts = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  let failing = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const token =
      (req.headers["job-token"] as string | undefined) ?? (req.headers["private-token"] as string | undefined);
    const record: RecordedRequest = { path: req.url ?? "/", token, status: 0 };
    requests.push(record);
    const answer = (status: number, body: unknown, type = "application/json") => {
      record.status = status;
      res.writeHead(status, { "Content-Type": type });
      res.end(typeof body === "string" && type !== "application/json" ? body : JSON.stringify(body));
    };
    if (failing) return answer(failing, { message: `${failing} stand-in failure` });
    if (!token || !options.tokens.includes(token)) return answer(401, { message: "401 Unauthorized" });
    const project = `/api/v4/projects/${encodeURIComponent(options.projectId)}`;
    if (req.method === "GET" && url.pathname === `${project}/deployments`) {
      const q = url.searchParams;
      const perPage = Math.min(Number(q.get("per_page") ?? 20), 100);
      let list = deployments.filter(
        (d) =>
          (!q.get("environment") || d.environment.name === q.get("environment")) &&
          (!q.get("status") || d.status === q.get("status")),
      );
      list = [...list].sort((a, b) => (q.get("sort") === "desc" ? b.id - a.id : a.id - b.id));
      return answer(200, list.slice(0, perPage));
    }
    const artifact = new RegExp(`^${project.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/jobs/(\\d+)/artifacts/(.+)$`).exec(
      url.pathname,
    );
    if (req.method === "GET" && artifact) {
      const file = artifacts.get(`${artifact[1]}/${decodeURIComponent(artifact[2] as string)}`);
      return file === undefined ? answer(404, { message: "404 Not Found" }) : answer(200, file, "text/plain");
    }
    return answer(404, { error: "404 Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`,
    deployments,
    artifacts,
    requests,
    deploy({ environment, jobId, jobName, pipelineId, sha, status = "success" }) {
      const id = deployments.length + 1;
      const deployment: StandInDeployment = {
        id,
        iid: id,
        status,
        sha,
        ref: "main",
        environment: { id: 1, name: environment },
        deployable: { id: jobId, name: jobName, status, pipeline: { id: pipelineId, sha } },
      };
      deployments.push(deployment);
      return deployment;
    },
    failWith(status) {
      failing = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
