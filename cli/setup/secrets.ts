/**
 * The secrets a run has seen (GITLAB_TOKEN, every token created or rotated, every private key),
 * and the redaction every line of output passes through. Nothing prints a secret on purpose; this
 * is the second line of defence, for a message that quotes one by accident.
 */

/** Secrets known to this run. */
export class Secrets {
  private readonly values = new Set<string>();

  /** Remembers a secret (values shorter than 8 characters are not secrets GitLab issues). */
  add(value: string | undefined): void {
    if (value && value.length >= 8) {
      this.values.add(value);
      // A multi-line secret (a private key) is also hidden line by line.
      for (const line of value.split("\n")) if (line.length >= 16 && !line.startsWith("-----")) this.values.add(line);
    }
  }

  /** `text` with every known secret replaced by `[redacted]`. */
  redact(text: string): string {
    let out = text;
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(value).join("[redacted]");
    return out;
  }
}
