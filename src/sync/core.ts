/**
 * What tab sync and server sync share: conflict keys, the table of what changed at which
 * sequence number, and the one place that touches engine internals (listed in docs/sync.md).
 */
import type { Patch, TheusEngine } from 'theus'
import { normalizePath, resolveZone } from 'theus'

//#region keys

/** The dotted path of a patch. */
export function patchKey(p: Patch): string {
  return p.path.map(String).join('.')
}

/**
 * Signal and meta paths never conflict: a signal lasts one commit and is reset by every commit,
 * and meta is observability. Heavy values are not synced at all (they hold references).
 */
export function conflicting(path: string): boolean {
  const z = resolveZone(path)
  return z === 'data'
}

/**
 * The keys a commit is judged on: the paths it wrote, and what it may have read. Under strict
 * mode the contract guard holds a body to its declared `inputs ∪ outputs`, so those paths are a
 * sound (coarse) read set. `edit` has no contract: it may read anything, so it claims `domain`
 * and `global`. `undo`/`redo` read nothing but their history entry: their writes are their keys.
 */
export function commitKeys(
  engine: TheusEngine<any>,
  process: string,
  patches: readonly Patch[],
): string[] {
  const keys = new Set<string>()
  for (const p of patches) {
    const k = patchKey(p)
    if (conflicting(k)) keys.add(k)
  }
  if (process === 'edit') {
    keys.add('domain')
    keys.add('global')
  } else if (process !== 'undo' && process !== 'redo') {
    const def = engine.getProcess(process)
    if (def !== undefined) {
      for (const p of [...(def.contract.inputs ?? []), ...(def.contract.outputs ?? [])]) {
        const k = normalizePath(p)
        if (conflicting(k)) keys.add(k)
      }
    }
  }
  return [...keys]
}

/** Whether two dotted paths overlap: equal, or one holds the other. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`)
}

/**
 * The sequence number at which each path last changed, so that a commit made on base `b` can be
 * judged in O(keys × depth): `under` stamps a changed path and its ancestors (something at or
 * below changed), `at` stamps the changed path itself (a key below it changed with it).
 */
export class Stamps {
  readonly under = new Map<string, number>()
  readonly at = new Map<string, number>()

  record(paths: readonly string[], seq: number): void {
    for (const path of paths) {
      if (!conflicting(path)) continue
      this.at.set(path, seq)
      let p = path
      for (;;) {
        this.under.set(p, seq)
        const i = p.lastIndexOf('.')
        if (i < 0) break
        p = p.slice(0, i)
      }
    }
  }

  /** The keys that changed after `base`, among `keys`. */
  changedSince(keys: readonly string[], base: number): string[] {
    const out: string[] = []
    for (const k of keys) {
      if ((this.under.get(k) ?? 0) > base) {
        out.push(k)
        continue
      }
      let p = k
      for (let i = p.lastIndexOf('.'); i >= 0; i = p.lastIndexOf('.')) {
        p = p.slice(0, i)
        if ((this.at.get(p) ?? 0) > base) {
          out.push(k)
          break
        }
      }
    }
    return out
  }

  entries(): [[string, number][], [string, number][]] {
    return [[...this.under], [...this.at]]
  }

  load([under, at]: [[string, number][], [string, number][]]): void {
    this.under.clear()
    this.at.clear()
    for (const [k, v] of under) this.under.set(k, v)
    for (const [k, v] of at) this.at.set(k, v)
  }
}

//#endregion

/**
 * Calls every handler with `event`; one that throws does not stop the others nor the sync
 * (its error goes to `console.error`, as the engine does for its listeners).
 */
export function callAll<T>(handlers: Iterable<(e: T) => void>, event: T, what: string): void {
  for (const h of [...handlers]) {
    try {
      h(event)
    } catch (e) {
      console.error(`[theus] a ${what} handler threw:`, e)
    }
  }
}

//#region engine internals

interface EngineInternals {
  _commitPatches(
    patches: readonly Patch[],
    label: string,
    logRun?: boolean,
    applied?: (patches: Patch[], inverse: Patch[]) => void,
  ): Patch[]
  // The engine's books (src/engine/history.ts): history, redo stack, run log and its base.
  _records: {
    history: { pop(): unknown; readonly length: number }
    redo: unknown[]
    logged(entry: unknown, inverse: readonly Patch[]): void
    canUndo: { value: boolean }
    canRedo: { value: boolean }
  }
}

// After this module takes entries out of the books, the canUndo/canRedo signals follow them.
function resync(r: EngineInternals['_records']): void {
  r.canUndo.value = r.history.length > 0
  r.canRedo.value = r.redo.length > 0
}

/**
 * Applies patches that another tab or the server committed, as one commit of this engine
 * labelled `label` (its `'commit'` event names the process), without touching this tab's
 * undo/redo: the entry `_commitPatches` adds to `history` is taken back out and the redo stack
 * is kept. The run log gets `logEntry` (the run, when it replays to the same patches; an
 * `edit` entry with the patches otherwise), so `TheusEngine.replay` still builds this state.
 *
 * Engine internals used: `_commitPatches` and the books in `_records` (history, redo, run log).
 */
export function applyPatches(
  engine: TheusEngine<any>,
  patches: readonly Patch[],
  label: string,
  logEntry: { process: string; args: unknown; patches?: Patch[] },
): Patch[] {
  const e = engine as unknown as EngineInternals
  const r = e._records
  const redo = r.redo.slice()
  let inverse: readonly Patch[] = []
  const applied = e._commitPatches(patches, label, false, (_p, inv) => {
    inverse = inv
  })
  // `_commitPatches` adds a history entry for every label but undo/redo (when history is kept).
  if (
    applied.length > 0 &&
    label !== 'undo' &&
    label !== 'redo' &&
    engine.options.historyLimit > 0
  ) {
    r.history.pop()
    r.redo.length = 0
    r.redo.push(...redo)
    resync(r)
  }
  // The inverse patches let runLogBase step back over this entry (SPEC §10.3).
  if (applied.length > 0) r.logged(logEntry, inverse)
  return applied
}

const samePatch = (a: Patch, b: Patch): boolean => {
  if (a.op !== b.op || a.path.length !== b.path.length) return false
  for (let i = 0; i < a.path.length; i++) if (a.path[i] !== b.path[i]) return false
  if (Object.is(a.value, b.value)) return true
  try {
    return JSON.stringify(a.value) === JSON.stringify(b.value)
  } catch {
    return false
  }
}

/**
 * Takes this tab's commits that were rolled back (newest last) out of its undo history: they
 * are its newest own entries, since commits applied from elsewhere never enter it. Stops at
 * the first entry that is not one of them. Engine internal used: `_records.history`.
 */
export function dropFromHistory(
  engine: TheusEngine<any>,
  commits: readonly { patches: readonly Patch[] }[],
): void {
  const e = engine as unknown as EngineInternals
  for (let i = commits.length - 1; i >= 0; i--) {
    const last = engine.history.at(-1)
    const mine = commits[i]!.patches
    if (
      last === undefined ||
      last.patches.length !== mine.length ||
      !last.patches.every((p, j) => samePatch(p, mine[j]!))
    )
      return
    e._records.history.pop()
    resync(e._records)
  }
}

/** A run-log entry that replays to exactly `patches`. */
export function editEntry(patches: readonly Patch[]): {
  process: string
  args: unknown
  patches: Patch[]
} {
  return { process: 'edit', args: undefined, patches: [...patches] }
}

/** Patches that turn the engine's data zone into `state` (a `toDict()` copy). */
export function snapshotPatches(engine: TheusEngine<any>, state: Record<string, any>): Patch[] {
  const now = engine.toDict() as Record<string, any>
  const out: Patch[] = []
  for (const layer of ['global', 'domain']) {
    const want = (state[layer] ?? {}) as Record<string, unknown>
    const have = (now[layer] ?? {}) as Record<string, unknown>
    for (const k of Object.keys(have))
      if (!Object.hasOwn(want, k)) out.push({ op: 'remove', path: [layer, k] })
    for (const k of Object.keys(want)) out.push({ op: 'replace', path: [layer, k], value: want[k] })
  }
  return out
}

/** Inverse patches of several commits, newest first: applying them undoes all of them. */
export function undoAll(commits: readonly { inverse: readonly Patch[] }[]): Patch[] {
  const out: Patch[] = []
  for (let i = commits.length - 1; i >= 0; i--) {
    const inv = commits[i]!.inverse
    for (let j = inv.length - 1; j >= 0; j--) out.push(inv[j]!)
  }
  return out
}

//#endregion
