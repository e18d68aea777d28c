/**
 * The payload's text. `payloadWriter` encodes a root snapshot in one pass, caching the text
 * of each (frozen) snapshot container; `TextMirror` keeps the text up to date from the
 * commits' patches, so a save costs O(what changed). Both follow `codec.ts`'s encoding rules
 * and must agree with a fresh encoding byte for byte (tested).
 */
import { zoneOfSegment } from '../../context/zones.js'
import type { Patch } from '../types.js'
import { encode, isPlainObject } from './codec.js'
import type { PersistZone } from './types.js'

/**
 * The payload writer for one handle: `{"version":…,"state":{"global":…,"domain":…}}` from a
 * root snapshot, in one pass, keeping the zones saved. The text of each snapshot container is
 * cached by the (frozen) snapshot object, so after a commit only the containers it replaced
 * are encoded again. Heavy values change in place, so a handle that saves the heavy zone
 * caches nothing.
 */
export function payloadWriter(zones: ReadonlySet<PersistZone>, version: number): PayloadWriter {
  const dropData = !zones.has('data')
  const caching = !zones.has('heavy')
  // One cache per "inside a prefixed key or not": the same object encodes differently.
  const caches = [new WeakMap<object, string>(), new WeakMap<object, string>()] as const
  const text = (v: unknown, inZone: boolean): string | undefined => {
    if (typeof v !== 'object' || v === null) return scalar(v)
    const cache = caches[inZone ? 1 : 0]
    const hit = caching ? cache.get(v) : undefined
    if (hit !== undefined) return hit
    const out = container(v, inZone)
    if (caching && out !== undefined && Object.isFrozen(v)) cache.set(v, out)
    return out
  }
  const container = (v: object, inZone: boolean): string | undefined => {
    if (Array.isArray(v)) return `[${v.map((x) => text(x, inZone) ?? 'null').join(',')}]`
    if (v instanceof Date || v instanceof Map || v instanceof Set || !isPlainObject(v)) {
      if (v instanceof Map)
        return `{"$t":"Map","v":[${[...v].map(([k, x]) => `[${text(k, inZone)},${text(x, inZone)}]`).join(',')}]}`
      if (v instanceof Set)
        return `{"$t":"Set","v":[${[...v].map((x) => text(x, inZone)).join(',')}]}`
      return JSON.stringify(encode(v))
    }
    const keys = Object.keys(v)
    // Fast path, the common large case (a record of numbers or strings): native stringify.
    if (!dropData && !Object.hasOwn(v, '$t') && plainScalars(v, keys, inZone))
      return JSON.stringify(v)
    const parts: string[] = []
    for (const k of keys) {
      const z = inZone ? undefined : zoneOfSegment(k)
      if (z !== undefined && !zones.has(z as PersistZone)) continue
      const x = v[k]
      let t: string | undefined
      if (!inZone && z === undefined && dropData) {
        // Data is not saved: keep only the prefixed keys inside data-zone objects.
        if (!isPlainObject(x)) continue
        t = text(x, false)
        if (t === '{}') continue
      } else t = z === 'heavy' ? JSON.stringify(encode(x)) : text(x, inZone || z !== undefined)
      if (t !== undefined) parts.push(`${JSON.stringify(k)}:${t}`)
    }
    const body = `{${parts.join(',')}}`
    return Object.hasOwn(v, '$t') ? `{"$t":"Object","v":${body}}` : body
  }
  const state = (root: unknown): string => {
    const r = root as { global?: unknown; domain?: unknown }
    return `{"global":${text(r.global ?? {}, false)},"domain":${text(r.domain ?? {}, false)}}`
  }
  return {
    text: (v, inZone) => text(v, inZone) ?? 'null',
    wrap: (state) => `{"version":${version},"state":${state}}`,
    payload: (root) => `{"version":${version},"state":${state(root)}}`,
  }
}

export interface PayloadWriter {
  /** The JSON text of one state value, keeping the saved zones (`inZone`: below a prefixed key). */
  text(v: unknown, inZone: boolean): string
  /** The payload around the text of `{ global, domain }`. */
  wrap(state: string): string
  /** The whole payload from a root snapshot. */
  payload(root: unknown): string
}

/** A container's text in the mirror: its parts, and its body text while no patch touched it. */
interface TextNode {
  kind: Kind
  /** The parts in order; `undefined` where an entry was removed (compacted when half empty). */
  list: (Part | undefined)[]
  /** Objects and Maps: key → position in `list`. */
  index: Map<unknown, number> | undefined
  holes: number
  /** What goes before and after the body inside the parent (`"key":`, `[key,` and `]`). */
  prefix: string
  suffix: string
  /** The body, or `undefined` once a patch below changed it. */
  body: string | undefined
  /** A plain object with its own `$t` key, wrapped as `{"$t":"Object","v":…}`. */
  tagged: boolean
  /** Below a prefixed key: zone filtering is over. */
  inZone: boolean
}
/** A leaf is its full text in the parent: `"key":value`, `value`, or `[key,value]`. */
type Part = string | TextNode
type Kind = 0 | 1 | 2
const Kind = { Object: 0, Array: 1, Map: 2 } as const

/**
 * The payload's text kept up to date from the commits' patches: a tree of the saved state's
 * JSON fragments, one per value. A patch replaces the fragment at its path and clears the
 * cached bodies of its ancestors, so a save joins the fragments of the containers that
 * changed and reuses every other body: O(what changed) per commit, O(entries of the changed
 * containers) per save (an array join), instead of re-reading the whole state. Anything it
 * cannot follow (a path through a Set, a Date or a missing container; a Map key with a zone
 * prefix; a value JSON cannot hold) drops the mirror, and the next save rebuilds it from the
 * snapshot. Entries keep their first position when replaced, so a key deleted and added
 * again in one run may sit elsewhere in the text than in the state: JSON key order carries no
 * meaning for hydration.
 */
export class TextMirror {
  private root: TextNode | undefined
  constructor(
    private readonly writer: PayloadWriter,
    private readonly zones: ReadonlySet<PersistZone>,
  ) {}

  reset(): void {
    this.root = undefined
  }

  /** The payload; `read` gives the root snapshot, read only when the mirror must be built. */
  text(read: () => unknown): string {
    if (this.root !== undefined) return this.writer.wrap(this.render(this.root))
    const snapshot = read()
    const r = snapshot as { global?: unknown; domain?: unknown }
    try {
      this.root = this.node(
        Kind.Object,
        { global: r.global ?? {}, domain: r.domain ?? {} },
        false,
        '',
        '',
      )
    } catch (e) {
      if (!(e instanceof MirrorGap)) throw e
      return this.writer.payload(snapshot)
    }
    return this.writer.wrap(this.render(this.root))
  }

  apply(p: Patch): void {
    try {
      this.patch(p)
    } catch {
      // A value the mirror cannot hold: the next save reads the snapshot (and reports it).
      this.reset()
    }
  }

  private skips(node: TextNode, seg: unknown): boolean {
    if (node.kind !== Kind.Object || node.inZone || typeof seg !== 'string') return false
    const z = zoneOfSegment(seg)
    return z !== undefined && !this.zones.has(z as PersistZone)
  }

  private patch(p: Patch): void {
    const root = this.root
    if (root === undefined) return
    const path = p.path
    if (path.length < 2) throw new MirrorGap()
    let node = root
    node.body = undefined
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i]!
      if (this.skips(node, seg)) return
      if (node.kind === Kind.Map && typeof seg === 'string' && zoneOfSegment(seg) !== undefined)
        throw new MirrorGap()
      const at = this.slot(node, seg)
      const child = at === undefined ? undefined : node.list[at]
      if (child === undefined || typeof child === 'string') throw new MirrorGap()
      node = child
      node.body = undefined
    }
    const key = path[path.length - 1]!
    if (this.skips(node, key)) return
    if (node.kind === Kind.Map && typeof key === 'string' && zoneOfSegment(key) !== undefined)
      throw new MirrorGap()
    const inZone =
      node.inZone ||
      (node.kind === Kind.Object && typeof key === 'string' && zoneOfSegment(key) !== undefined)
    if (node.kind === Kind.Object && key === '$t') node.tagged = p.op !== 'remove'
    const at = this.slot(node, key)
    if (p.op === 'remove') {
      if (at === undefined) return
      if (node.kind === Kind.Array) {
        // Commits remove array elements from the end (last index first); anything else is a gap.
        if (at !== node.list.length - 1) throw new MirrorGap()
        node.list.pop()
        return
      }
      node.list[at] = undefined
      node.index!.delete(node.kind === Kind.Object ? String(key) : key)
      if (++node.holes > 32 && node.holes * 2 > node.list.length) this.compact(node)
      return
    }
    const part = this.entry(node, key, p.value, inZone)
    if (at !== undefined) node.list[at] = part
    else if (node.kind === Kind.Array) {
      if (Number(key) !== node.list.length) throw new MirrorGap()
      node.list.push(part)
    } else {
      node.index!.set(node.kind === Kind.Object ? String(key) : key, node.list.length)
      node.list.push(part)
    }
  }

  private slot(node: TextNode, seg: unknown): number | undefined {
    if (node.kind === Kind.Array) {
      const i = Number(seg)
      return i >= 0 && i < node.list.length ? i : undefined
    }
    return node.index!.get(node.kind === Kind.Object ? String(seg) : seg)
  }

  private compact(node: TextNode): void {
    const list: Part[] = []
    const index = new Map<unknown, number>()
    for (const [k, at] of node.index!) {
      index.set(k, list.length)
      list.push(node.list[at]!)
    }
    node.list = list
    node.index = index
    node.holes = 0
  }

  /** The part for the entry `key` of `node` holding `v`. */
  private entry(node: TextNode, key: unknown, v: unknown, inZone: boolean): Part {
    if (node.kind === Kind.Array) return this.part(v, inZone, '', '')
    if (node.kind === Kind.Map)
      return this.part(v, inZone, `[${this.writer.text(key, inZone)},`, ']')
    if (key === '__proto__') throw new MirrorGap()
    return this.part(v, inZone, `${JSON.stringify(String(key))}:`, '')
  }

  /** The part for a value: a node for containers, its full text in the parent for the rest. */
  private part(v: unknown, inZone: boolean, prefix: string, suffix: string): Part {
    if (Array.isArray(v)) return this.node(Kind.Array, v, inZone, prefix, suffix)
    if (v instanceof Map) return this.node(Kind.Map, v, inZone, prefix, suffix)
    if (isPlainObject(v)) return this.node(Kind.Object, v, inZone, prefix, suffix)
    return prefix + this.writer.text(v, inZone) + suffix
  }

  private node(kind: Kind, v: any, inZone: boolean, prefix: string, suffix: string): TextNode {
    const n: TextNode = {
      kind,
      list: [],
      index: kind === Kind.Array ? undefined : new Map(),
      holes: 0,
      prefix,
      suffix,
      body: undefined,
      tagged: false,
      inZone,
    }
    if (kind === Kind.Array) n.list = (v as unknown[]).map((x) => this.part(x, inZone, '', ''))
    else if (kind === Kind.Map) {
      for (const [k, x] of v as Map<unknown, unknown>) {
        if (typeof k === 'string' && zoneOfSegment(k) !== undefined) throw new MirrorGap()
        n.index!.set(k, n.list.length)
        n.list.push(this.part(x, inZone, `[${this.writer.text(k, inZone)},`, ']'))
      }
    } else {
      for (const k of Object.keys(v)) {
        const z = inZone ? undefined : zoneOfSegment(k)
        if (z !== undefined && !this.zones.has(z as PersistZone)) continue
        n.index!.set(k, n.list.length)
        n.list.push(this.part(v[k], inZone || z !== undefined, `${JSON.stringify(k)}:`, ''))
      }
      n.tagged = Object.hasOwn(v, '$t')
    }
    return n
  }

  private render(n: TextNode): string {
    if (n.body !== undefined) return n.body
    const out: string[] = []
    for (const p of n.list)
      if (p !== undefined)
        out.push(typeof p === 'string' ? p : p.prefix + this.render(p) + p.suffix)
    const inner = out.join(',')
    const body =
      n.kind === Kind.Array
        ? `[${inner}]`
        : n.kind === Kind.Map
          ? `{"$t":"Map","v":[${inner}]}`
          : n.tagged
            ? `{"$t":"Object","v":{${inner}}}`
            : `{${inner}}`
    n.body = body
    return body
  }
}

/** The mirror cannot represent this state (a prefixed Map key): the writer reads it whole. */
class MirrorGap extends Error {}

/** True when every value is a JSON scalar and no key needs dropping: JSON.stringify is exact. */
function plainScalars(v: Record<string, unknown>, keys: string[], inZone: boolean): boolean {
  for (const k of keys) {
    const x = v[k]
    const t = typeof x
    if (t === 'string' || t === 'boolean' || x === null) {
      // fall through to the key check
    } else if (t !== 'number' || !Number.isFinite(x)) return false
    if (!inZone && zoneOfSegment(k) !== undefined) return false
  }
  return true
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v === 'boolean' || v === null) return String(v)
  return JSON.stringify(encode(v))
}
