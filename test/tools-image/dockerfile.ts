/**
 * A small Dockerfile reader for the tools-image lint: instructions with their arguments, line
 * continuations joined, comments dropped — enough to ask what an image installs.
 */

/** One instruction (`RUN`, `FROM`, …) with its arguments joined onto one line. */
export interface Instruction {
  instruction: string;
  args: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

/** Parses Dockerfile text into instructions (the default `\` escape character only). */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  text.split("\n").forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment lines end nothing: Docker drops them even in the middle of a continued instruction.
    if (trimmed.startsWith("#")) return;
    if (!pending && trimmed === "") return;
    const continued = /\\\s*$/.test(raw);
    const part = continued ? raw.replace(/\\\s*$/, "") : raw;
    if (!pending) pending = { parts: [], line: i + 1 };
    pending.parts.push(part.trim());
    if (continued) return;
    const joined = pending.parts.filter(Boolean).join(" ");
    const m = /^(\S+)\s*(.*)$/.exec(joined);
    if (m) instructions.push({ instruction: (m[1] as string).toUpperCase(), args: m[2] as string, line: pending.line });
    pending = undefined;
  });
  return instructions;
}

/** The instructions of the final build stage (from its `FROM` on). */
export function finalStage(instructions: Instruction[]): Instruction[] {
  const from = instructions.map((i) => i.instruction).lastIndexOf("FROM");
  return from < 0 ? instructions : instructions.slice(from);
}

/** Packages named by `apt-get install` (or `apt install`) commands in `RUN` instructions. */
export function aptPackages(instructions: Instruction[]): string[] {
  const packages: string[] = [];
  for (const { instruction, args } of instructions) {
    if (instruction !== "RUN") continue;
    for (const command of args.split(/&&|;|\|\|/)) {
      const words = command.trim().split(/\s+/);
      const at = words.findIndex((w, i) => (w === "apt-get" || w === "apt") && words.slice(i + 1).includes("install"));
      if (at < 0) continue;
      const after = words.slice(words.indexOf("install", at) + 1);
      packages.push(...after.filter((w) => !w.startsWith("-") && w !== ""));
    }
  }
  return packages;
}

/** `ENV` settings (`KEY=value` pairs). */
export function envSettings(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { instruction, args } of instructions) {
    if (instruction !== "ENV") continue;
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g))
      env[m[1] as string] = (m[2] as string).replace(/^"|"$/g, "");
  }
  return env;
}
