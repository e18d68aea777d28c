/**
 * Hydration: at start, the stored payload is read, checked (untrusted, SPEC §10.1), migrated
 * when its version differs, and applied in one `engine.edit()`. A value that cannot be used
 * is copied to a backup key before the main key is cleared; when even that fails (or the
 * value cannot be read, or the engine is halted), the handle's saving stays off so that the
 * only copy is never overwritten.
 */
import { type Zone, zoneOfSegment } from '../../context/zones.js'
import {
  describe,
  EngineHaltedError,
  SchemaViolationError,
  TheusError,
  warnOnce,
} from '../../errors.js'
import type { TheusEngine } from '../TheusEngine.js'
import { decode, isPlainObject, protoKey } from './codec.js'
import { type CheckedOptions, errorText, isThenable, nextBackupKey, settle } from './storage.js'
import type {
  MaybePromise,
  PersistEvent,
  PersistedState,
  PersistFailureReason,
  PersistZone,
} from './types.js'

/** What hydration reads and sets on its handle (`persist.ts`). */
export interface HydrationHost {
  /** The handle was disposed (while an async read was in flight): leave everything alone. */
  readonly disposed: boolean
  emit(event: PersistEvent): void
  /** Saving stays off for good: the stored value is its only copy, or must stay untouched. */
  lock(): void
  /** Runs the commit that applies the stored state: the handle does not save it. */
  applying<T>(apply: () => T): T
  /** The state was migrated: the next save stores the upgraded payload. */
  migrated(): void
}

/**
 * Reads the stored value and applies it, or backs it up and reports why not. Returns when
 * hydration is over: at once for a sync storage, else a promise (the handle goes live when it
 * settles, either way).
 */
export function hydrateFromStorage(
  engine: TheusEngine<any>,
  opts: CheckedOptions,
  host: HydrationHost,
): MaybePromise<void> {
  const { storage, key, version, migrate, zones, onEvent } = opts
  const strict = engine.options.strictMode

  const fail = (
    reason: PersistFailureReason,
    detail: string,
    cause: unknown,
    raw: unknown,
  ): MaybePromise<void> => {
    const report = (backupKey: string | undefined, backupError?: unknown) => {
      // Without a backup the stored value is its only copy: never write over it.
      if (backupKey === undefined) host.lock()
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
      host.emit({ type: 'hydrate-failed', key, reason, backupKey, error })
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
    host.lock()
    const error = new EngineHaltedError(
      `persist(): the engine is halted (a level S interlock), so the state stored under '${key}' was not applied. It stays under '${key}' untouched and saving is off for this handle. Call engine.resume() once the cause is fixed, then persist() again.`,
      { cause, details: { key } },
    )
    host.emit({ type: 'hydrate-failed', key, reason: 'halted', backupKey: undefined, error })
  }

  const apply = (raw: unknown): MaybePromise<void> => {
    // Disposed while an async read was in flight: leave the engine and the stored value alone.
    if (host.disposed || engine.disposed) return
    if (raw === null || raw === undefined) {
      host.emit({ type: 'hydrated', key, empty: true, migratedFrom: undefined, droppedKeys: [] })
      return
    }
    // Before anything reads it: a halted engine leaves the stored value as it is, whatever
    // it holds (SPEC §10.2), and runs no migrate.
    if (engine.halted) return refuseHalted()
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
    let droppedKeys: string[]
    try {
      droppedKeys = host.applying(() => applyStored(engine, state, zones))
    } catch (e) {
      if (e instanceof EngineHaltedError) return refuseHalted(e)
      const schema = e instanceof SchemaViolationError
      return fail(
        schema ? 'schema' : 'apply',
        `${schema ? '' : 'applying it threw: '}${errorText(e)}`,
        e,
        raw,
      )
    }
    if (droppedKeys.length > 0 && !onEvent)
      warnOnce(
        `persist:${key}:dropped`,
        `persist(): the state stored under '${key}' has keys the context no longer has (${droppedKeys.join(', ')}); they were not applied. Rename or remove them in migrate().`,
      )
    host.emit({ type: 'hydrated', key, empty: false, migratedFrom, droppedKeys })
    // Store the upgraded payload at once, so the next start needs no migration.
    if (migratedFrom !== undefined) host.migrated()
  }

  let read: MaybePromise<string | null | undefined>
  try {
    read = storage.getItem(key)
  } catch (e) {
    return fail('read', `storage.getItem('${key}') threw: ${errorText(e)}`, e, undefined)
  }
  if (isThenable(read))
    return Promise.resolve(read).then(apply, (e: unknown) =>
      fail('read', `storage.getItem('${key}') rejected: ${errorText(e)}`, e, undefined),
    )
  return apply(read)
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

/**
 * Applies a stored state in one `edit()`. Only the persisted zones change: their top-level
 * keys present in the payload are replaced (keys the context lacks are dropped and returned),
 * and inside a replaced object, keys of zones that are not persisted keep their current value.
 */
function applyStored(
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
  /** Without 'data': only the saved zones' keys inside data objects change, at any depth. */
  const graft = (view: any, stored: Record<string, unknown>, cur: unknown): void => {
    if (!isPlainObject(cur)) return
    for (const k of Object.keys(stored)) {
      const z = zoneOfSegment(k)
      if (z === undefined) {
        if (isPlainObject(stored[k])) graft(view[k], stored[k], cur[k])
      } else if (zones.has(z as PersistZone)) view[k] = stored[k]
    }
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
        if (!inZone && !zones.has('data')) {
          if (isPlainObject(stored[k])) graft(root[layer][k], stored[k], cur[k])
          continue
        }
        put(root[layer], k, strip(stored[k], inZone), cur[k], inZone)
      }
    }
  })
  return dropped
}
