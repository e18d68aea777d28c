/**
 * The pure state machine: a current state and a step function. No engine, no timers, no
 * promises, so tests and the inspector can step a machine by hand; `WorkflowManager` drives
 * one of these and runs the entry processes it returns.
 */
import { toWorkflowDefinition, type WorkflowDefinition, type WorkflowState } from './definition.js'

/** The events a chain sends when its entry processes are done. */
export const CHAIN_EVENTS = {
  done: 'EVT_CHAIN_DONE',
  fail: 'EVT_CHAIN_FAIL',
  success: 'EVT_SUCCESS',
  failAlias: 'EVT_FAIL',
} as const

/** A workflow as accepted by `StateMachine` and `WorkflowManager`: an object or YAML text. */
export type WorkflowInput = WorkflowDefinition | Record<string, unknown> | string

/**
 * A pure state machine over a validated workflow.
 * @example
 * const m = new StateMachine({ states: { IDLE: { on: { GO: 'BUSY' } }, BUSY: { entry: 'work' } } })
 * m.trigger('GO') // ['work']
 * m.current       // 'BUSY'
 */
export class StateMachine {
  /** The validated definition (aliases resolved). */
  readonly definition: WorkflowDefinition
  private _current: string

  constructor(def: WorkflowInput) {
    this.definition = toWorkflowDefinition(def)
    this._current = this.definition.initial
  }

  /** The current state's name. */
  get current(): string {
    return this._current
  }

  /** The state names, in document order. */
  get states(): string[] {
    return Object.keys(this.definition.states)
  }

  /** The state a given event leads to from `from` (default: the current state), if handled. */
  target(event: string, from: string = this._current): string | undefined {
    const state = this.stateOf(from)
    return state && Object.hasOwn(state.events, event) ? state.events[event] : undefined
  }

  /** Whether the current state handles `event`. */
  can(event: string): boolean {
    return this.target(event) !== undefined
  }

  /**
   * Moves on `event` and returns the entry processes of the state entered. An event the
   * current state does not handle changes nothing and returns `[]`. A transition to the same
   * state counts as entering it again.
   */
  trigger(event: string): string[] {
    const to = this.target(event)
    if (to === undefined) return []
    this._current = to
    return this.entryOf(to)
  }

  /** The entry processes of a state (a copy). */
  entryOf(state: string): string[] {
    return [...(this.stateOf(state)?.entry ?? [])]
  }

  /**
   * The event a finished chain sends from `state`: `EVT_CHAIN_DONE` / `EVT_CHAIN_FAIL`, or
   * `EVT_SUCCESS` / `EVT_FAIL` when the state maps those and not the chain events.
   */
  chainEvent(state: string, ok: boolean): string {
    const events = this.stateOf(state)?.events ?? {}
    const primary = ok ? CHAIN_EVENTS.done : CHAIN_EVENTS.fail
    const alias = ok ? CHAIN_EVENTS.success : CHAIN_EVENTS.failAlias
    return !Object.hasOwn(events, primary) && Object.hasOwn(events, alias) ? alias : primary
  }

  /** The events a state handles. */
  eventsOf(state: string = this._current): string[] {
    return Object.keys(this.stateOf(state)?.events ?? {})
  }

  /** Back to the initial state. */
  reset(): void {
    this._current = this.definition.initial
  }

  private stateOf(name: string): WorkflowState | undefined {
    const states = this.definition.states
    return Object.hasOwn(states, name) ? states[name] : undefined
  }
}
