/**
 * The engine's reads of the committed state: `select` (signals of one path), `toDict` (a plain
 * copy), the internal peeks workflows and audit gates use, and the tracker behind the
 * adapters' selector views. They read the committed tree (`transaction/tree.ts`) and never
 * write it; the engine delegates to them and keeps the caches they share with the commit
 * (the selections by path, the heavy paths' version signals).
 */
import { computed, type ReadonlySignal, type Signal, signal } from '@preact/signals-core'
import { parsePath } from '../context/paths.js'
import { resolveZone, zoneOfSegment } from '../context/zones.js'
import { describe, suggest, TheusError } from '../errors.js'
import {
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
} from '../transaction/tree.js'

/**
 * `engine.select(path)`: one signal per path, cached in `selects`. Heavy paths get a
 * selection that their version signal in `heavySigs` bumps after every run that declares
 * them (the commit's `_notifyHeavy`).
 */
export function selectPath(
  root: Node,
  selects: Map<string, ReadonlySignal<unknown>>,
  heavySigs: Map<string, Signal<number>>,
  path: string,
): ReadonlySignal<unknown> {
  const segs = parsePath(path)
  if (!segs || (segs[0] !== 'domain' && segs[0] !== 'global'))
    throw new TheusError(
      'INVALID_ARGS',
      `select('${String(path)}'): expected a dotted path starting with 'domain.' or 'global.'.`,
    )
  const key = segs.join('.')
  let s = selects.get(key)
  if (s) return s
  if (resolveZone(segs) === 'heavy') {
    let ver = heavySigs.get(key)
    if (!ver) heavySigs.set(key, (ver = signal(0)))
    const seen: unknown[] = []
    s = heavySelection(ver, () => readTracked(root, segs, seen))
  } else {
    const seen: unknown[] = []
    s = computed(() => readTracked(root, segs, seen))
  }
  selects.set(key, s)
  return s
}

/**
 * Reads the committed value at a path while subscribing to exactly what the path depends on.
 * `seen` (one per selection) remembers the walk: at `2i` the node that held `segs[i]` (the
 * root first, then the container the path names last, if it does), at `2i + 1` its key
 * signal. A re-read, after each commit that changed the path, checks each level by identity
 * instead of looking up the node (a WeakMap) and the key signal (a Map) again.
 */
function readTracked(root: Node, segs: readonly string[], seen: unknown[]): unknown {
  let node = root
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!
    if (seen[2 * i] !== node) {
      seen[2 * i] = node
      seen[2 * i + 1] = node.keySig(seg)
    }
    ;(seen[2 * i + 1] as Signal<number>).value
    const v = getKey(node.raw, node.kind, seg)
    const last = i === segs.length - 1
    if (typeof v !== 'object' || v === null) return last ? v : undefined
    // Fast path: the container walked last time (or one seen before), still at its place.
    let known = seen[2 * i + 2] as Node | undefined
    if (known?.raw !== v) known = existingNode(v)
    if (known !== undefined && known.parent === node && known.key === seg && !isHeavyKey(seg)) {
      node = known
    } else {
      if (v instanceof Date) return last ? new Date(v.getTime()) : undefined
      if (isHeavyKey(seg) || kindOf(v) === -1) {
        if (last) return v
        return (v as Record<string, unknown>)[segs[i + 1]!] === undefined
          ? undefined
          : walkForeign(v, segs.slice(i + 1))
      }
      node = nodeOf(v as object, node, seg)
    }
    if (last) {
      seen[2 * i + 2] = node
      node.deep().value
      return snapshot(node, true)
    }
  }
  return undefined
}

/** The committed value at a path as a snapshot (containers) or value; undefined when missing. */
export function peekSnapshot(root: Node, segs: readonly string[]): unknown {
  let node = root
  let v: unknown = root.raw
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!
    const k = kindOf(v)
    if (k === -1 || k === Kind.Set) return walkForeign(v, segs.slice(i))
    if (!hasKey(v, k, seg)) return undefined
    v = getKey(v, k, seg)
    if (typeof v !== 'object' || v === null) return i === segs.length - 1 ? v : undefined
    if (isHeavyKey(seg) || kindOf(v) === -1) return walkForeign(v, segs.slice(i + 1))
    node = nodeOf(v, node, seg)
  }
  if (v instanceof Date) return new Date(v.getTime())
  return snapshot(node, true)
}

/** The value the last commit published for a signal field with this key (`published`: by field path). */
export function lastSignal(published: Map<string, unknown> | undefined, name: string): unknown {
  if (published === undefined) return undefined
  for (const [field, value] of published) {
    const segs = field.split('.')
    if (segs[segs.length - 1] === name) return value
  }
  return undefined
}

const ZONES: readonly unknown[] = ['data', 'signal', 'meta', 'heavy']

/**
 * `engine.toDict(options)`: a plain copy of `rootRaw`'s layers, without the excluded zones.
 * Plain objects outside every zone are filtered here; everything else is copied by the
 * commit's `deepCopy` (a `heavy_` key held by reference, as everywhere in the engine).
 */
export function plainCopy(
  rootRaw: Record<string, any>,
  options: { excludeZones?: readonly ('data' | 'signal' | 'meta' | 'heavy')[] },
): Record<string, unknown> {
  const zones = options?.excludeZones ?? ['signal', 'meta', 'heavy']
  // A zone name that is not one (a typo such as 'signals') would leave that zone in silently.
  const list = Array.isArray(zones)
  const bad = list ? zones.find((z) => !ZONES.includes(z)) : zones
  if (bad !== undefined) {
    const close = list && typeof bad === 'string' && suggest(bad, ZONES as string[])
    throw new TheusError(
      'INVALID_ARGS',
      `toDict(): 'excludeZones' must be an array of zones (${ZONES.join(', ')}), got ${describe(bad)}${close ? `. Did you mean '${close}'?` : '.'}`,
    )
  }
  const exclude = new Set(zones)
  const dropData = exclude.has('data')
  // `deepCopy`'s hook: a plain object above every zone prefix is filtered (arrays, Maps and
  // Sets are walked by `deepCopy`, which calls this again for what they hold). Data-zone plain
  // objects are still walked when data is excluded, since prefixed keys may sit inside them.
  const filter = (v: object): unknown => {
    if (kindOf(v) !== Kind.Object) return v
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(v)) {
      const z = zoneOfSegment(key)
      const val = (v as Record<string, unknown>)[key]
      if (z === undefined ? dropData && kindOf(val) !== Kind.Object : exclude.has(z)) continue
      const inner =
        z === undefined ? deepCopy(val, filter) : deepCopy(val, undefined, z === 'heavy')
      if (!dropData || z !== undefined || Object.keys(inner as object).length > 0) out[key] = inner
    }
    return out
  }
  return { global: deepCopy(rootRaw.global, filter), domain: deepCopy(rootRaw.domain, filter) }
}

/** The tracked reads of `engine._tracker()` (see there). */
export interface Tracker {
  root: object
  kind(v: unknown): number
  get(h: object, key: unknown, covered: boolean): unknown
  has(h: object, key: unknown, covered: boolean): boolean
  keys(h: object): unknown[]
  size(h: object): number
  snap(h: object): unknown
}

/** The tracker over `root`; a heavy key reads through `selectHeavy` (the engine's `select`). */
export function createTracker(root: Node, selectHeavy: (path: string) => unknown): Tracker {
  const track = (n: Node, key: unknown, covered: boolean) => {
    if (!covered) n.keySig(n.kind === Kind.Array ? String(key) : key).value
  }
  return {
    root,
    kind: (v) => {
      const raw = (v as Node | null)?.raw
      return typeof raw === 'object' && raw !== null && existingNode(raw) === v
        ? (v as Node).kind
        : -1
    },
    get: (h, key, covered) => {
      const n = h as Node
      track(n, key, covered)
      if (!hasKey(n.raw, n.kind, key)) return undefined
      if (isHeavyKey(key)) return selectHeavy([...n.segments(), key].join('.'))
      const v = getKey(n.raw, n.kind, key)
      if (typeof v !== 'object' || v === null) return v
      // Snapshots are frozen in both modes (SPEC §9), Dates locked as they are there.
      if (v instanceof Date) return lockDate(new Date(v.getTime()))
      return kindOf(v) === -1 ? v : nodeOf(v, n, n.kind === Kind.Array ? String(key) : key)
    },
    has: (h, key, covered) => {
      const n = h as Node
      track(n, key, covered)
      return hasKey(n.raw, n.kind, key)
    },
    keys: (h) => {
      const n = h as Node
      n.deep().value
      return n.kind === Kind.Map ? [...(n.raw as Map<unknown, unknown>).keys()] : Object.keys(n.raw)
    },
    size: (h) => {
      const n = h as Node
      n.deep().value
      return n.kind === Kind.Object ? Object.keys(n.raw).length : (n.raw.length ?? n.raw.size)
    },
    snap: (h) => {
      const n = h as Node
      n.deep().value
      return snapshot(n, true)
    },
  }
}

/** Walks own data properties only, so a path never reaches a prototype or runs a getter. */
function walkForeign(v: unknown, segs: readonly string[]): unknown {
  let cur = v
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined
    const d = Object.getOwnPropertyDescriptor(cur, s)
    if (d === undefined || !('value' in d)) return undefined
    cur = d.value
  }
  return cur
}

/**
 * A selection of a heavy path: the raw object, with a notification after every run that
 * declares it, even though its identity does not change (a computed would swallow that).
 */
function heavySelection(ver: Signal<number>, read: () => unknown): ReadonlySignal<unknown> {
  // A signal's own prototype gives `peek`, `subscribe`, `valueOf`, `toString`, `toJSON` and the
  // brand, all through this `value`.
  return Object.create(Object.getPrototypeOf(ver), {
    value: {
      get() {
        ver.value
        return read()
      },
    },
  })
}
