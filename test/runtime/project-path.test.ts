/**
 * The one confinement rule for path inputs (runtime/project-path.ts): resolved against the project
 * directory, symbolic links followed, anything outside refused with the input, the value and the fix.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { confinedPath, refuseSymbolicLinks, relativePathInside } from "../../runtime/project-path.ts";

const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), "gitops-project-path-")));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const project = path.join(scratch, "project");
const outside = path.join(scratch, "outside");
for (const dir of [path.join(project, "app"), path.join(project, "deploy"), outside])
  mkdirSync(dir, { recursive: true });
writeFileSync(path.join(project, "app", "Dockerfile"), "FROM scratch\n");
writeFileSync(path.join(outside, "Dockerfile"), "FROM scratch\n");
symlinkSync(outside, path.join(project, "out-dir"));
symlinkSync(path.join(outside, "Dockerfile"), path.join(project, "app", "out-file"));
symlinkSync("../app", path.join(project, "deploy", "in-dir"));

const FIX = "set context to a path inside the repository, relative to its root, reaching no link that points outside";

describe("confinedPath", () => {
  it.each([
    { value: "app", want: path.join(project, "app") },
    { value: "./app/../app", want: path.join(project, "app") },
    { value: path.join(project, "app"), want: path.join(project, "app") },
    { value: "deploy/in-dir", want: path.join(project, "app") },
    { value: ".", want: project },
  ])("accepts $value, inside the project", ({ value, want }) => {
    expect(confinedPath("context", value, project, { kind: "directory" })).toBe(want);
  });

  it.each([
    { value: "../outside", problem: `resolves to ${outside}, outside the project directory ${project}` },
    { value: outside, problem: `resolves to ${outside}, outside the project directory ${project}` },
    { value: "out-dir", problem: `resolves to ${outside}, outside the project directory ${project}` },
    { value: "app/Dockerfile", problem: `is not a directory (${path.join(project, "app", "Dockerfile")})` },
    { value: "missing", problem: `does not exist (looked for ${path.join(project, "missing")})` },
    { value: "app\n/etc", problem: "is not a path" },
  ])("refuses $value: $problem", ({ value, problem }) => {
    expect(() => confinedPath("context", value, project, { kind: "directory" })).toThrow(
      `input context = ${JSON.stringify(value)}: ${problem}`,
    );
    expect(() => confinedPath("context", value, project, { kind: "directory" })).toThrow(
      expect.objectContaining({ fix: FIX }),
    );
  });

  it("resolves a file against its base and still confines it to the project", () => {
    expect(confinedPath("dockerfile", "Dockerfile", project, { base: path.join(project, "app"), kind: "file" })).toBe(
      path.join(project, "app", "Dockerfile"),
    );
    expect(() =>
      confinedPath("dockerfile", "out-file", project, { base: path.join(project, "app"), kind: "file" }),
    ).toThrow(`resolves to ${path.join(outside, "Dockerfile")}, outside the project directory`);
    expect(() =>
      confinedPath("dockerfile", "../../outside/Dockerfile", project, { base: path.join(project, "app") }),
    ).toThrow("outside the project directory");
  });
});

describe("relativePathInside (text only, before anything is read)", () => {
  it.each([
    ["deploy/", "deploy"],
    ["./deploy/kustomization.yaml", "deploy/kustomization.yaml"],
    ["a/../b", "b"],
    [".", "."],
  ])("cleans %j to %j", (value, want) => {
    expect(relativePathInside("manifests", value)).toBe(want);
  });

  it.each(["../x", "/etc/passwd", "a/../../x", "", "deploy\n/etc"])("refuses %j", (value) => {
    expect(() => relativePathInside("manifests", value)).toThrow(
      `input manifests = ${JSON.stringify(value)}: is not a path inside the repository`,
    );
  });
});

describe("refuseSymbolicLinks (before anything is written)", () => {
  it("names the first link on the way, even one that stays inside", () => {
    expect(() =>
      refuseSymbolicLinks("manifests", "deploy/in-dir/Dockerfile", project, "deploy/in-dir/Dockerfile"),
    ).toThrow(
      'input manifests = "deploy/in-dir/Dockerfile": deploy/in-dir is a symbolic link (to ../app): the job reads and writes no link',
    );
    expect(() => refuseSymbolicLinks("manifests", "app/out-file", project, "app/out-file")).toThrow(
      `app/out-file is a symbolic link (to ${path.join(outside, "Dockerfile")})`,
    );
  });

  it("passes regular paths and stops at the first missing component", () => {
    expect(() => refuseSymbolicLinks("manifests", "app/Dockerfile", project, "app/Dockerfile")).not.toThrow();
    expect(() => refuseSymbolicLinks("manifests", "nothing/here", project, "nothing/here")).not.toThrow();
  });
});
