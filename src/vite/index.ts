/**
 * theus/vite: compiles audit recipes and workflows written in YAML at build time. An
 * `import recipe from './specs/audit_recipe.yaml'` becomes `export default <plain object>`,
 * validated while building, so the browser bundle ships data and no YAML parser, and a bad
 * file fails the build (and shows in Vite's error overlay) with its file, line and column.
 */
import { existsSync } from 'node:fs'
import { basename, dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin, ViteDevServer } from 'vite'
import { validateAuditRecipe } from '../audit/recipe.js'
import { RecipeError, TheusError, WorkflowError } from '../errors.js'
import { ORIGIN, validateWorkflow, type WorkflowOrigin } from '../workflow/definition.js'
import { validateFlux } from '../workflow/flux.js'
import { isRecord } from '../workflow/issues.js'
import { recipeSyntaxError } from '../yaml/recipe.js'
import { loadYaml } from '../yaml/source.js'
import { syntaxError } from '../yaml/workflow.js'
import { createFilter, type FilterPattern } from './filter.js'

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
  /**
   * Live editing in `vite dev` (default true): process modules, audit recipes and workflows
   * are hot-replaced in the running engines, keeping the state (see docs/devtools.md). `false`
   * leaves them to Vite's usual updates. `{ include, exclude }` chooses the process modules
   * (default: every module of the app that calls `process({` or `defineProcess({`).
   */
  hmr?: boolean | { include?: FilterPattern; exclude?: FilterPattern }
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
  const hmrOptions = typeof options.hmr === 'object' ? options.hmr : {}
  const processFilter = createFilter(hmrOptions.include ?? SCRIPT_FILE, hmrOptions.exclude)
  let hot = false
  let root = process.cwd()
  return {
    name: 'theus',
    // Before vite's own transforms, which would try to read YAML as JavaScript.
    enforce: 'pre',
    configResolved(config) {
      root = config.root
      hot = options.hmr !== false && config.command === 'serve' && !config.isProduction
      if (options.keepNames !== false) keepProcessNames(config.plugins)
    },
    resolveId(id) {
      return hot && id === HMR_RUNTIME_ID ? runtimeFile() : null
    },
    configureServer(server) {
      listenForHmrErrors(server)
    },
    config() {
      if (options.keepNames === false) return undefined
      // Vite 8 minifies through Rolldown (its config hook's meta says so); Vite 5 to 7 minify
      // with esbuild, which reads `esbuild.keepNames` and ignores `rolldownOptions`.
      const meta = (this as { meta?: { rolldownVersion?: string } } | undefined)?.meta
      return (
        meta?.rolldownVersion === undefined
          ? { esbuild: { keepNames: true } }
          : { build: { rolldownOptions: { output: { keepNames: true } } } }
      ) as Record<string, unknown>
    },
    transform(code, id) {
      if (hot && isProcessModule(code, id, processFilter, hmrOptions.include !== undefined))
        return { code: `${code}\n${processHmr(id)}`, map: null }
      const file = fileOf(id)
      if (file === undefined || !filter(file)) return null
      const kind = kindOf(code)
      if (kind === undefined) {
        if (!explicit) return null
        // A typed error like every other the plugin reports (SPEC §10.4), with a position.
        const loc = { file, line: 1, column: 1 }
        this.error(
          Object.assign(
            new RecipeError(
              `Invalid Theus document at ${file}:1:1: its top level has none of process_recipes, states, steps. Narrow the plugin's \`include\` option, or add the missing key.`,
              [],
              loc,
            ),
            { id: file, loc },
          ),
        )
      }
      try {
        const { data, normalized } = compileWithForm(kind, code, file)
        // A workflow keeps where its entry process names are (see ORIGIN), under the path
        // from the project's root: a build ships no absolute path of the machine it ran on.
        const origin = (data as Record<symbol, WorkflowOrigin | undefined>)[ORIGIN]
        if (origin) origin.file = relative(root, file).replaceAll('\\', '/')
        // JSON.parse rather than an object literal: in a literal, a `__proto__` key would set the
        // prototype; JSON.parse makes it a plain own key, as the YAML loader does.
        const json = (v: unknown) => `JSON.parse(${JSON.stringify(JSON.stringify(v))})`
        // A recipe also carries its normalised form, checked here at build time, under a
        // symbol key (COMPILED_RECIPE) that no data can hold: the core adopts it as is
        // instead of checking the recipe a second time in the browser.
        const value =
          normalized !== undefined
            ? `/* @__PURE__ */ Object.defineProperty(${json(data)}, Symbol.for('theus.compiledRecipe'), { value: ${json(normalized)} })`
            : origin
              ? `/* @__PURE__ */ Object.defineProperty(${json(data)}, Symbol.for('theus.origin'), { value: ${json(origin)} })`
              : `/* @__PURE__ */ ${json(data)}`
        return {
          code: hot
            ? kind === 'flux'
              ? fluxHmr(file, value)
              : yamlHmr(kind, file, value)
            : `export default ${value}\n`,
          map: { mappings: '' },
        }
      } catch (e) {
        if (!(e instanceof TheusError)) throw e
        const at = e as TheusError & { line?: number; column?: number }
        const line = at.line ?? e.details.line
        const column = at.column ?? e.details.column
        // The typed error itself (SPEC §10.4: RecipeError or WorkflowError, as the parsers
        // throw), carrying the id and loc that Vite's overlay and terminal show.
        Object.assign(e, {
          id: file,
          ...(line === undefined ? {} : { loc: { file, line, column: column ?? 1 } }),
        })
        this.error(e)
      }
    },
  }
}

/**
 * Vite 5 to 7 transform TypeScript and JSX with esbuild, keepNames forced off (dev, build, and
 * vitest up to 3), and esbuild renames a function whose name a binding around it also has:
 * `const transfer = process({…}, function transfer(…) {…})` came out as `function transfer2`,
 * registered as 'transfer2'. In a process module, such a name (one the source does not spell)
 * gets its own name back, padded with spaces so that the source map's columns still hold.
 */
function keepProcessNames(plugins: readonly Plugin[] | undefined): void {
  const esbuild = plugins?.find((p) => p.name === 'vite:esbuild')
  const transform = esbuild?.transform
  if (typeof transform !== 'function') return
  esbuild!.transform = async function (this: unknown, code: string, ...rest: unknown[]) {
    const out = await (transform as (...a: unknown[]) => unknown).call(this, code, ...rest)
    const text = typeof out === 'string' ? out : (out as { code?: unknown } | null)?.code
    if (typeof text !== 'string' || !PROCESS_CALL.test(code)) return out
    let fixed = text
    for (const [, name] of code.matchAll(/\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(/g)) {
      const numbered = new RegExp(`(?<![\\w$])${name!.replace(/\$/g, '\\$')}\\d+(?![\\w$])`, 'g')
      // The source's own step2 stays, and so does step22, which esbuild may make of it.
      const own = code.match(numbered) ?? []
      fixed = fixed.replace(numbered, (m) =>
        own.some((o) => m.startsWith(o)) ? m : name!.padEnd(m.length),
      )
    }
    return typeof out === 'string' ? fixed : { ...(out as object), code: fixed }
  } as NonNullable<Plugin['transform']>
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
  let src: string
  try {
    src = String(text)
  } catch {
    // SPEC §10.4: only the kind's typed error, whatever the input.
    const message = `compileTheusYaml expects YAML text, got a value that cannot be read as text (${filename}).`
    throw kind === 'recipe' ? new RecipeError(message) : new WorkflowError(message)
  }
  const loaded = loadYaml(src, filename)
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
  if (kind === 'workflow') {
    validateWorkflow(value, { filename, locate })
    // Where each entry process name is: checkWorkflowProcesses points at an unknown one with
    // file, line and column, as it does for parseWorkflow's definitions.
    const at: Record<string, [number, number]> = {}
    const states = (value as { states: Record<string, Record<string, unknown> | null> }).states
    for (const [state, raw] of Object.entries(states)) {
      const key = raw && Object.hasOwn(raw, 'process') ? 'process' : 'entry'
      const entry = raw?.[key]
      const paths =
        typeof entry === 'string' ? [[]] : Array.isArray(entry) ? entry.map((_, i) => [i]) : []
      for (const tail of paths) {
        const path = ['states', state, key, ...tail]
        const pos = locate(path, 'value')
        if (pos) at[path.join('\0')] = [pos.line, pos.column]
      }
    }
    // (A machine without entry processes has nothing to point at, and ships as plain JSON.)
    if (Object.keys(at).length > 0)
      Object.defineProperty(value, ORIGIN, { value: { file: filename, at } })
  } else validateFlux(value, { filename, locate, text: src })
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
  // A byte order mark (some Windows editors write one) is not part of the first key.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  for (const [key, kind] of KIND_KEYS) {
    if (new RegExp(`^(?:${key}|"${key}"|'${key}')\\s*:`, 'm').test(text)) return kind
  }
  // A document in flow form (`{ "process_recipes": ... }`, JSON being YAML) has its keys inside
  // braces: read its top level, or, when it does not parse, its first key (its error then
  // comes from the parser, with a position, instead of from Vite reading YAML as JavaScript).
  const flow = text.replace(/^(?:[ \t]*(?:#.*|%.*|---[ \t]*)?\r?\n)*[ \t]*/, '')
  if (flow[0] !== '{') return undefined
  const loaded = loadYaml(text)
  const top = loaded.ok ? loaded.source.value : undefined
  const first = /^\{\s*["']?(\w+)/.exec(flow)?.[1]
  for (const [key, kind] of KIND_KEYS) {
    if (loaded.ok ? isRecord(top) && Object.hasOwn(top, key) : first === key) return kind
  }
  return undefined
}

//#region live editing (vite dev only)

const HMR_RUNTIME_ID = 'virtual:theus-hmr'
const HMR_ERROR_EVENT = 'theus:hmr-error'
const SCRIPT_FILE = /\.(?:[cm]?[jt]sx?)$/
// A call of process() or defineProcess() with a contract literal: what a process module holds.
const PROCESS_CALL = /\b(?:process|defineProcess)\s*\(\s*\{/
const HERE = dirname(fileURLToPath(import.meta.url))
// Theus's own files (sources in this repository, dist/ in a package) are never process modules.
const OWN_ROOT = basename(HERE) === 'dist' ? resolve(HERE, '..') : resolve(HERE, '..', '..')

// The runtime beside this file: the TypeScript source in the repository, the built file in a
// package (dist/vite-hmr.js beside dist/vite.js).
function runtimeFile(): string {
  for (const name of ['hmrRuntime.ts', 'vite-hmr.js']) {
    const file = resolve(HERE, name)
    if (existsSync(file)) return file
  }
  throw new TheusError(
    'INVALID_ARGS',
    `theus/vite: the live-editing runtime is missing beside ${HERE}. Reinstall theus, or pass hmr: false.`,
  )
}

function isProcessModule(
  code: string,
  id: string,
  filter: (id: string) => boolean,
  explicit: boolean,
): boolean {
  if (id.startsWith('\0') || id.includes('?') || id.includes('/node_modules/')) return false
  const file = id.split('?')[0]!
  if (file.startsWith(`${OWN_ROOT}/src/`) || file.startsWith(`${OWN_ROOT}/adapters/`)) return false
  if (file.startsWith(`${OWN_ROOT}/dist/`) || !filter(file)) return false
  return explicit || PROCESS_CALL.test(code)
}

// Appended, so line numbers (and the source map) stay as they are.
function processHmr(id: string): string {
  return [
    `import { acceptProcesses as __theus_acceptProcesses } from ${JSON.stringify(HMR_RUNTIME_ID)}`,
    'if (import.meta.hot) {',
    `  import.meta.hot.accept((mod) => __theus_acceptProcesses(import.meta.hot, ${JSON.stringify(id)}, mod))`,
    '}',
    '',
  ].join('\n')
}

function yamlHmr(kind: 'recipe' | 'workflow', file: string, json: string): string {
  const accept = kind === 'recipe' ? 'acceptRecipe' : 'acceptWorkflow'
  return [
    `import { ${accept} as __theus_accept } from ${JSON.stringify(HMR_RUNTIME_ID)}`,
    `const __theus_data = ${json}`,
    'export default __theus_data',
    'if (import.meta.hot) {',
    '  import.meta.hot.accept((mod) => {',
    `    if (mod) __theus_accept(import.meta.hot, ${JSON.stringify(file)}, __theus_data, mod.default)`,
    '  })',
    '}',
    '',
  ].join('\n')
}

// A pipeline is read by executeWorkflow at each call: the object its importers hold (the first
// version's, kept in hot.data) takes each new version's steps in place, so an edit needs no
// reload of its importers (the page, and its state, in most apps).
function fluxHmr(file: string, json: string): string {
  return [
    `import { acceptFlux as __theus_accept } from ${JSON.stringify(HMR_RUNTIME_ID)}`,
    `const __theus_data = __theus_accept(import.meta.hot, ${JSON.stringify(file)}, ${json})`,
    'export default __theus_data',
    'if (import.meta.hot) import.meta.hot.accept()',
    '',
  ].join('\n')
}

// A live edit the engine refused (a contract the state no longer fits, a recipe it rejects)
// is shown in Vite's error overlay and the terminal; the page keeps running the previous code.
function listenForHmrErrors(server: ViteDevServer): void {
  server.ws.on(HMR_ERROR_EVENT, (data: unknown) => {
    const d = (data ?? {}) as { file?: unknown; message?: unknown; stack?: unknown }
    const message = typeof d.message === 'string' ? d.message : 'A live edit was refused.'
    const file = typeof d.file === 'string' ? d.file : undefined
    server.config.logger.error(`[theus] ${message}`, { timestamp: true })
    server.ws.send({
      type: 'error',
      err: {
        message,
        stack: typeof d.stack === 'string' ? d.stack : '',
        plugin: 'theus',
        ...(file === undefined ? {} : { id: file, loc: { file, line: 1, column: 1 } }),
      },
    })
  })
}

//#endregion
