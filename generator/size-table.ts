/**
 * The README's size table: bytes of every template and of every script embedded in it, against
 * the budgets (generator/budget.ts), written between markers so the rest of the README is left alone.
 */
import { BUDGETS } from "./budget.ts";
import type { RenderedTemplate } from "./template.ts";

export const SIZES_BEGIN = "<!-- BEGIN GENERATED SIZES: `npm run generate` writes this table; do not edit by hand -->";
export const SIZES_END = "<!-- END GENERATED SIZES -->";

const bytes = (n: number) => n.toLocaleString("en-US");
const over = (n: number, budget: number) => (n > budget ? ` **over ${budget / 1024} KiB**` : "");

/** The table: one row per embedded file (a template without scripts gets one row of its own). */
export function sizeTable(templates: readonly RenderedTemplate[]): string {
  const lines = [
    `| template | template bytes (budget ${bytes(BUDGETS.templateBytes)}) | embedded file | bundled from | file bytes (budget ${bytes(BUDGETS.scriptBytes)}) |`,
    "|---|---:|---|---|---:|",
  ];
  for (const t of templates) {
    const size = Buffer.byteLength(t.text);
    const first = `| \`${t.component.name}\` | ${bytes(size)}${over(size, BUDGETS.templateBytes)} |`;
    if (t.scripts.length === 0) lines.push(`${first} (none) | | |`);
    t.scripts.forEach((s, i) => {
      const from = s.file === s.main ? `\`${s.entry}\`` : `module of \`${s.main}\``;
      lines.push(
        `${i === 0 ? first : "| | |"} \`${s.file}\` | ${from} | ${bytes(s.code.length)}${over(s.code.length, BUDGETS.scriptBytes)} |`,
      );
    });
  }
  return lines.join("\n");
}

/** The README with its size table replaced; a README without the markers is returned as it is. */
export function updateSizeTable(readme: string, templates: readonly RenderedTemplate[]): string {
  const start = readme.indexOf(SIZES_BEGIN);
  const end = readme.indexOf(SIZES_END);
  if (start < 0 || end < start) return readme;
  return `${readme.slice(0, start)}${SIZES_BEGIN}\n${sizeTable(templates)}\n${readme.slice(end)}`;
}
