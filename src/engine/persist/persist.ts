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
 * This file is the handle: options, the commit listener, the debounced writes and their
 * flushes (`pagehide`, `dispose`). Beside it: `hydration.ts` (reading, migrating, applying
 * and backing up the stored value), `payloadText.ts` (the payload's text, kept up to date
 * from patches), `codec.ts` (the tagged JSON, which theus/sync shares), `storage.ts`
 * (options, sync-or-async storage calls, backup keys) and `types.ts` (the public types).
 */
import { resolveZone, type Zone } from '../../context/zones.js'
import { warnOnce } from '../../errors.js'
import type { TheusEngine } from '../TheusEngine.js'
import { hydrateFromStorage } from './hydration.js'
import { payloadWriter, TextMirror } from './payloadText.js'
import { checkOptions, errorText, isThenable, settle } from './storage.js'
import type { PersistEvent, PersistHandle, PersistOptions, PersistZone } from './types.js'

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
  const { storage, key, version, zones, debounceMs, onEvent } = opts
  const savesEveryCommit = zones.has('heavy') // in-place heavy changes leave no patches
  const data = zones.has('data')
  const writer = payloadWriter(zones, version)
  // Heavy values change in place without patches: a handle that saves them re-reads the state.
  // The mirror keeps whole data-zone values: a handle without 'data' encodes from the snapshot.
  const mirror = savesEveryCommit || !data ? undefined : new TextMirror(writer, zones)

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
  /** Hydration migrated the payload: it is written as soon as the handle goes live. */
  let upgraded = false

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
      !e.patches.some((p) => {
        const z = patchZone(p.path)
        // Without 'data', a data-zone container replaced or removed may hold saved zones' keys.
        return (
          p.path.length > 1 &&
          (zones.has(z as PersistZone) ||
            (!data && z === 'data' && (p.op === 'remove' || typeof p.value === 'object')))
        )
      })
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

  // Hydration (hydration.ts) reads the stored value; saves wait until it is over.
  const loaded = hydrateFromStorage(engine, opts, {
    get disposed() {
      return phase === 'disposed'
    },
    emit,
    lock: () => {
      locked = true
    },
    applying: (apply) => {
      try {
        selfCommit = true
        mirror?.reset()
        return apply()
      } finally {
        selfCommit = false
      }
    },
    migrated: () => {
      dirty = true
      upgraded = true
    },
  })

  const goLive = (): void => {
    if (phase === 'hydrating') phase = 'live'
    // The docs' "saved at once": the next start needs no migration, even if the page closes now.
    if (upgraded && phase === 'live') write()
    else schedule()
  }
  let ready: Promise<void>
  if (isThenable(loaded)) ready = Promise.resolve(loaded).then(goLive, goLive)
  else {
    goLive()
    ready = Promise.resolve()
  }

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

/** The zone of a patch path (`['domain', 'meta_x', ...]`). */
function patchZone(path: readonly (string | number)[]): Zone {
  return resolveZone(path.map(String))
}
