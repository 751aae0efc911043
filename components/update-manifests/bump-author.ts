/**
 * Who authors (and commits) the bump. GitLab's push rules check the commit, not the pusher alone:
 * "Check whether the commit author is a GitLab user" wants an author email that belongs to a user,
 * "Reject unverified users" a committer email verified for the user who pushes, "Reject
 * inconsistent user name" that user's name. So the bump is written by the user whose token pushes
 * it: a project access token's bot user, named after the token, with the email GitLab gave it
 * (`<bot username>@noreply.<host>`, app/services/resource_access_tokens/create_service.rb), which
 * `GET /user` returns to that token.
 */
import { InputError } from "../../runtime/errors.ts";
import { info, warn } from "../../runtime/log.ts";

/** A git identity: the author and committer of the bump commit. */
export interface BumpAuthor {
  name: string;
  email: string;
  /** Where it came from, for the log. */
  source: string;
}

/** The author inputs, as the job read them (trimmed; empty when unset). */
export interface AuthorInputs {
  author_name: string;
  author_email: string;
}

/** What `git commit` refuses or mangles in an identity (angle brackets, line breaks). */
const BAD_IDENTITY = /[<>\n\r\0]/;

type Env = Record<string, string | undefined>;

/**
 * The bump's identity: the author_name/author_email inputs when set; else the token's user, asked
 * from GitLab (`GET /user`, which needs the read_user, read_api or api scope); else, with a
 * warning, the user who started the pipeline (GITLAB_USER_NAME, GITLAB_USER_EMAIL).
 */
export async function bumpAuthor(env: Env, inputs: AuthorInputs, credential: { token?: string }): Promise<BumpAuthor> {
  const given = authorFromInputs(inputs);
  if (given) return given;
  const apiUrl = env.CI_API_V4_URL;
  if (credential.token && apiUrl) {
    const user = await tokenUser(apiUrl, credential.token);
    if (user) return user;
  }
  const pipelineUser = { name: env.GITLAB_USER_NAME?.trim() ?? "", email: env.GITLAB_USER_EMAIL?.trim() ?? "" };
  if (
    pipelineUser.name !== "" &&
    pipelineUser.email !== "" &&
    !BAD_IDENTITY.test(pipelineUser.name + pipelineUser.email)
  ) {
    warn(
      `the bump is authored by the pipeline's user, ${pipelineUser.name} <${pipelineUser.email}>, not by the user who pushes it; ` +
        'a "Reject unverified users" push rule refuses that. Give the token the read_user scope (the job then asks GitLab who it is), or set author_name and author_email',
    );
    return { ...pipelineUser, source: "the pipeline's user (GITLAB_USER_NAME, GITLAB_USER_EMAIL)" };
  }
  throw new InputError(
    "author_name",
    "",
    "is empty, and neither the token's user nor the pipeline's user is known",
    "set author_name and author_email to the identity the bump commit should carry",
  );
}

/** The author_name/author_email inputs, checked (before any remote call), or undefined when both are empty. */
export function authorFromInputs(inputs: AuthorInputs): BumpAuthor | undefined {
  const { author_name: name, author_email: email } = inputs;
  if (name === "" && email === "") return undefined;
  if (name === "" || email === "") {
    const [missing, given] = name === "" ? ["author_name", email] : ["author_email", name];
    throw new InputError(
      missing,
      "",
      `is empty while ${missing === "author_name" ? "author_email" : "author_name"} is ${JSON.stringify(given)}`,
      "set both author_name and author_email, or neither (the token's user then authors the bump)",
    );
  }
  if (BAD_IDENTITY.test(name))
    throw new InputError("author_name", name, "holds <, > or a line break", "set author_name to a plain name");
  if (BAD_IDENTITY.test(email) || !/^[^@\s]+@[^@\s]+$/.test(email))
    throw new InputError(
      "author_email",
      email,
      "is not an email address",
      "set author_email to an address such as bot@example.com",
    );
  return { name, email, source: "the author_name and author_email inputs" };
}

/**
 * The token's user from `GET /user`, or undefined (with a warning) when GitLab does not tell: the
 * token may not ask (401/403), or the API is unreachable. Naming the author is no reason to fail
 * the bump; the push itself reports a token or server that does not work.
 */
async function tokenUser(apiUrl: string, token: string): Promise<BumpAuthor | undefined> {
  const url = `${apiUrl.replace(/\/+$/, "")}/user`;
  let response;
  try {
    // The GitLab API client is loaded only for this question (and for merge_request mode).
    const { gitlabRequest } = await import("./gitlab-merge-requests.ts");
    response = await gitlabRequest(url, token);
  } catch (e) {
    warn(`GitLab did not tell the token's user (GET ${url} failed: ${(e as Error).message})`);
    return undefined;
  }
  if (response.status === 401 || response.status === 403) {
    warn(
      `GitLab did not tell the token's user (GET ${url} answered ${response.status}): the token needs the read_user, read_api or api scope for that`,
    );
    return undefined;
  }
  const user = (response.status === 200 && typeof response.body === "object" && response.body ? response.body : {}) as {
    name?: unknown;
    username?: unknown;
    email?: unknown;
    commit_email?: unknown;
  };
  // commit_email is the address GitLab attributes the user's commits to (the primary email unless changed).
  const email = typeof user.commit_email === "string" && user.commit_email !== "" ? user.commit_email : user.email;
  if (
    typeof user.name !== "string" ||
    typeof email !== "string" ||
    email === "" ||
    BAD_IDENTITY.test(user.name + email)
  ) {
    warn(
      `GitLab did not tell the token's user (GET ${url} answered ${response.status} without a usable name and email)`,
    );
    return undefined;
  }
  info(
    `the bump is authored by the token's user, ${user.name} <${email}>${typeof user.username === "string" ? ` (@${user.username})` : ""}`,
  );
  return { name: user.name, email, source: "the token's user (GET /user)" };
}
