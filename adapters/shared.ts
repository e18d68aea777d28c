/**
 * Pieces both adapters share: the engine-typed aliases, the bridge from a signal to a
 * subscription (`useSyncExternalStore` in React, a shallow ref in Vue), and the
 * development-only warning. Not a public entry: the adapters re-export the types.
 */
import { effect, type ReadonlySignal, untracked } from '@preact/signals-core'
import type {
  DeepReadonly,
  PathValue,
  ProcessDefinition,
  RunOptions,
  StateOf,
  TheusEngine,
} from 'theus'
import { warnOnce } from 'theus'

/** The context type of an engine type. */
export type ContextOf<TEngine> = TEngine extends TheusEngine<infer C> ? C : never
type IsAny<T> = 0 extends 1 & T ? true : false
/**
 * The snapshot type of an engine type, as `engine.state.value` has it. For an untyped engine
 * (`TheusEngine<any>`, what a provider gives) the layers are `any`, so a selector may annotate
 * its parameter with the application's own state type.
 */
export type StateSnapshot<TEngine> =
  IsAny<ContextOf<TEngine>> extends true
    ? { readonly global: any; readonly domain: any }
    : DeepReadonly<StateOf<ContextOf<TEngine>>>
/**
 * The type of `engine.select(path)`'s value. For an untyped engine (what a provider gives) it is
 * `any`, like a selector's layers, so `useTheus('domain.accounts.Alice')` renders as it is; the
 * hooks of `createTheusHooks<typeof engine>()` give the checked type.
 */
export type Selected<TEngine, P extends string> =
  IsAny<ContextOf<TEngine>> extends true
    ? any
    : DeepReadonly<PathValue<StateOf<ContextOf<TEngine>>, P>>
/** Compares two selections; `true` keeps the previous one (no re-render). */
export type EqualityFn<T> = (a: T, b: T) => boolean

/**
 * Calls `onChange` after each change of `sig`, never for its current value. `onChange` runs
 * untracked, so a selector that reads other signals does not subscribe this effect to them.
 */
export function subscribeSignal(sig: ReadonlySignal<unknown>, onChange: () => void): () => void {
  let first = true
  return effect(() => {
    sig.value
    if (first) {
      first = false
      return
    }
    untracked(onChange)
  })
}

/**
 * True unless the bundler replaced `process.env.NODE_ENV` with `'production'`. A browser
 * without a `process` global (no bundler define) counts as development.
 */
export function isDev(): boolean {
  try {
    return process.env.NODE_ENV !== 'production'
  } catch {
    return true
  }
}

/**
 * In development, runs a fresh selector a second time on the same snapshot and warns once
 * when the two results are not equal: such a selector re-renders on every commit, since a
 * new object never equals the previous one.
 */
export function checkSelectorStability<T>(
  selector: (state: any) => T,
  state: unknown,
  first: T,
  isEqual: EqualityFn<T>,
): void {
  if (!isDev()) return
  const second = selector(state)
  if (isEqual(first, second)) return
  const source = String(selector).replace(/\s+/g, ' ').slice(0, 120)
  warnOnce(
    `unstable-selector:${source}`,
    `useTheus(selector): the selector returned a new value for the same state (${source}). It is cached per snapshot so it does not loop, but it re-renders on every commit. Select primitives (one useTheus per value) or pass an isEqual (for example a shallow comparison) as the second argument.`,
  )
}

/** What `run` resolves to: the process's value, or the error it failed with. Never a rejection. */
export type RunOutcome<TResult> = { ok: true; value: TResult } | { ok: false; error: unknown }

/**
 * Runs a process and reports its outcome as data: at once for a synchronous process, as a
 * promise (that never rejects) for an async one. Both adapters' `useProcess` build on it.
 */
export function attempt(
  engine: TheusEngine<any>,
  process: string | ProcessDefinition,
  args: unknown,
  opts?: RunOptions,
): RunOutcome<unknown> | Promise<RunOutcome<unknown>> {
  let out: unknown
  try {
    out = (engine.runProcess as (p: unknown, a: unknown, o?: RunOptions) => unknown)(
      process,
      args,
      opts,
    )
  } catch (error) {
    return { ok: false, error }
  }
  if (typeof (out as { then?: unknown } | null)?.then !== 'function')
    return { ok: true, value: out }
  return Promise.resolve(out).then(
    (value): RunOutcome<unknown> => ({ ok: true, value }),
    (error: unknown): RunOutcome<unknown> => ({ ok: false, error }),
  )
}
