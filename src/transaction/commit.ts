/**
 * Applying a run's write buffer to the committed tree: one `Commit` per commit, which applies
 * each buffered key in place, moves versions and stamps, and emits the patches and inverse
 * patches straight from the buffer (no tree diffing). Cost: O(written keys x depth), plus the
 * snapshots of replaced containers for the inverse patches.
 */
import { zoneOfSegment } from '../context/zones.js'
import type { Patch } from '../engine/types.js'
import { Readded } from './run.js'
import {
  bumpUp,
  DELETED,
  deepCopy,
  existingNode,
  forEachSignalField,
  getKey,
  hasKey,
  isHeavyKey,
  Kind,
  kindOf,
  lockDate,
  type Node,
  nodeOf,
  snapshot,
} from './tree.js'

const ADD = 0
const REPLACE = 1
const REMOVE = 2
/** Flags of a change, above its op in the same slot: its patch, or its inverse, is a signal reset. */
const RESET_PATCH = 4
const RESET_INVERSE = 8
const OP = 3
/** Slots per change in `Changes.rec`. */
const SLOTS = 5
/** The key of a change that replaces a whole array or Set (its path is the node's own). */
const WHOLE: unique symbol = Symbol('theus.whole')

/**
 * What one commit changed, recorded flat (five slots per change: the parent's path segments,
 * the key, the op with its flags, the new and the old value) and turned into patches and
 * inverse patches only when someone asks: history and the run log keep this, and most commits
 * are never read back. Building the patch objects and path arrays on every commit cost
 * ~0.5 kB and ~0.15 µs. Once built, `rec` holds the two lists instead (`[patches, inverse]`,
 * a length no multiple of SLOTS): the record is not needed any more, and a field fewer is
 * 8 bytes fewer on every commit.
 */
export class Changes {
  /** @internal Written by the Commit (`Commit.add`), exactly as long as what it recorded. */
  rec: unknown[]
  constructor(expected: number) {
    this.rec = expected > 0 ? new Array(expected * SLOTS) : []
  }

  /** How many changes the commit made. */
  get n(): number {
    const r = this.rec
    return r.length % SLOTS === 0 ? r.length / SLOTS : (r[0] as Patch[]).length
  }

  /** The patches, in write order (built once, then the same array). */
  patches(): Patch[] {
    if (this.rec.length % SLOTS === 0) this.build()
    return this.rec[0] as Patch[]
  }

  /** The inverse patches, index for index with `patches()`. */
  inverse(): Patch[] {
    if (this.rec.length % SLOTS === 0) this.build()
    return this.rec[1] as Patch[]
  }

  private build(): void {
    const r = this.rec
    const n = r.length / SLOTS
    const out = new Array<Patch>(n)
    const inv = new Array<Patch>(n)
    for (let c = 0; c < n; c++) {
      const i = c * SLOTS
      const segs = r[i] as readonly (string | number)[]
      const key = r[i + 1]
      const flags = r[i + 2] as number
      const value = r[i + 3]
      const old = r[i + 4]
      const path = segs.slice()
      if (key !== WHOLE) path.push(key as string | number)
      let p: Patch
      let q: Patch
      switch (flags & OP) {
        case ADD:
          p = { op: 'add', path, value }
          q = { op: 'remove', path }
          break
        case REMOVE:
          p = { op: 'remove', path }
          q = { op: 'add', path, value: old }
          break
        default:
          p = { op: 'replace', path, value }
          q = { op: 'replace', path, value: old }
      }
      if (flags & RESET_PATCH) markReset(p)
      if (flags & RESET_INVERSE) markReset(q)
      out[c] = p
      inv[c] = q
    }
    this.rec = [out, inv]
  }
}

/**
 * The state of one commit: what it changed and the signal fields it writes. An engine keeps
 * one and `begin`s it for each commit (a commit never outlives the next one): besides the
 * allocation, a Commit that survived no commit would let V8 collect its hidden class at each
 * full GC and deoptimize every function that embedded it ("weak objects").
 */
export class Commit {
  changes = new Changes(0)
  /** How many changes the commit made (some buffered keys change nothing). */
  n = 0
  /** Signal-zone fields this commit writes (they do not reset). */
  written: Set<string> | undefined = undefined
  /** Signal-zone fields this commit publishes (written, not silent, not resets). */
  fields: Set<string> | undefined = undefined
  publishing = true
  seq = 0
  silent: Set<string> | undefined = undefined
  /** Per-key conflict stamps are written only while an async run is in flight. */
  stamp = true
  /** A container left the tree in this commit: a later buffer may be inside it (`gone`). */
  moved = false

  /**
   * Starts a commit that records into `changes` (a fresh record: history keeps it). Its
   * snapshots are frozen.
   */
  begin(seq: number, silent: Set<string> | undefined, changes: Changes, stamp: boolean): this {
    this.changes = changes
    this.n = 0
    this.written = undefined
    this.fields = undefined
    this.publishing = true
    this.seq = seq
    this.silent = silent
    this.stamp = stamp
    this.moved = false
    return this
  }

  /**
   * Whether `node` left the tree earlier in this commit (its parent's buffer, applied first,
   * deleted or replaced it or a container above it). Its writes then land nowhere: applied,
   * they would give patches at a path that no longer holds it.
   */
  gone(node: Node): boolean {
    if (this.moved)
      for (let n = node; n.parent !== undefined; n = n.parent)
        if (getKey(n.parent.raw, n.parent.kind, n.key) !== n.raw) return true
    return false
  }

  /**
   * Ends the commit: its record gets the length of what it recorded (a buffered key may have
   * changed nothing).
   */
  end(): void {
    const rec = this.changes.rec
    if (rec.length !== this.n * SLOTS) rec.length = this.n * SLOTS
  }

  /** Records one change (`op` with its flags). */
  private add(
    segs: readonly (string | number)[],
    key: unknown,
    op: number,
    value: unknown,
    old: unknown,
  ): void {
    const i = this.n * SLOTS
    const r = this.changes.rec
    r[i] = segs
    r[i + 1] = key
    r[i + 2] = op
    r[i + 3] = value
    r[i + 4] = old
    this.n++
  }

  /** Marks the patches of changes `from`… as signal resets (undo, redo and replay skip them). */
  markResets(from: number): void {
    const r = this.changes.rec
    for (let i = from; i < this.n; i++)
      r[i * SLOTS + 2] = (r[i * SLOTS + 2] as number) | RESET_PATCH
  }

  snapOf(v: unknown, parent: Node, key: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v
    if (v instanceof Date) return lockDate(new Date(v.getTime()))
    if (kindOf(v) === -1 || isHeavyKey(key)) return v
    return snapshot(nodeOf(v, parent, key), true)
  }

  private noteField(field: string | undefined): boolean {
    if (field === undefined) return false
    ;(this.written ??= new Set()).add(field)
    if (this.publishing && !this.silent?.has(field)) (this.fields ??= new Set()).add(field)
    return true
  }

  /** Notes the signal fields inside an object written at `segs.key`; true if it held any. */
  private noteFieldsIn(value: unknown, key: unknown, segs: readonly unknown[]): boolean {
    if (
      typeof key !== 'string' ||
      zoneOfSegment(key) !== undefined ||
      segs.some((s) => typeof s === 'string' && zoneOfSegment(s) !== undefined)
    )
      return false
    let any = false
    forEachSignalField(
      value as Record<string, unknown>,
      segs.length === 0 ? key : `${segs.join('.')}.${key}`,
      (f) => {
        any = this.noteField(f)
      },
    )
    return any
  }

  /** Applies one buffered key; false when it changed nothing (a delete of an absent key). */
  applyKey(node: Node, key: unknown, buffered: unknown): boolean {
    if (this.gone(node)) return false
    const raw = node.raw
    const isMap = node.kind === Kind.Map
    // One lookup in the common case: a defined value is present.
    const found = getKey(raw, node.kind, key)
    const had = (found !== undefined && typeof found !== 'function') || hasKey(raw, node.kind, key)
    const old = had ? found : undefined
    if (buffered === DELETED && !had) return false
    if (typeof old === 'object') this.moved = true
    const readded = buffered instanceof Readded
    const value = readded ? (buffered as Readded).value : buffered
    const segs = node.segmentsRef()
    const pathKey = node.kind === Kind.Array ? Number(key) : (key as string)
    // A signal key is a field unless a prefixed segment above it set the zone (SPEC §1: the
    // first prefix decides; `meta_trace.sig_last` is meta).
    const field =
      node.sigField ??
      (typeof key === 'string' &&
      zoneOfSegment(key) === 'signal' &&
      !segs.some((s) => typeof s === 'string' && zoneOfSegment(s) !== undefined)
        ? segs.length === 0
          ? key
          : `${segs.join('.')}.${key}`
        : undefined)
    // The undo of a signal write is a reset.
    let flags = this.noteField(field) ? RESET_INVERSE : 0
    // An unprefixed object written whole writes the signal fields it holds (SPEC §3.1); its
    // undo is then a reset too. (In a method of its own: a closure here would make every
    // applyKey allocate a context for `flags`.)
    if (field === undefined && kindOf(value) === Kind.Object && this.noteFieldsIn(value, key, segs))
      flags = RESET_INVERSE
    const seq = this.seq
    if (value === DELETED) {
      // The old value's snapshot is taken before it leaves the tree, for the inverse patch.
      const oldSnap = this.snapOf(old, node, key)
      if (isMap) raw.delete(key)
      else delete raw[key as string]
      this.add(segs, pathKey, REMOVE | flags, undefined, oldSnap)
      node.shapeStamp = seq
    } else {
      const oldSnap = had ? this.snapOf(old, node, key) : undefined
      // A key deleted then set again in the run moves last, as it would in a plain object.
      if (readded) {
        if (isMap) raw.delete(key)
        else delete raw[key as string]
        node.shapeStamp = seq
      }
      if (isMap) raw.set(key, value)
      else raw[key as string] = value
      this.add(segs, pathKey, (had ? REPLACE : ADD) | flags, this.snapOf(value, node, key), oldSnap)
      if (!had) node.shapeStamp = seq
    }
    if (this.stamp) (node.stamps ??= new Map()).set(key, seq)
    const ks = node.keySigs?.get(key)
    if (ks) ks.value = seq
    return true
  }

  /**
   * Installs the run's copy of an array or Set in place, keeping the node (and its children's).
   * An array's patches are per index, as immer makes them: a `replace` for each index that
   * holds another value, an `add` for each index past the old length, a `remove` (last index
   * first) for each one past the new length. A Set, or an array written with no index changed
   * (`a[0] = a[0]`: a write is a write), is one `replace` of the whole.
   */
  applyWhole(node: Node, content: unknown[] | Set<unknown>, oldSnap: unknown): void {
    if (this.gone(node)) return
    const raw = node.raw
    const flags = this.noteField(node.sigField) ? RESET_INVERSE : 0
    const from = this.n
    if (node.kind === Kind.Array) {
      const arr = content as unknown[]
      const old = oldSnap as readonly unknown[]
      const oldLen = old.length
      const n = arr.length
      const seen = new Set<unknown>()
      const segs = node.segmentsRef()
      for (let i = 0; i < n; i++) {
        let el = arr[i]
        if (typeof el === 'object' && el !== null && kindOf(el) !== -1) {
          // An element placed twice is copied: the committed state stays a tree.
          if (seen.has(el)) el = deepCopy(el)
          seen.add(el)
          if (existingNode(el as object)) nodeOf(el as object, node, String(i))
        }
        if (i >= oldLen || raw[i] !== el) {
          raw[i] = el
          const v = this.snapOf(el, node, String(i))
          if (i < oldLen) this.add(segs, i, REPLACE | flags, v, old[i])
          else this.add(segs, i, ADD | flags, v, undefined)
          // An async run that read or wrote this index conflicts (its writes are per index).
          if (this.stamp) (node.stamps ??= new Map()).set(String(i), this.seq)
        }
      }
      for (let i = oldLen - 1; i >= n; i--) {
        this.add(segs, i, REMOVE | flags, undefined, old[i])
        if (this.stamp) (node.stamps ??= new Map()).set(String(i), this.seq)
      }
      raw.length = n
    } else {
      const set = content as Set<unknown>
      // An async run that asked `has(v)` conflicts only when v came or went (SPEC §9).
      if (this.stamp) {
        const st = (node.stamps ??= new Map())
        for (const v of raw) if (!set.has(v)) st.set(v, this.seq)
        for (const v of set) if (!raw.has(v)) st.set(v, this.seq)
      }
      raw.clear()
      for (const v of set) raw.add(v)
    }
    node.shapeStamp = this.seq
    bumpUp(node)
    // Every tracked index (or member) may hold something else now: selections of paths
    // through it re-read (they track the key, not the whole array).
    if (node.keySigs !== undefined) for (const ks of node.keySigs.values()) ks.value = this.seq
    if (this.n === from)
      this.add(node.segmentsRef(), WHOLE, REPLACE | flags, snapshot(node, true), oldSnap)
    // No conflict stamp on the parent's key: the changed indices and the shape carry it, and
    // a run that only passed through the array (to read one index) read nothing of it (§9).
    const ks = node.parent?.keySigs?.get(node.key)
    if (ks) ks.value = this.seq
  }
}

const RESET: unique symbol = Symbol('theus.reset')

/** Tags a patch (non-enumerably) as a signal reset, or the undo of a signal write. */
export function markReset(p: Patch): void {
  Object.defineProperty(p, RESET, { value: true })
}

export function isReset(p: Patch): boolean {
  return (p as { [RESET]?: boolean })[RESET] === true
}
