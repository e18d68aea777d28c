import { useCallback, useRef, useSyncExternalStore } from 'react'
import type { CheckPath, TheusEngine } from 'theus'
import {
  type ContextOf,
  checkSelectorStability,
  type EqualityFn,
  type Selected,
  type StateSnapshot,
  subscribeSignal,
} from '../shared.js'
import { useEngine } from './useEngine.js'

interface Memo {
  /** The snapshot (state or path value) the selection was computed from. */
  source: unknown
  select: unknown
  value: unknown
}

/**
 * Reads the context and re-renders when what it reads changes.
 *
 * - `useTheus(path)` follows `engine.select(path)`: it re-renders only when that path's value
 *   changes (a container changes when anything inside it does).
 * - `useTheus(selector)` calls `selector(engine.state.value)` once per snapshot and re-renders
 *   when the result changes by `Object.is`, or by `isEqual` when given. The result is cached
 *   per snapshot, so a selector that builds a new object does not loop; it re-renders once per
 *   commit unless `isEqual` says equal (development warns once about such selectors).
 *
 * Rolled-back runs never re-render. On the server it renders the current snapshot.
 * @example
 * const alice = useTheus('domain.accounts.Alice')
 * const names = useTheus((s) => Object.keys(s.domain.accounts), shallowEqual)
 */
export function useTheus<P extends string, TEngine extends TheusEngine<any> = TheusEngine>(
  path: CheckPath<ContextOf<TEngine>, P>,
  isEqual?: EqualityFn<Selected<TEngine, P>>,
): Selected<TEngine, P>
export function useTheus<TResult, TEngine extends TheusEngine<any> = TheusEngine>(
  selector: (state: StateSnapshot<TEngine>) => TResult,
  isEqual?: EqualityFn<TResult>,
): TResult
export function useTheus(
  pathOrSelector: string | ((state: any) => unknown),
  isEqual?: EqualityFn<unknown>,
): unknown {
  const engine = useEngine()
  const isPath = typeof pathOrSelector === 'string'
  // select() is cached per path inside the engine: the same signal on every render.
  const source = isPath ? engine.select(pathOrSelector) : engine.state
  const subscribe = useCallback(
    (onChange: () => void) => subscribeSignal(source, onChange),
    [source],
  )
  const memo = useRef<Memo | null>(null)
  const checked = useRef(false)

  const getSnapshot = (): unknown => {
    const current = source.peek()
    const m = memo.current
    if (m !== null && m.source === current && m.select === pathOrSelector) return m.value
    const eq = isEqual ?? Object.is
    let value = isPath ? current : (pathOrSelector as (s: unknown) => unknown)(current)
    if (!isPath && !checked.current) {
      checked.current = true
      checkSelectorStability(pathOrSelector as (s: unknown) => unknown, current, value, eq)
    }
    if (m !== null && eq(m.value, value)) value = m.value
    memo.current = { source: current, select: pathOrSelector, value }
    return value
  }
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
}
