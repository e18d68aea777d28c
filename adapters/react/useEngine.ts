import { useContext } from 'react'
import { type TheusEngine, TheusError } from 'theus'
import { EngineContext } from './provider.js'

/**
 * The engine of the nearest `<TheusProvider>`. Outside a provider it throws `TheusError` with
 * code `NO_PROVIDER`.
 * @example
 * const engine = useEngine()
 * const onReset = () => engine.edit((s) => { s.domain.n = 0 })
 */
export function useEngine<TEngine extends TheusEngine<any> = TheusEngine>(): TEngine {
  const engine = useContext(EngineContext)
  if (engine == null)
    throw new TheusError(
      'NO_PROVIDER',
      'No <TheusProvider> above, or one given none: wrap the tree in <TheusProvider engine={engine}>.',
    )
  return engine as TEngine
}
