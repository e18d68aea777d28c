/**
 * The engine's events (SPEC §9, §10.2): listeners per event name, payloads deeply frozen
 * before any listener sees them, and the one place where the errors of listeners and
 * subscribers go (the `'error'` event, or the console). Such errors never change a run's
 * outcome: every other listener still runs.
 */
import { batch } from '@preact/signals-core'
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
    if (!set)
      throw new TheusError(
        'INVALID_ARGS',
        `Unknown event '${String(type)}'. Events: ${Object.keys(this.listeners).join(', ')}.`,
      )
    set.add(handler)
    return () => {
      set.delete(handler)
    }
  }

  /**
   * Calls the listeners of an event with its payload, deeply frozen. A listener that throws
   * changes nothing: its error goes to `'error'` and the other listeners still run.
   */
  emit<K extends EngineEventType>(type: K, event: EngineEventMap[K]): void {
    const set = this.listeners[type]
    if (set.size === 0) return
    freezePayload(event as unknown as Record<string, unknown>)
    for (const h of [...set]) {
      try {
        ;(h as (e: EngineEventMap[K]) => void)(event)
      } catch (error) {
        this.reportError({ source: 'listener', event: type, error })
      }
    }
  }

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
