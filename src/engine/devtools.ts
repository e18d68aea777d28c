/**
 * `connectReduxDevTools()`: shows an engine's commits in the Redux DevTools browser extension,
 * and lets the extension's time travel move the engine.
 *
 * A jump in the monitor (JUMP_TO_ACTION, JUMP_TO_STATE) is carried out with `engine.undo()` and
 * `engine.redo()`, so the engine's own history stays true: the state the monitor shows is the
 * state the app renders, and undo/redo in the app go on from there. Everything else that would
 * change state from the monitor (skip, reorder, import, dispatch, reset) stays off: state
 * changes only through processes and `edit()`.
 */
import type { Zone } from '../context/zones.js'
import { describe, TheusError, warnOnce } from '../errors.js'
import { strayKey } from './options.js'
import { checkExcludeZones } from './reads.js'
import type { TheusEngine } from './TheusEngine.js'
import type { HistoryEntry } from './types.js'

/** The part of a Redux DevTools connection Theus uses. */
export interface ReduxDevToolsConnection {
  init(state: unknown): void
  send(action: { type: string; payload?: unknown }, state: unknown): void
  subscribe?(listener: (message: ReduxDevToolsMessage) => void): (() => void) | undefined
  unsubscribe?(): void
}

/** A message from the extension's monitor. */
export interface ReduxDevToolsMessage {
  type: string
  payload?: { type?: string; status?: boolean; actionId?: number; index?: number } | unknown
  state?: string
}

/** The part of `__REDUX_DEVTOOLS_EXTENSION__` Theus uses. */
export interface ReduxDevToolsExtension {
  connect(options: Record<string, unknown>): ReduxDevToolsConnection
}

/** Options of `connectReduxDevTools()`. */
export interface ReduxDevToolsOptions {
  /** The instance name shown in the extension (default `'Theus'`). */
  name?: string
  /** Zones left out of the state shown (default: `signal`, `meta`, `heavy`, as `toDict()`). */
  excludeZones?: readonly Zone[]
  /**
   * Let the monitor's time travel (the slider, "Jump") move the engine through undo/redo
   * (default true). `false` makes the monitor a read-only window: jumps are ignored.
   */
  timeTravel?: boolean
}

/**
 * Sends every commit to the Redux DevTools extension as the action `{ type: process, payload:
 * args }` with the state after it, and follows the monitor's jumps through undo/redo. Returns a
 * function that disconnects. Without the extension it does nothing and returns a no-op.
 * @example
 * const disconnect = connectReduxDevTools(engine, { name: 'bank' })
 */
export function connectReduxDevTools(
  engine: TheusEngine<any>,
  options: ReduxDevToolsOptions = {},
): () => void {
  // Checked even without the extension: a wrong call should fail in every browser, not only
  // in the ones that have it installed.
  const k = strayKey(options, ['name', 'excludeZones', 'timeTravel'])
  if (typeof engine?.on !== 'function' || k !== undefined)
    throw new TheusError(
      'INVALID_ARGS',
      `connectReduxDevTools(engine, { name?, excludeZones?, timeTravel? }) got ${k === undefined ? `${describe(engine)} as the engine` : k ? `the option '${k}'` : describe(options)}.`,
    )
  if (options.excludeZones !== undefined)
    checkExcludeZones(options.excludeZones, 'connectReduxDevTools()')
  const ext = (globalThis as { __REDUX_DEVTOOLS_EXTENSION__?: ReduxDevToolsExtension })
    .__REDUX_DEVTOOLS_EXTENSION__
  if (ext === undefined || ext === null || typeof ext.connect !== 'function') return () => {}
  const timeTravel = options.timeTravel !== false
  const dictOptions =
    options.excludeZones === undefined ? {} : { excludeZones: options.excludeZones }
  const read = () => engine.toDict(dictOptions)
  const devtools = ext.connect({
    name: options.name ?? 'Theus',
    // Show Map, Set and Date as such rather than as `{}`.
    serialize: { options: { map: true, set: true, date: true, undefined: true } },
    features: {
      pause: true,
      export: true,
      lock: false,
      persist: false,
      jump: timeTravel,
      skip: false,
      reorder: false,
      import: false,
      dispatch: false,
      test: false,
    },
  })
  // Where the engine stood after each action the monitor holds, by action id (0 is the
  // initial state): the last history entry then (`null` before any). History entries keep
  // their identity through undo and redo, so a position survives both, and `historyLimit`
  // dropping old entries does not shift it.
  let marks: (HistoryEntry | null)[] = []
  const here = (): HistoryEntry | null => engine.history.at(-1) ?? null
  // `null` marks the point below every history entry. It stops being a point undo can reach
  // once `historyLimit` drops an entry above it (or, at 0, keeps none): undoing everything
  // then lands on a later state, which a jump must not pass off as the one the monitor shows.
  let bottom: HistoryEntry | undefined
  let lost = false
  const start = () => {
    marks = [here()]
    bottom = engine.history[0]
    lost = false
    devtools.init(read())
  }
  start()
  let paused = false
  let jumping = false
  const offCommit = engine.on('commit', (e) => {
    // Only a drop changes a kept bottom entry; an empty history after a change (not an undo)
    // is historyLimit 0.
    const b = engine.history[0]
    if (b ? bottom !== undefined && b !== bottom : e.patches.length > 0 && e.process !== 'undo')
      lost = true
    bottom = b
    // The undo/redo commits of a jump are the monitor's own doing: it already shows them.
    if (paused || jumping) return
    marks.push(here())
    devtools.send({ type: e.process, payload: e.args }, read())
  })

  // Moves the engine to where it stood after action `id`. Returns false (engine unmoved) when
  // that point is no longer reachable: a later commit cleared the redo stack, or the history
  // limit dropped it.
  const jump = (id: number): boolean => {
    const target = marks[id]
    if (target === undefined || (target === null && lost) || engine.disposed) return false
    const hist = engine.history
    jumping = true
    let redone = 0
    try {
      if (target === null ? hist.length > 0 : hist.includes(target)) {
        while (here() !== target) if (!engine.undo()) break
      } else {
        while (here() !== target && engine.redo()) redone++
      }
      if (here() === target) return true
      // Unreachable: put back what we redid, so a refused jump changes nothing.
      for (; redone > 0; redone--) engine.undo()
      return false
    } catch (e) {
      // A halted engine refuses undo/redo (ENGINE_HALTED): the state stays where it is.
      warnOnce(
        `redux-devtools-jump:${String((e as { code?: string })?.code)}`,
        `Redux DevTools: the jump was refused (${(e as Error)?.message ?? String(e)}). Resume the engine, then jump again.`,
      )
      return false
    } finally {
      jumping = false
    }
  }

  /** A jump, or (unreachable) a warning and the monitor restarted from the current state. */
  const go = (id: number): boolean => {
    if (jump(id)) return true
    warnOnce(
      'redux-devtools-unreachable',
      'Redux DevTools: that action is no longer reachable through undo/redo (a later commit cleared the redo stack, or historyLimit dropped it). The monitor restarts from the current state.',
    )
    start()
    return false
  }

  const offMessages = devtools.subscribe?.((message) => {
    if (message?.type !== 'DISPATCH' || engine.disposed) return
    const payload = (message.payload ?? {}) as {
      type?: string
      status?: boolean
      actionId?: number
      index?: number
    }
    switch (payload.type) {
      case 'PAUSE_RECORDING':
        paused = payload.status === true
        return
      // "Commit" in the monitor makes the current state its new starting point.
      case 'COMMIT':
        start()
        return
      case 'JUMP_TO_STATE':
      case 'JUMP_TO_ACTION': {
        if (!timeTravel) return
        const id = payload.actionId ?? payload.index
        if (typeof id !== 'number') return
        go(id)
        return
      }
      // "Revert" goes back to the last "Commit" (or the connection), through undo/redo.
      case 'ROLLBACK':
        if (timeTravel && go(0)) start()
        return
      // "Reset" would restart the app from its initial state: Theus has no such operation
      // besides undoing everything, which the slider does. The monitor restarts from the
      // current state so that it never shows a state the engine is not in.
      case 'RESET':
        start()
        return
      // IMPORT_STATE, TOGGLE_ACTION, REORDER_ACTION, LOCK_CHANGES: switched off in `features`.
      default:
        return
    }
  })
  let connected = true
  let offDispose: (() => void) | undefined
  const disconnect = (): void => {
    if (!connected) return
    connected = false
    offDispose?.()
    offCommit()
    if (typeof offMessages === 'function') offMessages()
    else devtools.unsubscribe?.()
  }
  // SPEC §10.2: the engine's dispose() stops the bridge too (the monitor is left alone).
  offDispose = engine._onDispose(disconnect)
  return disconnect
}
