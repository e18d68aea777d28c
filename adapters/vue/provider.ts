import type { TheusEngine } from 'theus'
import type { InjectionKey, Plugin } from 'vue'
import { provide } from 'vue'

/** @internal The injection key of the engine. */
export const ENGINE_KEY: InjectionKey<TheusEngine> = Symbol('theus.engine')

/**
 * A Vue plugin that provides an engine to the whole app, for `useEngine`, `useTheus`,
 * `useProcess` and `useAuditLog`.
 * @example
 * createApp(App).use(createTheusPlugin(engine)).mount('#app')
 */
export function createTheusPlugin(engine: TheusEngine<any>): Plugin {
  return {
    install(app) {
      app.provide(ENGINE_KEY, engine)
    },
  }
}

/**
 * Provides an engine to the descendants of the current component (call it in `setup`).
 * @example
 * defineComponent(() => { provideTheus(engine); return () => h(Bank) })
 */
export function provideTheus(engine: TheusEngine<any>): void {
  provide(ENGINE_KEY, engine)
}
