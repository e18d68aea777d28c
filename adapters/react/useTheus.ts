import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react'
import type { CheckPath, TheusEngine } from 'theus'
import {
  type ContextOf,
  checkSelectorStability,
  type EqualityFn,
  runSelector,
  type Selected,
  type StateSnapshot,
  selectorSignal,
  subscribeSignal,
} from '../shared.js'
import { useEngine } from './useEngine.js'

interface Memo {
  /** The path's value, or the selector's raw result, that `value` stands for. */
  source: unknown
  value: unknown
  /** The notifications seen when it was made. */
  seen: number
}

/**
 * Equal data: the same value, or plain objects or arrays the selector built (not frozen, unlike
 * the snapshots, which compare by identity) holding equal data.
 */
function same(a: any, b: any, depth = 0): boolean {
  const keys =
    depth < 64 &&
    (Array.isArray(b) || b?.constructor === Object) &&
    !Object.isFrozen(b) &&
    b.constructor === a?.constructor &&
    Object.keys(b)
  return (
    Object.is(a, b) ||
    (!!keys &&
      keys.length === Object.keys(a).length &&
      keys.every((k) => k in a && same(a[k], b[k], depth + 1)))
  )
}

/**
 * Reads the context and re-renders when what it reads changes.
 *
 * - `useTheus(path)` follows `engine.select(path)`: it re-renders only when that path's value
 *   changes (a container changes when anything inside it does).
 * - `useTheus(selector)` calls the selector with a read-only view of the state, equal to
 *   `engine.state.value`, whose reads are tracked: it runs again only when something it read
 *   changed (a selector of one leaf costs O(1) per commit, like a path), and re-renders when
 *   the result changes by `Object.is`, or by `isEqual` when given. Containers it returns are
 *   the snapshots `engine.state.value` holds. The result is cached, so a selector that builds
 *   a new object does not loop; it re-renders once per change of what it reads unless
 *   `isEqual` says equal (development warns once about such selectors).
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
  // select() is cached per path inside the engine: the same signal on every render. A
  // selector gets a computed over the tracked view, made again when its identity changes (an
  // inline selector: once per render, as it would be called anyway); it subscribes to nothing
  // until the subscription below follows it.
  const source = useMemo(
    () =>
      isPath
        ? engine.select(pathOrSelector)
        : selectorSignal(engine, pathOrSelector as (s: unknown) => unknown),
    [engine, pathOrSelector, isPath],
  )
  const notified = useRef(0)
  const subscribe = useCallback(
    (onChange: () => void) =>
      subscribeSignal(source, () => {
        notified.current++
        onChange()
      }),
    [source],
  )
  const memo = useRef<Memo | null>(null)
  const checked = useRef(false)

  // React compares the memo: a new one re-renders. `server`: no development check there (SPEC
  // §7: a server render gives no warnings).
  const read = (server: boolean): Memo => {
    // For a selector, peek() is its cached result: recomputed only when what it read changed.
    const current = source.peek()
    const seen = notified.current
    const m = memo.current
    const eq = isEqual ?? Object.is
    if (!isPath && !checked.current && !server) {
      checked.current = true
      const selector = pathOrSelector as (s: unknown) => unknown
      checkSelectorStability(selector, () => runSelector(engine, selector), current, eq)
    }
    if (
      m !== null &&
      (m.source === current
        ? // A heavy path notifies with the same object, changed in place (SPEC §3): re-render.
          m.seen === seen
        : eq(m.value, current) ||
          // A new selector (an inline one: each render) at the same snapshot, no change
          // notified since: a result of the same data is the cached one, so an effect that
          // depends on it does not run again, and loop (SPEC §7). A selector over a prop still
          // follows the prop.
          (!isPath && m.seen === seen && same(m.value, current)))
    ) {
      m.source = current
      m.seen = seen
      return m
    }
    return (memo.current = { source: current, value: current, seen })
  }
  return useSyncExternalStore(
    subscribe,
    () => read(false),
    () => read(true),
  ).value
}
