/**
 * System tools the tests need. Under CI=true a missing tool fails loudly; locally the tests that
 * need it are skipped with a message that says how to install it.
 */
import { spawnSync } from "node:child_process";

/** Debian packages that provide each tool. */
export const INSTALL: Record<string, string> = {
  git: "apt-get install -y git",
  rsync: "apt-get install -y rsync",
  buildah: "apt-get install -y buildah",
  skopeo: "apt-get install -y skopeo",
  "docker-registry": "apt-get install -y docker-registry",
  busybox: "apt-get install -y busybox-static",
  htpasswd: "apt-get install -y apache2-utils",
  "ssh-keygen": "apt-get install -y openssh-client",
  kubectl: "kubectl comes preinstalled on this machine kind (no Debian package installs a current one)",
};

/** Is `tool` on PATH? */
export function haveTool(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0;
}

/**
 * True when every tool is present. When one is missing: under CI=true, throws (the suite fails);
 * otherwise prints how to install it and returns false (use with `describe.skipIf(!…)`).
 */
export function requireTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => !haveTool(t));
  if (missing.length === 0) return true;
  const how = missing.map((t) => `${t}: ${INSTALL[t] ?? `install ${t}`}`).join("; ");
  if (process.env.CI === "true") throw new Error(`missing system tools under CI: ${how}. .ci/run must install them.`);
  console.warn(`skipping tests that need ${missing.join(", ")} — install with: ${how}`);
  return false;
}
