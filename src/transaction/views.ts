/**
 * The guarded views a body sees: what a view of one container knows (its ViewShape, cached
 * per process), the View base that every kind of view extends (its checks and the traps they
 * share), and the object read that both the object views and the layers of `ctx` use. The
 * traps of each kind are in `traps.ts`; the Run and its buffer in `run.ts` and `buffer.ts`.
 *
 * A view is a Proxy over a container. It checks the contract with the permission trie, reads
 * the run's own writes first (read-your-writes) and records what it reads (for the conflict
 * check of async runs). A view holds its shape and its run's generation only: it dies when
 * its run ends, or when the Run object starts another run (SPEC §10.1).
 */

import { zoneOfSegment } from '../context/zones.js'
import type { PermNode } from '../contract/permissions.js'
import { errors, suggest } from '../errors.js'
import { bufferedValue } from './buffer.js'
import type { Run } from './run.js'
import { DELETED, isHeavyKey, type Kind, kindOf, type Node, nodeOf } from './tree.js'

/** Recorded as the key of a read when a body enumerated a container's keys. */
export const SHAPE: unique symbol = Symbol('theus.shape')
/** The read key of a container a run copied whole: a commit anywhere inside it conflicts. */
export const DEEP: unique symbol = Symbol('theus.deep')

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
export const isProtocolKey = (key: string) => PROTOCOL_KEYS.has(key)

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
}

function childPathOf(shape: ViewShape, key: unknown): string {
  const path = shape.path
  return path === '' ? String(key) : `${path}.${String(key)}`
}

/** Throws unless `key` may be read through a view of `shape`. Returns the child's permission cursor. */
export function checkReadIn(shape: ViewShape, key: string): PermNode | undefined {
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
export function wrapIn(
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
export function objectGet(shape: ViewShape, target: any, key: string): unknown {
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
export const VIEW: unique symbol = Symbol('theus.view')

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
export function readWhole(view: View, by: Run): void {
  if (view.run === by && view.gen === by.gen && by.aborted === undefined) {
    // A copy reads everything below the view (SPEC §9: what the run actually read).
    if (view.node !== undefined) by.read(view.node, DEEP)
    return
  }
  view.live()
}
