/**
 * The README's generated part: the component table and each component's inputs, written between
 * markers so the hand-written rest of the README is left alone.
 */
import type { Catalog } from "./config.ts";
import { inputType } from "./inputs.ts";
import { componentSpecFromTemplate } from "./template-spec.ts";
import type { RenderedTemplate } from "./template.ts";

export const BEGIN = "<!-- BEGIN GENERATED COMPONENTS: `npm run generate` writes this part; do not edit by hand -->";
export const END = "<!-- END GENERATED COMPONENTS -->";

function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n+/g, " ");
}

function code(value: unknown): string {
  if (value === undefined) return "*(required)*";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === "") return '`""`';
  // Whole, never cut: a default rule or list is only useful complete. Inside a code span
  // backslashes are literal; only the table's pipe needs escaping.
  return `\`${text.replace(/\|/g, "\\|").replace(/\n+/g, " ").replace(/`/g, "'")}\``;
}

/**
 * The guards a component renders before its `rules` input (components/common.ts guardedRules),
 * read from the template: the `when: never` rules in front of `$[[ inputs.rules ]]`, once each.
 */
export function guardsOf(template: RenderedTemplate): string[] {
  const guards = new Set<string>();
  for (const job of Object.values(componentSpecFromTemplate(template.component.name, template.text).jobs)) {
    const rules = (job as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(rules)) continue;
    const input = rules.findIndex((rule) => typeof rule === "string" && /^\$\[\[\s*inputs\.rules\s*\]\]$/.test(rule));
    for (const rule of rules.slice(0, Math.max(input, 0)))
      if ((rule as { when?: unknown }).when === "never") guards.add(String((rule as { if?: unknown }).if));
  }
  return [...guards];
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
    lines.push(
      "```yaml",
      "include:",
      `  - component: $CI_SERVER_FQDN/${catalog.config.catalogProject}/${t.component.name}@${catalog.version}`,
      "```",
      "",
    );
    lines.push("| input | type | default | description |", "|---|---|---|---|");
    for (const [name, spec] of Object.entries(t.component.inputs)) {
      const options = spec.options
        ? ` One of: ${(spec.options as readonly unknown[]).map((o) => code(o)).join(", ")}.`
        : "";
      const regex = spec.regex ? ` Must match \`${cell(spec.regex)}\`.` : "";
      const guards = name === "rules" ? guardsOf(t) : [];
      const guarded = guards.length
        ? ` Guards (\`when: never\`, always before these rules): ${guards.map((g) => code(`if: ${g}`)).join(", ")}.`
        : "";
      lines.push(
        `| \`${name}\` | ${inputType(spec)} | ${code(spec.default)} | ${cell(spec.description)}${options}${regex}${guarded} |`,
      );
    }
    const outputs = t.component.outputs;
    if (outputs) {
      const report = `dotenv report \`${outputs.file}\``;
      lines.push("", `Outputs, in the ${report} (later jobs that need this one read them as variables):`, "");
      lines.push("| output | description |", "|---|---|");
      for (const [name, description] of Object.entries(outputs.values))
        lines.push(`| \`${name}\` | ${cell(description)} |`);
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
