/**
 * What `persist()` is given and how it talks to its storage: the options, checked up front
 * (`PERSIST_INVALID`); storage calls that may be sync or async (`settle`); backup keys.
 */
import { describe, errors, suggest, TheusError } from '../../errors.js'
import { isThenable } from '../../workflow/host.js'
import { strayKey } from '../options.js'
import type { TheusEngine } from '../TheusEngine.js'
import type { MaybePromise, PersistOptions, PersistStorage, PersistZone } from './types.js'

/** The default of `debounceMs`: a burst of commits is one write, and 100 ms is not felt. */
const DEBOUNCE_MS = 100

const ZONES: readonly PersistZone[] = ['data', 'meta', 'heavy']
const KEYS = 'storage key version migrate zones debounceMs onEvent'.split(' ')

/** The options of one handle, checked, with their defaults. */
export interface CheckedOptions {
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

/** Checks `persist()`'s options (`PERSIST_INVALID`, `DISPOSED`) and fills in the defaults. */
export function checkOptions(engine: TheusEngine<any>, options: PersistOptions): CheckedOptions {
  if (typeof engine?.on !== 'function')
    throw invalid(`expected a TheusEngine as its first argument, got ${describe(engine)}.`)
  if (engine.disposed) throw errors.disposed('persist()')
  // Hydration is an edit(): inside a run it would fail, and move a good payload to a backup key.
  if (engine._busy > 0) throw errors.nestedRun('persist()')
  // A typo (`zone:`, `debounce:`) would otherwise save something else than meant, silently.
  const k = strayKey(options, KEYS)
  if (k === '')
    throw invalid(`expected an options object { storage, key }, got ${describe(options)}.`)
  if (k !== undefined) {
    const close = suggest(k, KEYS)
    throw invalid(
      `unknown option '${k}'.${close ? ` Did you mean '${close}'?` : ''} Options: ${KEYS.join(', ')}.`,
    )
  }
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
  const list = options.zones ?? ['data']
  // A string would be read letter by letter ('zones: "meta"' said: unknown zone 'm').
  if (!Array.isArray(list))
    throw invalid(`'zones' must be an array such as ['data', 'meta'], got ${describe(list)}.`)
  for (const z of list) {
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

let lastStamp = 0
/** A fresh backup key: timestamps, bumped so that two backups in one millisecond differ. */
export function nextBackupKey(key: string): string {
  lastStamp = Math.max(Date.now(), lastStamp + 1)
  return `${key}:backup:${lastStamp}`
}

// The core's one thenable check (issue #10), for the persist modules too.
export { isThenable }

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * Calls a storage method that may be sync or async, then `ok` or `ko`: at once for a sync
 * result (returning what they return), or when the promise settles.
 */
export function settle(
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
