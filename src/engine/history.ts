/**
 * The engine's records of what happened: sealing history and run-log entries, checking
 * patches and replayed log entries (untrusted input), and `runLogBase`, the state just before
 * the first kept run-log entry.
 */

import { signal } from '@preact/signals-core'
import { protoKeyIn } from '../context/plainData.js'
import { zoneOfSegment } from '../context/zones.js'
import { describe, errors, TheusError } from '../errors.js'
import { Changes } from '../transaction/commit.js'
import { deepCopy, deepFreeze, isHeavyKey, Kind, kindOf } from '../transaction/tree.js'
import { BoundedLog } from './BoundedLog.js'
import type { HistoryEntry, Patch, RunLogEntry } from './types.js'

/** `PendingEntry.at` counts from here: a small integer, which V8 holds without a box. */
const CLOCK0 = Date.now()

/**
 * One commit as it leaves the engine: its changes (it is the `Changes` record itself), and
 * both its history entry and its run-log entry, which the two logs turn into the plain frozen
 * entries they stand for when a reader first comes (`sealHistory`, `sealLog`). One object per
 * commit instead of a record, a history entry and a log entry.
 */
export class PendingEntry extends Changes {
  /** Commit time in ms since `CLOCK0`. */
  private t = 0
  constructor(
    readonly process: string,
    readonly args: unknown,
    expected: number,
  ) {
    super(expected)
  }

  /** Whether the run-log entry carries the patches (`{ process, args, patches }`). */
  get log(): boolean {
    return false
  }

  /** Stamps the commit time, once the commit is applied (history entries only). */
  stamp(): void {
    const t = Date.now() - CLOCK0
    // An int32 is stored as a small integer; the plain difference would be a boxed number.
    this.t = (t | 0) === t ? t | 0 : t
  }

  /** Commit time, ms since the epoch (`Date.now()` when the commit was applied). */
  get at(): number {
    return CLOCK0 + this.t
  }
}

/**
 * The entry of a commit that replays from its patches (edit, undo, redo, patches): a class of
 * its own, so that the common entry needs no field to say which it is.
 */
export class PatchedEntry extends PendingEntry {
  override get log(): boolean {
    return true
  }
}

/**
 * The seal of the history log (`history`) or of the run log: a PendingEntry becomes the plain
 * `HistoryEntry` or `RunLogEntry` it stands for there.
 */
const sealAs =
  (history: boolean) =>
  <T extends object>(entry: T): T | undefined => {
    if (!(entry instanceof PendingEntry)) return sealEntry(entry)
    const plain: Partial<HistoryEntry> = { process: entry.process, args: entry.args }
    if (history || entry.log) plain.patches = entry.patches()
    if (history) {
      plain.inversePatches = entry.inverse()
      plain.at = entry.at
    }
    sealEntry(plain)
    return plain as T
  }

/** Freezes a plain history or run-log entry, deeply, before a reader sees it. */
function sealEntry<T extends object>(entry: T): T | undefined {
  if (Object.isFrozen(entry)) return undefined
  const e = entry as { patches?: Patch[]; inversePatches?: Patch[]; args?: unknown }
  if (typeof e.args === 'object' && e.args !== null) deepFreeze(e.args)
  if (e.patches) sealPatches(e.patches)
  if (e.inversePatches) sealPatches(e.inversePatches)
  Object.freeze(entry)
  return undefined
}

const noSeal = (): void => {}

/**
 * Freezes a patch list, its patches and their paths and values. Values are snapshots (frozen
 * already) or fresh copies; a heavy value is held by reference and never frozen.
 */
export function sealPatches(list: readonly Patch[]): void {
  if (Object.isFrozen(list)) return
  for (const p of list) {
    if (Object.isFrozen(p)) continue
    Object.freeze(p.path)
    if (!p.path.some(isHeavyKey)) deepFreeze(p.value)
    Object.freeze(p)
  }
  Object.freeze(list)
}

/**
 * Patches without the signal zone: a signal lasts one commit, so undo and redo skip it.
 * `reversed`: newest first (undo applies inverse patches backwards), in the same pass.
 */
export function withoutSignals(patches: readonly Patch[], reversed = false): Patch[] {
  // A loop, not filter(): undo and redo call this on every step. The copy has its final size
  // at once (a growing array reserves 17 slots).
  const n = patches.length
  const out = new Array<Patch>(n)
  let k = 0
  for (let i = 0; i < n; i++) {
    const p = patches[reversed ? n - 1 - i : i]!
    if (!inSignalZone(p.path)) out[k++] = p
  }
  out.length = k
  return out
}

/** Whether the first prefixed segment of a path is a signal one. */
function inSignalZone(path: readonly (string | number)[]): boolean {
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]
    const zone = typeof seg === 'string' ? zoneOfSegment(seg) : undefined
    if (zone !== undefined) return zone === 'signal'
  }
  return false
}

const OPS = new Set(['add', 'replace', 'remove'])

/** Refuses a malformed patch, or one that names or holds `__proto__`, with INVALID_ARGS. */
export function checkPatch(p: unknown, where: string): void {
  // Loops and no closure: undo, redo and replay check every patch they apply.
  if (typeof p !== 'object' || p === null)
    throw badPatch(where, `expected a patch object, got ${describe(p)}`)
  const { op, path, value } = p as Patch
  if (typeof op !== 'string' || !OPS.has(op))
    throw badPatch(where, `op must be 'add', 'replace' or 'remove', got ${describe(op)}`)
  if (!Array.isArray(path))
    throw badPatch(where, `path must be an array of keys, got ${describe(path)}`)
  // A segment is a string or a number, or any value as a Map key (a Map keyed by objects
  // records them as they are): the patch's container decides, when it is applied. Nothing
  // here coerces a segment to a string (an object key may have no `toString`).
  // A segment may be an object (a Map key): one holding `__proto__` is refused as the key is.
  for (let i = 0; i < path.length; i++)
    if (path[i] === '__proto__' || protoKeyIn(path[i], 'key') !== undefined)
      throw badPatch(where, `its path names '__proto__', which is never a data key`)
  // Only a container can hold a key.
  if (typeof value !== 'object' || value === null) return
  const proto = protoKeyIn(value, 'value')
  if (proto !== undefined)
    throw badPatch(where, `its value holds '${proto}', which is never a data key`)
}

function badPatch(where: string, why: string): TheusError {
  return new TheusError('INVALID_ARGS', `Cannot apply a patch in ${where}: ${why}.`)
}

/**
 * `runLogBase`: the state just before the first kept run-log entry. With a finite
 * `runLogLimit` it keeps, per kept entry, the inverse patches of its commit (shared with
 * history and events; nothing is copied or applied per run) and rebuilds the base when read:
 * the current snapshot with those inverses applied, newest first. With `Infinity` the base is
 * the initial context, copied once.
 */
export class RunLogBase {
  private readonly initial: Record<string, unknown> | undefined
  private readonly inverses: BoundedLog<readonly Patch[] | Changes> | undefined
  private ver = 0
  private cacheVer = -1
  private cache: unknown
  constructor(rootRaw: Record<string, unknown>, limit: number) {
    if (limit === Number.POSITIVE_INFINITY)
      this.initial = { global: deepCopy(rootRaw.global), domain: deepCopy(rootRaw.domain) }
    else this.inverses = new BoundedLog<readonly Patch[] | Changes>(limit, noSeal)
  }

  /** A commit entered the run log (with a finite limit, the oldest entry may have left it). */
  note(inverse: readonly Patch[] | Changes): void {
    if (this.inverses === undefined) return
    this.inverses.push(inverse)
    this.ver++
  }

  /** A deep-frozen copy: signal fields at their initial values, heavy values by reference. */
  value(current: () => Record<string, unknown>, signalInit: ReadonlyMap<string, unknown>): unknown {
    if (this.cacheVer === this.ver) return this.cache
    let root: Record<string, unknown>
    if (this.initial !== undefined) root = this.initial
    else {
      root = { ...current() }
      const lists = this.inverses!.list()
      for (let i = lists.length - 1; i >= 0; i--) {
        const entry = lists[i]!
        const list = entry instanceof Changes ? entry.inverse() : entry
        for (let j = list.length - 1; j >= 0; j--) applyToBase(root, list[j]!)
      }
    }
    const copy = (v: unknown, path: string): unknown => {
      if (kindOf(v) !== Kind.Object) return deepCopy(v)
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(v as object)) {
        const p = path === '' ? key : `${path}.${key}`
        const zone = zoneOfSegment(key)
        if (zone === 'signal') {
          if (signalInit.has(p)) out[key] = deepCopy(signalInit.get(p))
        } else if (zone === undefined) out[key] = copy((v as Record<string, unknown>)[key], p)
        // Meta copied; heavy by reference (deepCopy and deepFreeze leave heavy keys alone):
        // a replayed process that declares a heavy path needs the key to register.
        else out[key] = deepCopy((v as Record<string, unknown>)[key], undefined, zone === 'heavy')
      }
      return out
    }
    this.cache = deepFreeze(copy(root, ''))
    this.cacheVer = this.ver
    return this.cache
  }
}

/**
 * Applies one patch to a plain tree whose containers may be frozen snapshots: each frozen
 * container on the path is replaced by a changeable copy first. The signal and heavy zones are
 * left alone (signals restart from their initial values; heavy values are not replayable).
 */
function applyToBase(root: Record<string, unknown>, p: Patch): void {
  const path = p.path
  if (path.length === 0) return
  for (const seg of path) {
    const zone = typeof seg === 'string' ? zoneOfSegment(seg) : undefined
    if (zone === 'signal' || zone === 'heavy') return
    if (zone !== undefined) break
  }
  let cur: any = root
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]
    let next = cur instanceof Map ? cur.get(seg) : cur[seg as string]
    if (typeof next !== 'object' || next === null) return
    if (Object.isFrozen(next)) {
      next = thaw(next)
      if (cur instanceof Map) cur.set(seg, next)
      else cur[seg as string] = next
    }
    cur = next
  }
  const key = path[path.length - 1]!
  if (p.op === 'remove') {
    if (cur instanceof Map) cur.delete(key)
    else if (Array.isArray(cur) && typeof key === 'number') cur.splice(key, 1)
    else delete cur[key as string]
  } else if (cur instanceof Map) cur.set(key, p.value)
  else if (!(cur instanceof Set)) cur[key as string] = p.value
}

/** A changeable shallow copy of a frozen container. */
function thaw(v: object): object {
  if (Array.isArray(v)) return v.slice()
  if (v instanceof Map) return new Map(v)
  if (v instanceof Set) return new Set(v)
  return Object.assign({}, v)
}

/**
 * The engine's history and run log: committed entries (bounded by `historyLimit`), the redo
 * stack, the run log (bounded by `runLogLimit`) with its base, and the `canUndo` / `canRedo`
 * signals. The engine applies patches; this keeps the books, O(1) per commit.
 */
export class Records {
  readonly history: BoundedLog<HistoryEntry>
  readonly redo: HistoryEntry[] = []
  readonly runLog: BoundedLog<RunLogEntry>
  readonly base: RunLogBase
  readonly canUndo = signal(false)
  readonly canRedo = signal(false)

  constructor(
    private readonly historyLimit: number,
    private readonly runLogLimit: number,
    rootRaw: Record<string, unknown>,
  ) {
    this.history = new BoundedLog(historyLimit, sealAs(true))
    this.runLog = new BoundedLog(runLogLimit, sealAs(false))
    this.base = new RunLogBase(rootRaw, runLogLimit)
  }

  /** A new commit (not undo or redo): it enters history and clears the redo stack. */
  committed(entry: PendingEntry): void {
    if (this.redo.length > 0) {
      this.redo.length = 0
      this.canRedo.value = false
    }
    if (this.historyLimit > 0) {
      // Only a history entry shows its time: the clock is read for it alone (~60 ns).
      entry.stamp()
      // Entries are frozen when read (BoundedLog seals them), not on this hot path.
      this.history.push(entry as unknown as HistoryEntry)
      this.canUndo.value = true
    }
  }

  /**
   * Appends to the run log; `inverse` lets `runLogBase` step back over the entry (a
   * PendingEntry is both).
   */
  logged(entry: RunLogEntry | PendingEntry, inverse: readonly Patch[] | Changes): void {
    // An unbounded log keeps a run as `{ process, args }`, not its changes: nothing else holds
    // them that long (runLogBase needs none then).
    if (
      this.runLogLimit === Number.POSITIVE_INFINITY &&
      entry instanceof PendingEntry &&
      !entry.log
    )
      entry = { process: entry.process, args: entry.args }
    if (this.runLogLimit > 0) this.runLog.push(entry as RunLogEntry)
    this.base.note(inverse)
  }

  /**
   * The last entry was undone: it moves to the redo stack. An arrow, so that an undo hands it
   * as is to the commit that applies it (it takes no parameters: no patch lists are built for
   * it), and the books move only once the undo is applied.
   */
  readonly undone = (): void => {
    const entry = this.history.pop()
    if (entry !== undefined) this.redo.push(entry)
    this.sync()
  }

  /** The last undone entry was redone: it moves back to history (an arrow, as `undone`). */
  readonly redone = (): void => {
    const entry = this.redo.pop()
    if (entry !== undefined && this.historyLimit > 0) this.history.push(entry)
    this.sync()
  }

  /**
   * Replay of an undo (or redo) whose commit lies before the log: the redo stack (or history)
   * gets the entry that the original engine had there. `patches` and `inverse` are the ones
   * the replayed commit applied and recorded, in write order.
   */
  replayed(undo: boolean, patches: Patch[], inverse: Patch[]): void {
    const at = Date.now()
    if (undo)
      this.redo.push({
        process: 'undo',
        args: undefined,
        patches: [...inverse].reverse(),
        inversePatches: [...patches].reverse(),
        at,
      })
    else if (this.historyLimit > 0)
      this.history.push({ process: 'redo', args: undefined, patches, inversePatches: inverse, at })
    this.sync()
  }

  private sync(): void {
    this.canUndo.value = this.history.length > 0
    this.canRedo.value = this.redo.length > 0
  }
}

/**
 * A deep copy of a run's args, for the log and the events: taken before the body runs, so
 * that neither the body nor the caller can rewrite history. It is frozen when first handed
 * out (an event, or a read of the log), not on every run.
 */
export function copyArgs(args: Record<string, unknown>, process: string): Record<string, unknown> {
  // Most args are a few primitives: a shallow copy is the deep one. A spread copies the
  // object's layout at once (Object.assign sets key by key); the copy is what is checked.
  const flat = { ...args }
  for (const k in flat) {
    const v = flat[k]
    if (typeof v === 'object' && v !== null) {
      try {
        return deepCopy(args) as Record<string, unknown>
      } catch (e) {
        // A cycle (or a tree deeper than the stack) overflows the copy: untrusted input gets
        // its typed error, not a RangeError.
        throw errors.argsShape(process, e)
      }
    }
  }
  return flat
}
