/**
 * Validation: a catalog with a bad keyword, undeclared inputs, defaults outside their options and
 * GitLab's traps fails with every problem listed, each with its path, the value and the fix.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateCatalog } from "../../generator/catalog.ts";
import { formatProblem, GenerationFailed } from "../../generator/problems.ts";
import type { RenderedTemplate } from "../../generator/template.ts";
import { catalogProblems } from "../../generator/validate.ts";

const INVALID = path.join(import.meta.dirname, "..", "fixtures", "invalid");

async function problemsOf(root: string): Promise<string[]> {
  try {
    await generateCatalog({ root });
  } catch (error) {
    if (error instanceof GenerationFailed) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

describe("validation", () => {
  it("reports every problem of every component together, each with its path, value and fix", async () => {
    expect(await problemsOf(INVALID)).toEqual([
      'broken \u203a spec \u203a inputs.level.default: the default is not one of the options ["low","high"] (got "extreme"). Fix: make the default one of the options, or add it to them',
      'broken \u203a spec \u203a inputs.count.default: the default is not a number (got "three"). Fix: give a number default, or change the input\'s type',
      'broken \u203a spec \u203a inputs.pattern.default: the default does not match the regex ^[a-z]+$ (got "Bad Name"). Fix: change the default or the regex so they agree',
      'broken \u203a spec \u203a inputs.broken_regex.regex: the regex does not compile (got "([a-z"). Fix: write an RE2 pattern without /\u2026/ delimiters',
      'broken \u203a deploy \u203a script[0]: input "nope" is not declared in spec:inputs (got "echo deploying to $[[ inputs.nope ]]"). Fix: declare "nope" in the component\'s inputs, or use one of: stage, level, count, pattern, broken_regex, branch, tags',
      'broken \u203a deploy \u203a script[0]: an input is interpolated into script text, where the shell would run whatever it holds (got "echo deploying to $[[ inputs.nope ]]"). Fix: pass the input through the job\'s variables: (NAME: $[[ inputs.x ]]) and read $NAME in the script',
      'broken \u203a deploy \u203a variables.TAGS: the array input "tags" is the whole value of a job variable; GitLab inserts it typed, and a job variable must be a string (an array is always refused) (got "$[[ inputs.tags ]]"). Fix: place it inside a string, as components/common.ts inputVariable() does ({"<input>":\u2026}), and read it with listInput or booleanInput',
      'broken \u203a deploy \u203a rules[0].if: an input is placed inside quotes in rules:if; a quoted right side is a literal, so a value such as $CI_DEFAULT_BRANCH never matches (got "$CI_COMMIT_BRANCH == \\"$[[ inputs.branch ]]\\""). Fix: compare predefined variables directly ($CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH) and let consumers replace the rules whole through an array `rules` input',
      "broken \u203a spec \u203a inputs.broken_regex: the input is declared but no job uses it. Fix: use it in a job (through variables: for scripts) or remove it",
      "broken \u203a deploy \u203a bogus_keyword: unknown keyword (GitLab's CI schema: must NOT have additional properties) (with every input at its default). Fix: write the keyword and value as GitLab documents them (https://docs.gitlab.com/ci/yaml/)",
      'broken \u203a deploy \u203a variables.TAGS: GitLab\'s CI schema: must be boolean or number or string or object (with every input at its default) (got ["a"]). Fix: the value comes from input "tags": give it a default and options that are valid here (tags = ["a"] is not)',
      'broken \u203a deploy: two jobs are named "deploy" (with every input at its default) (got "deploy"). Fix: give each job its own name (a job_name or job_prefix input keeps names unique per include)',
      'broken \u203a deploy \u203a needs[0]: points at a job that does not exist in this component (with every input at its default) (got "build"). Fix: name one of: deploy',
      'broken \u203a deploy \u203a environment.on_stop: points at a job that does not exist in this component (with every input at its default) (got "stop-deploy"). Fix: name one of: deploy',
      "templates/tricky/template.yml: holds \\u2014 at line 7, column 32; a template must be printable ASCII, because GitLab's libyaml (YAML 1.1) reads some other characters (U+0085, U+2028, U+2029) as line breaks and refuses most control characters, so GitLab would not read what the tests read (got \"description: When to run \u2014 a typo away from GitLab's values.\"). Fix: write the character with ASCII in the TypeScript source (a description, default or job value), or as an escape such as \\u2026 inside a script's string; bundled scripts are escaped by generator/ascii-script.ts",
      "tricky \u203a spec \u203a inputs.flavour.description: a description is at most 1024 characters; this one has 1025. Fix: shorten it and move detail to the README",
      "tricky \u203a spec \u203a inputs.flavour.options: at most 50 options are allowed; this input has 52. Fix: use a regex instead of listing every value",
      'tricky \u203a run \u203a allow_failure: GitLab\'s CI schema: must be boolean or object (with every input at its default) (got "yes"). Fix: the value comes from input "optional": give it a default and options that are valid here (optional = "yes" is not)',
      'tricky \u203a run \u203a when: GitLab\'s CI schema: must be equal to one of the allowed values ["on_success","on_failure","always","never","manual","delayed"] (with every input at its default) (got "sometimes"). Fix: the value comes from input "when": give it a default and options that are valid here (when = "sometimes" is not)',
    ]);
  });

  it("refuses a catalog with more components than GitLab allows, and duplicate component names", () => {
    const fake = (name: string) => ({ component: { name } }) as unknown as RenderedTemplate;
    const templates = [...Array.from({ length: 31 }, (_, i) => fake(`c${i}`)), fake("c0")];
    expect(catalogProblems(templates).map(formatProblem)).toEqual([
      "catalog: GitLab allows at most 30 components per catalog project; this catalog has 32. Fix: split the catalog into several projects",
      'catalog › c0: 2 components share the name "c0". Fix: give each component its own name',
    ]);
  });
});
