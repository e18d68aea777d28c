import type { CheckPath, TheusEngine } from 'theus'
import { untracked } from 'theus'
import { computed, type ShallowRef, shallowReadonly, shallowRef, triggerRef } from 'vue'
import {
  type ContextOf,
  checkSelectorStability,
  type EqualityFn,
  runSelector,
  type Selected,
  type StateSnapshot,
  subscribeSignal,
  trackOnce,
} from '../shared.js'
import { onServer, serverRef, subscribeInScope } from './scoped.js'
import { useEngine } from './useEngine.js'

/**
 * Reads the context as a readonly shallow ref, updated when what it reads changes.
 *
 * - `useTheus(path)` follows `engine.select(path)`: it updates only when that path's value
 *   changes (a container changes when anything inside it does).
 * - `useTheus(selector)` calls the selector (lazily, when the ref is read) with a read-only
 *   view of the state, equal to `engine.state.value`, whose reads are tracked: it runs again
 *   only when something it read changed (a selector of one leaf costs O(1) per commit), and
 *   updates when the result changes by `Object.is`, or by `isEqual` when given. Containers it
 *   returns are the snapshots `engine.state.value` holds. Vue refs the selector reads (props,
 *   for example) are tracked too.
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
  const eq = isEqual ?? Object.is
  const server = onServer()
  if (typeof pathOrSelector === 'string') {
    const source = engine.select(pathOrSelector)
    if (server) return serverRef(() => source.peek())
    // A Vue mirror of the signal, set when the value changes unless isEqual says equal.
    const mirror = shallowRef(source.peek())
    subscribeInScope(() =>
      subscribeSignal(source, () => {
        const next = source.peek()
        // A heavy path notifies with the same object, changed in place (SPEC §3).
        if (next === mirror.value) triggerRef(mirror)
        else if (!eq(mirror.value, next)) mirror.value = next
      }),
    )
    return shallowReadonly(mirror) as Readonly<ShallowRef<unknown>>
  }
  const selector = pathOrSelector
  // On the server the selector runs at each read of the ref (a render reads it once), with no
  // development check (SPEC §7: a server render gives no warnings).
  if (server) return serverRef(() => runSelector(engine, selector))
  let checked = false
  // Bumped when something the last run of the selector read changes. Each run subscribes
  // afresh (trackOnce) to what it read this time; Vue tracks the refs it reads (props) itself.
  const version = shallowRef(0)
  let live = false
  let stop: (() => void) | undefined
  subscribeInScope(() => {
    live = true
    return () => {
      live = false
      stop?.()
    }
  })
  // Returning the previous value unchanged triggers nothing downstream (Vue 3.4+). It is kept
  // here: Vue 3.3 passes no previous value to the getter.
  let has = false
  let last: unknown
  return computed(() => {
    version.value
    stop?.()
    stop = undefined
    let next: unknown
    let failed: { e: unknown } | undefined
    if (live) {
      ;[next, stop, failed] = trackOnce(
        () => runSelector(engine, selector),
        () => {
          version.value++
        },
      )
      if (failed) throw failed.e
    } else next = untracked(() => runSelector(engine, selector))
    if (!checked) {
      checked = true
      checkSelectorStability(selector, () => runSelector(engine, selector), next, eq)
    }
    if (has && eq(last, next)) return last
    has = true
    return (last = next)
  }) as Readonly<ShallowRef<unknown>>
}
