import { useCallback, useRef, useState } from 'react'
import type { ProcessDefinition, RunOptions } from 'theus'
import { attempt, type RunOutcome } from '../shared.js'
import { useEngine } from './useEngine.js'
import { useMountOnce } from './useMountOnce.js'

export type { RunOutcome } from '../shared.js'

/** The parameters of `run`: the args, optional when the process requires none. */
export type RunParams<TArgs> = {} extends TArgs ? [args?: TArgs] : [args: TArgs]

/** What `useProcess` returns. */
export interface ProcessHandle<TArgs, TResult> {
  /**
   * Runs the process (looked up by name now, not at render); resolves, never rejects. The args
   * may be left out when the process takes none (or only optional ones).
   */
  run: (...args: RunParams<TArgs>) => Promise<RunOutcome<TResult>>
  /** True while any run started by this hook is in flight. */
  pending: boolean
  /** The error of the last failed run; cleared when `run` is called. `null` at first. */
  error: unknown
  /** The value of the last successful run; `null` until one succeeds. */
  result: TResult | null
}

interface RunState {
  pending: boolean
  error: unknown
  result: unknown
}

const INITIAL: RunState = { pending: false, error: null, result: null }

/**
 * Runs a process from a component, with its status as state. Errors are data: `run` resolves
 * to `{ ok: false, error }` and sets `error`. A synchronous process runs inside the `run` call
 * (no `pending` render); an async one sets `pending` until it settles. `options` (`retries`
 * on conflict, an AbortSignal) go to `engine.runProcess` on every run; the latest ones count.
 * @example
 * const { run, pending, error } = useProcess('transfer')
 * <button disabled={pending} onClick={() => run({ from_user: 'Alice', to_user: 'Bob', amount: 10 })} />
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
  // The latest options are read when `run` is called, so `run` stays the same function.
  const opts = useRef(options)
  opts.current = options
  const [state, setState] = useState<RunState>(INITIAL)
  // Counted outside React state so that overlapping runs settle `pending` correctly.
  const inFlight = useRef(0)

  // StrictMode's replayed mount effect gets the first call's outcome: each process runs once.
  const once = useMountOnce()

  const run = useCallback(
    (args?: unknown): Promise<RunOutcome<unknown>> =>
      once(args, () => {
        const settle = (outcome: RunOutcome<unknown>, async: boolean): RunOutcome<unknown> => {
          if (async) inFlight.current--
          const pending = inFlight.current > 0
          setState((s) =>
            outcome.ok
              ? // `run` cleared `error`; only a failure that settled since may have set it again.
                { pending, error: async ? s.error : null, result: outcome.value }
              : { pending, error: outcome.error, result: s.result },
          )
          return outcome
        }
        const outcome = attempt(engine, nameOrDef, args, opts.current)
        if (!(outcome instanceof Promise)) return Promise.resolve(settle(outcome, false))
        inFlight.current++
        setState((s) => ({ pending: true, error: null, result: s.result }))
        return outcome.then((o) => settle(o, true))
      }),
    [engine, nameOrDef, once],
  )
  return { run, ...state }
}
