/**
 * The GitLab API stand-in answers as GitLab documents it (doc/api/protected_branches.md,
 * project_access_tokens.md, project_level_variables.md) and as GitLab's source behaves per edition:
 * what setup's tests rely on is checked here on its own, with plain HTTP requests.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startProjectApi, type ProjectApi, type StandInEdition } from "../../stand-ins/gitlab-project-api.ts";

const TOKEN = "glpat-admin-0123456789";
const started: ProjectApi[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((api) => api.close()));
});

async function standIn(edition: StandInEdition): Promise<ProjectApi> {
  const api = await startProjectApi({ token: TOKEN, edition, today: "2026-12-01" });
  started.push(api);
  return api;
}

async function call(
  api: ProjectApi,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${api.url}/api/v4${path}`, {
    method,
    headers: { "private-token": TOKEN, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

describe("protected branches", () => {
  it("are created with 201, and a second POST for the same name is 409 with GitLab's message", async () => {
    const api = await standIn("premium");
    const path =
      "/projects/group%2Fapp/protected_branches?name=_gitlab%2Fagents%2Fstaging&push_access_level=0&merge_access_level=0";
    expect((await call(api, "POST", path)).status).toBe(201);
    expect(await call(api, "POST", path)).toEqual({
      status: 409,
      json: { message: "Protected branch '_gitlab/agents/staging' already exists" },
    });
  });

  it("take a user grant on Premium from a project member only, refuse it with 422 on EE Free, and lose it on CE", async () => {
    const premium = await standIn("premium");
    const grant = "/projects/42/protected_branches?name=x&push_access_level=0&allowed_to_push%5B%5D%5Buser_id%5D=1";
    expect((await call(premium, "POST", grant)).status).toBe(201);
    expect(
      await call(premium, "POST", grant.replace("name=x", "name=y").replace("user_id%5D=1", "user_id%5D=77")),
    ).toEqual({ status: 422, json: { message: ["Push access levels user is not a member of the project"] } });
    const free = await standIn("free-ee");
    expect(await call(free, "POST", grant)).toEqual({
      status: 422,
      json: { message: ["Push access levels user must be blank"] },
    });
    const ce = await standIn("ce");
    const dropped = await call(ce, "POST", grant);
    expect(dropped.status).toBe(201);
    expect(
      (dropped.json as { push_access_levels: Array<{ user_id: unknown }> }).push_access_levels.map((e) => e.user_id),
    ).toEqual([null]);
  });

  it("default to Maintainers when nothing is given, and are found only under a URL-encoded name", async () => {
    const api = await standIn("premium");
    const created = await call(api, "POST", "/projects/42/protected_branches?name=release%2F1");
    expect(
      (created.json as { push_access_levels: Array<{ access_level: number }> }).push_access_levels.map(
        (e) => e.access_level,
      ),
    ).toEqual([40]);
    expect(
      (await call(api, "PATCH", "/projects/42/protected_branches/release%2F1", { allow_force_push: false })).status,
    ).toBe(200);
    expect(
      (await call(api, "PATCH", "/projects/42/protected_branches/release/1", { allow_force_push: false })).status,
    ).toBe(404);
  });
});

describe("project access tokens", () => {
  it("show their value only when created or rotated; rotation revokes the old one and keeps the bot", async () => {
    const api = await standIn("premium");
    const created = (await call(api, "POST", "/projects/42/access_tokens", {
      name: "t",
      scopes: ["write_repository"],
      access_level: 30,
      expires_at: "2027-06-01",
    })) as { status: number; json: { id: number; token: string; user_id: number } };
    expect(created.status).toBe(201);
    expect(created.json.token).toMatch(/^glpat-/);
    expect(JSON.stringify((await call(api, "GET", "/projects/42/access_tokens")).json)).not.toContain(
      created.json.token,
    );
    const rotated = (await call(api, "POST", `/projects/42/access_tokens/${created.json.id}/rotate`, {
      expires_at: "2027-06-01",
    })) as { status: number; json: { id: number; token: string; user_id: number } };
    expect(rotated.status).toBe(200);
    expect(rotated.json.id).not.toBe(created.json.id);
    expect(rotated.json.user_id).toBe(created.json.user_id);
    expect(api.tokens.map((t) => t.active)).toEqual([false, true]);
  });

  it("are refused with 400 on GitLab.com Free, and past the maximum lifetime", async () => {
    const dotCom = await standIn("free-dotcom");
    expect(
      await call(dotCom, "POST", "/projects/42/access_tokens", {
        name: "t",
        scopes: ["api"],
        expires_at: "2027-06-01",
      }),
    ).toEqual({ status: 400, json: { message: "User does not have permission to create project access token" } });
    const api = await standIn("premium");
    expect(
      (await call(api, "POST", "/projects/42/access_tokens", { name: "t", scopes: ["api"], expires_at: "2028-01-01" }))
        .status,
    ).toBe(400);
  });
});

describe("variables", () => {
  it("refuse a duplicate key with 400 (not 409), and list a hidden value as null", async () => {
    const api = await standIn("premium");
    const variable = { key: "GITOPS_X", value: "glpat-abcdefghij", protected: true, masked_and_hidden: true };
    expect((await call(api, "POST", "/projects/42/variables", variable)).status).toBe(201);
    expect(await call(api, "POST", "/projects/42/variables", variable)).toEqual({
      status: 400,
      json: { message: { key: ["(GITOPS_X) has already been taken"] } },
    });
    expect((await call(api, "GET", "/projects/42/variables")).json).toMatchObject([
      { key: "GITOPS_X", value: null, hidden: true, masked: true },
    ]);
  });

  it("refuse to mask a value that cannot be masked", async () => {
    const api = await standIn("premium");
    expect(await call(api, "POST", "/projects/42/variables", { key: "K", value: "two words", masked: true })).toEqual({
      status: 400,
      json: { message: { value: ["is invalid"] } },
    });
  });
});

it("answers 401 to any other token, and records a request outside the contract", async () => {
  const api = await standIn("premium");
  expect((await fetch(`${api.url}/api/v4/metadata`, { headers: { "private-token": "nope" } })).status).toBe(401);
  expect((await call(api, "GET", "/projects/42/hooks")).status).toBe(404);
  expect(api.unexpected).toEqual(["GET /api/v4/projects/42/hooks: no such endpoint"]);
});
