/**
 * What the workflow layer needs from an engine. Typed structurally so that workflows depend on
 * a few members of `TheusEngine`, not on its module (and tests may drive a small fake).
 */
import type { EngineErrorEvent, EngineEventMap, EngineEventType, Patch } from '../engine/types.js'

/**
 * The engine members workflows use. `TheusEngine` provides all of them; the `_`-prefixed ones
 * are internal and optional, so that a fake engine in a test needs only what it exercises.
 */
export interface WorkflowHost {
  runProcess(name: string, args?: any, opts?: any): unknown
  on<K extends EngineEventType>(type: K, handler: (event: EngineEventMap[K]) => void): () => void
  readonly options?: { readonly maxOps?: number | undefined } | undefined
  /** The registered processes (for `checkWorkflowProcesses`, which apps call themselves). */
  readonly processNames?: readonly string[]
  /** Above 0 while a run, an edit or an undo holds the engine (NESTED_RUN for new runs). */
  readonly _busy?: number
  /** True while the engine refuses every change (level S interlock): sends then fail. */
  readonly halted?: boolean
  /** The committed value at a context path, read-only; `undefined` when missing. */
  _peekSnapshot?(segs: readonly string[]): unknown
  /** What the last commit published for the signal field with key `name`. */
  _lastSignal?(name: string): unknown
  /** Where the errors of subscribers go (`'error'`, or the console). */
  readonly _events?: { reportError(event: EngineErrorEvent): void }
  /** Applies patches as one commit (atomic Flux undo). */
  _commitPatches?(patches: Patch[], label: string): void
}

/**
 * An internal run option (a symbol, so `runProcess`'s check of option keys never sees it): a
 * callback the engine calls with the patches and inverse patches of that run's own commit. An
 * atomic pipeline undoes exactly its steps' commits with it, not those of another run of the
 * same process that committed meanwhile. A registered symbol: the on-demand Flux runtime
 * imports nothing but its kit (kit.ts) and names it `Symbol.for('theus.onCommit')` itself.
 */
export const ON_COMMIT: unique symbol = Symbol.for('theus.onCommit')

/** The Flux safety limit when the engine sets none (SPEC §3). */
export const DEFAULT_MAX_OPS = 10_000

export function maxOpsOf(host: WorkflowHost): number {
  const n = host.options?.maxOps
  return typeof n === 'number' && n >= 0 ? n : DEFAULT_MAX_OPS
}

/** Awaits a value only when it is a promise, so synchronous processes stay synchronous. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  )
}
