/**
 * The engine's events (SPEC §9, §10.2): listeners per event name, payloads deeply frozen
 * before any listener sees them, and the one place where the errors of listeners and
 * subscribers go (the `'error'` event, or the console). Such errors never change a run's
 * outcome: every other listener still runs.
 */
import { batch, type ReadonlySignal, Signal } from '@preact/signals-core'
import { TheusError } from '../errors.js'
import { deepFreeze } from '../transaction/tree.js'
import { sealPatches } from './history.js'
import type { EngineErrorEvent, EngineEventMap, EngineEventType, Patch } from './types.js'

type Listeners = { [K in EngineEventType]: Set<(e: EngineEventMap[K]) => void> }

export class EventHub {
  private readonly listeners: Listeners = {
    commit: new Set(),
    rollback: new Set(),
    audit: new Set(),
    signal: new Set(),
    halt: new Set(),
    resume: new Set(),
    error: new Set(),
  }

  /** Whether anyone listens to `type` (payloads that cost something are built only then). */
  listening(type: EngineEventType): boolean {
    return this.listeners[type].size > 0
  }

  on<K extends EngineEventType>(type: K, handler: (event: EngineEventMap[K]) => void): () => void {
    const set = Object.hasOwn(this.listeners, type)
      ? (this.listeners[type] as Set<(e: EngineEventMap[K]) => void>)
      : undefined
    if (!set || typeof handler !== 'function')
      throw new TheusError(
        'INVALID_ARGS',
        set
          ? `on('${type}') takes a function, got ${typeof handler}.`
          : `Unknown event '${String(type)}'. Events: ${Object.keys(this.listeners).join(', ')}.`,
      )
    set.add(handler)
    return () => {
      set.delete(handler)
    }
  }

  /**
   * Calls the listeners of an event with its payload, deeply frozen. A listener that throws
   * changes nothing: its error goes to `'error'` and the other listeners still run. Inside a
   * batch (a commit), the event waits until the batch's subscribers have run (SPEC §3.1
   * step 5: `state` and `select()` notify, then `'commit'`, then `'signal'`).
   */
  emit<K extends EngineEventType>(type: K, event: EngineEventMap[K]): void {
    if (this.listeners[type].size === 0) return
    freezePayload(event as unknown as Record<string, unknown>)
    if (this.depth > 0 || this.draining) {
      this.queued.push(type, event)
      return
    }
    this.deliver(type, event)
  }

  private deliver(type: EngineEventType, event: unknown): void {
    for (const h of [...this.listeners[type]]) {
      try {
        ;(h as (e: unknown) => void)(event)
      } catch (error) {
        this.reportError({ source: 'listener', event: type, error })
      }
    }
  }

  // Events raised inside a batch, as type, payload pairs, delivered when the outermost ends.
  private queued: unknown[] = []
  private depth = 0
  // Delivering the queue: a listener's own commit queues its events after the ones still due
  // (one commit's 'commit' and 'signal' events stay together, SPEC §3.1 step 5).
  private draining = false

  /** Where the errors of listeners and subscribers go: `'error'`, or the console. */
  reportError(event: EngineErrorEvent): void {
    Object.freeze(event)
    const set = this.listeners.error
    if (set.size === 0) {
      console.error(
        `[theus] ${event.source === 'listener' ? `a '${event.event}' listener` : 'a subscriber'} threw (it changed nothing; listen to 'error' to handle it):`,
        event.error,
      )
      return
    }
    for (const h of [...set]) {
      try {
        h(event)
      } catch (e) {
        console.error("[theus] an 'error' listener threw:", e)
      }
    }
  }

  /**
   * Gives one of the engine's signals a `subscribe` whose callback reports its own errors:
   * signals-core runs every effect of a batch but rethrows only the first error, so without
   * this, a second subscriber that threw in the same commit would never reach `'error'`.
   */
  reporting<S extends ReadonlySignal<unknown>>(sig: S): S {
    sig.subscribe = (fn) =>
      Signal.prototype.subscribe.call(sig, (v) => {
        try {
          fn(v)
        } catch (error) {
          this.reportError({ source: 'subscriber', error })
        }
      })
    return sig
  }

  // The batch under way: its function and result wait in fields, so that a batch allocates no
  // closure (undo, redo and every commit go through here).
  private bFn: (() => unknown) | undefined = undefined
  private bOut: unknown = undefined
  private bDone = false
  private readonly body = (): void => {
    const fn = this.bFn!
    this.bFn = undefined
    this.bOut = fn()
    this.bDone = true
  }

  /**
   * Runs `fn` in one signals batch. Subscribers run when the batch ends; one that throws
   * (signals-core rethrows the first error, after running the others) does not undo what
   * `fn` did: its error goes to `'error'`. Re-entrant (a subscriber may commit in turn).
   */
  batch<T>(fn: () => T): T {
    const prevFn = this.bFn
    const prevOut = this.bOut
    const prevDone = this.bDone
    this.bFn = fn
    this.bDone = false
    this.depth++
    let out: unknown
    try {
      batch(this.body)
    } catch (error) {
      if (!this.bDone) throw error
      this.reportError({ source: 'subscriber', error })
    } finally {
      out = this.bOut
      this.bFn = prevFn
      this.bOut = prevOut
      this.bDone = prevDone
      // The subscribers have run: now the events the batch raised, in order. A listener
      // may commit in turn; its batch delivers its own events.
      if (--this.depth === 0 && this.queued.length > 0 && !this.draining) {
        const q = this.queued
        this.draining = true
        try {
          for (let i = 0; i < q.length; i += 2) this.deliver(q[i] as EngineEventType, q[i + 1])
        } finally {
          this.queued = []
          this.draining = false
        }
      }
    }
    return out as T
  }

  /** Drops every listener (dispose). */
  clear(): void {
    for (const set of Object.values(this.listeners)) set.clear()
  }
}

/** Deep-freezes an event payload before listeners see it (the error objects excepted). */
export function freezePayload(event: Record<string, unknown>): void {
  if (Object.isFrozen(event)) return
  for (const key of Object.keys(event)) {
    const v = event[key]
    if (key === 'error' || typeof v !== 'object' || v === null) continue
    if (key === 'patches' || key === 'inversePatches') sealPatches(v as Patch[])
    else deepFreeze(v)
  }
  Object.freeze(event)
}
