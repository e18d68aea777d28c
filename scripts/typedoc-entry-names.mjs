// TypeDoc plugin: names each entry point after the specifier users import (`theus/react`, not
// `adapters/react`), so the API reference reads like the package. TypeDoc names a module after
// its path relative to the entry points' common folder, and the entry files carry no `@module`
// tag to rename them with.
import { Comment, Converter, ReflectionKind } from 'typedoc'

/** TypeDoc's default module name (path of the entry) -> the import specifier, and a summary. */
const names = {
  src: [
    'theus',
    'The engine: contexts, contracts, transactions, signals, audit, workflows, persistence.',
  ],
  'adapters/react': ['theus/react', 'The React 18/19 adapter: provider and hooks.'],
  'adapters/vue': ['theus/vue', 'The Vue 3 adapter: plugin and composables.'],
  'src/vite': ['theus/vite', 'The Vite plugin: YAML recipes and workflows compiled at build time.'],
  'src/yaml': ['theus/yaml', 'YAML text to audit recipes, workflows and Flux pipelines.'],
  'src/workflow': [
    'theus/workflow',
    'The Flux runtime and the condition language, without an engine.',
  ],
  'src/devtools': ['theus/devtools', 'The devtools panel, for any page: mountTheusDevtools.'],
  'adapters/react/devtools': ['theus/devtools/react', 'The devtools panel as a React component.'],
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (_context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return
    const entry = names[reflection.name]
    if (!entry)
      throw new Error(`typedoc-entry-names: no import name for entry '${reflection.name}'`)
    reflection.name = entry[0]
    reflection.comment ??= new Comment([{ kind: 'text', text: entry[1] }])
  })
}
