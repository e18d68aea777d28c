/**
 * The running side of a state machine: it drives a pure `StateMachine` against an engine,
 * runs the entry chains, sends the chain events, queues what arrives meanwhile and exposes
 * its state as signals for views.
 */
import { batch, computed, type ReadonlySignal, type Signal, signal } from '@preact/signals-core'
import { BoundedLog } from '../engine/BoundedLog.js'
import {
  AuditInterlockError,
  describe,
  EngineHaltedError,
  TheusError,
  warnOnce,
} from '../errors.js'
import { deepCopy, Kind, kindOf } from '../transaction/tree.js'
import type { WorkflowDefinition } from './definition.js'
import { signalKey } from './definition.js'
import { isThenable, maxOpsOf, type WorkflowHost } from './host.js'
import { StateMachine, type WorkflowInput } from './StateMachine.js'
import type { CheckWorkflow } from './types.js'

/** What a `WorkflowManager` is doing: nothing, running a chain, or stopped by a level A interlock. */
export type WorkflowStatus = 'idle' | 'running' | 'aborted'

/** One transition taken, in `WorkflowManager.history`. */
export interface WorkflowTransition {
  from: string
  event: string
  to: string
  /** `Date.now()` when the transition was taken. */
  at: number
}

/** Options of `new WorkflowManager`. */
export interface WorkflowManagerOptions {
  /** How many transitions `history` keeps, the latest (default 1000; `Infinity` keeps all). */
  historyLimit?: number
}

// Names each manager in warning causes, so that "once per cause" means once per abort of one
// manager, not once per page.
let managers = 0

interface Pending {
  event: string
  args: unknown
  resolve: () => void
  /** Steps already taken by the cascade it was sent during (0 when none ran), toward maxOps. */
  steps: number
}

/**
 * A read-only face of one of the manager's signals: written from outside, `state` or `status`
 * would say one thing while the manager does another (a computed throws on a write).
 */
const ro = <T>(s: Signal<T>): ReadonlySignal<T> => computed(() => s.value)

/**
 * Runs a workflow against an engine. Entering a state runs its entry processes in order with
 * the event's args; the chain then sends `EVT_CHAIN_DONE` or `EVT_CHAIN_FAIL` (or
 * `EVT_SUCCESS` / `EVT_FAIL` where the state maps those), which carries the same args on.
 * @example
 * const wf = new WorkflowManager(engine, workflowYamlOrObject)
 * await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 10 })
 * wf.state.value // 'IDLE' after the whole cascade
 */
export class WorkflowManager<
  // Type-level only: they check the process names of a workflow written in code (docs/types.md).
  TEngine extends WorkflowHost = WorkflowHost,
  const TDef extends WorkflowInput = WorkflowInput,
> {
  /** The pure machine this manager drives (read it; step it only through `send`). */
  readonly machine: StateMachine
  private readonly _engine: WorkflowHost
  private readonly _state: Signal<string>
  private readonly _status = signal<WorkflowStatus>('idle')
  private readonly _lastError = signal<unknown>(null)
  private readonly _history: BoundedLog<WorkflowTransition>
  private readonly _queue: Pending[] = []
  private _draining = false
  // The steps of the running cascade, carried on by the events its commits bridge in.
  private _steps = 0
  // Bumped by reset(): a cascade that started before a reset stops at its next step.
  private _epoch = 0
  private _unsubscribe: (() => void) | undefined
  private _disposed = false
  private readonly _id = ++managers
  // Counts the level A aborts, so each abort warns once about the sends it ignores.
  private _aborts = 0

  /** The current state; during a chain, already the state being entered. */
  readonly state: ReadonlySignal<string>
  /** `'running'` while a chain runs, `'aborted'` after a level A interlock until `reset()`. */
  readonly status: ReadonlySignal<WorkflowStatus> = ro(this._status)
  /** The error thrown by the last failed chain, as thrown; `null` when the next chain starts. */
  readonly lastError: ReadonlySignal<unknown> = ro(this._lastError)

  constructor(
    engine: TEngine,
    def: CheckWorkflow<TEngine, TDef>,
    options: WorkflowManagerOptions = {},
  ) {
    if (typeof (engine as WorkflowHost | null)?.runProcess !== 'function')
      throw new TheusError(
        'INVALID_ARGS',
        `WorkflowManager needs an engine (new TheusEngine(...)), got ${describe(engine)}.`,
      )
    // A typo such as `historylimit` would otherwise keep the default without a word.
    const key =
      kindOf(options) === Kind.Object ? Object.keys(options).find((k) => k !== 'historyLimit') : ''
    if (key !== undefined)
      throw new TheusError(
        'INVALID_ARGS',
        `WorkflowManager options must be { historyLimit? }, got ${key ? `the key '${key}'` : describe(options)}.`,
      )
    const limit = options.historyLimit ?? 1000
    if (
      typeof limit !== 'number' ||
      !(limit >= 0) ||
      (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY)
    )
      throw new TheusError(
        'INVALID_ARGS',
        `historyLimit must be a whole number ≥ 0 or Infinity, got ${String(limit)}.`,
      )
    // Transitions are records: frozen, and the list read-only (SPEC §10.1, §10.3).
    this._history = new BoundedLog(limit)
    this._engine = engine
    this.machine = new StateMachine(def as WorkflowInput)
    this._state = signal(this.machine.current)
    this.state = ro(this._state)
    if (Object.keys(this.machine.definition.signals).length > 0) {
      // The signal bridge: a commit that publishes a truthy `sig_x` sends the mapped event.
      this._unsubscribe = engine.on('signal', ({ path, value }) => {
        if (!value) return
        // Read on every event: a live edit (theus/vite) replaces the machine's definition.
        const signals = this.machine.definition.signals
        const key = signalKey(path)
        if (key !== undefined && Object.hasOwn(signals, key)) void this.send(signals[key]!)
      })
    }
  }

  /** The validated definition. */
  get definition(): WorkflowDefinition {
    return this.machine.definition
  }

  /** The latest transitions taken (at most `historyLimit`), oldest first, kept across `reset()`. */
  get history(): readonly WorkflowTransition[] {
    return this._history.list()
  }

  /**
   * Sends an event. Resolves when the event and the cascade it starts are done (its chain,
   * the chain event, and the chains that follow); never rejects. Events sent while a chain
   * runs wait in order, after the chain's own events. While aborted, the event is ignored.
   * While the engine is halted, the event fails: nothing moves, and `lastError` is an
   * `EngineHaltedError`.
   */
  send(event: string, args?: unknown): Promise<void> {
    // An event sent while a cascade runs (by a process, a listener, the signal bridge) goes on
    // counting that cascade's steps: a chain that sends the event leading back into itself
    // stops at maxOps instead of looping in microtasks forever (no timer would ever run).
    const steps = this._draining ? this._steps + 1 : 0
    if (this._disposed) {
      warnOnce(
        `workflow-send-disposed:${this._id}`,
        `send('${event}') was ignored: this WorkflowManager is disposed.`,
      )
      return Promise.resolve()
    }
    if (this._status.peek() === 'aborted') {
      warnOnce(
        `workflow-send-aborted:${this._id}:${this._aborts}`,
        `send('${event}') was ignored: the workflow is aborted after a level A audit interlock (see lastError). Call reset() to start again; until then every send() is ignored (this warning shows once per abort).`,
      )
      return Promise.resolve()
    }
    // The event's args are those of the moment it is sent: a queued event runs later, and a
    // caller that reuses its object meanwhile must not change what the chain receives.
    try {
      args = deepCopy(args)
    } catch {
      // A cycle or a revoked proxy: the chain's processes refuse it with INVALID_ARGS.
    }
    return new Promise<void>((resolve) => {
      this._queue.push({ event, args, resolve, steps })
      // Sent while a run holds the engine (from an 'audit' listener, or a body): its chain would
      // be refused with NESTED_RUN, so it starts once that run is over, as executeWorkflow does.
      if (this._draining) return
      if (this._engine._busy) queueMicrotask(() => this._draining || void this._drain())
      else void this._drain()
    })
  }

  /** Back to the initial state: status `'idle'`, `lastError` `null`, the queue emptied. */
  reset(): void {
    this._epoch++
    this.machine.reset()
    for (const p of this._queue.splice(0)) p.resolve()
    this._set(() => {
      this._state.value = this.machine.current
      this._status.value = 'idle'
      this._lastError.value = null
    })
  }

  /** Stops listening to the engine's signals; later sends are ignored. */
  dispose(): void {
    this._disposed = true
    this._unsubscribe?.()
    this._unsubscribe = undefined
    for (const p of this._queue.splice(0)) p.resolve()
  }

  private async _drain(): Promise<void> {
    this._draining = true
    try {
      for (let p = this._queue.shift(); p !== undefined; p = this._queue.shift()) {
        try {
          await this._cascade(p.event, p.args, p.steps)
        } catch (e) {
          // Not expected (subscriber errors are reported by _set); send() still must not reject.
          this._set(() => (this._lastError.value = e))
        } finally {
          p.resolve()
        }
      }
    } finally {
      this._draining = false
    }
  }

  /** One user event and the chain events it leads to, up to the first state with no chain. */
  private async _cascade(first: string, args: unknown, start: number): Promise<void> {
    if (this._engine.halted === true) {
      // A halted engine refuses every change (SPEC §10.2): the event fails where it is.
      this._set(() => {
        if (this._status.peek() === 'running') this._status.value = 'idle'
        this._lastError.value = new EngineHaltedError(
          `The engine is halted after a level S interlock; the workflow event '${first}' was refused in state '${this.machine.current}'. Call engine.resume() once the cause is fixed, then send it again.`,
          { details: { event: first, state: this.machine.current } },
        )
      })
      return
    }
    const epoch = this._epoch
    const limit = maxOpsOf(this._engine)
    let event: string | undefined = first
    for (let steps = start; event !== undefined; steps++) {
      this._steps = steps
      if (this._status.peek() === 'aborted') return
      const from = this.machine.current
      const to = this.machine.target(event)
      if (to === undefined) {
        // An event the state does not handle: nothing moves. It ends a cascade too.
        if (this._status.peek() === 'running') this._set(() => (this._status.value = 'idle'))
        return
      }
      if (steps >= limit) {
        // A state whose chain event leads back into a chain forever: stop like Flux does.
        this._set(() => {
          this._status.value = 'idle'
          this._lastError.value = new TheusError(
            'FLUX_SAFETY_TRIP',
            `The workflow ran ${steps} chains in one cascade (limit maxOps = ${limit}) and was stopped in state '${from}'. A chain event probably leads back into a chain forever; check the transitions of '${from}'.`,
          )
        })
        return
      }
      const entry = this.machine.trigger(event)
      this._history.push({ from, event, to, at: Date.now() })
      if (entry.length === 0) {
        this._set(() => {
          this._state.value = to
          this._status.value = 'idle'
        })
        return
      }
      this._set(() => {
        this._state.value = to
        this._status.value = 'running'
        this._lastError.value = null
      })
      const error = await this._runChain(entry, args, epoch)
      if (epoch !== this._epoch) return
      if (error === undefined) {
        event = this.machine.chainEvent(to, true)
        continue
      }
      if (error.value instanceof AuditInterlockError && error.value.level === 'A') {
        // Level A: the workflow stops where it is; its fail event is not processed and
        // nothing queued runs until reset().
        for (const p of this._queue.splice(0)) p.resolve()
        this._aborts++
        this._set(() => {
          this._status.value = 'aborted'
          this._lastError.value = error.value
        })
        return
      }
      this._set(() => {
        this._lastError.value = error.value
      })
      event = this.machine.chainEvent(to, false)
    }
  }

  /**
   * Sets the manager's signals in one batch. A subscriber or effect that throws changes
   * nothing here (SPEC §10.2): the cascade goes on and the error goes to the engine's
   * `'error'` event, or to the console when the engine has none.
   */
  private _set(fn: () => void): void {
    try {
      batch(fn)
    } catch (error) {
      const event = { source: 'subscriber', error } as const
      if (this._engine._events) this._engine._events.reportError(event)
      else console.error('[theus] a workflow subscriber threw (it changed nothing):', error)
    }
  }

  /** Runs the entry processes in order; the first failure stops the chain and is returned. */
  private async _runChain(
    entry: readonly string[],
    args: unknown,
    epoch: number,
  ): Promise<{ value: unknown } | undefined> {
    for (const name of entry) {
      // reset() during the chain: the rest of it belongs to a machine that no longer exists.
      if (epoch !== this._epoch) return undefined
      try {
        const r = this._engine.runProcess(name, args)
        if (isThenable(r)) await r
      } catch (value) {
        return { value }
      }
    }
    return undefined
  }
}
