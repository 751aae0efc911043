/**
 * A catalog component: a name, a description, its inputs and the jobs built from them.
 */
import type { Catalog } from "./config.ts";
import type { ComponentOutputs } from "./contract.ts";
import { inputRefs, type InputRefs, type InputSpecs } from "./inputs.ts";
import type { JobDefinition } from "./job.ts";

/** What a component module declares. */
export interface ComponentDeclaration<I extends InputSpecs> {
  /** The component's name: `templates/<name>/template.yml`, `…/<name>@<version>`. */
  name: string;
  /** One paragraph for the README's component table. */
  description: string;
  /** `spec:inputs`, given the catalog version and configuration (for defaults such as the tools image). */
  inputs: (catalog: Catalog) => I;
  /** Builds the jobs; `inputs` holds a reference for each declared input and nothing else. */
  jobs: (inputs: InputRefs<I>, catalog: Catalog) => JobDefinition[];
  /** The dotenv report its script writes (generator/contract.ts `declareOutputs`), if any. */
  outputs?: ComponentOutputs;
}

/** A component ready to render. */
export interface Component<I extends InputSpecs = InputSpecs> {
  readonly name: string;
  readonly description: string;
  readonly inputs: I;
  readonly jobs: readonly JobDefinition[];
  /** The dotenv report its script writes, if any. */
  readonly outputs?: ComponentOutputs;
  /** The TypeScript file that declares it (a `file:` URL or a repository-relative path). */
  readonly source: string;
}

/** A component module's default export: builds the component for a catalog version and config. */
export interface ComponentModule {
  readonly name: string;
  readonly source: string;
  build(catalog: Catalog): Component;
}

/**
 * Declares a component. `source` is the declaring module's `import.meta.url` (the banner names
 * it). Referring to an input the component does not declare is a type error.
 */
export function defineComponent<const I extends InputSpecs>(
  source: string,
  declaration: ComponentDeclaration<I>,
): ComponentModule {
  return Object.freeze({
    name: declaration.name,
    source,
    build(catalog: Catalog): Component {
      const inputs = declaration.inputs(catalog);
      return Object.freeze({
        name: declaration.name,
        description: declaration.description,
        inputs,
        jobs: Object.freeze(declaration.jobs(inputRefs(inputs), catalog)),
        ...(declaration.outputs ? { outputs: declaration.outputs } : {}),
        source,
      });
    },
  });
}
