/**
 * A run's write buffer: per committed container, the keys the run wrote (a Map or an object),
 * in small arrays kept from run to run. A rollback drops them; the commit applies them.
 */

import { DELETED, type Node } from './tree.js'

/**
 * A buffered value for a key that the run deleted and then set again: at commit the key is
 * removed and re-added, so it moves last in iteration order, as with a plain object or Map.
 */
export class Readded {
  constructor(readonly value: unknown) {}
}

/** The value a buffer entry stands for (DELETED stays DELETED). */
export function bufferedValue(b: unknown): unknown {
  return b instanceof Readded ? b.value : b
}

/** SameValueZero, as Map keys compare (NaN is one key). */
const sameKey = (a: unknown, b: unknown): boolean =>
  a === b || (typeof a === 'number' && Number.isNaN(a) && Number.isNaN(b))

/**
 * A Map for the few entries a run usually holds (its views, the containers it writes, the
 * keys it writes in one): keys and values in insertion order in two arrays, searched linearly
 * while small and indexed by a Map past 16. A Run keeps them from run to run and empties them
 * in place, where a Map per run (and `Map.clear`, which allocates a new table) cost ~200
 * bytes each.
 */
export class SmallMap<K, V> {
  keyList: K[] = []
  valueList: V[] = []
  n = 0
  private index: Map<K, number> | undefined

  get size(): number {
    return this.n
  }

  indexOf(key: K): number {
    if (this.index !== undefined) return this.index.get(key) ?? -1
    const keys = this.keyList
    for (let i = 0; i < this.n; i++) if (sameKey(keys[i], key)) return i
    return -1
  }

  has(key: K): boolean {
    return this.indexOf(key) >= 0
  }

  get(key: K): V | undefined {
    const i = this.indexOf(key)
    return i < 0 ? undefined : this.valueList[i]
  }

  set(key: K, value: V): this {
    const i = this.indexOf(key)
    if (i < 0) this.append(key, value)
    else this.valueList[i] = value
    return this
  }

  /** Adds an entry for a key known to be absent (`indexOf(key) < 0`). */
  append(key: K, value: V): void {
    const i = this.n++
    this.keyList[i] = key
    this.valueList[i] = value
    if (this.index !== undefined || i >= 16) {
      this.index ??= new Map()
      for (let j = this.index.size; j <= i; j++) this.index.set(this.keyList[j]!, j)
    }
  }

  delete(key: K): boolean {
    const i = this.indexOf(key)
    if (i < 0) return false
    this.keyList.splice(i, 1)
    this.valueList.splice(i, 1)
    this.n--
    if (this.index !== undefined) {
      this.index.clear()
      for (let j = 0; j < this.n; j++) this.index.set(this.keyList[j]!, j)
    }
    return true
  }

  /** Empties it for another run, dropping what it held (large arrays are not kept). */
  clear(): void {
    if (this.n > 64) {
      this.keyList = []
      this.valueList = []
    } else {
      // A loop: `fill` is a builtin call that costs more than the few stores it makes here.
      const keys = this.keyList
      const values = this.valueList
      for (let i = 0; i < this.n; i++) {
        keys[i] = undefined as K
        values[i] = undefined as V
      }
    }
    this.n = 0
    this.index = undefined
  }
}

/** The buffered writes of one committed container in one run. */
export class KeyBuf extends SmallMap<unknown, unknown> {
  constructor(public node: Node) {
    super()
  }
}

/** A run's write buffers by committed container; emptied buffers are kept for the next run. */
export class Writes extends SmallMap<Node, KeyBuf> {
  private readonly pool: KeyBuf[] = []

  /** The buffer of `node`, made (or taken from an earlier run) on the first write. */
  of(node: Node): KeyBuf {
    let b = this.get(node)
    if (b === undefined) {
      b = this.pool.pop()
      if (b === undefined) b = new KeyBuf(node)
      else b.node = node
      this.append(node, b)
    }
    return b
  }

  override clear(): void {
    for (let i = 0; i < this.n && this.pool.length < 8; i++) {
      const b = this.valueList[i]!
      b.clear()
      this.pool.push(b)
    }
    super.clear()
  }
}

/**
 * Buffers a set of `key`, keeping track of a delete earlier in the same run. `raw` is the
 * committed container (a Map when `isMap`), asked only after a delete (no closure per write).
 */
export function bufferSet(w: KeyBuf, key: unknown, value: unknown, raw: any, isMap: boolean): void {
  const i = w.indexOf(key)
  if (i < 0) {
    w.append(key, value)
    return
  }
  const prev = w.valueList[i]
  w.valueList[i] =
    (prev === DELETED || prev instanceof Readded) &&
    (isMap ? (raw as Map<unknown, unknown>).has(key) : Object.hasOwn(raw, key as string))
      ? new Readded(value)
      : value
}

/** Buffers a delete of `key`; a key the run itself added just leaves the buffer. */
export function bufferDelete(w: KeyBuf, key: unknown, inRaw: boolean): void {
  if (inRaw) w.set(key, DELETED)
  else w.delete(key)
}

/**
 * Keys in iteration order as the run sees them: committed keys minus deleted and re-added
 * ones, then keys the run added or re-added, in the order it did so.
 */
export function* mergedKeys(
  rawKeys: Iterable<unknown>,
  has: (k: unknown) => boolean,
  w: KeyBuf | undefined,
) {
  for (const k of rawKeys) {
    if (w?.has(k)) {
      const b = w.get(k)
      if (b === DELETED || b instanceof Readded) continue
    }
    yield k
  }
  if (w !== undefined)
    for (let i = 0; i < w.n; i++) {
      const k = w.keyList[i]
      const b = w.valueList[i]
      if (b !== DELETED && (b instanceof Readded || !has(k))) yield k
    }
}
