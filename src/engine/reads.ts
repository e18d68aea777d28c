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
  Node,
  nodeOf,
  snapshot,
} from '../transaction/tree.js'
import type { EventHub } from './events.js'
import { strayKey } from './options.js'

/**
 * `engine.select(path)`: one signal per path, cached in `selects`. Heavy paths get a
 * selection that their version signal in `heavySigs` bumps after every run that declares
 * them (the commit's `_notifyHeavy`).
 *
 * Any other path is a computed over the place of its parent (`placeSignal`, shared by every
 * selection under that parent) and the key signal of its last segment: two sources whatever
 * the depth. A commit that changes one leaf notifies that leaf's key signal only; the places
 * above it are not re-run, and a computed whose sources did not notify answers at once. A
 * commit that replaces a container re-runs the place at its key, and the selections under
 * it see the new container.
 */
export function selectPath(
  root: Node,
  selects: Map<string, ReadonlySignal<unknown>>,
  heavySigs: Map<string, Signal<number>>,
  path: string,
  hub: EventHub,
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
  const read = leafReader(root, selects, segs)
  if (resolveZone(segs) === 'heavy') {
    let ver = heavySigs.get(key)
    if (!ver) heavySigs.set(key, (ver = signal(0)))
    s = heavySelection(ver, read)
  } else s = computed(read)
  selects.set(key, hub.reporting(s))
  return s
}

/**
 * Reads the committed value at `segs` while subscribing to the place of its parent and the
 * key signal of its last segment (a container also to its deep signal). A primitive comes
 * back as it is, a container as its cached snapshot.
 */
function leafReader(
  root: Node,
  cache: Map<string, ReadonlySignal<unknown>>,
  segs: readonly string[],
): () => unknown {
  const up = placeSignal(root, cache, segs, segs.length - 1)
  const seg = segs[segs.length - 1]!
  const heavy = isHeavyKey(seg)
  let last: Node | undefined
  // The key signal read last time, and the node it belongs to (a Map lookup saved per commit).
  let sigOf: Node | undefined
  let sig: Signal<number> | undefined
  return () => {
    const at = up instanceof Node ? up : up.value
    if (at === undefined) return undefined
    if (at instanceof Foreign) return walkForeign(at.value, segs.slice(at.depth))
    if (sigOf !== at) {
      sigOf = at
      sig = at.keySig(seg)
    }
    sig!.value
    const v = getKey(at.raw, at.kind, seg)
    if (typeof v !== 'object' || v === null) return v
    const node = childNode(at, seg, v, heavy, last)
    if (node === undefined) return v instanceof Date ? lockDate(new Date(v.getTime())) : v
    last = node
    node.deep().value
    return snapshot(node, true)
  }
}

/**
 * What a prefix of a selected path holds: a container the engine tracks (its Node), a value
 * it does not look inside (`heavy_`, a class instance: walked as plain own data), or nothing.
 */
type Place = Node | Foreign | undefined
class Foreign {
  constructor(
    readonly value: unknown,
    /** How many segments lead to it: the rest of a path is walked inside it. */
    readonly depth: number,
  ) {}
}

/**
 * The place at `segs[0..depth)`: the root itself, or a computed cached in
 * `selects` (under a key no dotted path can take) that tracks its parent's place and its own
 * key signal. It re-runs only when that key changes, and returns the same Node while the
 * container stays, so the selections below it are not notified.
 */
function placeSignal(
  root: Node,
  cache: Map<string, ReadonlySignal<unknown>>,
  segs: readonly string[],
  depth: number,
): Node | ReadonlySignal<Place> {
  if (depth === 0) return root
  const key = `\0${segs.slice(0, depth).join('\0')}`
  let s = cache.get(key) as ReadonlySignal<Place> | undefined
  if (s === undefined) {
    const up = placeSignal(root, cache, segs, depth - 1)
    const seg = segs[depth - 1]!
    const heavy = isHeavyKey(seg)
    let last: Node | undefined
    s = computed((): Place => {
      const at = up instanceof Node ? up : up.value
      // Nothing, or a foreign value the rest of the path is walked in: passed down as it is.
      if (!(at instanceof Node)) return at
      at.keySig(seg).value
      const v = getKey(at.raw, at.kind, seg)
      if (typeof v !== 'object' || v === null || v instanceof Date) return undefined
      const node = childNode(at, seg, v, heavy, last)
      if (node === undefined) return new Foreign(v, depth)
      last = node
      return node
    })
    cache.set(key, s)
  }
  return s
}

/**
 * The node of container `v` found at `parent[seg]`, or undefined for a value the engine does
 * not track inside (`heavy_`, a class instance, a Date). `last` is the node found there the
 * time before: checked by identity first, the WeakMap lookup only when it moved.
 */
function childNode(
  parent: Node,
  seg: string,
  v: object,
  heavy: boolean,
  last: Node | undefined,
): Node | undefined {
  if (heavy) return undefined
  const known = last?.raw === v ? last : existingNode(v)
  if (known !== undefined && known.parent === parent && known.key === seg) return known
  if (kindOf(v) === -1) return undefined
  return nodeOf(v, parent, seg)
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
 * Refuses an `excludeZones` that is not an array of zones (`INVALID_ARGS`): a typo such as
 * 'signals' would leave that zone in silently. `where` names the caller in the message.
 */
export function checkExcludeZones(zones: unknown, where: string): void {
  const list = Array.isArray(zones)
  const bad = list ? zones.find((z) => !ZONES.includes(z)) : zones
  if (bad !== undefined) {
    const close = list && typeof bad === 'string' && suggest(bad, ZONES as string[])
    throw new TheusError(
      'INVALID_ARGS',
      `${where}: 'excludeZones' must be an array of zones (${ZONES.join(', ')}), got ${describe(bad)}${close ? `. Did you mean '${close}'?` : '.'}`,
    )
  }
}

/**
 * `engine.toDict(options)`: a plain copy of `rootRaw`'s layers, without the excluded zones.
 * Plain objects outside every zone are filtered here; everything else is copied by the
 * commit's `deepCopy` (a `heavy_` key held by reference, as everywhere in the engine).
 */
export function plainCopy(
  rootRaw: Record<string, any>,
  options: { excludeZones?: readonly ('data' | 'signal' | 'meta' | 'heavy')[] },
): Record<string, unknown> {
  // Only `{ excludeZones? }`: a typo (`exclude`) would otherwise copy the default zones silently.
  const k = options == null ? undefined : strayKey(options, ['excludeZones'])
  if (k !== undefined)
    throw new TheusError(
      'INVALID_ARGS',
      `toDict(): expected { excludeZones? }, got ${k ? `the key '${k}'` : describe(options)}.`,
    )
  const zones = options?.excludeZones ?? ['signal', 'meta', 'heavy']
  checkExcludeZones(zones, 'toDict()')
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
export function walkForeign(v: unknown, segs: readonly string[]): unknown {
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
