import type { CheckPath, TheusEngine } from 'theus'
import { computed, type ShallowRef, shallowRef } from 'vue'
import {
  type ContextOf,
  checkSelectorStability,
  type EqualityFn,
  type Selected,
  type StateSnapshot,
  subscribeSignal,
} from '../shared.js'
import { subscribeInScope } from './scoped.js'
import { useEngine } from './useEngine.js'

/**
 * Reads the context as a readonly shallow ref, updated when what it reads changes.
 *
 * - `useTheus(path)` follows `engine.select(path)`: it updates only when that path's value
 *   changes (a container changes when anything inside it does).
 * - `useTheus(selector)` calls `selector(engine.state.value)` once per snapshot (lazily, when
 *   the ref is read) and updates when the result changes by `Object.is`, or by `isEqual` when
 *   given. Vue refs the selector reads (props, for example) are tracked too.
 *
 * Rolled-back runs never update it. The subscription ends when the scope is disposed.
 * @example
 * const alice = useTheus('domain.accounts.Alice')
 * const names = useTheus((s) => Object.keys(s.domain.accounts), shallowEqual)
 */
export function useTheus<P extends string, TEngine extends TheusEngine<any> = TheusEngine>(
  path: CheckPath<ContextOf<TEngine>, P>,
  isEqual?: EqualityFn<Selected<TEngine, P>>,
): Readonly<ShallowRef<Selected<TEngine, P>>>
export function useTheus<TResult, TEngine extends TheusEngine<any> = TheusEngine>(
  selector: (state: StateSnapshot<TEngine>) => TResult,
  isEqual?: EqualityFn<TResult>,
): Readonly<ShallowRef<TResult>>
export function useTheus(
  pathOrSelector: string | ((state: any) => unknown),
  isEqual?: EqualityFn<unknown>,
): Readonly<ShallowRef<unknown>> {
  const engine = useEngine()
  const source = typeof pathOrSelector === 'string' ? engine.select(pathOrSelector) : engine.state
  // A Vue mirror of the signal: shallowRef triggers only when the snapshot (or value) changes.
  const mirror = shallowRef(source.peek())
  subscribeInScope(() =>
    subscribeSignal(source, () => {
      mirror.value = source.peek()
    }),
  )

  const eq = isEqual ?? Object.is
  let has = false
  let checked = false
  // Vue 3.4+ passes the previous value: returning it unchanged triggers nothing downstream.
  return computed((previous) => {
    const current = mirror.value
    let next = current
    if (typeof pathOrSelector !== 'string') {
      next = pathOrSelector(current)
      if (!checked) {
        checked = true
        checkSelectorStability(pathOrSelector, current, next, eq)
      }
    }
    if (has && eq(previous, next)) return previous
    has = true
    return next
  }) as Readonly<ShallowRef<unknown>>
}
