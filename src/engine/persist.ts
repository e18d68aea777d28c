/**
 * `persist()`: saves chosen zones of an engine's state to a `localStorage`-like or async
 * (IndexedDB-like) storage after commits, and hydrates the engine from it at start.
 *
 * Invariants:
 * - Bad stored data never throws into the app and is never lost: it is copied to a backup key
 *   before anything else is written under the main key. When even the backup cannot be
 *   written (or the stored value cannot be read), saving stays off for this handle, so the
 *   only copy is never overwritten.
 * - Hydration is one `engine.edit()`: one atomic commit, checked by the engine's schema.
 * - Saving never throws into a commit: it runs later (`debounceMs`, 100 ms by default, so that
 *   a burst of commits is one write), and its failures are `'save-failed'` events.
 * - A save costs O(what changed since the last save) to encode, plus the storage write: the
 *   text is built once in one pass from the engine's cached snapshot, then kept up to date
 *   from the commits' patches (`TextMirror`), reusing the text of every untouched container.
 * - Stored data is untrusted (SPEC §10.1): a `__proto__` key anywhere, or a class value outside
 *   the heavy zone (strict engines), rejects the payload before anything is assigned.
 *
 * One file: the tagged-JSON codec, the payload checks and the text kept up to date from patches
 * follow one set of encoding rules, and a save must agree with a fresh encoding byte for byte
 * (tested). theus/sync already imports `encode`/`decode` from here, so moving the codec into
 * `engine/persist/codec.ts` (STYLE.md's layout) is the next step.
 */
import { resolveZone, type Zone, zoneOfSegment } from '../context/zones.js'
import {
  describe,
  EngineHaltedError,
  errors,
  SchemaViolationError,
  TheusError,
  warnOnce,
} from '../errors.js'
import type { TheusEngine } from './TheusEngine.js'
import type { Patch } from './types.js'

//#region public types

type MaybePromise<T> = T | PromiseLike<T>

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

/** The default of `debounceMs`: a burst of commits is one write, and 100 ms is not felt. */
const DEBOUNCE_MS = 100

//#endregion

//#region persist

const ZONES: readonly PersistZone[] = ['data', 'meta', 'heavy']

/**
 * Saves the engine's data zone (or `zones`) after commits and hydrates the engine from the
 * stored payload at start. Stored data that cannot be used is moved to a backup key, and the
 * engine keeps its initial state.
 * @example
 * const saved = persist(engine, { storage: localStorage, key: 'bank', version: 2, migrate })
 * await saved.ready
 */
export function persist(engine: TheusEngine<any>, options: PersistOptions): PersistHandle {
  const opts = checkOptions(engine, options)
  const { storage, key, version, migrate, zones, debounceMs, onEvent } = opts
  const savesEveryCommit = zones.has('heavy') // in-place heavy changes leave no patches
  const strict = engine.options.strictMode
  const writer = payloadWriter(zones, version)
  // Heavy values change in place without patches: a handle that saves them re-reads the state.
  const mirror = savesEveryCommit ? undefined : new TextMirror(writer, zones)

  /** 'hydrating' until the stored value is applied or refused; saves wait for it. */
  let phase: 'hydrating' | 'live' | 'disposed' = 'hydrating'
  /** Saving is off for good: the stored value could not be read or backed up. */
  let locked = false
  /** A commit since the last write that the payload should show. */
  let dirty = false
  let scheduled = false
  let gen = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let writing: Promise<void> | undefined
  let again = false
  let selfCommit = false

  const emit = (event: PersistEvent): void => {
    if (onEvent) {
      try {
        onEvent(event)
      } catch (e) {
        console.error('[theus] a persist onEvent handler threw:', e)
      }
      return
    }
    if (event.type === 'hydrate-failed')
      warnOnce(`persist:${key}:${event.reason}`, event.error.message)
    else if (event.type === 'save-failed')
      warnOnce(
        `persist:${key}:save`,
        `persist(): saving '${key}' failed: ${errorText(event.error)}.`,
      )
  }

  const off = engine.on('commit', (e) => {
    if (selfCommit || phase === 'disposed') return
    if (mirror) for (const p of e.patches) mirror.apply(p)
    if (
      !savesEveryCommit &&
      !e.patches.some((p) => p.path.length > 1 && zones.has(patchZone(p.path) as PersistZone))
    )
      return
    dirty = true
    schedule()
  })

  function schedule(): void {
    if (phase !== 'live' || locked || !dirty || scheduled) return
    if (engine.disposed) {
      stop()
      return
    }
    scheduled = true
    const g = ++gen
    const fire = () => {
      if (g !== gen || !scheduled) return
      scheduled = false
      timer = undefined
      write()
    }
    if (debounceMs > 0) timer = setTimeout(fire, debounceMs)
    else queueMicrotask(fire)
  }

  function cancelScheduled(): void {
    scheduled = false
    gen++
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  /** Writes the current state; an async write in flight makes this one wait for it. */
  function write(): void {
    if (locked) return
    if (writing) {
      again = true
      return
    }
    dirty = false
    let text: string
    try {
      // The engine's state never changes once it is disposed: this last write saves what the
      // final commits left, then the handle stops (SPEC §10.2: dispose stops persist).
      const read = () => engine.state.value
      text = mirror ? mirror.text(read) : writer.payload(read())
    } catch (e) {
      emit({ type: 'save-failed', key, error: e })
      return
    }
    const r = settle(
      () => storage.setItem(key, text),
      () => emit({ type: 'saved', key, bytes: text.length }),
      (e) => emit({ type: 'save-failed', key, error: e }),
    )
    if (isThenable(r))
      writing = Promise.resolve(r).then(() => {
        writing = undefined
        if (again) {
          again = false
          write()
        }
      })
    if (engine.disposed) stop()
  }

  /** A pending write now (the page is being hidden or left: timers may never fire). */
  const flushNow = (): void => {
    if (scheduled) {
      cancelScheduled()
      write()
    }
  }
  const onHidden = (): void => {
    if (
      (globalThis as { document?: { visibilityState?: string } }).document?.visibilityState ===
      'hidden'
    )
      flushNow()
  }
  // Browsers only: the core touches no DOM, it listens on the global object when it has one.
  const page = globalThis as {
    addEventListener?: (type: string, fn: () => void) => void
    removeEventListener?: (type: string, fn: () => void) => void
  }
  const listening = typeof page.addEventListener === 'function' && debounceMs > 0
  if (listening) {
    page.addEventListener!('pagehide', flushNow)
    page.addEventListener!('visibilitychange', onHidden)
  }

  // SPEC §10.2: the engine's dispose() stops persist, after writing a save already pending.
  // (An engine disposed before persist() was called runs this at once: nothing is pending.)
  let offDispose: (() => void) | undefined
  offDispose = engine._onDispose(() => {
    flushNow()
    stop()
  })

  function stop(): void {
    if (phase === 'disposed') return
    phase = 'disposed'
    offDispose?.()
    off()
    cancelScheduled()
    if (listening) {
      page.removeEventListener?.('pagehide', flushNow)
      page.removeEventListener?.('visibilitychange', onHidden)
    }
  }

  //#region hydration

  const fail = (
    reason: PersistFailureReason,
    detail: string,
    cause: unknown,
    raw: unknown,
  ): MaybePromise<void> => {
    const report = (backupKey: string | undefined, backupError?: unknown) => {
      // Without a backup the stored value is its only copy: never write over it.
      if (backupKey === undefined) locked = true
      const where =
        backupKey !== undefined
          ? `the stored value was moved to '${backupKey}'. Inspect it, or delete it once you no longer need it.`
          : reason === 'read'
            ? 'saving is off for this session so that the stored value is not overwritten.'
            : `the backup could not be written (${errorText(backupError)}), so the stored value stays under '${key}' and saving is off for this session.`
      const error = new TheusError(
        'PERSIST_INVALID',
        `persist(): the state stored under '${key}' was not applied: ${detail}. The engine kept its initial state; ${where}`,
        { cause, details: { key, reason, backupKey } },
      )
      emit({ type: 'hydrate-failed', key, reason, backupKey, error })
    }
    if (reason === 'read') return report(undefined)
    const backupKey = nextBackupKey(key)
    // The copy is safe before the main key is cleared; clearing it stops the next start from
    // failing again (a failed removeItem is harmless: the next save overwrites the key).
    return settle(
      () => storage.setItem(backupKey, raw as string),
      () =>
        settle(
          () => storage.removeItem(key),
          () => report(backupKey),
          () => report(backupKey),
        ),
      (e) => report(undefined, e),
    )
  }

  /** Halted: the stored value stays where it is, untouched, and nothing is saved over it. */
  const refuseHalted = (cause?: unknown): void => {
    locked = true
    const error = new EngineHaltedError(
      `persist(): the engine is halted (a level S interlock), so the state stored under '${key}' was not applied. It stays under '${key}' untouched and saving is off for this handle. Call engine.resume() once the cause is fixed, then persist() again.`,
      { cause, details: { key } },
    )
    emit({ type: 'hydrate-failed', key, reason: 'halted', backupKey: undefined, error })
  }

  const apply = (raw: unknown): MaybePromise<void> => {
    // Disposed while an async read was in flight: leave the engine and the stored value alone.
    if (phase === 'disposed' || engine.disposed) return
    if (raw === null || raw === undefined) {
      emit({ type: 'hydrated', key, empty: true, migratedFrom: undefined, droppedKeys: [] })
      return
    }
    if (typeof raw !== 'string')
      return fail('shape', `expected a JSON string, got ${describe(raw)}`, undefined, raw)
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch (e) {
      return fail('parse', `it is not valid JSON (${errorText(e)})`, e, raw)
    }
    let payload: { version: number; state: PersistedState }
    try {
      payload = readPayload(parsed, strict)
    } catch (e) {
      return fail('shape', errorText(e), e, raw)
    }
    let state = payload.state
    let migratedFrom: number | undefined
    if (payload.version !== version) {
      if (!migrate)
        return fail(
          'version',
          `it was saved under version ${payload.version}, and this app expects version ${version}. Pass a migrate(oldState, oldVersion) option to upgrade it`,
          undefined,
          raw,
        )
      try {
        const out: unknown = migrate(state, payload.version)
        if (isThenable(out))
          throw new TypeError('migrate returned a promise; it must be synchronous')
        state = readState(out, 'the state migrate returned')
        checkPlain(state, strict, 'the state migrate returned', undefined)
      } catch (e) {
        return fail(
          'migrate',
          `migrate() from version ${payload.version} failed: ${errorText(e)}`,
          e,
          raw,
        )
      }
      migratedFrom = payload.version
    }
    if (engine.halted) return refuseHalted()
    let droppedKeys: string[]
    try {
      selfCommit = true
      mirror?.reset()
      droppedKeys = hydrate(engine, state, zones)
    } catch (e) {
      if (e instanceof EngineHaltedError) return refuseHalted(e)
      const schema = e instanceof SchemaViolationError
      return fail(
        schema ? 'schema' : 'apply',
        `${schema ? '' : 'applying it threw: '}${errorText(e)}`,
        e,
        raw,
      )
    } finally {
      selfCommit = false
    }
    if (droppedKeys.length > 0 && !onEvent)
      warnOnce(
        `persist:${key}:dropped`,
        `persist(): the state stored under '${key}' has keys the context no longer has (${droppedKeys.join(', ')}); they were not applied. Rename or remove them in migrate().`,
      )
    emit({ type: 'hydrated', key, empty: false, migratedFrom, droppedKeys })
    // Store the upgraded payload at once, so the next start needs no migration.
    if (migratedFrom !== undefined) dirty = true
  }

  const goLive = (): void => {
    if (phase === 'hydrating') phase = 'live'
    schedule()
  }

  let ready: Promise<void>
  let read: MaybePromise<string | null | undefined>
  let readFailed = false
  try {
    read = storage.getItem(key)
  } catch (e) {
    readFailed = true
    read = undefined
    fail('read', `storage.getItem('${key}') threw: ${errorText(e)}`, e, undefined)
  }
  if (readFailed) {
    goLive()
    ready = Promise.resolve()
  } else if (isThenable(read)) {
    ready = Promise.resolve(read)
      .then(apply, (e: unknown) =>
        fail('read', `storage.getItem('${key}') rejected: ${errorText(e)}`, e, undefined),
      )
      .then(goLive, goLive)
  } else {
    const out = apply(read)
    if (isThenable(out)) ready = Promise.resolve(out).then(goLive, goLive)
    else {
      goLive()
      ready = Promise.resolve()
    }
  }

  //#endregion

  return {
    ready,
    async flush() {
      await ready
      if (scheduled) {
        cancelScheduled()
        write()
      }
      while (writing) await writing
    },
    dispose() {
      if (phase === 'disposed') return
      flushNow()
      stop()
    },
    get status() {
      if (phase !== 'disposed' && engine.disposed) stop()
      return phase === 'disposed' ? 'disposed' : locked ? 'off' : phase
    },
  }
}

//#endregion

//#region options and payloads

interface CheckedOptions {
  storage: PersistStorage
  key: string
  version: number
  migrate: PersistOptions['migrate'] | undefined
  zones: ReadonlySet<PersistZone>
  debounceMs: number
  onEvent: PersistOptions['onEvent'] | undefined
}

function invalid(message: string): TheusError {
  return new TheusError('PERSIST_INVALID', `persist(): ${message}`)
}

function checkOptions(engine: TheusEngine<any>, options: PersistOptions): CheckedOptions {
  if (engine?.disposed === true) throw errors.disposed('persist()')
  if (options === null || typeof options !== 'object')
    throw invalid(`expected an options object { storage, key }, got ${describe(options)}.`)
  const { storage, key } = options
  if (
    storage === null ||
    typeof storage !== 'object' ||
    typeof storage.getItem !== 'function' ||
    typeof storage.setItem !== 'function' ||
    typeof storage.removeItem !== 'function'
  )
    throw invalid(
      `'storage' must have getItem, setItem and removeItem (localStorage, or an async store with those methods), got ${describe(storage)}.`,
    )
  if (typeof key !== 'string' || key === '')
    throw invalid(`'key' must be a non-empty string, got ${describe(key)}.`)
  const version = options.version ?? 0
  if (!Number.isInteger(version))
    throw invalid(`'version' must be an integer, got ${describe(version)}.`)
  if (options.migrate !== undefined && typeof options.migrate !== 'function')
    throw invalid(
      `'migrate' must be a function (oldState, oldVersion) => newState, got ${describe(options.migrate)}.`,
    )
  const zones = new Set<PersistZone>()
  for (const z of options.zones ?? ['data']) {
    if (!ZONES.includes(z))
      throw invalid(
        z === ('signal' as unknown)
          ? "the 'signal' zone cannot be persisted: a signal lasts one commit. Persist a data-zone field instead."
          : `unknown zone ${describe(z)} in 'zones'. Zones: ${ZONES.map((x) => `'${x}'`).join(', ')}.`,
      )
    zones.add(z)
  }
  if (zones.size === 0) throw invalid("'zones' is empty: give at least one zone, e.g. ['data'].")
  const debounceMs = options.debounceMs ?? DEBOUNCE_MS
  if (typeof debounceMs !== 'number' || !(debounceMs >= 0) || !Number.isFinite(debounceMs))
    throw invalid(`'debounceMs' must be a number ≥ 0, got ${describe(debounceMs)}.`)
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function')
    throw invalid(`'onEvent' must be a function, got ${describe(options.onEvent)}.`)
  return {
    storage,
    key,
    version,
    migrate: options.migrate,
    zones,
    debounceMs,
    onEvent: options.onEvent,
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function readState(v: unknown, what: string): PersistedState {
  if (!isPlainObject(v))
    throw new TypeError(`${what} is ${describe(v)}, not an object { global?, domain? }`)
  for (const k of Object.keys(v)) {
    if (k !== 'global' && k !== 'domain')
      throw new TypeError(`${what} has the key '${k}'; only 'global' and 'domain' are layers`)
    if (!isPlainObject(v[k]))
      throw new TypeError(`${what}.${k} is ${describe(v[k])}, not an object`)
  }
  return v as PersistedState
}

function readPayload(parsed: unknown, strict: boolean): { version: number; state: PersistedState } {
  if (!isPlainObject(parsed))
    throw new TypeError(`the payload is ${describe(parsed)}, not { version, state }`)
  if (Object.hasOwn(parsed, '__proto__')) throw protoKey('the payload')
  const v = parsed['version']
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new TypeError(`the payload's version is ${describe(v)}, not an integer`)
  return {
    version: v,
    state: readState(decode(parsed['state'], strict ? 'strict' : 'lax'), "the payload's state"),
  }
}

function protoKey(where: string): TypeError {
  return new TypeError(
    `${where} holds the key '__proto__', which is never a data key (SPEC §10.1): the payload is not applied`,
  )
}

/**
 * Throws on a `__proto__` key anywhere, and (strict engines) on a value that is not plain data
 * outside the heavy zone: what `decode` checks, for the state a `migrate` returns.
 */
function checkPlain(v: unknown, strict: boolean, where: string, zone: Zone | undefined): void {
  if (typeof v !== 'object' || v === null || v instanceof Date) return
  const inZone = (k: unknown) => zone ?? (typeof k === 'string' ? zoneOfSegment(k) : undefined)
  if (Array.isArray(v) || v instanceof Set) {
    for (const x of v) checkPlain(x, strict, where, zone)
    return
  }
  if (v instanceof Map) {
    for (const [k, x] of v) {
      if (k === '__proto__') throw protoKey(where)
      checkPlain(x, strict, where, inZone(k))
    }
    return
  }
  if (!isPlainObject(v)) {
    if (strict && zone !== 'heavy')
      throw new TypeError(
        `${where} holds ${describe(v)} outside the heavy zone, where only plain data may live (SPEC §10.1)`,
      )
    return
  }
  for (const k of Object.keys(v)) {
    if (k === '__proto__') throw protoKey(where)
    checkPlain(v[k], strict, where, inZone(k))
  }
}

let lastStamp = 0
/** A fresh backup key: timestamps, bumped so that two backups in one millisecond differ. */
function nextBackupKey(key: string): string {
  lastStamp = Math.max(Date.now(), lastStamp + 1)
  return `${key}:backup:${lastStamp}`
}

//#endregion

//#region applying a stored state

/** The zone of a patch path (`['domain', 'meta_x', ...]`). */
function patchZone(path: readonly (string | number)[]): Zone {
  return resolveZone(path.map(String))
}

/**
 * Applies a stored state in one `edit()`. Only the persisted zones change: their top-level
 * keys present in the payload are replaced (keys the context lacks are dropped and returned),
 * and inside a replaced object, keys of zones that are not persisted keep their current value.
 */
function hydrate(
  engine: TheusEngine<any>,
  state: PersistedState,
  zones: ReadonlySet<PersistZone>,
): string[] {
  const dropped: string[] = []
  const current = engine.state.value as Record<string, Record<string, unknown>>
  const keeps = (k: string, inZone: boolean) => {
    const z = inZone ? undefined : zoneOfSegment(k)
    return z !== undefined && !zones.has(z as PersistZone)
  }
  /** True when a current object holds keys of zones not persisted, at any depth outside zones. */
  const holdsOthers = (v: unknown): boolean =>
    isPlainObject(v) &&
    Object.keys(v).some(
      (k) => keeps(k, false) || (zoneOfSegment(k) === undefined && holdsOthers(v[k])),
    )
  /** The stored value without keys of zones not persisted (a payload is not trusted for those). */
  const strip = (v: unknown, inZone: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => strip(x, inZone))
    if (v instanceof Map) return new Map([...v].map(([mk, mv]) => [mk, strip(mv, inZone)]))
    if (!isPlainObject(v)) return v
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v))
      if (!keeps(k, inZone)) out[k] = strip(v[k], inZone || zoneOfSegment(k) !== undefined)
    return out
  }
  const put = (view: any, k: string, stored: unknown, cur: unknown, inZone: boolean): void => {
    if (inZone || !isPlainObject(stored) || !holdsOthers(cur)) {
      view[k] = stored
      return
    }
    const child = view[k]
    for (const ck of Object.keys(cur as Record<string, unknown>))
      if (!keeps(ck, false) && !Object.hasOwn(stored, ck)) delete child[ck]
    for (const ck of Object.keys(stored))
      put(
        child,
        ck,
        stored[ck],
        (cur as Record<string, unknown>)[ck],
        zoneOfSegment(ck) !== undefined,
      )
  }
  engine.edit((root: any) => {
    for (const layer of ['global', 'domain'] as const) {
      const stored = state[layer]
      if (stored === undefined) continue
      const cur = current[layer] ?? {}
      for (const k of Object.keys(stored)) {
        if (!Object.hasOwn(cur, k)) {
          dropped.push(`${layer}.${k}`)
          continue
        }
        if (keeps(k, false)) continue
        const inZone = zoneOfSegment(k) !== undefined
        put(root[layer], k, strip(stored[k], inZone), cur[k], inZone)
      }
    }
  })
  return dropped
}

//#endregion

//#region the tagged JSON encoding

// JSON has no Map, Set, Date, typed array, bigint, undefined or non-finite number. Those are
// written as `{ "$t": <tag>, "v": <JSON> }`; a plain object that has its own `$t` key is
// wrapped as `{ "$t": "Object", "v": {...} }`, so decoding is never ambiguous.
const TYPED = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const
type TypedName = keyof typeof TYPED

/**
 * The payload writer for one handle: `{"version":…,"state":{"global":…,"domain":…}}` from a
 * root snapshot, in one pass, keeping the zones saved. The text of each snapshot container is
 * cached by the (frozen) snapshot object, so after a commit only the containers it replaced
 * are encoded again. Heavy values change in place, so a handle that saves the heavy zone
 * caches nothing.
 */
function payloadWriter(zones: ReadonlySet<PersistZone>, version: number): PayloadWriter {
  const dropData = !zones.has('data')
  const caching = !zones.has('heavy')
  // One cache per "inside a prefixed key or not": the same object encodes differently.
  const caches = [new WeakMap<object, string>(), new WeakMap<object, string>()] as const
  const text = (v: unknown, inZone: boolean): string | undefined => {
    if (typeof v !== 'object' || v === null) return scalar(v)
    const cache = caches[inZone ? 1 : 0]
    const hit = caching ? cache.get(v) : undefined
    if (hit !== undefined) return hit
    const out = container(v, inZone)
    if (caching && out !== undefined && Object.isFrozen(v)) cache.set(v, out)
    return out
  }
  const container = (v: object, inZone: boolean): string | undefined => {
    if (Array.isArray(v)) return `[${v.map((x) => text(x, inZone) ?? 'null').join(',')}]`
    if (v instanceof Date || v instanceof Map || v instanceof Set || !isPlainObject(v)) {
      if (v instanceof Map)
        return `{"$t":"Map","v":[${[...v].map(([k, x]) => `[${text(k, inZone)},${text(x, inZone)}]`).join(',')}]}`
      if (v instanceof Set)
        return `{"$t":"Set","v":[${[...v].map((x) => text(x, inZone)).join(',')}]}`
      return JSON.stringify(encode(v))
    }
    const keys = Object.keys(v)
    // Fast path, the common large case (a record of numbers or strings): native stringify.
    if (!dropData && !Object.hasOwn(v, '$t') && plainScalars(v, keys, inZone))
      return JSON.stringify(v)
    const parts: string[] = []
    for (const k of keys) {
      const z = inZone ? undefined : zoneOfSegment(k)
      if (z !== undefined && !zones.has(z as PersistZone)) continue
      const x = v[k]
      let t: string | undefined
      if (!inZone && z === undefined && dropData) {
        // Data is not saved: keep only the prefixed keys inside data-zone objects.
        if (!isPlainObject(x)) continue
        t = text(x, false)
        if (t === '{}') continue
      } else t = z === 'heavy' ? JSON.stringify(encode(x)) : text(x, inZone || z !== undefined)
      if (t !== undefined) parts.push(`${JSON.stringify(k)}:${t}`)
    }
    const body = `{${parts.join(',')}}`
    return Object.hasOwn(v, '$t') ? `{"$t":"Object","v":${body}}` : body
  }
  const state = (root: unknown): string => {
    const r = root as { global?: unknown; domain?: unknown }
    return `{"global":${text(r.global ?? {}, false)},"domain":${text(r.domain ?? {}, false)}}`
  }
  return {
    text: (v, inZone) => text(v, inZone) ?? 'null',
    wrap: (state) => `{"version":${version},"state":${state}}`,
    payload: (root) => `{"version":${version},"state":${state(root)}}`,
  }
}

interface PayloadWriter {
  /** The JSON text of one state value, keeping the saved zones (`inZone`: below a prefixed key). */
  text(v: unknown, inZone: boolean): string
  /** The payload around the text of `{ global, domain }`. */
  wrap(state: string): string
  /** The whole payload from a root snapshot. */
  payload(root: unknown): string
}

/** A container's text in the mirror: its parts, and its body text while no patch touched it. */
interface TextNode {
  kind: Kind
  /** The parts in order; `undefined` where an entry was removed (compacted when half empty). */
  list: (Part | undefined)[]
  /** Objects and Maps: key → position in `list`. */
  index: Map<unknown, number> | undefined
  holes: number
  /** What goes before and after the body inside the parent (`"key":`, `[key,` and `]`). */
  prefix: string
  suffix: string
  /** The body, or `undefined` once a patch below changed it. */
  body: string | undefined
  /** A plain object with its own `$t` key, wrapped as `{"$t":"Object","v":…}`. */
  tagged: boolean
  /** Below a prefixed key: zone filtering is over. */
  inZone: boolean
}
/** A leaf is its full text in the parent: `"key":value`, `value`, or `[key,value]`. */
type Part = string | TextNode
type Kind = 0 | 1 | 2
const Kind = { Object: 0, Array: 1, Map: 2 } as const

/**
 * The payload's text kept up to date from the commits' patches: a tree of the saved state's
 * JSON fragments, one per value. A patch replaces the fragment at its path and clears the
 * cached bodies of its ancestors, so a save joins the fragments of the containers that
 * changed and reuses every other body: O(what changed) per commit, O(entries of the changed
 * containers) per save (an array join), instead of re-reading the whole state. Anything it
 * cannot follow (a path through a Set, a Date or a missing container; a Map key with a zone
 * prefix; a value JSON cannot hold) drops the mirror, and the next save rebuilds it from the
 * snapshot. Entries keep their first position when replaced, so a key deleted and added
 * again in one run may sit elsewhere in the text than in the state: JSON key order carries no
 * meaning for hydration.
 */
class TextMirror {
  private root: TextNode | undefined
  constructor(
    private readonly writer: PayloadWriter,
    private readonly zones: ReadonlySet<PersistZone>,
  ) {}

  reset(): void {
    this.root = undefined
  }

  /** The payload; `read` gives the root snapshot, read only when the mirror must be built. */
  text(read: () => unknown): string {
    if (this.root !== undefined) return this.writer.wrap(this.render(this.root))
    const snapshot = read()
    const r = snapshot as { global?: unknown; domain?: unknown }
    try {
      this.root = this.node(
        Kind.Object,
        { global: r.global ?? {}, domain: r.domain ?? {} },
        false,
        '',
        '',
      )
    } catch (e) {
      if (!(e instanceof MirrorGap)) throw e
      return this.writer.payload(snapshot)
    }
    return this.writer.wrap(this.render(this.root))
  }

  apply(p: Patch): void {
    try {
      this.patch(p)
    } catch {
      // A value the mirror cannot hold: the next save reads the snapshot (and reports it).
      this.reset()
    }
  }

  private skips(node: TextNode, seg: unknown): boolean {
    if (node.kind !== Kind.Object || node.inZone || typeof seg !== 'string') return false
    const z = zoneOfSegment(seg)
    return z !== undefined && !this.zones.has(z as PersistZone)
  }

  private patch(p: Patch): void {
    const root = this.root
    if (root === undefined) return
    const path = p.path
    if (path.length < 2) throw new MirrorGap()
    let node = root
    node.body = undefined
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i]!
      if (this.skips(node, seg)) return
      if (node.kind === Kind.Map && typeof seg === 'string' && zoneOfSegment(seg) !== undefined)
        throw new MirrorGap()
      const at = this.slot(node, seg)
      const child = at === undefined ? undefined : node.list[at]
      if (child === undefined || typeof child === 'string') throw new MirrorGap()
      node = child
      node.body = undefined
    }
    const key = path[path.length - 1]!
    if (this.skips(node, key)) return
    if (node.kind === Kind.Map && typeof key === 'string' && zoneOfSegment(key) !== undefined)
      throw new MirrorGap()
    const inZone =
      node.inZone ||
      (node.kind === Kind.Object && typeof key === 'string' && zoneOfSegment(key) !== undefined)
    if (node.kind === Kind.Object && key === '$t') node.tagged = p.op !== 'remove'
    const at = this.slot(node, key)
    if (p.op === 'remove') {
      if (at === undefined) return
      if (node.kind === Kind.Array) throw new MirrorGap()
      node.list[at] = undefined
      node.index!.delete(node.kind === Kind.Object ? String(key) : key)
      if (++node.holes > 32 && node.holes * 2 > node.list.length) this.compact(node)
      return
    }
    const part = this.entry(node, key, p.value, inZone)
    if (at !== undefined) node.list[at] = part
    else if (node.kind === Kind.Array) {
      if (Number(key) !== node.list.length) throw new MirrorGap()
      node.list.push(part)
    } else {
      node.index!.set(node.kind === Kind.Object ? String(key) : key, node.list.length)
      node.list.push(part)
    }
  }

  private slot(node: TextNode, seg: unknown): number | undefined {
    if (node.kind === Kind.Array) {
      const i = Number(seg)
      return i >= 0 && i < node.list.length ? i : undefined
    }
    return node.index!.get(node.kind === Kind.Object ? String(seg) : seg)
  }

  private compact(node: TextNode): void {
    const list: Part[] = []
    const index = new Map<unknown, number>()
    for (const [k, at] of node.index!) {
      index.set(k, list.length)
      list.push(node.list[at]!)
    }
    node.list = list
    node.index = index
    node.holes = 0
  }

  /** The part for the entry `key` of `node` holding `v`. */
  private entry(node: TextNode, key: unknown, v: unknown, inZone: boolean): Part {
    if (node.kind === Kind.Array) return this.part(v, inZone, '', '')
    if (node.kind === Kind.Map)
      return this.part(v, inZone, `[${this.writer.text(key, inZone)},`, ']')
    if (key === '__proto__') throw new MirrorGap()
    return this.part(v, inZone, `${JSON.stringify(String(key))}:`, '')
  }

  /** The part for a value: a node for containers, its full text in the parent for the rest. */
  private part(v: unknown, inZone: boolean, prefix: string, suffix: string): Part {
    if (Array.isArray(v)) return this.node(Kind.Array, v, inZone, prefix, suffix)
    if (v instanceof Map) return this.node(Kind.Map, v, inZone, prefix, suffix)
    if (isPlainObject(v)) return this.node(Kind.Object, v, inZone, prefix, suffix)
    return prefix + this.writer.text(v, inZone) + suffix
  }

  private node(kind: Kind, v: any, inZone: boolean, prefix: string, suffix: string): TextNode {
    const n: TextNode = {
      kind,
      list: [],
      index: kind === Kind.Array ? undefined : new Map(),
      holes: 0,
      prefix,
      suffix,
      body: undefined,
      tagged: false,
      inZone,
    }
    if (kind === Kind.Array) n.list = (v as unknown[]).map((x) => this.part(x, inZone, '', ''))
    else if (kind === Kind.Map) {
      for (const [k, x] of v as Map<unknown, unknown>) {
        if (typeof k === 'string' && zoneOfSegment(k) !== undefined) throw new MirrorGap()
        n.index!.set(k, n.list.length)
        n.list.push(this.part(x, inZone, `[${this.writer.text(k, inZone)},`, ']'))
      }
    } else {
      for (const k of Object.keys(v)) {
        const z = inZone ? undefined : zoneOfSegment(k)
        if (z !== undefined && !this.zones.has(z as PersistZone)) continue
        n.index!.set(k, n.list.length)
        n.list.push(this.part(v[k], inZone || z !== undefined, `${JSON.stringify(k)}:`, ''))
      }
      n.tagged = Object.hasOwn(v, '$t')
    }
    return n
  }

  private render(n: TextNode): string {
    if (n.body !== undefined) return n.body
    const out: string[] = []
    for (const p of n.list)
      if (p !== undefined)
        out.push(typeof p === 'string' ? p : p.prefix + this.render(p) + p.suffix)
    const inner = out.join(',')
    const body =
      n.kind === Kind.Array
        ? `[${inner}]`
        : n.kind === Kind.Map
          ? `{"$t":"Map","v":[${inner}]}`
          : n.tagged
            ? `{"$t":"Object","v":{${inner}}}`
            : `{${inner}}`
    n.body = body
    return body
  }
}

/** The mirror cannot represent this state (a prefixed Map key): the writer reads it whole. */
class MirrorGap extends Error {}

/** True when every value is a JSON scalar and no key needs dropping: JSON.stringify is exact. */
function plainScalars(v: Record<string, unknown>, keys: string[], inZone: boolean): boolean {
  for (const k of keys) {
    const x = v[k]
    const t = typeof x
    if (t === 'string' || t === 'boolean' || x === null) {
      // fall through to the key check
    } else if (t !== 'number' || !Number.isFinite(x)) return false
    if (!inZone && zoneOfSegment(k) !== undefined) return false
  }
  return true
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v === 'boolean' || v === null) return String(v)
  return JSON.stringify(encode(v))
}

/** The JSON-safe form of a state value (tags for what JSON cannot hold). */
export function encode(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v
    case 'number':
      return Number.isFinite(v) ? v : { $t: 'Number', v: String(v) }
    case 'bigint':
      return { $t: 'BigInt', v: v.toString() }
    case 'undefined':
      return { $t: 'undefined' }
    case 'object': {
      if (v === null) return null
      if (Array.isArray(v)) return v.map(encode)
      if (v instanceof Date)
        return { $t: 'Date', v: Number.isNaN(v.getTime()) ? null : v.toISOString() }
      if (v instanceof Map) return { $t: 'Map', v: [...v].map(([k, x]) => [encode(k), encode(x)]) }
      if (v instanceof Set) return { $t: 'Set', v: [...v].map(encode) }
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        const name = v.constructor.name
        if (Object.hasOwn(TYPED, name))
          return { $t: name, v: Array.from(v as unknown as ArrayLike<unknown>, encode) }
      }
      if (v instanceof ArrayBuffer) return { $t: 'ArrayBuffer', v: Array.from(new Uint8Array(v)) }
      if (isPlainObject(v)) {
        const out: Record<string, unknown> = {}
        for (const k of Object.keys(v)) out[k] = encode(v[k])
        return Object.hasOwn(v, '$t') ? { $t: 'Object', v: out } : out
      }
      break
    }
  }
  throw new TypeError(
    `${describe(v)} cannot be saved as JSON. Persisted zones hold plain objects, arrays, Map, Set, Date, typed arrays and primitives; keep other values in an unpersisted zone (meta_, heavy_)`,
  )
}

/**
 * The inverse of `encode`; throws on an unknown or malformed tag, on a `__proto__` key
 * anywhere, and (`'strict'`) on a typed array or `ArrayBuffer` outside the heavy zone.
 */
export function decode(v: unknown, mode: 'strict' | 'lax' = 'lax', zone?: Zone): unknown {
  if (Array.isArray(v)) return v.map((x) => decode(x, mode, zone))
  if (!isPlainObject(v)) return v
  const record = (o: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(o)) {
      // JSON.parse makes `__proto__` an own key; assigning it would re-parent `out`.
      if (k === '__proto__') throw protoKey("the payload's state")
      out[k] = decode(o[k], mode, zone ?? zoneOfSegment(k))
    }
    return out
  }
  if (!Object.hasOwn(v, '$t')) return record(v)
  const tag = v['$t']
  const x = v['v']
  const bad = (what: string) =>
    new TypeError(`a tagged value {"$t":${JSON.stringify(tag)}} has ${what}`)
  const notPlain = () => {
    if (mode === 'strict' && zone !== 'heavy')
      throw new TypeError(
        `the payload holds a ${String(tag)} outside the heavy zone, where only plain data may live (SPEC §10.1)`,
      )
  }
  switch (tag) {
    case 'undefined':
      return undefined
    case 'Number':
      if (x !== 'NaN' && x !== 'Infinity' && x !== '-Infinity')
        throw bad('a "v" that is not NaN or ±Infinity')
      return Number(x)
    case 'BigInt':
      if (typeof x !== 'string' || !/^-?\d+$/.test(x))
        throw bad('a "v" that is not an integer string')
      return BigInt(x)
    case 'Date':
      if (x !== null && typeof x !== 'string') throw bad('a "v" that is not a date string')
      return new Date(x === null ? Number.NaN : x)
    case 'Map':
      if (!Array.isArray(x) || !x.every((e) => Array.isArray(e) && e.length === 2))
        throw bad('a "v" that is not a list of [key, value]')
      return new Map(
        x.map((e: unknown[]) => {
          const k = decode(e[0], mode, zone)
          if (k === '__proto__') throw protoKey("the payload's state")
          return [
            k,
            decode(e[1], mode, zone ?? (typeof k === 'string' ? zoneOfSegment(k) : undefined)),
          ]
        }),
      )
    case 'Set':
      if (!Array.isArray(x)) throw bad('a "v" that is not a list')
      return new Set(x.map((e) => decode(e, mode, zone)))
    case 'Object':
      if (!isPlainObject(x)) throw bad('a "v" that is not an object')
      return record(x)
    case 'ArrayBuffer':
      if (!Array.isArray(x)) throw bad('a "v" that is not a list of bytes')
      notPlain()
      return new Uint8Array(x as number[]).buffer
    default:
      if (typeof tag === 'string' && Object.hasOwn(TYPED, tag)) {
        if (!Array.isArray(x)) throw bad('a "v" that is not a list')
        notPlain()
        const Ctor = TYPED[tag as TypedName] as unknown as { from(a: unknown[]): unknown }
        return Ctor.from(x.map((e) => decode(e, mode, zone)))
      }
      throw bad('an unknown tag')
  }
}

//#endregion

//#region small helpers

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  )
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * Calls a storage method that may be sync or async, then `ok` or `ko`: at once for a sync
 * result (returning what they return), or when the promise settles.
 */
function settle(
  call: () => unknown,
  ok: () => MaybePromise<void>,
  ko: (e: unknown) => MaybePromise<void>,
): MaybePromise<void> {
  let r: unknown
  try {
    r = call()
  } catch (e) {
    return ko(e)
  }
  if (!isThenable(r)) return ok()
  return Promise.resolve(r).then(ok, ko)
}

//#endregion
