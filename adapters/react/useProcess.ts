import { useCallback, useEffect, useRef, useState } from 'react'
import type { ProcessDefinition, RunOptions } from 'theus'
import { attempt, type RunOutcome } from '../shared.js'
import { useEngine } from './useEngine.js'

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
 * StrictMode (development) mounts a component, unmounts it and mounts it again at once, so a
 * mount effect that calls `run` calls it twice. The calls made while the component mounts are
 * kept (by args) until the task ends; the same call made again by the replayed mount gets the
 * first call's outcome instead of a second run.
 */
interface Mount {
  /** 1: mount effects are running in this task; 2: StrictMode's replayed mount; -1: unmounted. */
  phase: number
  /** Args keys and the outcomes of the calls made while mounting, alternately. */
  kept: unknown[]
}

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

  const mountRef = useRef<Mount>(undefined)
  const m = (mountRef.current ??= { phase: 0, kept: [] })
  useEffect(() => {
    m.phase = m.phase < 0 ? 2 : 1
    queueMicrotask(() => {
      m.phase = 0
      m.kept = []
    })
    return () => {
      m.phase = -1
    }
  }, [m])

  const run = useCallback(
    (args?: unknown): Promise<RunOutcome<unknown>> => {
      // While mounting: StrictMode's replayed mount gets the kept outcome of the same call.
      let key: string | undefined
      if (m.phase > 0)
        try {
          key = JSON.stringify(args) ?? ''
        } catch {}
      const i = key === undefined ? -1 : m.kept.indexOf(key)
      if (m.phase > 1 && i >= 0) return m.kept.splice(i, 2)[1] as Promise<RunOutcome<unknown>>
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
      let out: Promise<RunOutcome<unknown>>
      if (!(outcome instanceof Promise)) out = Promise.resolve(settle(outcome, false))
      else {
        inFlight.current++
        setState((s) => ({ pending: true, error: null, result: s.result }))
        out = outcome.then((o) => settle(o, true))
      }
      if (m.phase === 1 && key !== undefined) m.kept.push(key, out)
      return out
    },
    [engine, nameOrDef, m],
  )
  return { run, pending: state.pending, error: state.error, result: state.result }
}
