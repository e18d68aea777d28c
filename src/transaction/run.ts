/**
 * One run of a process: its write buffer and the guarded views its body sees.
 *
 * A view is a Proxy over a container. It checks the contract with the permission trie, reads
 * the run's own writes first (read-your-writes) and records what it reads (for the conflict
 * check of async runs). Writes land in the buffer and nowhere else, so a rollback is dropping
 * the Run, and other readers never see uncommitted values.
 *
 * - Objects and Maps are buffered per key: changing one entry of a 100 000-entry record costs
 *   the same as of a 10-entry one.
 * - Arrays and Sets are copied on their first write in a run (O(length)); the copy is the
 *   buffer. Keyed collections that grow large belong in records or Maps.
 * - Containers assigned by the body are copied on assignment (state is a tree, never a graph);
 *   the copy is owned by the run until the commit adopts it.
 * - Heavy values (`heavy_` keys) are handed out and assigned by reference, never buffered.
 * - Views expose own data only (an inherited member reads as an absent key), refuse
 *   `__proto__` as a key and, in strict mode, values that are not plain data outside `heavy_`,
 *   and die when the body ends: each carries its run's generation (SPEC §10.1).
 *
 * Why one file over 400 lines: this is the hot path of every read and write a body makes, a
 * Run and the views over it, and the views read the Run's fields (buffer, read set, generation)
 * on every trap. The split that would still read well is the view classes (object, array, Map,
 * Set, Date) into a module of their own, with the Run, its buffer and its bookkeeping here.
 */

import { warnForeign } from '../context/plainData.js'
import { zoneOfSegment } from '../context/zones.js'
import type { PermNode } from '../contract/permissions.js'
import type { TheusError } from '../errors.js'
import { errors, suggest } from '../errors.js'
import {
  classOf,
  DELETED,
  deepCopy,
  existingNode,
  isHeavyKey,
  Kind,
  kindOf,
  type Node,
  nodeOf,
} from './tree.js'

/** Recorded as the key of a read when a body enumerated a container's keys. */
export const SHAPE: unique symbol = Symbol('theus.shape')

// Keys that language and tooling protocols probe on any object (await, JSON, React, test
// matchers, Vue). Reading them on a traversal view is not reading data, so it is not a
// violation; it returns what the object has.
const PROTOCOL_KEYS = new Set([
  'then',
  'toJSON',
  '$$typeof',
  'asymmetricMatch',
  'nodeType',
  '@@__IMMUTABLE_ITERABLE__@@',
  '@@__IMMUTABLE_RECORD__@@',
  '__v_isRef',
  '__v_skip',
  '__v_raw',
  '__v_isReactive',
  '__v_isReadonly',
  '_isMockFunction',
])
const isProtocolKey = (key: string) => PROTOCOL_KEYS.has(key)

/**
 * What a view of one container under one contract knows, the same in every run: cached on
 * its parent's shape (per Run object, so per process), so that a run does not redo the node
 * lookup, the permission flags, the zone and the path string of every container it reaches.
 * A cached shape is used only for the same container at the same place (its node's parent and
 * key unchanged); a container owned by the run gets a shape of its own, never cached.
 */
export class ViewShape {
  /** Shapes of child containers by key (bounded: a body walking a large record keeps few). */
  kids: Map<unknown, ViewShape> | undefined
  private pathCache: string | undefined
  constructor(
    /** The Run whose views use this shape (shapes are cached per Run object). */
    readonly run: Run,
    /** The container the view shows: committed raw, or a run-owned fresh copy. */
    readonly target: any,
    /** The committed node, or undefined for a container owned by this run. */
    readonly node: Node | undefined,
    readonly kind: Kind,
    readonly parent: ViewShape | undefined,
    readonly key: unknown,
    readonly perm: PermNode | undefined,
    readonly readAll: boolean,
    readonly writeAll: boolean,
    /** Inside a prefixed zone already: `heavy_` keys below no longer change the zone. */
    readonly zoned: boolean,
  ) {}

  /** The dotted path, for messages and copies; built on first use. */
  get path(): string {
    if (this.pathCache === undefined) {
      const up = this.parent === undefined ? '' : this.parent.path
      this.pathCache =
        this.parent === undefined ? '' : up === '' ? String(this.key) : `${up}.${String(this.key)}`
    }
    return this.pathCache
  }
}

/** How many child shapes one shape caches. */
const KIDS = 64

/**
 * One view per container per run: its cached shape and its run's generation, nothing more (a
 * body's run makes a few per run, so every field is bytes per run). The View is also the
 * Proxy's handler: its subclasses implement the traps, so a trap finds its state in `this`.
 */
export abstract class View {
  constructor(
    readonly shape: ViewShape,
    /** The run generation this view belongs to: a view never outlives its run (SPEC §10.1). */
    readonly gen: number,
  ) {}

  get run(): Run {
    return this.shape.run
  }
  /** The proxy over this view (the run's views hold the proxies, by container). */
  get proxy(): any {
    return this.shape.run.views.get(this.shape.target)
  }
  get target(): any {
    return this.shape.target
  }
  get node(): Node | undefined {
    return this.shape.node
  }
  get kind(): Kind {
    return this.shape.kind
  }
  get path(): string {
    return this.shape.path
  }
  get perm(): PermNode | undefined {
    return this.shape.perm
  }
  get readAll(): boolean {
    return this.shape.readAll
  }
  get writeAll(): boolean {
    return this.shape.writeAll
  }
  get zoned(): boolean {
    return this.shape.zoned
  }

  /**
   * The run, when this view may still be used: an aborted run answers with its AbortError,
   * an ended one (or a later run reusing the Run object) with INVALID_CONTRACT.
   */
  live(): Run {
    const run = this.shape.run
    if (run.aborted) throw run.aborted
    if (run.closed || this.gen !== run.gen) throw errors.deadView(run.name, this.path)
    return run
  }

  childPath(key: unknown): string {
    return childPathOf(this.shape, key)
  }

  /** Throws unless the key may be read. Returns the child's permission cursor. */
  checkRead(key: string): PermNode | undefined {
    return checkReadIn(this.shape, key)
  }

  /**
   * Throws unless the key may be written. `__proto__` is never a data key (SPEC §10.1).
   * Every caller has checked `live()` first.
   */
  checkWrite(key: string): PermNode | undefined {
    if (key === '__proto__')
      throw this.run.violate(errors.protoKey(this.run.name, this.childPath(key)))
    const shape = this.shape
    const p = shape.perm?.children?.get(key)
    if (!shape.writeAll && !p?.output) {
      const path = this.childPath(key)
      throw this.run.violate(
        shape.readAll
          ? errors.immutableInput(this.run.name, path)
          : errors.illegalWrite(this.run.name, path),
      )
    }
    return p
  }

  /** Reading the container as a whole (iteration of a Map or Set) needs read access to it. */
  checkReadAll(): void {
    if (!this.readAll && !this.writeAll)
      throw this.run.violate(errors.illegalRead(this.run.name, this.path))
  }

  /**
   * Whole-container mutation (clear, sort through a Map/Set method...): needs the view itself
   * writable. Every caller has checked `live()` first.
   */
  checkWriteSelf(): void {
    if (!this.writeAll) {
      const path = this.path
      throw this.run.violate(
        this.readAll
          ? errors.immutableInput(this.run.name, path)
          : errors.illegalWrite(this.run.name, path),
      )
    }
  }

  isHeavy(key: unknown): boolean {
    return !this.shape.zoned && isHeavyKey(key)
  }

  abstract set(target: any, key: string | symbol, value: unknown): boolean

  // Shared traps: a defined value is a write; prototypes and extensibility never change.
  defineProperty(target: any, key: string | symbol, desc: PropertyDescriptor): boolean {
    this.live()
    if (typeof key === 'symbol' || !('value' in desc))
      throw this.run.violate(errors.illegalWrite(this.run.name, this.childPath(String(key))))
    return this.set(target, key, desc.value)
  }

  setPrototypeOf(): boolean {
    this.live()
    this.checkWriteSelf()
    throw this.run.violate(errors.protoKey(this.run.name, this.childPath('__proto__')))
  }

  preventExtensions(): boolean {
    this.live()
    this.checkWriteSelf()
    return false
  }

  /** Wraps a child value for the body: primitives as they are, containers as child views. */
  wrap(key: unknown, value: unknown, p: PermNode | undefined, fresh: boolean): unknown {
    return wrapIn(this.shape, key, value, p, fresh)
  }
}

function childPathOf(shape: ViewShape, key: unknown): string {
  const path = shape.path
  return path === '' ? String(key) : `${path}.${String(key)}`
}

/** Throws unless `key` may be read through a view of `shape`. Returns the child's permission cursor. */
function checkReadIn(shape: ViewShape, key: string): PermNode | undefined {
  const perm = shape.perm
  const p = perm?.children?.get(key)
  if (!shape.readAll && !shape.writeAll && p === undefined) {
    const run = shape.run
    // A likely typo of a declared child gets its correction.
    const close = perm?.children ? suggest(key, perm.children.keys()) : undefined
    throw run.violate(
      errors.illegalRead(
        run.name,
        childPathOf(shape, key),
        close === undefined ? undefined : childPathOf(shape, close),
      ),
    )
  }
  return p
}

/** Wraps a child value read through a view of `shape`: primitives as they are, containers as child views. */
function wrapIn(
  shape: ViewShape,
  key: unknown,
  value: unknown,
  p: PermNode | undefined,
  fresh: boolean,
): unknown {
  if (typeof value !== 'object' || value === null) return value
  const run = shape.run
  // A container seen before in this run: its view (the common case, checked first).
  const cached = run.views.get(value)
  if (cached !== undefined) return cached
  const parentNode = shape.node
  if (!fresh && parentNode !== undefined) {
    // The same committed container at the same place as in an earlier run of this process.
    const kid = shape.kids?.get(key)
    if (
      kid !== undefined &&
      kid.target === value &&
      kid.perm === p &&
      kid.node!.parent === parentNode &&
      kid.node!.key === key
    )
      return run.makeView(kid)
  }
  if (value instanceof Date) return new Date(value.getTime())
  if (!shape.zoned && isHeavyKey(key)) return value
  const k = kindOf(value)
  if (k === -1) return value
  const w = shape.writeAll || p?.output === true
  const r = w || shape.readAll || p?.input === true
  const node = fresh || parentNode === undefined ? undefined : nodeOf(value, parentNode, key)
  const zoned = shape.zoned || (typeof key === 'string' && zoneOfSegment(key) !== undefined)
  // The trie stays even below a readable path: an output may be declared deeper down.
  const kid = new ViewShape(run, value, node, k, shape, key, p, r, w, zoned)
  if (node !== undefined) {
    const kids = (shape.kids ??= new Map())
    if (kids.size < KIDS || kids.has(key)) kids.set(key, kid)
  }
  return run.makeView(kid)
}

/**
 * A string key read through an object view of `shape` (its run live): the run's own write
 * first, then the committed value; recorded as a read, checked and wrapped. The get trap of
 * object views, and the layers of `ctx` read without a view of the root.
 */
function objectGet(shape: ViewShape, target: any, key: string): unknown {
  const run = shape.run
  const node = shape.node
  let value: unknown
  let fresh = node === undefined
  const w = node === undefined || run.writes.n === 0 ? undefined : run.writes.get(node)
  const i = w === undefined ? -1 : w.indexOf(key)
  if (i >= 0) {
    value = bufferedValue(w!.valueList[i])
    if (value === DELETED) value = undefined
    fresh = true
  } else {
    value = target[key]
    // Own data only (SPEC §10.1): an inherited member (a function, or the `__proto__`
    // accessor) reads as an absent key. State holds no functions, so data reads skip the
    // own-key check.
    if (
      (value === undefined || typeof value === 'function' || key === '__proto__') &&
      !Object.hasOwn(target, key)
    ) {
      if (isProtocolKey(key)) return undefined
      value = undefined
    }
  }
  const p = checkReadIn(shape, key)
  if (node !== undefined) run.read(node, key)
  return wrapIn(shape, key, value, p, fresh)
}

/** Probed through the get trap: a view answers with itself, any other object with nothing. */
const VIEW: unique symbol = Symbol('theus.view')

/** The View behind a proxy handed to a body, if it is one. */
export function viewBehind(value: unknown): View | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = (value as { [VIEW]?: unknown })[VIEW]
  return v instanceof View ? v : undefined
}

/** Turns a view into the plain value it shows (for copies of what a body handed over). */
export function unwrapView(v: object): unknown {
  const inner = viewBehind(v)
  if (inner === undefined) return v
  inner.live()
  return inner.run.contentOf(inner)
}

/**
 * Reading a view as a whole (to copy what it shows) is a read: a dead view refuses it, so a
 * view kept from another run cannot carry that run's writes (rolled back, perhaps) anywhere.
 * A run may still copy its own views once its body is over (its return value).
 */
function readWhole(view: View, by: Run): void {
  if (view.run === by && view.gen === by.gen && by.aborted === undefined) return
  view.live()
}

//#region the write buffer

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
function* mergedKeys(
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

//#endregion

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

  /** The root view over `root` under `perm` (a run's first view); its shape is kept for the next run. */
  rootView(root: any, node: Node, perm: PermNode | undefined, all: boolean): any {
    const cached = this.views.get(root)
    if (cached !== undefined) return cached
    return this.makeView(this.rootShapeOf(root, node, perm, all))
  }

  private rootShapeOf(root: any, node: Node, perm: PermNode | undefined, all: boolean): ViewShape {
    const shape = this.rootShape
    if (
      shape !== undefined &&
      shape.target === root &&
      shape.perm === perm &&
      shape.readAll === all
    )
      return shape
    return (this.rootShape = new ViewShape(
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
    ))
  }

  /**
   * `rootView(...)[key]` (a layer of `ctx`: `domain`, `global`), without making the root view
   * while the body has not needed it: the same read, check and view as through the root.
   */
  layerView(root: any, node: Node, perm: PermNode | undefined, all: boolean, key: string): any {
    const rootProxy = this.views.get(root)
    if (rootProxy !== undefined) return rootProxy[key]
    // The root view's `live()`, for a ctx kept beyond its run.
    if (this.aborted) throw this.aborted
    if (this.closed) throw errors.deadView(this.name, '')
    return objectGet(this.rootShapeOf(root, node, perm, all), root, key)
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
          if (mk === '__proto__')
            throw this.violate(errors.protoKey(this.name, `${path}.__proto__`))
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
          child(
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

//#region views: the proxy traps

/** A Map or Set method (or accessor) for a collection view; never `constructor` or Object's. */
function inherited(proto: object, key: string | symbol, receiver: unknown): unknown {
  if (typeof key === 'string' && (key === 'constructor' || !Object.hasOwn(proto, key)))
    return undefined
  return Reflect.get(proto, key, receiver)
}

/** Object views: per-key buffer over the committed object, or direct on a fresh one. */
class ObjectView extends View {
  get(target: any, key: string | symbol, receiver: unknown): unknown {
    if (typeof key === 'symbol') {
      if (key === VIEW) return this
      this.live()
      return Reflect.get(target, key, receiver)
    }
    this.live()
    return objectGet(this.shape, target, key)
  }

  set(target: any, key: string | symbol, value: unknown): boolean {
    const run = this.live()
    if (typeof key === 'symbol')
      throw run.violate(errors.illegalWrite(run.name, this.childPath(String(key))))
    this.checkWrite(key)
    const node = this.shape.node
    if (this.isHeavy(key)) {
      target[key] = value
      if (node) (run.heavyWrites ??= []).push({ node, key })
      return true
    }
    // Primitives are stored as they are: only a container or a function needs the path (the
    // copy checks it; a message names it), so the string is not built for every write.
    const v =
      (typeof value === 'object' && value !== null) || typeof value === 'function'
        ? run.adopt(value, this.childPath(key))
        : value
    if (node === undefined) target[key] = v
    else bufferSet(run.writes.of(node), key, v, target, false)
    return true
  }

  deleteProperty(target: any, key: string | symbol): boolean {
    this.live()
    if (typeof key === 'symbol') return false
    this.checkWrite(key)
    if (this.node === undefined) return delete target[key]
    const w = this.run.writes.get(this.node)
    const present = w?.has(key) ? w.get(key) !== DELETED : Object.hasOwn(target, key)
    // Deleting what is not there writes nothing.
    if (present) bufferDelete(this.run.writeBuf(this.node), key, Object.hasOwn(target, key))
    return true
  }

  has(target: any, key: string | symbol): boolean {
    this.live()
    if (typeof key === 'symbol') return key in target
    const node = this.node
    const w = node === undefined ? undefined : this.run.writes.get(node)
    let present: boolean
    if (w?.has(key)) present = w.get(key) !== DELETED
    else present = Object.hasOwn(target, key)
    if (!this.readAll && !this.writeAll && this.perm?.children?.get(key) === undefined) return false
    // Absent keys count as reads too: a run that saw "no Carol" conflicts when Carol is added.
    if (node !== undefined) this.run.read(node, key)
    return present
  }

  ownKeys(target: any): string[] {
    this.live()
    const node = this.node
    const w = node === undefined ? undefined : this.run.writes.get(node)
    let keys =
      w === undefined
        ? Object.keys(target)
        : ([
            ...mergedKeys(Object.keys(target), (k) => Object.hasOwn(target, k as string), w),
          ] as string[])
    if (!this.readAll && !this.writeAll)
      keys = keys.filter((k) => this.perm?.children?.get(k) !== undefined)
    if (node !== undefined) this.run.read(node, SHAPE)
    return keys
  }

  getOwnPropertyDescriptor(target: any, key: string | symbol): PropertyDescriptor | undefined {
    this.live()
    if (typeof key === 'symbol') return Reflect.getOwnPropertyDescriptor(target, key)
    const w = this.node === undefined ? undefined : this.run.writes.get(this.node)
    const buffered = w?.has(key) === true
    if (!this.readAll && !this.writeAll && this.perm?.children?.get(key) === undefined)
      return undefined
    if (this.node !== undefined) this.run.read(this.node, key)
    if (buffered ? w!.get(key) === DELETED : !Object.hasOwn(target, key)) return undefined
    return { value: this.proxy[key], writable: true, enumerable: true, configurable: true }
  }
}

/** Array views: reads from the run's copy once written; every write goes to the copy. */
class ArrayView extends View {
  /** In a traversal view (only some indices declared), undeclared indices are hidden. */
  private hidden(key: string): boolean {
    return (
      !this.readAll &&
      !this.writeAll &&
      key !== 'length' &&
      this.perm?.children?.get(key) === undefined
    )
  }

  get(target: any, key: string | symbol, receiver: unknown): unknown {
    if (key === VIEW) return this
    const run = this.live()
    const src = run.current(this)
    // Array methods stay available; nothing else is inherited (not `constructor`, whose
    // prototype is Array.prototype, nor Object.prototype's members).
    if (typeof key === 'symbol') return Reflect.get(src, key, receiver)
    if (!Object.hasOwn(src, key)) {
      if (key !== 'constructor' && Object.hasOwn(Array.prototype, key))
        return Reflect.get(src, key, receiver)
      if (isProtocolKey(key)) return undefined
      if (!/^\d+$/.test(key)) return undefined
    }
    const value = src[key]
    if (key === 'length') {
      if (this.node) run.read(this.node, SHAPE)
      return value
    }
    const p = this.checkRead(key)
    if (this.node !== undefined) run.read(this.node, key)
    // In the run's copy, elements with a node are committed ones; the others are fresh.
    const fresh =
      this.node === undefined ||
      (src !== target && !(typeof value === 'object' && value !== null && existingNode(value)))
    return this.wrap(key, value, p, fresh)
  }

  set(_target: any, key: string | symbol, value: unknown): boolean {
    const run = this.live()
    if (typeof key === 'symbol')
      throw run.violate(errors.illegalWrite(run.name, this.childPath(String(key))))
    if (key === 'length') this.checkWriteSelf()
    else this.checkWrite(key)
    const copy = run.whole(this)
    copy[key] = key === 'length' ? value : run.adopt(value, this.childPath(key), this)
    return true
  }

  deleteProperty(_target: any, key: string | symbol): boolean {
    this.live()
    if (typeof key === 'symbol') return false
    this.checkWrite(key)
    delete this.run.whole(this)[key]
    return true
  }

  has(_target: any, key: string | symbol): boolean {
    this.live()
    const src = this.run.current(this)
    if (typeof key === 'string' && this.hidden(key) && Object.hasOwn(src, key)) return false
    if (typeof key === 'symbol' || Object.hasOwn(src, key)) return key in src
    return key !== 'constructor' && Object.hasOwn(Array.prototype, key)
  }

  ownKeys(): (string | symbol)[] {
    this.live()
    if (this.node) this.run.read(this.node, SHAPE)
    const keys = Reflect.ownKeys(this.run.current(this))
    if (this.readAll || this.writeAll) return keys
    return keys.filter((k) => typeof k !== 'string' || !this.hidden(k))
  }

  getOwnPropertyDescriptor(_target: any, key: string | symbol): PropertyDescriptor | undefined {
    this.live()
    const src = this.run.current(this)
    const d = Reflect.getOwnPropertyDescriptor(src, key)
    if (d === undefined || typeof key === 'symbol') return d
    // `length` is non-configurable on the target: report it as such, with the run's value.
    if (key === 'length') return { ...d, value: src.length }
    if (this.hidden(key)) return undefined
    return {
      value: this.proxy[key],
      writable: true,
      enumerable: d.enumerable ?? true,
      configurable: true,
    }
  }
}

/** Map views: per-key buffer; the methods are replaced by guarded versions. */
class MapView extends View {
  private lookup(k: unknown): [present: boolean, value: unknown, fresh: boolean] {
    const node = this.node
    const w = node === undefined ? undefined : this.run.writes.get(node)
    if (w?.has(k)) {
      const b = w.get(k)
      return b === DELETED ? [false, undefined, true] : [true, bufferedValue(b), true]
    }
    const raw = this.target as Map<unknown, unknown>
    return [raw.has(k), raw.get(k), node === undefined]
  }

  *entriesOf(): Generator<[unknown, unknown]> {
    this.live()
    const node = this.node
    const run = this.run
    const raw = this.target as Map<unknown, unknown>
    const w = node === undefined ? undefined : run.writes.get(node)
    this.checkReadAll()
    if (node) run.read(node, SHAPE)
    for (const k of [...mergedKeys(raw.keys(), (x) => raw.has(x), w)]) {
      const [, v, fresh] = this.lookup(k)
      yield [k, this.wrap(k, v, undefined, fresh)]
    }
  }

  get(target: any, key: string | symbol): unknown {
    if (key === VIEW) return this
    const run = this.live()
    const node = this.node
    const raw = target as Map<unknown, unknown>
    switch (key) {
      case 'get':
        return (k: unknown) => {
          this.live()
          const p = this.checkRead(String(k))
          if (node) run.read(node, k)
          const [, v, fresh] = this.lookup(k)
          return this.wrap(k, v, p, fresh)
        }
      case 'has':
        return (k: unknown) => {
          this.live()
          this.checkRead(String(k))
          if (node) run.read(node, k)
          return this.lookup(k)[0]
        }
      case 'size': {
        if (node) run.read(node, SHAPE)
        const w = node === undefined ? undefined : run.writes.get(node)
        if (!w) return raw.size
        let n = raw.size
        for (let i = 0; i < w.n; i++) {
          const k = w.keyList[i]
          if (w.valueList[i] === DELETED) {
            if (raw.has(k)) n--
          } else if (!raw.has(k)) n++
        }
        return n
      }
      case 'set':
        return (k: unknown, v: unknown) => {
          this.live()
          this.checkWrite(String(k))
          const adopted = this.isHeavy(k) ? v : run.adopt(v, this.childPath(k))
          if (node === undefined) raw.set(k, adopted)
          else bufferSet(run.writeBuf(node), k, adopted, raw, true)
          return this.proxy
        }
      case 'delete':
        return (k: unknown) => {
          this.live()
          this.checkWrite(String(k))
          const had = this.lookup(k)[0]
          if (node === undefined) raw.delete(k)
          else if (had) bufferDelete(run.writeBuf(node), k, raw.has(k))
          return had
        }
      case 'clear':
        return () => {
          this.live()
          this.checkWriteSelf()
          if (node === undefined) return raw.clear()
          const keys = [...this.entriesOf()].map(([k]) => k)
          const buf = run.writeBuf(node)
          for (const k of keys) bufferDelete(buf, k, raw.has(k))
        }
      case 'entries':
      case Symbol.iterator:
        return () => this.entriesOf()
      case 'keys':
        return function* (this: void, view: MapView) {
          for (const [k] of view.entriesOf()) yield k
        }.bind(undefined, this)
      case 'values':
        return function* (this: void, view: MapView) {
          for (const [, v] of view.entriesOf()) yield v
        }.bind(undefined, this)
      case 'forEach':
        return (fn: (v: unknown, k: unknown, m: unknown) => void, thisArg?: unknown) => {
          for (const [k, v] of this.entriesOf()) fn.call(thisArg, v, k, this.proxy)
        }
      default:
        return inherited(Map.prototype, key, raw)
    }
  }

  set(): boolean {
    throw this.run.violate(errors.illegalWrite(this.run.name, this.path))
  }
}

/** Set views: copy-on-write; object elements come out as copies. */
class SetView extends View {
  *valuesOf(): Generator<unknown> {
    this.live()
    this.checkReadAll()
    if (this.node) this.run.read(this.node, SHAPE)
    for (const v of this.run.current(this) as Set<unknown>)
      yield typeof v === 'object' && v !== null ? deepCopy(v) : v
  }

  get(_target: any, key: string | symbol): unknown {
    if (key === VIEW) return this
    const run = this.live()
    const cur = (): Set<unknown> => run.current(this)
    switch (key) {
      case 'has':
        return (v: unknown) => {
          this.live()
          this.checkReadAll()
          if (this.node) run.read(this.node, SHAPE)
          return cur().has(v)
        }
      case 'size':
        if (this.node) run.read(this.node, SHAPE)
        return cur().size
      case 'add':
        return (v: unknown) => {
          this.live()
          this.checkWriteSelf()
          run.whole(this).add(run.adopt(v, this.path))
          return this.proxy
        }
      case 'delete':
        return (v: unknown) => {
          this.live()
          this.checkWriteSelf()
          return run.whole(this).delete(v)
        }
      case 'clear':
        return () => {
          this.live()
          this.checkWriteSelf()
          run.whole(this).clear()
        }
      case 'values':
      case 'keys':
      case Symbol.iterator:
        return () => this.valuesOf()
      case 'entries':
        return function* (this: void, view: SetView) {
          for (const v of view.valuesOf()) yield [v, v]
        }.bind(undefined, this)
      case 'forEach':
        return (fn: (v: unknown, k: unknown, s: unknown) => void, thisArg?: unknown) => {
          for (const v of this.valuesOf()) fn.call(thisArg, v, v, this.proxy)
        }
      default:
        return inherited(Set.prototype, key, cur())
    }
  }

  set(): boolean {
    throw this.run.violate(errors.illegalWrite(this.run.name, this.path))
  }
}

//#endregion
