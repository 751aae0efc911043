/**
 * A new ed25519 key pair for a deploy key, made in memory with node:crypto and written in
 * OpenSSH's formats (PROTOCOL.key in OpenSSH's sources; RFC 8709 for the public key), so the
 * private key never touches a disk on its way into the CI/CD variable.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";

/** A key pair: the public key for GitLab, the private key for the variable. */
export interface KeyPair {
  /** `ssh-ed25519 AAAA… <comment>`. */
  publicKey: string;
  /** An unencrypted `-----BEGIN OPENSSH PRIVATE KEY-----` block. */
  privateKey: string;
}

/** SSH's `string`: a 32-bit big-endian length, then the bytes. */
function sshString(bytes: Buffer | string): Buffer {
  const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

/** Generates a key pair; `comment` ends both keys (the deploy key's title). */
export function generateDeployKey(comment: string): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pub = Buffer.from((publicKey.export({ format: "jwk" }) as { x: string }).x, "base64url");
  const seed = Buffer.from((privateKey.export({ format: "jwk" }) as { d: string }).d, "base64url");
  const publicBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
  const check = randomBytes(4).readUInt32BE();
  let secret = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString("ssh-ed25519"),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  // Padded with 1, 2, 3, … to the cipher block size (8 for "none").
  const padding = Buffer.from(Array.from({ length: (8 - (secret.length % 8)) % 8 }, (_, i) => i + 1));
  secret = Buffer.concat([secret, padding]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "binary"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    uint32(1),
    sshString(publicBlob),
    sshString(secret),
  ]);
  const lines = body.toString("base64").match(/.{1,70}/g) ?? [];
  return {
    publicKey: `ssh-ed25519 ${publicBlob.toString("base64")} ${comment}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`,
  };
}
