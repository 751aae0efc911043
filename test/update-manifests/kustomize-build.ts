/**
 * kustomize as the oracle for update-manifests' edits: `kubectl kustomize` builds, and a check that
 * an edited text differs from the original only in image values (read with the `yaml` library, so
 * the job's own reader is not judging itself).
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { isAlias, isScalar, parseAllDocuments, visit, type Node as YamlLibNode } from "yaml";
import { refersTo } from "../../components/update-manifests/manifest-edit.ts";

const exec = promisify(execFile);

/** The kustomize version inside kubectl (`[5, 5, 0]`), or undefined without kubectl. */
export async function kustomizeVersion(): Promise<number[] | undefined> {
  try {
    const { stdout } = await exec("kubectl", ["version", "--client"]);
    const match = /Kustomize Version: v(\d+)\.(\d+)\.(\d+)/.exec(stdout);
    return match ? match.slice(1).map(Number) : undefined;
  } catch {
    return undefined;
  }
}

/** Does this kustomize edit image volumes (`spec.volumes[].image.reference`)? From v5.7.0 on. */
export function editsImageVolumes(version: number[]): boolean {
  const [major = 0, minor = 0] = version;
  return major > 5 || (major === 5 && minor >= 7);
}

/** Writes `files` (relative paths) under `dir`. */
export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
}

/** `kubectl kustomize dir`: the built YAML, or kustomize's error. */
export async function kustomizeBuild(dir: string): Promise<{ output: string } | { error: string }> {
  try {
    const { stdout } = await exec("kubectl", ["kustomize", dir], { maxBuffer: 64 * 1024 * 1024 });
    return { output: stdout };
  } catch (e) {
    return { error: String((e as { stderr?: string }).stderr ?? e) };
  }
}

interface ScalarSpan {
  start: number;
  end: number;
  value: string;
}

/** Every scalar and alias of a text, in order, with its offsets, as the `yaml` library reads it. */
function scalarSpans(text: string): ScalarSpan[] {
  const spans: ScalarSpan[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`not YAML: ${doc.errors[0]?.message}`);
    visit(doc, {
      Scalar(_, node) {
        if (node.range && node.range[1] > node.range[0])
          spans.push({ start: node.range[0], end: node.range[1], value: String(node.source ?? "") });
      },
      Alias(_, node: YamlLibNode) {
        if (isAlias(node) && node.range) {
          const target = node.resolve(doc);
          spans.push({
            start: node.range[0],
            end: node.range[1],
            value: isScalar(target) ? String(target.source ?? target.value) : `*${node.source}`,
          });
        }
      },
    });
  }
  return spans.sort((a, b) => a.start - b.start);
}

/**
 * Why `after` is not `before` with only image values changed (to `newImage`, from values that
 * refer to `imageName`), or undefined when it is. Everything between scalars must be byte-equal.
 */
export function otherThanImagesChanged(
  before: string,
  after: string,
  imageName: string,
  newImage: string,
): string | undefined {
  const a = scalarSpans(before);
  const b = scalarSpans(after);
  if (a.length !== b.length) return `${a.length} scalars before, ${b.length} after`;
  let skeletonA = "";
  let skeletonB = "";
  let lastA = 0;
  let lastB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ScalarSpan;
    const y = b[i] as ScalarSpan;
    if (x.value !== y.value && !(refersTo(x.value, imageName) && y.value === newImage))
      return `scalar ${JSON.stringify(x.value)} became ${JSON.stringify(y.value)}`;
    skeletonA += `${before.slice(lastA, x.start)}\0`;
    skeletonB += `${after.slice(lastB, y.start)}\0`;
    // An unchanged scalar keeps its exact text too (quoting and all).
    if (x.value === y.value && before.slice(x.start, x.end) !== after.slice(y.start, y.end))
      return `scalar ${JSON.stringify(x.value)} was rewritten`;
    lastA = x.end;
    lastB = y.end;
  }
  skeletonA += before.slice(lastA);
  skeletonB += after.slice(lastB);
  return skeletonA === skeletonB ? undefined : "text between the values changed";
}
