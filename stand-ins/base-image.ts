/**
 * A base image for test builds, made without any download: Debian's static busybox in an image
 * built FROM scratch. It is built once (an OCI layout cached in the temporary directory, keyed by
 * the busybox binary) and copied into each test registry with skopeo.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { TestRegistry } from "./registry.ts";

const exec = promisify(execFile);

/** The repository and tag the base image gets in a test registry. */
export const BASE_IMAGE = { repository: "base/busybox", tag: "1" } as const;

/**
 * A containers-storage configuration in a fresh temporary directory (vfs driver), so a test's
 * buildah never touches the machine's image store. Point `CONTAINERS_STORAGE_CONF` at `file`.
 */
export function temporaryStorage(): { file: string; dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "gitops-storage-"));
  const file = path.join(dir, "storage.conf");
  writeFileSync(
    file,
    `[storage]\ndriver = "vfs"\ngraphroot = "${path.join(dir, "graph")}"\nrunroot = "${path.join(dir, "run")}"\n`,
  );
  return { file, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function busyboxPath(): string {
  for (const candidate of ["/bin/busybox", "/usr/bin/busybox"])
    if (existsSync(candidate)) return realpathSync(candidate);
  throw new Error("busybox not found: apt-get install -y busybox-static");
}

/** Builds the base image into an OCI layout directory once per busybox binary; returns the directory. */
async function baseLayout(): Promise<string> {
  const busybox = busyboxPath();
  const key = createHash("sha256").update(readFileSync(busybox)).digest("hex").slice(0, 16);
  const layout = path.join(tmpdir(), `gitops-base-busybox-${key}`);
  if (existsSync(path.join(layout, "index.json"))) return layout;
  const work = mkdtempSync(path.join(tmpdir(), "gitops-base-build-"));
  const storage = temporaryStorage();
  try {
    copyFileSync(busybox, path.join(work, "busybox"));
    writeFileSync(
      path.join(work, "Dockerfile"),
      'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n',
    );
    const env = {
      ...process.env,
      CONTAINERS_STORAGE_CONF: storage.file,
      STORAGE_DRIVER: "vfs",
      BUILDAH_ISOLATION: "chroot",
    };
    await exec(
      "buildah",
      ["build", "--quiet", "--isolation", "chroot", "--tag", "localhost/gitops-test-base:1", work],
      { env },
    );
    const staged = `${layout}.${process.pid}.tmp`;
    rmSync(staged, { recursive: true, force: true });
    await exec("buildah", ["push", "--quiet", "localhost/gitops-test-base:1", `oci:${staged}:1`], { env });
    // Another test file may have finished first; either layout is the same image.
    try {
      renameSync(staged, layout);
    } catch {
      rmSync(staged, { recursive: true, force: true });
    }
    return layout;
  } finally {
    storage.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Puts the busybox base image into `registry`; returns its reference (`127.0.0.1:<port>/base/busybox:1`). */
export async function pushBaseImage(registry: TestRegistry): Promise<string> {
  const layout = await baseLayout();
  const reference = `${registry.host}/${BASE_IMAGE.repository}:${BASE_IMAGE.tag}`;
  await exec("skopeo", [
    "copy",
    "--quiet",
    "--dest-authfile",
    registry.authFile,
    "--dest-tls-verify=false",
    `oci:${layout}:1`,
    `docker://${reference}`,
  ]);
  return reference;
}
