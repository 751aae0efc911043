/**
 * Job logging: plain lines, and GitLab's collapsible sections. Everything a job prints goes
 * through here, so secrets are redacted in one place.
 */

const secrets = new Set<string>();

/** Registers a value that must never be printed (a token). Short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** `text` with every registered secret replaced by `[MASKED]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[MASKED]");
  return out;
}

function write(stream: NodeJS.WriteStream, text: string): void {
  stream.write(`${redact(text)}\n`);
}

/** An informational line. */
export function info(text: string): void {
  write(process.stdout, text);
}

/** A warning line. */
export function warn(text: string): void {
  write(process.stdout, `WARNING: ${text}`);
}

/** An error line (stderr). */
export function error(text: string): void {
  write(process.stderr, `ERROR: ${text}`);
}

let sectionCounter = 0;

/**
 * Runs `body` inside a collapsible log section (GitLab's `section_start` / `section_end` markers).
 * The section name is derived from the title, so the markers are stable.
 */
export async function section<T>(
  title: string,
  body: () => Promise<T> | T,
  options: { collapsed?: boolean } = {},
): Promise<T> {
  const name = `gitops_${++sectionCounter}_${title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "")
    .slice(0, 40)}`;
  const now = () => Math.floor(Date.now() / 1000);
  process.stdout.write(
    `\x1b[0Ksection_start:${now()}:${name}${options.collapsed ? "[collapsed=true]" : ""}\r\x1b[0K${redact(title)}\n`,
  );
  try {
    return await body();
  } finally {
    process.stdout.write(`\x1b[0Ksection_end:${now()}:${name}\r\x1b[0K\n`);
  }
}
