/**
 * The deploy keys setup makes: an ed25519 pair written in OpenSSH's formats, which OpenSSH itself
 * reads back (ssh-keygen derives the same public key from the private one).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateDeployKey } from "../../cli/setup/deploy-key.ts";
import { requireTools } from "../support/tools.ts";

describe.skipIf(!requireTools("ssh-keygen"))("a generated deploy key", () => {
  it("is a private key OpenSSH reads, whose public key is the one setup gives GitLab", () => {
    const pair = generateDeployKey("gitops-staging");
    expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} gitops-staging$/);
    const dir = mkdtempSync(path.join(tmpdir(), "gitops-key-"));
    try {
      writeFileSync(path.join(dir, "key"), pair.privateKey, { mode: 0o600 });
      const derived = spawnSync("ssh-keygen", ["-y", "-f", path.join(dir, "key")], { encoding: "utf8" });
      expect(derived.stderr).toBe("");
      expect(derived.stdout.trim()).toBe(pair.publicKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is new every time", () => {
    expect(generateDeployKey("a").privateKey).not.toBe(generateDeployKey("a").privateKey);
  });
});
