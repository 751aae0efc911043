/**
 * Carries a plan out, credential by credential, in the plan's order: the token or deploy key, the
 * branch rule, the variable, then what it replaces. A new token's value exists only in memory
 * between GitLab's answer and the variable's request body.
 *
 * When GitLab refuses a branch rule, or accepts the request but not the grant (a tier without
 * per-user rules answers 422; a build that ignores the grant protects the branch with "No one"),
 * the token made for it in this run is revoked again and nothing after it runs: no credential is
 * left behind that nothing uses. A deploy key the API would not take stays, with its variable,
 * for the one manual step setup then names.
 */
import { exclusiveChange, isExclusive, letsPush, type Subject } from "./branch-rules.ts";
import { generateDeployKey } from "./deploy-key.ts";
import type { ProtectedBranch, SetupApi } from "./gitlab-api.ts";
import { variableDescription, type Action, type CredentialPlan, type SetupPlan } from "./plan.ts";
import type { Secrets } from "./secrets.ts";

/** How an apply ended. */
export interface ApplyResult {
  ok: boolean;
  /** Steps left to do by hand (GitLab did not take a deploy key through its API). */
  manual: string[];
}

class Refused extends Error {}

/** The state of one credential while its steps run. */
interface Progress {
  value?: string;
  subject?: Subject;
  id?: number;
  createdTokenId?: number;
}

function describeGrant(subject: Subject | undefined): string {
  return !subject ? "nobody" : "user_id" in subject ? `user ${subject.user_id}` : `deploy key ${subject.deploy_key_id}`;
}

async function runAction(
  action: Action,
  plan: CredentialPlan,
  progress: Progress,
  api: SetupApi,
  project: number,
  secrets: Secrets,
  manual: string[],
): Promise<string> {
  const need = plan.need;
  const subject = () => {
    if (!progress.subject)
      throw new Error(`internal: no user or deploy key known for ${need.variable} before ${action.kind}`);
    return progress.subject;
  };
  const verify = (rule: ProtectedBranch, branch: string, good: boolean) => {
    if (good) return;
    const shown = rule.push_access_levels
      .map((e) =>
        e.user_id
          ? `user ${e.user_id}`
          : e.deploy_key_id
            ? `deploy key ${e.deploy_key_id}`
            : (e.access_level_description ?? `level ${e.access_level}`),
      )
      .join(" + ");
    if (need.kind === "deploy-key") {
      manual.push(
        `choose deploy key ${need.name} under Allowed to push and merge of ${branch} (Settings > Repository > Protected branches): GitLab took the rule but not the key (push: ${shown || "nobody"}); its API accepts deploy keys on Free only since gitlab-org/gitlab!224542`,
      );
      return;
    }
    throw new Refused(
      `GitLab answered with a rule for ${branch} without ${describeGrant(progress.subject)} (push: ${shown || "nobody"}): this instance does not take a single user's push rule (Free, or a Community Edition build)`,
    );
  };
  switch (action.kind) {
    case "create-token": {
      const token = await api.createAccessToken(project, {
        name: action.name,
        scopes: action.scopes,
        accessLevel: action.accessLevel,
        expiresAt: action.expiresAt,
      });
      secrets.add(token.token);
      Object.assign(progress, {
        value: token.token,
        subject: { user_id: token.user_id },
        id: token.id,
        createdTokenId: token.id,
      });
      return `created project access token ${action.name} (id ${token.id}, bot user ${token.user_id}, expires ${token.expires_at})`;
    }
    case "rotate-token": {
      const token = await api.rotateAccessToken(project, action.tokenId, action.expiresAt);
      secrets.add(token.token);
      Object.assign(progress, { value: token.token, subject: { user_id: token.user_id }, id: token.id });
      return `rotated project access token ${action.name} (id ${action.tokenId} is revoked; the new one is id ${token.id}, expires ${token.expires_at})`;
    }
    case "create-deploy-key": {
      const pair = generateDeployKey(action.title);
      secrets.add(pair.privateKey);
      const key = await api.createDeployKey(project, { title: action.title, publicKey: pair.publicKey });
      Object.assign(progress, { value: pair.privateKey, subject: { deploy_key_id: key.id }, id: key.id });
      return `created deploy key ${action.title} (id ${key.id}, write access)`;
    }
    case "protect-branch": {
      const rule = await api.protectBranch(project, action.branch, subject());
      verify(rule, action.branch, isExclusive(rule, subject()));
      return `protected ${action.branch} (push: ${describeGrant(subject())} only; merge: no one; force push: off)`;
    }
    case "restrict-branch": {
      const rule = await api.updateProtectedBranch(project, action.branch, exclusiveChange(action.rule, subject()));
      verify(rule, action.branch, isExclusive(rule, subject()));
      return `restricted ${action.branch} (push: ${describeGrant(subject())} only; merge: no one; force push: off)`;
    }
    case "allow-push": {
      const rule = await api.updateProtectedBranch(project, action.branch, { push: [subject()] });
      verify(rule, action.branch, letsPush(rule, subject(), undefined));
      return `let ${describeGrant(subject())} push to ${action.branch}`;
    }
    case "store-variable": {
      if (progress.value === undefined || progress.id === undefined)
        throw new Error(`internal: no new value for ${action.variable}`);
      const variable = {
        key: action.variable,
        value: progress.value,
        file: action.file,
        masked: action.masked,
        hidden: action.hidden,
        description: variableDescription(need, progress.id),
      };
      await (action.create ? api.createVariable(project, variable) : api.updateVariable(project, variable));
      return `${action.create ? "created" : "updated"} CI/CD variable ${action.variable} (protected${action.masked ? ", masked" : ""}${action.hidden ? ", hidden" : ""}${action.file ? ", type File" : ""})`;
    }
    case "revoke-token":
      await api.revokeAccessToken(project, action.tokenId);
      return `revoked project access token ${action.name} (id ${action.tokenId}), replaced`;
    case "remove-deploy-key":
      await api.removeDeployKey(project, action.keyId);
      return `removed deploy key ${action.title} (id ${action.keyId}), replaced`;
  }
}

/** Applies `plan`; `log` receives a line per step done, undone or failed. */
export async function applyPlan(
  plan: SetupPlan,
  api: SetupApi,
  project: number,
  secrets: Secrets,
  log: (line: string) => void,
): Promise<ApplyResult> {
  const manual: string[] = [];
  for (const credential of plan.credentials) {
    const progress: Progress = { subject: credential.subject, id: credential.existingId };
    for (const step of credential.steps) {
      if (!step.action) continue;
      try {
        log(`  done: ${await runAction(step.action, credential, progress, api, project, secrets, manual)}`);
      } catch (error) {
        log(`  failed: ${step.text}: ${(error as Error).message}`);
        // A token made in this run for a branch GitLab would not give it is of no use: take it back.
        const stored = credential.steps
          .slice(0, credential.steps.indexOf(step))
          .some((s) => s.action?.kind === "store-variable");
        if (progress.createdTokenId !== undefined && !stored) {
          try {
            await api.revokeAccessToken(project, progress.createdTokenId);
            log(
              `  undone: revoked project access token ${credential.need.name} (id ${progress.createdTokenId}), made in this run`,
            );
          } catch (undo) {
            log(
              `  could not undo: revoke project access token ${credential.need.name} (id ${progress.createdTokenId}) by hand: ${(undo as Error).message}`,
            );
          }
        }
        if (step.action.kind === "store-variable" && credential.steps.some((s) => s.action?.kind === "rotate-token"))
          log(
            `  the token was rotated but its new value is not stored: run setup --apply again, it rotates once more and stores it`,
          );
        return { ok: false, manual };
      }
    }
  }
  return { ok: manual.length === 0, manual };
}
