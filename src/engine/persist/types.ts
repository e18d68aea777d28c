/**
 * The public types of `persist()` (re-exported by `theus`): the storage it writes to, its
 * options, the events it reports and the handle it returns.
 */
import type { Zone } from '../../context/zones.js'
import type { TheusError } from '../../errors.js'

/** A storage call's result: a value, or a promise of it (async stores). */
export type MaybePromise<T> = T | PromiseLike<T>

/**
 * A key-value store of text: `localStorage`, `sessionStorage`, or an async store whose methods
 * return promises (an IndexedDB wrapper such as idb-keyval's `get/set/del` adapted to these
 * names). A missing key reads as `null` (or `undefined`).
 */
export interface PersistStorage {
  getItem(key: string): MaybePromise<string | null | undefined>
  setItem(key: string, value: string): MaybePromise<unknown>
  removeItem(key: string): MaybePromise<unknown>
}

/** The zones `persist()` can save. Signals last one commit, so they are never saved. */
export type PersistZone = Exclude<Zone, 'signal'>

/** Why stored data was not applied. */
export type PersistFailureReason =
  /** `getItem` threw or rejected: nothing could be read (saving stays off). */
  | 'read'
  /** The stored text is not JSON. */
  | 'parse'
  /**
   * JSON, but not `{ version, state: { global?, domain? } }`, a bad tagged value, a `__proto__`
   * key anywhere, or (strict engines) a typed array or `ArrayBuffer` outside the heavy zone.
   */
  | 'shape'
  /** The stored `version` differs from `version` and no `migrate` was given. */
  | 'version'
  /** `migrate` threw, returned a promise, or returned a state of the wrong shape. */
  | 'migrate'
  /** The engine's schema rejected the hydrated state (`SchemaViolationError`). */
  | 'schema'
  /** `engine.edit()` threw something else while applying the state. */
  | 'apply'
  /**
   * The engine was halted (a level S interlock): hydration is refused, the stored value stays
   * under its key untouched, and saving stays off for this handle (SPEC §10.2).
   */
  | 'halted'

/** What `persist()` reports through `onEvent`. */
export type PersistEvent =
  | {
      type: 'hydrated'
      key: string
      /** True when nothing was stored: the engine keeps its initial state. */
      empty: boolean
      /** The stored version, when `migrate` upgraded it. */
      migratedFrom: number | undefined
      /** Top-level keys of the payload that the current context lacks (`domain.x`): not applied. */
      droppedKeys: string[]
    }
  | {
      type: 'hydrate-failed'
      key: string
      reason: PersistFailureReason
      /** Where the bad stored value now lives; `undefined` when nothing was read or the backup failed. */
      backupKey: string | undefined
      /**
       * A `TheusError` with code `PERSIST_INVALID` (`cause`: the underlying error), or an
       * `EngineHaltedError` (code `ENGINE_HALTED`) for reason `'halted'`.
       */
      error: TheusError
    }
  | { type: 'saved'; key: string; bytes: number }
  | { type: 'save-failed'; key: string; error: unknown }

/** The event names of `PersistEvent`. */
export type PersistEventType = PersistEvent['type']

/** Options of `persist()`. */
export interface PersistOptions {
  /** Where to save: `localStorage`, or an async store with the same three methods. */
  storage: PersistStorage
  /** The storage key of the payload. Backups go to `${key}:backup:<timestamp>`. */
  key: string
  /** The version of the state's shape, saved with it (default 0). */
  version?: number
  /** Turns a state saved under another version into one for `version`. Synchronous. */
  migrate?: (oldState: PersistedState, oldVersion: number) => PersistedState
  /** The zones to save (default `['data']`), e.g. `['data', 'meta']`. */
  zones?: readonly PersistZone[]
  /**
   * Wait this long after a commit before writing; the commits made meanwhile join the same
   * write (default 100; 0 writes after the current microtask). In a browser, a pending write is
   * also made at once when the page is hidden (`visibilitychange`) or left (`pagehide`).
   */
  debounceMs?: number
  /** Hears `'hydrated'`, `'hydrate-failed'`, `'saved'` and `'save-failed'`. Without it, failures warn once on the console. */
  onEvent?: (event: PersistEvent) => void
}

/** The state part of a payload: the persisted zones of each layer. */
export interface PersistedState {
  global?: Record<string, unknown>
  domain?: Record<string, unknown>
}

/** What `persist()` returns. */
export interface PersistHandle {
  /** Resolves once hydration is over, applied or not (never rejects). Already resolved for sync storage. */
  readonly ready: Promise<void>
  /** Writes a pending save now; resolves when the writes in flight are done. */
  flush(): Promise<void>
  /** Stops saving: writes a pending save at once, then ignores later commits. */
  dispose(): void
  /**
   * `'hydrating'` until the stored value is applied or refused; `'live'` while saving;
   * `'off'` when saving stopped because the stored value must not be overwritten (it could not
   * be read or backed up, or hydration was refused while the engine was halted);
   * `'disposed'` after `dispose()` or once the engine is disposed.
   */
  readonly status: 'hydrating' | 'live' | 'off' | 'disposed'
}
