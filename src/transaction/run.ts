/**
 * One run of a process: its write buffer (`buffer.ts`) and the guarded views its body sees
 * (`views.ts`, `traps.ts`). Writes land in the buffer and nowhere else, so a rollback is
 * dropping the Run, and other readers never see uncommitted values.
 *
 * - Objects and Maps are buffered per key: changing one entry of a 100 000-entry record costs
 *   the same as of a 10-entry one.
 * - Arrays are copied when a run reorders or resizes them or puts a container at an index
 *   (O(length)); the copy is the buffer. A primitive at an existing index is one buffered key.
 *   Sets are copied on their first write. Keyed collections that grow large belong in records
 *   or Maps.
 * - Containers assigned by the body are copied on assignment (state is a tree, never a graph);
 *   the copy is owned by the run until the commit adopts it.
 * - Heavy values (`heavy_` keys) are handed out and assigned by reference, never buffered.
 * - Views expose own data only (an inherited member reads as an absent key), refuse
 *   `__proto__` as a key and, in strict mode, values that are not plain data outside `heavy_`,
 *   and die when the body ends: each carries its run's generation (SPEC §10.1).
 */

import { protoKeyIn, warnForeign } from '../context/plainData.js'
import type { PermNode } from '../contract/permissions.js'
import type { TheusError } from '../errors.js'
import { errors } from '../errors.js'
import { bufferedValue, type KeyBuf, mergedKeys, SmallMap, Writes } from './buffer.js'
import { ArrayView, MapView, ObjectView, SetView } from './traps.js'
import {
  classOf,
  currentVersion,
  deepCopy,
  existingNode,
  isHeavyKey,
  Kind,
  kindOf,
  type Node,
  nodeOf,
} from './tree.js'
import { objectGet, readWhole, type View, ViewShape, viewBehind } from './views.js'

export {
  bufferDelete,
  bufferedValue,
  bufferSet,
  KeyBuf,
  Readded,
  SmallMap,
  Writes,
} from './buffer.js'
export { SHAPE, unwrapView, View, ViewShape, viewBehind } from './views.js'

export class Run {
  /** Per-key writes of committed objects and Maps. */
  readonly writes = new Writes()
  /** Copy-on-write contents of committed arrays and Sets. */
  readonly wholes = new Map<Node, unknown[] | Set<unknown>>()
  /**
   * Flat pairs (node, key) of what the body read, for the conflict check: the first `nReads`
   * entries. The array keeps its capacity from run to run (`length = 0` would free it, and the
   * next run's first read would allocate it again); entries past `nReads` are stale.
   */
  reads: unknown[] = []
  nReads = 0
  /** The proxies of this run's views, by the container each shows. */
  readonly views = new SmallMap<object, any>()
  /** Heavy paths the body reassigned (applied at once, never rolled back). */
  heavyWrites: { node: Node; key: unknown }[] | undefined
  violation: TheusError | undefined
  closed = false
  aborted: TheusError | undefined
  /** Signal fields whose writes are not published (resets replayed by undo, redo, replay). */
  silent: Set<string> | undefined
  /** The shape of the root view, kept from run to run with the shapes below it. */
  rootShape: ViewShape | undefined
  /** The engine's `ctx` object for this Run, reused with it. */
  ctx: object | undefined
  /** A frozen copy of the args, as logged and sent with events. */
  logged: Record<string, unknown> | undefined
  /** An async run whose body has not settled: commits meanwhile write conflict stamps. */
  inFlight = false
  /** Between its start and its applied commit: the engine refuses nested runs meanwhile. */
  held = false
  /** Strict mode: values that are not plain data are refused outside `heavy_` (else warned). */
  strict = true
  /**
   * Bumped each time the Run object starts a new run: views remember the generation they were
   * made in, so a view kept from an earlier run stays dead even though the Run is reused.
   */
  gen = 0

  /** The node version when the run began (`Node.ver` of a container changed since is above). */
  startVer = currentVersion()

  constructor(
    /** The process name (or admin label: a reused admin Run takes the next one's). */
    public name: string,
    public startSeq: number,
  ) {}

  /**
   * Makes a finished synchronous run ready for the next run of the same process (fewer
   * allocations per run). Views are never carried over: a body may have kept one, and it must
   * stay dead (SPEC §10.1), so the next run makes its own.
   */
  reuse(startSeq: number): void {
    this.startSeq = startSeq
    this.startVer = currentVersion()
    this.gen++
    if (this.writes.size > 0) this.writes.clear()
    if (this.wholes.size > 0) this.wholes.clear()
    // A run that read a lot does not keep its large array (nor what its stale entries hold).
    if (this.nReads > 1024) this.reads = []
    this.nReads = 0
    if (this.views.size > 0) this.views.clear()
    this.heavyWrites = undefined
    this.violation = undefined
    this.aborted = undefined
    this.silent = undefined
    this.logged = undefined
    this.closed = false
  }

  /** Records a read of `key` in the committed container of `node`. */
  read(node: Node, key: unknown): void {
    const i = this.nReads
    this.reads[i] = node
    this.reads[i + 1] = key
    this.nReads = i + 2
  }

  violate(e: TheusError): TheusError {
    this.violation ??= e
    return e
  }

  makeView(shape: ViewShape): any {
    const kind = shape.kind
    const C =
      kind === Kind.Map
        ? MapView
        : kind === Kind.Set
          ? SetView
          : kind === Kind.Array
            ? ArrayView
            : ObjectView
    const proxy = new Proxy(shape.target, new C(shape, this.gen))
    // Every caller looked for a view of this container first.
    this.views.append(shape.target, proxy)
    return proxy
  }

  /**
   * The root view over `root` under `perm`; its shape is kept for the next run. With `layer`
   * (`ctx.domain`, `ctx.global`), `rootView(...)[layer]` without making the root view while
   * the body has not needed it: the same read, check and view as through the root.
   */
  rootView(root: any, node: Node, perm: PermNode | undefined, all: boolean, layer?: string): any {
    const cached = this.views.get(root)
    if (cached !== undefined) return layer === undefined ? cached : cached[layer]
    let shape = this.rootShape
    if (
      shape === undefined ||
      shape.target !== root ||
      shape.perm !== perm ||
      shape.readAll !== all
    )
      this.rootShape = shape = new ViewShape(
        this,
        root,
        node,
        Kind.Object,
        undefined,
        '',
        perm,
        all,
        all,
        false,
      )
    if (layer === undefined) return this.makeView(shape)
    // The root view's `live()`, for a ctx kept beyond its run.
    if (this.aborted) throw this.aborted
    if (this.closed) throw errors.deadView(this.name, '')
    return objectGet(shape, root, layer)
  }

  writeBuf(node: Node): KeyBuf {
    return this.writes.of(node)
  }

  /** The run's copy of a committed array or Set, made on first write. */
  whole(view: View): any {
    if (view.node === undefined) return view.target
    let c = this.wholes.get(view.node)
    if (c === undefined) {
      const raw = view.node.raw
      if (view.kind === Kind.Array) {
        c = (raw as unknown[]).slice()
        // Elements keep their nodes so that the commit can tell them from fresh values.
        for (let i = 0; i < c.length; i++) {
          const el = c[i]
          if (kindOf(el) !== -1) nodeOf(el as object, view.node, String(i))
        }
        // Index writes held per key (ArrayView.set) move into the copy, which is now the buffer.
        const w = this.writes.get(view.node)
        if (w !== undefined) {
          for (let j = 0; j < w.n; j++) c[+(w.keyList[j] as string)] = bufferedValue(w.valueList[j])
          this.writes.delete(view.node)
        }
      } else c = new Set(raw as Set<unknown>)
      this.wholes.set(view.node, c)
    }
    return c
  }

  /** The array or Set contents the run sees. */
  current(view: View): any {
    if (view.node === undefined) return view.target
    return this.wholes.get(view.node) ?? view.target
  }

  /**
   * Copies a value the body assigns into a run-owned container, unwrapping views. `path` is
   * where it goes: the value must be plain data there (SPEC §10.1), checked on the way. Without
   * a path (a body's return value) anything goes, copied where it is plain.
   */
  adopt(value: unknown, path?: string, into?: View): unknown {
    if (typeof value !== 'object' || value === null) {
      if (typeof value === 'function' && path !== undefined) return this.foreign(value, path)
      return value
    }
    const src = viewBehind(value)
    if (src !== undefined) {
      readWhole(src, this)
      // Moving an element inside the same array (sort, reverse, splice) keeps its node.
      if (
        into !== undefined &&
        src.node !== undefined &&
        src.node.parent === into.node &&
        into.kind === Kind.Array
      )
        return src.node.raw
      return src.run.contentOf(src)
    }
    if (path === undefined)
      return deepCopy(value, (v) => {
        const inner = viewBehind(v)
        if (inner === undefined) return v
        readWhole(inner, this)
        return inner.run.contentOf(inner)
      })
    return this.copyIn(value, path, new Set())
  }

  /** A deep copy of assigned plain data into new containers, refusing what is not plain data. */
  private copyIn(value: unknown, path: string, seen: Set<object>): unknown {
    if (typeof value !== 'object' || value === null)
      return typeof value === 'function' ? this.foreign(value, path) : value
    const inner = viewBehind(value)
    if (inner !== undefined) {
      readWhole(inner, this)
      return inner.run.contentOf(inner)
    }
    if (value instanceof Date) return new Date(value.getTime())
    const k = kindOf(value)
    if (k === -1) return this.foreign(value, path)
    // A value reachable twice is copied twice (the state is a tree); a cycle cannot be.
    if (seen.has(value)) throw this.violate(errors.zonePolicyCycle(this.name, path))
    seen.add(value)
    let out: unknown
    switch (k) {
      case Kind.Array: {
        const src = value as unknown[]
        const arr = new Array(src.length)
        for (let i = 0; i < src.length; i++) arr[i] = this.copyIn(src[i], `${path}.${i}`, seen)
        out = arr
        break
      }
      case Kind.Map: {
        const m = new Map()
        for (const [mk, mv] of value as Map<unknown, unknown>) {
          const proto = mk === '__proto__' ? `${path}.__proto__` : protoKeyIn(mk, path)
          if (proto) throw this.violate(errors.protoKey(this.name, proto))
          m.set(mk, isHeavyKey(mk) ? mv : this.copyIn(mv, `${path}.${String(mk)}`, seen))
        }
        out = m
        break
      }
      case Kind.Set: {
        const set = new Set()
        for (const sv of value as Set<unknown>) set.add(this.copyIn(sv, path, seen))
        out = set
        break
      }
      default: {
        const obj: Record<string, unknown> = {}
        for (const key of Object.keys(value)) {
          if (key === '__proto__')
            throw this.violate(errors.protoKey(this.name, `${path}.__proto__`))
          const v = (value as Record<string, unknown>)[key]
          obj[key] = isHeavyKey(key) ? v : this.copyIn(v, `${path}.${key}`, seen)
        }
        out = obj
      }
    }
    seen.delete(value)
    return out
  }

  /**
   * A value that is not plain data, assigned outside `heavy_`: refused in strict mode, kept by
   * reference (and warned once per path) otherwise.
   */
  foreign(value: unknown, path: string): unknown {
    const cls = classOf(value)
    if (this.strict) throw this.violate(errors.zonePolicyValue(this.name, path, cls))
    warnForeign(path, cls)
    return value
  }

  /** A plain, run-owned deep copy of what a view shows (committed values merged with writes). */
  contentOf(view: View): unknown {
    if (view.node === undefined) return deepCopy(view.target)
    return this.materialize(view.node)
  }

  materialize(node: Node): unknown {
    const raw = node.raw
    const w = this.writes.get(node)
    const child = (key: unknown, v: unknown, fresh: boolean): unknown => {
      if (typeof v !== 'object' || v === null) return v
      if (isHeavyKey(key)) return v
      if (v instanceof Date) return new Date(v.getTime())
      if (kindOf(v) === -1) return v
      if (fresh) return deepCopy(v)
      return this.materialize(nodeOf(v as object, node, key))
    }
    switch (node.kind) {
      case Kind.Array: {
        const src = this.wholes.get(node) as unknown[] | undefined
        const arr = src ?? (raw as unknown[])
        return arr.map((v, i) =>
          // Index writes held per key are primitives (ArrayView.set).
          w?.has(String(i))
            ? bufferedValue(w.get(String(i)))
            : child(
                String(i),
                v,
                src !== undefined && typeof v === 'object' && v !== null && !existingNode(v),
              ),
        )
      }
      case Kind.Set: {
        const src = (this.wholes.get(node) as Set<unknown> | undefined) ?? raw
        return new Set([...src].map((v) => deepCopy(v)))
      }
      case Kind.Map: {
        const m = raw as Map<unknown, unknown>
        const out = new Map()
        for (const k of mergedKeys(m.keys(), (x) => m.has(x), w)) {
          const inBuf = w?.has(k) === true
          out.set(k, child(k, inBuf ? bufferedValue(w!.get(k)) : m.get(k), inBuf))
        }
        return out
      }
      default: {
        const out: Record<string, unknown> = {}
        for (const k of mergedKeys(Object.keys(raw), (x) => Object.hasOwn(raw, x as string), w)) {
          const inBuf = w?.has(k) === true
          out[k as string] = child(k, inBuf ? bufferedValue(w!.get(k)) : raw[k as string], inBuf)
        }
        return out
      }
    }
  }
}
