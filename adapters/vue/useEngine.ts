import { type TheusEngine, TheusError } from 'theus'
import { hasInjectionContext, inject } from 'vue'
import { ENGINE_KEY } from './provider.js'

/**
 * The engine given by `createTheusPlugin` or `provideTheus`. Call it in `setup`. Without a
 * provider it throws `TheusError` with code `NO_PROVIDER`.
 * @example
 * const engine = useEngine()
 * const onReset = () => engine.edit((s) => { s.domain.n = 0 })
 */
export function useEngine<TEngine extends TheusEngine<any> = TheusEngine>(): TEngine {
  if (!hasInjectionContext())
    throw new TheusError(
      'NO_PROVIDER',
      'useEngine() was called outside a component setup (or app.runWithContext): there is no provider to read the engine from. Call Theus composables in setup(), in a tree wrapped by a provider: app.use(createTheusPlugin(engine)) or provideTheus(engine).',
    )
  const engine = inject(ENGINE_KEY, null)
  if (engine == null)
    throw new TheusError(
      'NO_PROVIDER',
      'useEngine() found no engine: no provider above this component, or one given none. Wrap the tree that uses Theus composables in a provider: install the plugin, app.use(createTheusPlugin(engine)), or call provideTheus(engine) in an ancestor setup().',
    )
  return engine as TEngine
}
