/**
 * theus/vite: compiles audit recipes and workflows written in YAML at build time. An
 * `import recipe from './specs/audit_recipe.yaml'` becomes `export default <plain object>`,
 * validated while building, so the browser bundle ships data and no YAML parser, and a bad
 * file fails the build (and shows in Vite's error overlay) with its file, line and column.
 */
import type { Plugin } from 'vite'
import { createFilter, type FilterPattern } from 'vite'
import { validateAuditRecipe } from '../audit/recipe.js'
import { TheusError } from '../errors.js'
import { validateWorkflow } from '../workflow/definition.js'
import { validateFlux } from '../workflow/flux.js'
import { recipeSyntaxError } from '../yaml/recipe.js'
import { loadYaml } from '../yaml/source.js'
import { syntaxError } from '../yaml/workflow.js'

/** The kinds of YAML document the plugin compiles, told apart by their top-level key. */
export type TheusYamlKind = 'recipe' | 'workflow' | 'flux'

/** Options of the `theus()` Vite plugin. */
export interface TheusPluginOptions {
  /**
   * Which YAML files to compile. By default every `*.yaml` / `*.yml` import whose top level has
   * `process_recipes` (a recipe), `states` (a state machine) or `steps` (a Flux pipeline);
   * other YAML files are left to other plugins. Files matched here must be one of the three.
   */
  include?: FilterPattern
  /** YAML files never to touch. */
  exclude?: FilterPattern
  /**
   * Keep function names in production bundles (default true). A process takes its name from
   * its function unless the contract sets `name`, and a minifier drops function names, so an
   * app whose processes rely on function names needs this. Set `false` when every contract
   * has a `name`.
   */
  keepNames?: boolean
}

const YAML_FILE = /\.ya?ml$/i
const KIND_KEYS: readonly [string, TheusYamlKind][] = [
  ['process_recipes', 'recipe'],
  ['states', 'workflow'],
  ['steps', 'flux'],
]

/**
 * The Theus Vite plugin.
 * @example
 * // vite.config.ts
 * import { defineConfig } from 'vite'
 * import theus from 'theus/vite'
 * export default defineConfig({ plugins: [theus()] })
 * // app code: import recipe from './specs/audit_recipe.yaml'
 */
export function theusPlugin(options: TheusPluginOptions = {}): Plugin {
  const explicit = options.include !== undefined
  const filter = createFilter(options.include ?? YAML_FILE, options.exclude)
  return {
    name: 'theus',
    // Before vite's own transforms, which would try to read YAML as JavaScript.
    enforce: 'pre',
    config() {
      if (options.keepNames === false) return undefined
      return { build: { rolldownOptions: { output: { keepNames: true } } } } as Record<
        string,
        unknown
      >
    },
    transform(code, id) {
      const file = fileOf(id)
      if (file === undefined || !filter(file)) return null
      const kind = kindOf(code)
      if (kind === undefined) {
        if (!explicit) return null
        this.error({
          id: file,
          message: `${file} is not a Theus document: its top level has none of process_recipes, states, steps. Narrow the plugin's \`include\` option, or add the missing key.`,
        })
      }
      try {
        const { data, normalized } = compileWithForm(kind, code, file)
        // JSON.parse rather than an object literal: in a literal, a `__proto__` key would set the
        // prototype; JSON.parse makes it a plain own key, as the YAML loader does.
        const json = (v: unknown) => `JSON.parse(${JSON.stringify(JSON.stringify(v))})`
        if (normalized === undefined)
          return { code: `export default /* @__PURE__ */ ${json(data)}\n`, map: { mappings: '' } }
        // A recipe also carries its normalised form, checked here at build time, under a
        // symbol key (COMPILED_RECIPE) that no data can hold: the core adopts it as is
        // instead of checking the recipe a second time in the browser.
        return {
          code: `const recipe = /* @__PURE__ */ ${json(data)}\nObject.defineProperty(recipe, Symbol.for('theus.compiledRecipe'), { value: /* @__PURE__ */ ${json(normalized)} })\nexport default recipe\n`,
          map: { mappings: '' },
        }
      } catch (e) {
        if (!(e instanceof TheusError)) throw e
        const at = e as TheusError & { line?: number; column?: number }
        const line = at.line ?? e.details.line
        const column = at.column ?? e.details.column
        this.error({
          id: file,
          message: e.message,
          ...(line === undefined ? {} : { loc: { file, line, column: column ?? 1 } }),
        })
      }
    },
  }
}

/** The Theus Vite plugin (the default export of `theus/vite`). See `theusPlugin`. */
export default theusPlugin

/** Alias of `theusPlugin`: `import { theus } from 'theus/vite'`. */
export const theus = theusPlugin

/**
 * Compiles one YAML document of the given kind to plain data, validating it. Throws the
 * kind's error (`RecipeError`, `WorkflowError`) with file, line and column.
 * @example
 * compileTheusYaml('recipe', 'process_recipes: {}\n', 'audit_recipe.yaml') // { process_recipes: {} }
 */
export function compileTheusYaml(kind: TheusYamlKind, text: string, filename: string): unknown {
  return compile(kind, text, filename)
}

function compile(kind: TheusYamlKind, text: string, filename: string): unknown {
  return compileWithForm(kind, text, filename).data
}

function compileWithForm(
  kind: TheusYamlKind,
  text: string,
  filename: string,
): { data: unknown; normalized?: unknown } {
  // One parse per file: the document as written is what ships, once checked by the same
  // validators that parseAuditRecipe, parseWorkflow and parseFlux use, with the same errors.
  const loaded = loadYaml(String(text), filename)
  if (!loaded.ok) {
    throw kind === 'recipe'
      ? recipeSyntaxError(loaded.problem, filename)
      : syntaxError(kind === 'workflow' ? 'workflow' : 'pipeline', loaded.problem, filename)
  }
  const { value, locate } = loaded.source
  // The data shipped is the document as written, so it stays readable in devtools; workflows
  // and pipelines are checked again cheaply at run time, recipes come with their normalised
  // form.
  if (kind === 'recipe')
    return { data: value, normalized: validateAuditRecipe(value, { filename, locate }) }
  if (kind === 'workflow') validateWorkflow(value, { filename, locate })
  else validateFlux(value, { filename, locate, text: String(text) })
  return { data: value }
}

function fileOf(id: string): string | undefined {
  // `?raw`, `?url` and other queries are someone else's business.
  if (id.includes('?') || id.startsWith('\0')) return undefined
  return YAML_FILE.test(id) ? id : undefined
}

// Reads the top-level keys textually, so a file with a syntax error deeper down is still
// recognised as ours and its error reported with a position.
function kindOf(text: string): TheusYamlKind | undefined {
  for (const [key, kind] of KIND_KEYS) {
    if (new RegExp(`^(?:${key}|"${key}"|'${key}')\\s*:`, 'm').test(text)) return kind
  }
  return undefined
}
