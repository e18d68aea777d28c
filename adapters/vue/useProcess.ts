import type { ProcessDefinition, RunOptions } from 'theus'
import { type Ref, ref, shallowReadonly, shallowRef } from 'vue'
import { attempt, type RunOutcome } from '../shared.js'
import { useEngine } from './useEngine.js'

export type { RunOutcome } from '../shared.js'

/** The parameters of `run`: the args, optional when the process requires none. */
export type RunParams<TArgs> = {} extends TArgs ? [args?: TArgs] : [args: TArgs]

/** What `useProcess` returns: `run` and readonly refs of its status. */
export interface ProcessHandle<TArgs, TResult> {
  /**
   * Runs the process (looked up by name now, not at setup); resolves, never rejects. The args
   * may be left out when the process takes none (or only optional ones).
   */
  run: (...args: RunParams<TArgs>) => Promise<RunOutcome<TResult>>
  /** True while any run started by this composable is in flight. */
  pending: Readonly<Ref<boolean>>
  /** The error of the last failed run; cleared when `run` is called. `null` at first. */
  error: Readonly<Ref<unknown>>
  /** The value of the last successful run; `null` until one succeeds. */
  result: Readonly<Ref<TResult | null>>
}

/**
 * Runs a process from a component, with its status as refs. Errors are data: `run` resolves
 * to `{ ok: false, error }` and sets `error`. A synchronous process runs inside the `run` call;
 * an async one sets `pending` until it settles. `options` (`retries` on conflict, an
 * AbortSignal) are handed to `engine.runProcess` on every run.
 * @example
 * const { run, pending, error } = useProcess('transfer')
 * h('button', { disabled: pending.value, onClick: () => run({ from_user: 'Alice', to_user: 'Bob', amount: 10 }) })
 */
export function useProcess<TArgs, TResult>(
  definition: ProcessDefinition<TArgs, TResult>,
  options?: RunOptions,
): ProcessHandle<TArgs, Awaited<TResult>>
export function useProcess<TArgs = Record<string, unknown>, TResult = unknown>(
  name: string,
  options?: RunOptions,
): ProcessHandle<TArgs, TResult>
export function useProcess(
  nameOrDef: string | ProcessDefinition,
  options?: RunOptions,
): ProcessHandle<unknown, unknown> {
  const engine = useEngine()
  const inFlight = ref(0)
  const pending = ref(false)
  // shallowRef: results and errors are shown as they are, never made deeply reactive.
  const error = shallowRef<unknown>(null)
  const result = shallowRef<unknown>(null)

  const settle = (outcome: RunOutcome<unknown>, async: boolean): RunOutcome<unknown> => {
    if (async) inFlight.value--
    pending.value = inFlight.value > 0
    if (outcome.ok) result.value = outcome.value
    else error.value = outcome.error
    return outcome
  }
  const run = (args?: unknown): Promise<RunOutcome<unknown>> => {
    error.value = null
    const outcome = attempt(engine, nameOrDef, args, options)
    if (!(outcome instanceof Promise)) return Promise.resolve(settle(outcome, false))
    inFlight.value++
    pending.value = true
    return outcome.then((o) => settle(o, true))
  }
  // shallowReadonly: `readonly` would hand out a read-only proxy of the value, not the value.
  return {
    run,
    pending: shallowReadonly(pending),
    error: shallowReadonly(error),
    result: shallowReadonly(result),
  }
}
