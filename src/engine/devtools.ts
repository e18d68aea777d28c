/**
 * `connectReduxDevTools()`: shows an engine's commits in the Redux DevTools browser extension.
 *
 * It is a window onto the engine, not a second way to change it: time travel (jump, skip,
 * reorder, import, dispatch) is switched off in the extension, because state changes only
 * through processes and `edit()`. Use `engine.undo()` / `engine.redo()` to go back.
 */
import type { Zone } from '../context/zones.js'
import type { TheusEngine } from './TheusEngine.js'

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
  payload?: { type?: string; status?: boolean } | unknown
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
}

/**
 * Sends every commit to the Redux DevTools extension as the action `{ type: process, payload:
 * args }` with the state after it. Returns a function that disconnects. Without the extension
 * it does nothing and returns a no-op.
 * @example
 * const disconnect = connectReduxDevTools(engine, { name: 'bank' })
 */
export function connectReduxDevTools(
  engine: TheusEngine<any>,
  options: ReduxDevToolsOptions = {},
): () => void {
  const ext = (globalThis as { __REDUX_DEVTOOLS_EXTENSION__?: ReduxDevToolsExtension })
    .__REDUX_DEVTOOLS_EXTENSION__
  if (ext === undefined || ext === null || typeof ext.connect !== 'function') return () => {}
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
      jump: false,
      skip: false,
      reorder: false,
      import: false,
      dispatch: false,
      test: false,
    },
  })
  devtools.init(read())
  let paused = false
  const offCommit = engine.on('commit', (e) => {
    if (!paused) devtools.send({ type: e.process, payload: e.args }, read())
  })
  const offMessages = devtools.subscribe?.((message) => {
    if (message?.type !== 'DISPATCH') return
    const payload = (message.payload ?? {}) as { type?: string; status?: boolean }
    if (payload.type === 'PAUSE_RECORDING') paused = payload.status === true
    // "Commit" in the monitor makes the current state its new starting point.
    else if (payload.type === 'COMMIT' && !engine.disposed) devtools.init(read())
  })
  let connected = true
  return () => {
    if (!connected) return
    connected = false
    offCommit()
    if (typeof offMessages === 'function') offMessages()
    else devtools.unsubscribe?.()
  }
}
