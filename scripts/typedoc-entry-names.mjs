// TypeDoc plugin: names each entry point after the specifier users import (`theus/react`, not
// `adapters/react`), so the API reference reads like the package. TypeDoc names a module after
// its path relative to the entry points' common folder, and the entry files carry no `@module`
// tag to rename them with.
import { Converter, ReflectionKind } from 'typedoc'

/** TypeDoc's default module name (path of the entry) -> the import specifier. */
const names = {
  src: 'theus',
  'adapters/react': 'theus/react',
  'adapters/vue': 'theus/vue',
  'src/vite': 'theus/vite',
  'src/yaml': 'theus/yaml',
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (_context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return
    const name = names[reflection.name]
    if (!name) throw new Error(`typedoc-entry-names: no import name for entry '${reflection.name}'`)
    reflection.name = name
  })
}
