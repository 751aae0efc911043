/**
 * The one branch-name rule every job applies to every branch input, before any remote call.
 *
 * git's rules are `git check-ref-format --branch` (refs.c check_refname_format on
 * `refs/heads/<name>`, plus object-name.c strbuf_check_branch_ref: no leading `-`, not `HEAD`).
 * GitLab's own come on top: lib/gitlab/git_ref_validator.rb refuses names that start with
 * `refs/heads/` or `refs/remotes/` and `HEAD`; lib/gitlab/checks/branch_check.rb refuses to create
 * a branch whose name starts with 40 hexadecimal digits (a SHA-1; newer versions say "SHA-1 or
 * SHA-256"). Stricter than both, on purpose: any `refs/` prefix (the jobs push to
 * `refs/heads/<name>`, so `refs/heads/x` would create `refs/heads/refs/heads/x`), and `@` alone
 * (git reads `@` as HEAD on the command line).
 */
import { InputError } from "./errors.ts";

/** git's rules (check-ref-format rules 1-10 on refs/heads/<name>, and --branch's leading -), each with what it forbids. */
const GIT_RULES: Array<[RegExp, string]> = [
  [/[\x00-\x20\x7f~^:?*[\\]/, "a space, a control character or one of ~ ^ : ? * [ \\"],
  [/^-/, "a leading -"],
  [/\.\.|@\{|\/\/|^\/|[/.]$/, "one of .. @{ //, or a leading /, or a trailing / or ."],
  [/(^|\/)\.|\.lock(\/|$)/, "a component that starts with . or ends with .lock"],
];

/** Why `name` is not a branch name the jobs accept, or undefined when it is one. */
export function branchNameProblem(name: string): string | undefined {
  const rule = GIT_RULES.find(([pattern]) => pattern.test(name));
  if (name === "") return "is empty";
  if (rule) return `has ${rule[1]}, which git refuses in a branch name`;
  if (name === "HEAD" || name === "@") return "names the current commit (HEAD), not a branch";
  if (name.startsWith("refs/")) return "starts with refs/: give the short name, the job adds refs/heads/";
  if (/^[0-9a-f]{40}/i.test(name)) return "starts with 40 hex digits, like a commit SHA, which GitLab refuses";
  return undefined;
}

/** `value` as a branch name, or an {@link InputError} naming `input`, the value, the rule it breaks and the fix. */
export function parseBranchName(input: string, value: string): string {
  const problem = branchNameProblem(value);
  if (problem !== undefined)
    throw new InputError(
      input,
      value,
      problem,
      `set ${input} to a branch's short name, such as main or _gitlab/agents/staging`,
    );
  return value;
}
