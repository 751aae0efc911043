/**
 * Reading protected-branch rules: which rules match a branch (a `*` in a rule's name matches any
 * characters, `/` included: app/models/ref_matcher.rb), who a rule lets push or merge, and whether a
 * rule is exactly "push: this credential only; merge: no one; no force push". When several rules
 * match a branch the most permissive wins (doc/user/project/repository/branches/protected.md).
 */
import { ACCESS, type AccessEntry, type Grant, type ProtectedBranch } from "./gitlab-api.ts";

/** Who a credential is, in protected-branch terms. */
export type Subject = { user_id: number } | { deploy_key_id: number };

/** Does rule `name` (possibly a wildcard) match `branch`? */
export function ruleMatches(name: string, branch: string): boolean {
  if (!name.includes("*")) return name === branch;
  const pattern = name
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${pattern}$`).test(branch);
}

/** Is the entry "No one" (a role entry with access level 0)? */
function isNoOne(entry: AccessEntry): boolean {
  return !entry.user_id && !entry.group_id && !entry.deploy_key_id && entry.access_level === ACCESS.none;
}

/** Is the entry exactly `subject`? */
export function isSubject(entry: AccessEntry, subject: Subject): boolean {
  return "user_id" in subject ? entry.user_id === subject.user_id : entry.deploy_key_id === subject.deploy_key_id;
}

/** How an entry reads in a plan. */
export function describeEntry(entry: AccessEntry): string {
  if (entry.user_id) return `user ${entry.user_id}`;
  if (entry.deploy_key_id) return `deploy key ${entry.deploy_key_id}`;
  if (entry.group_id) return `group ${entry.group_id}`;
  return (
    entry.access_level_description ??
    (entry.access_level === ACCESS.none
      ? "No one"
      : entry.access_level === ACCESS.developer
        ? "Developers + Maintainers"
        : entry.access_level === ACCESS.maintainer
          ? "Maintainers"
          : `access level ${entry.access_level}`)
  );
}

/** The rule's push and merge lists and force push, in words. */
export function describeRule(rule: ProtectedBranch): string {
  const list = (entries: AccessEntry[]) => (entries.length ? entries.map(describeEntry).join(" + ") : "nobody listed");
  return `push: ${list(rule.push_access_levels)}; merge: ${list(rule.merge_access_levels)}; force push: ${rule.allow_force_push ? "on" : "off"}`;
}

/** Is `rule` exactly what an environment branch needs: only `subject` pushes, no one merges, no force push? */
export function isExclusive(rule: ProtectedBranch, subject: Subject | undefined): boolean {
  if (!subject || rule.allow_force_push) return false;
  const push = rule.push_access_levels;
  return (
    push.some((e) => isSubject(e, subject)) &&
    push.every((e) => isSubject(e, subject) || isNoOne(e)) &&
    rule.merge_access_levels.every(isNoOne)
  );
}

/** Does `rule` give anyone beyond `subject` a way to change the branch? */
export function grantsOthers(rule: ProtectedBranch, subject: Subject | undefined): boolean {
  const other = (e: AccessEntry) => !isNoOne(e) && !(subject && isSubject(e, subject));
  return rule.allow_force_push || rule.push_access_levels.some(other) || rule.merge_access_levels.some(other);
}

/** Does `rule` let a credential push: as itself, or by a role its access level reaches? */
export function letsPush(
  rule: ProtectedBranch,
  subject: Subject | undefined,
  accessLevel: number | undefined,
): boolean {
  return rule.push_access_levels.some(
    (e) =>
      (subject && isSubject(e, subject)) ||
      (accessLevel !== undefined &&
        !e.user_id &&
        !e.group_id &&
        !e.deploy_key_id &&
        (e.access_level ?? 0) > 0 &&
        (e.access_level ?? 0) <= accessLevel),
  );
}

/** The smallest role a rule lets push, if any (Free: a token needs that role). */
export function lowestPushRole(rule: ProtectedBranch): number | undefined {
  const roles = rule.push_access_levels
    .filter((e) => !e.user_id && !e.group_id && !e.deploy_key_id && (e.access_level ?? 0) > 0)
    .map((e) => e.access_level as number);
  return roles.length ? Math.min(...roles) : undefined;
}

/** The PATCH that makes `rule` exclusive to `subject`: add it, remove every other entry but "No one", merge by no one. */
export function exclusiveChange(
  rule: ProtectedBranch,
  subject: Subject,
): { push: Grant[]; merge: Grant[]; allowForcePush: false } {
  const destroy = (e: AccessEntry): Grant[] => (e.id === undefined ? [] : [{ id: e.id, _destroy: true }]);
  const push: Grant[] = [
    ...(rule.push_access_levels.some((e) => isSubject(e, subject)) ? [] : [subject]),
    ...rule.push_access_levels.filter((e) => !isSubject(e, subject) && !isNoOne(e)).flatMap(destroy),
  ];
  const merge: Grant[] = [
    ...(rule.merge_access_levels.some(isNoOne) ? [] : [{ access_level: ACCESS.none }]),
    ...rule.merge_access_levels.filter((e) => !isNoOne(e)).flatMap(destroy),
  ];
  return { push, merge, allowForcePush: false };
}
