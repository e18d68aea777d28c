/**
 * The committed tree: plain mutable containers owned by the engine, each wrapped lazily in a
 * Node that carries versions (for snapshots and conflicts) and signals (for subscribers).
 * Nothing here is handed out raw: readers get frozen snapshots, process bodies get views.
 */
import { type Signal, signal } from '@preact/signals-core'
import { zoneOfSegment } from '../context/zones.js'
import { deepFreeze, isHeavyKey, Kind, kindOf, lockCollection, lockDate } from './plain.js'

export {
  classOf,
  deepFreeze,
  isHeavyKey,
  Kind,
  kindOf,
  lockCollection,
  lockDate,
} from './plain.js'

/** Marks a buffered deletion. */
export const DELETED: unique symbol = Symbol('theus.deleted')

let versionCounter = 0
/**
 * Node versions (`Node.ver`) come from one counter, moved by every bump (several per commit):
 * a run notes where it stood at its start, to tell a container changed since from one changed
 * before (the commit sequence is another counter).
 */
export const currentVersion = (): number => versionCounter

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

export class Node {
  /** Global commit sequence of the last change in this subtree; snapshots compare with it. */
  ver = 0
  snapVer = -1
  snap: unknown = undefined
  /** Commit sequence per key of the last commit that wrote it (conflict checks). */
  stamps: Map<unknown, number> | undefined = undefined
  /** Commit sequence of the last key added or removed. */
  shapeStamp = 0
  keySigs: Map<unknown, Signal<number>> | undefined = undefined
  deepSig: Signal<number> | undefined = undefined
  /** The path of the signal-zone field this node lies in, if any. */
  sigField: string | undefined
  constructor(
    readonly raw: any,
    readonly kind: Kind,
    public parent: Node | undefined,
    public key: unknown,
  ) {
    this.sigField = sigFieldOf(parent, key)
  }

  /**
   * Dotted path, for messages. Computed from the parent chain (array elements move), so it is
   * never stale; it is not on any hot path.
   */
  get path(): string {
    return this.segments().join('.')
  }

  keySig(key: unknown): Signal<number> {
    this.keySigs ??= new Map()
    let s = this.keySigs.get(key)
    if (!s) this.keySigs.set(key, (s = signal(0)))
    return s
  }

  deep(): Signal<number> {
    return (this.deepSig ??= signal(0))
  }

  private segsCache: readonly (string | number)[] | undefined = undefined
  private segsLayout = -1

  /** Path segments from the root (keys of Maps keep their type): a fresh array. */
  segments(): (string | number)[] {
    return this.cachedSegments().slice()
  }

  /**
   * The cached segments themselves (never changed in place: a move makes a new array), for
   * records that build their paths later.
   */
  segmentsRef(): readonly (string | number)[] {
    return this.cachedSegments()
  }

  private cachedSegments(): readonly (string | number)[] {
    // Cached until some node moves (then every cached path may be stale).
    if (this.segsCache === undefined || this.segsLayout !== layoutEpoch) {
      this.segsCache = this.walkSegments()
      this.segsLayout = layoutEpoch
    }
    return this.segsCache
  }

  private walkSegments(): (string | number)[] {
    const out: (string | number)[] = []
    for (let n: Node | undefined = this; n?.parent; n = n.parent) {
      out.push(n.parent.kind === Kind.Array ? Number(n.key) : (n.key as string))
    }
    return out.reverse()
  }
}

const nodes = new WeakMap<object, Node>()

/** The node of an engine-owned container, created on first use; re-parents moved containers. */
export function nodeOf(raw: object, parent: Node | undefined, key: unknown): Node {
  let n = nodes.get(raw)
  if (n === undefined) {
    n = new Node(raw, kindOf(raw) as Kind, parent, key)
    nodes.set(raw, n)
  } else if (n.parent !== parent || n.key !== key) {
    n.parent = parent
    n.key = key
    n.sigField = sigFieldOf(parent, key)
    layoutEpoch++
  }
  return n
}

/**
 * Bumped whenever a node moves (an array element changes index): views cached across runs
 * carry the permissions of the path they were made for, so they are dropped when it changes.
 */
let layoutEpoch = 0
export function currentLayout(): number {
  return layoutEpoch
}

function sigFieldOf(parent: Node | undefined, key: unknown): string | undefined {
  if (parent === undefined) return undefined
  if (parent.sigField !== undefined) return parent.sigField
  if (typeof key === 'string' && zoneOfSegment(key) === 'signal') {
    const segs = parent.segments()
    segs.push(key)
    return segs.join('.')
  }
  return undefined
}

export function existingNode(raw: object): Node | undefined {
  return nodes.get(raw)
}

/**
 * Reads one key of a container (object, array, Map): own data only, so a path never reads an
 * inherited member (a method, or the `__proto__` accessor) as a value (SPEC §10.1).
 */
export function getKey(raw: any, kind: Kind, key: unknown): unknown {
  if (kind === Kind.Map) return (raw as Map<unknown, unknown>).get(key)
  const v = raw[key as string]
  if ((typeof v === 'function' || key === '__proto__') && !Object.hasOwn(raw, key as string))
    return undefined
  return v
}

export function hasKey(raw: any, kind: Kind, key: unknown): boolean {
  return kind === Kind.Map
    ? (raw as Map<unknown, unknown>).has(key)
    : Object.hasOwn(raw, key as string)
}

/**
 * Calls `fn(path, value)` for every signal-zone field under `obj`: a `sig_`/`cmd_` key reached
 * through unprefixed plain objects, array elements and Map entries (SPEC §1: the first prefix
 * decides). Through arrays and Maps too: a field there noted nowhere reset to nothing (its
 * key deleted, a Map entry dropped) instead of to its initial value.
 */
export function forEachSignalField(
  obj: unknown,
  prefix: string,
  fn: (path: string, value: unknown) => void,
): void {
  const k = kindOf(obj)
  if (k === Kind.Array) {
    // Indices carry no prefix: only the containers among the elements are walked.
    const a = obj as unknown[]
    for (let i = 0; i < a.length; i++)
      if (typeof a[i] === 'object' && a[i] !== null)
        forEachSignalField(a[i], prefix ? `${prefix}.${i}` : `${i}`, fn)
    return
  }
  const entries: Iterable<[unknown, unknown]> =
    k === Kind.Map
      ? (obj as Map<unknown, unknown>)
      : k === Kind.Object
        ? Object.entries(obj as object)
        : []
  for (const [key, v] of entries) {
    if (typeof key !== 'string') continue
    const path = prefix ? `${prefix}.${key}` : key
    const zone = zoneOfSegment(key)
    if (zone === 'signal') fn(path, v)
    else if (zone === undefined && typeof v === 'object' && v !== null)
      forEachSignalField(v, path, fn)
  }
}

/**
 * A Map's key as the state holds it: an object key is kept by identity (lookups need it), so
 * it is frozen instead of copied, and no reader can change it under the guard (SPEC §2).
 */
export const frozenKey = (k: unknown): unknown => (kindOf(k) === -1 ? k : deepFreeze(k))

/**
 * A deep copy into new engine-owned containers. `unwrap` turns a view into the value it shows,
 * so a body can assign what it read. Heavy keys and foreign objects stay by reference; Dates
 * are copied, since freezing a Date does not stop `setTime`.
 */
export function deepCopy(value: unknown, unwrap?: (v: object) => unknown, heavy = false): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (heavy) return value
  if (unwrap) {
    const u = unwrap(value)
    if (u !== value) return u
  }
  if (value instanceof Date) return new Date(value.getTime())
  const k = kindOf(value)
  switch (k) {
    case Kind.Array: {
      const src = value as unknown[]
      const out = new Array(src.length)
      for (let i = 0; i < src.length; i++) out[i] = deepCopy(src[i], unwrap)
      return out
    }
    case Kind.Map: {
      const out = new Map()
      for (const [mk, mv] of value as Map<unknown, unknown>)
        out.set(frozenKey(mk), deepCopy(mv, unwrap, isHeavyKey(mk)))
      return out
    }
    case Kind.Set: {
      const out = new Set()
      for (const sv of value as Set<unknown>) out.add(deepCopy(sv, unwrap))
      return out
    }
    case Kind.Object: {
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(value)) {
        const v = deepCopy((value as any)[key], unwrap, isHeavyKey(key))
        // An own `__proto__` key (JSON.parse makes them) stays an own key: assigning it would
        // re-parent the copy. The engine refuses such keys before they reach the state.
        if (key === '__proto__')
          Object.defineProperty(out, key, {
            value: v,
            writable: true,
            enumerable: true,
            configurable: true,
          })
        else out[key] = v
      }
      return out
    }
    default:
      return value
  }
}

//#region snapshots

function snapValue(v: unknown, parent: Node, key: unknown, freeze: boolean): unknown {
  if (typeof v !== 'object' || v === null) return v
  if (v instanceof Date) return freeze ? lockDate(new Date(v.getTime())) : new Date(v.getTime())
  if (kindOf(v) === -1) return v
  return snapshot(nodeOf(v, parent, key), freeze)
}

/**
 * The immutable snapshot of a node, cached by version: only nodes changed since their last
 * snapshot are copied; untouched children keep their identity.
 */
export function snapshot(node: Node, freeze: boolean): unknown {
  if (node.snapVer === node.ver) return node.snap
  const raw = node.raw
  let out: unknown
  switch (node.kind) {
    case Kind.Array: {
      const arr = new Array(raw.length)
      for (let i = 0; i < raw.length; i++) arr[i] = snapValue(raw[i], node, String(i), freeze)
      out = freeze ? Object.freeze(arr) : arr
      break
    }
    case Kind.Map: {
      const entries: [unknown, unknown][] = []
      for (const [k, v] of raw as Map<unknown, unknown>)
        entries.push([k, isHeavyKey(k) ? v : snapValue(v, node, k, freeze)])
      out = freeze ? lockCollection(new Map(entries)) : new Map(entries)
      break
    }
    case Kind.Set: {
      const vals: unknown[] = []
      for (const v of raw as Set<unknown>)
        vals.push(
          typeof v === 'object' && v !== null
            ? freeze
              ? deepFreeze(deepCopy(v))
              : deepCopy(v)
            : v,
        )
      out = freeze ? lockCollection(new Set(vals)) : new Set(vals)
      break
    }
    default: {
      const obj: Record<string, unknown> = {}
      for (const k of Object.keys(raw))
        obj[k] = isHeavyKey(k) ? raw[k] : snapValue(raw[k], node, k, freeze)
      out = freeze ? Object.freeze(obj) : obj
    }
  }
  node.snap = out
  node.snapVer = node.ver
  return out
}

//#endregion
