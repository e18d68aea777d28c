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
  DELETED,
  deepCopy,
  existingNode,
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

/** The state of one commit: the patches it emits and the signal fields it writes. */
export class Commit {
  /**
   * Patches and their inverses, index for index: `n` are filled. Both arrays are allocated at
   * the size the caller expects (an upper bound: the buffered keys), since growing an empty
   * array from its first push reserves 17 slots; `done()` trims them to `n`.
   */
  readonly patches: Patch[]
  readonly inverse: Patch[]
  n = 0
  /** Signal-zone fields this commit writes (they do not reset). */
  written: Set<string> | undefined
  /** Signal-zone fields this commit publishes (written, not silent, not resets). */
  fields: Set<string> | undefined
  publishing = true
  constructor(
    readonly seq: number,
    readonly freeze: boolean,
    readonly silent: Set<string> | undefined,
    expected = 0,
    /** Per-key conflict stamps are written only while an async run is in flight. */
    readonly stamp = true,
  ) {
    this.patches = expected > 0 ? new Array<Patch>(expected) : []
    this.inverse = expected > 0 ? new Array<Patch>(expected) : []
  }

  /** Trims the patch lists to the patches written (some buffered keys change nothing). */
  done(): void {
    if (this.patches.length !== this.n) {
      this.patches.length = this.n
      this.inverse.length = this.n
    }
  }

  snapOf(v: unknown, parent: Node, key: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v
    if (v instanceof Date)
      return this.freeze ? lockDate(new Date(v.getTime())) : new Date(v.getTime())
    if (kindOf(v) === -1 || isHeavyKey(key)) return v
    return snapshot(nodeOf(v, parent, key), this.freeze)
  }

  private noteField(field: string | undefined): boolean {
    if (field === undefined) return false
    ;(this.written ??= new Set()).add(field)
    if (this.publishing && !this.silent?.has(field)) (this.fields ??= new Set()).add(field)
    return true
  }

  /** Applies one buffered key; false when it changed nothing (a delete of an absent key). */
  applyKey(node: Node, key: unknown, buffered: unknown): boolean {
    const raw = node.raw
    const isMap = node.kind === Kind.Map
    // One lookup in the common case: a defined value is present.
    const found = getKey(raw, node.kind, key)
    const had = (found !== undefined && typeof found !== 'function') || hasKey(raw, node.kind, key)
    const old = had ? found : undefined
    if (buffered === DELETED && !had) return false
    const readded = buffered instanceof Readded
    const value = readded ? (buffered as Readded).value : buffered
    const path = node.segmentsWith(node.kind === Kind.Array ? Number(key) : (key as string))
    const field =
      node.sigField ??
      (typeof key === 'string' && zoneOfSegment(key) === 'signal' ? path.join('.') : undefined)
    const isSignal = this.noteField(field)
    const seq = this.seq
    let inv: Patch
    if (value === DELETED) {
      // The old value's snapshot is taken before it leaves the tree, for the inverse patch.
      const oldSnap = this.snapOf(old, node, key)
      if (isMap) raw.delete(key)
      else delete raw[key as string]
      this.patches[this.n] = { op: 'remove', path }
      inv = { op: 'add', path, value: oldSnap }
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
      this.patches[this.n] = {
        op: had ? 'replace' : 'add',
        path,
        value: this.snapOf(value, node, key),
      }
      inv = had ? { op: 'replace', path, value: oldSnap } : { op: 'remove', path }
      if (!had) node.shapeStamp = seq
    }
    if (isSignal) markReset(inv)
    this.inverse[this.n++] = inv
    if (this.stamp) (node.stamps ??= new Map()).set(key, seq)
    const ks = node.keySigs?.get(key)
    if (ks) ks.value = seq
    return true
  }

  /** Installs the run's copy of an array or Set in place, keeping the node (and its children's). */
  applyWhole(node: Node, content: unknown[] | Set<unknown>, oldSnap: unknown): void {
    const raw = node.raw
    if (node.kind === Kind.Array) {
      const arr = content as unknown[]
      const seen = new Set<unknown>()
      raw.length = arr.length
      for (let i = 0; i < arr.length; i++) {
        let el = arr[i]
        if (typeof el === 'object' && el !== null && kindOf(el) !== -1) {
          // An element placed twice is copied: the committed state stays a tree.
          if (seen.has(el)) el = deepCopy(el)
          seen.add(el)
          if (existingNode(el as object)) nodeOf(el as object, node, String(i))
        }
        raw[i] = el
      }
    } else {
      raw.clear()
      for (const v of content as Set<unknown>) raw.add(v)
    }
    node.shapeStamp = this.seq
    bumpUp(node)
    const path = node.segments()
    this.patches[this.n] = { op: 'replace', path, value: snapshot(node, this.freeze) }
    const inv: Patch = { op: 'replace', path, value: oldSnap }
    if (this.noteField(node.sigField)) markReset(inv)
    this.inverse[this.n++] = inv
    if (node.parent) {
      if (this.stamp) (node.parent.stamps ??= new Map()).set(node.key, this.seq)
      const ks = node.parent.keySigs?.get(node.key)
      if (ks) ks.value = this.seq
    }
  }
}

let versionCounter = 0

/**
 * Marks a node and its ancestors changed: their cached snapshots are stale. Every bump takes a
 * fresh version, so a snapshot built earlier in the same commit is never mistaken for current.
 */
export function bumpUp(node: Node): void {
  const v = ++versionCounter
  for (let n: Node | undefined = node; n !== undefined; n = n.parent) {
    n.ver = v
    if (n.deepSig) n.deepSig.value = v
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
