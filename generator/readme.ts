/**
 * The README's generated part: the component table and each component's inputs, written between
 * markers so the hand-written rest of the README is left alone.
 */
import type { Catalog } from "./config.ts";
import { inputType } from "./inputs.ts";
import type { RenderedTemplate } from "./template.ts";

export const BEGIN = "<!-- BEGIN GENERATED COMPONENTS: `npm run generate` writes this part; do not edit by hand -->";
export const END = "<!-- END GENERATED COMPONENTS -->";

function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n+/g, " ");
}

function code(value: unknown): string {
  if (value === undefined) return "*(required)*";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === "") return "`\"\"`";
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  // Inside a code span backslashes are literal; only the table's pipe needs escaping.
  return `\`${shown.replace(/\|/g, "\\|").replace(/\n+/g, " ").replace(/`/g, "'")}\``;
}

/** The generated Markdown: a component table, then one inputs table per component. */
export function componentTables(templates: RenderedTemplate[], catalog: Catalog): string {
  const lines: string[] = [];
  lines.push("| component | include | description |", "|---|---|---|");
  for (const t of templates) {
    const ref = `$CI_SERVER_FQDN/${catalog.config.catalogProject}/${t.component.name}@${catalog.version}`;
    lines.push(`| [\`${t.component.name}\`](#${t.component.name}) | \`${ref}\` | ${cell(t.component.description)} |`);
  }
  for (const t of templates) {
    lines.push("", `### ${t.component.name}`, "", cell(t.component.description), "");
    lines.push("```yaml", "include:", `  - component: $CI_SERVER_FQDN/${catalog.config.catalogProject}/${t.component.name}@${catalog.version}`, "```", "");
    lines.push("| input | type | default | description |", "|---|---|---|---|");
    for (const [name, spec] of Object.entries(t.component.inputs)) {
      const options = spec.options ? ` One of: ${(spec.options as readonly unknown[]).map((o) => code(o)).join(", ")}.` : "";
      const regex = spec.regex ? ` Must match \`${cell(spec.regex)}\`.` : "";
      lines.push(`| \`${name}\` | ${inputType(spec)} | ${code(spec.default)} | ${cell(spec.description)}${options}${regex} |`);
    }
  }
  return lines.join("\n");
}

/** The README with its generated part replaced (or appended, with markers, if it has none). */
export function updateReadme(readme: string, templates: RenderedTemplate[], catalog: Catalog): string {
  const tables = `${BEGIN}\n${componentTables(templates, catalog)}\n${END}`;
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return `${readme.replace(/\n*$/, "\n\n")}## Components\n\n${tables}\n`;
  return `${readme.slice(0, start)}${tables}${readme.slice(end + END.length)}`;
}
