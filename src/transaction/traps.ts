/**
 * The proxy traps of each kind of view: objects (per-key buffer), arrays (primitives at an
 * index per key, else a copy), Maps (per-key buffer, guarded methods) and Sets (a copy on
 * first write).
 */

import { protoKeyIn, rootKeyError } from '../context/plainData.js'
import { errors } from '../errors.js'
import { bufferDelete, bufferedValue, bufferSet, mergedKeys } from './buffer.js'
import { DELETED, deepCopy, existingNode, frozenKey } from './tree.js'
import { checkReadIn, isProtocolKey, objectGet, SHAPE, VIEW, View, wrapIn } from './views.js'

/** A Map or Set method (or accessor) for a collection view; never `constructor` or Object's. */
function inherited(proto: object, key: string | symbol, receiver: unknown): unknown {
  if (typeof key === 'string' && (key === 'constructor' || !Object.hasOwn(proto, key)))
    return undefined
  return Reflect.get(proto, key, receiver)
}

/**
 * `String(view)` and `${view}` of an object, Map or Set view: `[object Object]`, `[object Map]`,
 * `[object Set]`, as of the plain value. A view exposes no inherited `toString` (SPEC §10.1),
 * which left these conversions a TypeError.
 */
function toPrimitive(this: object): string {
  return Object.prototype.toString.call(this)
}

/** Object views: per-key buffer over the committed object, or direct on a fresh one. */
export class ObjectView extends View {
  get(target: any, key: string | symbol, receiver: unknown): unknown {
    if (typeof key === 'symbol') {
      if (key === VIEW) return this
      this.live()
      if (key === Symbol.toPrimitive) return toPrimitive
      return Reflect.get(target, key, receiver)
    }
    this.live()
    return objectGet(this.shape, target, key)
  }

  set(target: any, key: string | symbol, value: unknown): boolean {
    const run = this.live()
    // The root (edit()'s argument; `ctx.domain = v` writes through it) keeps its shape.
    if (!this.shape.parent) {
      const e = rootKeyError(String(key), value)
      if (e) throw run.violate(e)
    }
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
    // A layer is never deleted (the root check of `set` refuses undefined).
    if (!this.shape.parent) return this.set(target, key, undefined)
    this.live()
    if (typeof key === 'symbol') return false
    this.checkWrite(key)
    if (this.node === undefined) return delete target[key]
    const w = this.run.writes.get(this.node)
    const present = w?.has(key) ? w.get(key) !== DELETED : Object.hasOwn(target, key)
    // Deleting what is not there writes nothing, but it saw the key absent: a read, so that
    // the run conflicts when another commit adds the key meanwhile (replay would delete it).
    if (present) bufferDelete(this.run.writeBuf(this.node), key, Object.hasOwn(target, key))
    else this.run.read(this.node, key)
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
export class ArrayView extends View {
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
    const p = checkReadIn(this.shape, key)
    const node = this.node
    if (node !== undefined) {
      run.read(node, key)
      // A primitive the run wrote at this index, held per key while it has no copy (see set).
      if (src === target && run.writes.n > 0) {
        const w = run.writes.get(node)
        const at = w === undefined ? -1 : w.indexOf(key)
        if (at >= 0) return bufferedValue(w!.valueList[at])
      }
    }
    // In the run's copy, elements with a node are committed ones; the others are fresh.
    const fresh =
      node === undefined ||
      (src !== target && !(typeof value === 'object' && value !== null && existingNode(value)))
    return wrapIn(this.shape, key, value, p, fresh)
  }

  set(target: any, key: string | symbol, value: unknown): boolean {
    const run = this.live()
    if (typeof key === 'symbol')
      throw run.violate(errors.illegalWrite(run.name, this.childPath(String(key))))
    if (key === 'length') this.checkWriteSelf()
    else this.checkWrite(key)
    const node = this.node
    // A primitive at an index the committed array has, while the run holds no copy of it: one
    // key in the buffer, as for an object (O(1); SPEC §3.2 copies arrays a run reorders or
    // resizes). The copy, once made, takes these writes in (Run.whole).
    if (
      node !== undefined &&
      (typeof value !== 'object' || value === null) &&
      typeof value !== 'function' &&
      run.current(this) === target &&
      /^(0|[1-9]\d*)$/.test(key) &&
      +key < target.length
    ) {
      bufferSet(run.writeBuf(node), key, value, target, false)
      return true
    }
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
export class MapView extends View {
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
      // Each value iterated is read, as `get` reads it: a run that summed a Map conflicts when
      // one of its values changes (the shape stamp only sees keys added or deleted).
      if (node) run.read(node, k)
      const [, v, fresh] = this.lookup(k)
      yield [k, wrapIn(this.shape, k, v, undefined, fresh)]
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
          const p = checkReadIn(this.shape, String(k))
          if (node) run.read(node, k)
          const [, v, fresh] = this.lookup(k)
          return wrapIn(this.shape, k, v, p, fresh)
        }
      case 'has':
        return (k: unknown) => {
          this.live()
          checkReadIn(this.shape, String(k))
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
          // An object key holding `__proto__` is refused as such a key is (SPEC §10.1). Its path
          // is built only for an object key: a string key would pay for a string per set.
          const proto = typeof k === 'object' && k !== null && protoKeyIn(k, this.childPath(k))
          if (proto) throw run.violate(errors.protoKey(run.name, proto))
          const adopted = this.isHeavy(k) ? v : run.adopt(v, this.childPath(k))
          k = frozenKey(k)
          if (node === undefined) raw.set(k, adopted)
          else bufferSet(run.writeBuf(node), k, adopted, raw, true)
          return this.proxy
        }
      case 'delete':
        return (k: unknown) => {
          this.live()
          this.checkWrite(String(k))
          const had = this.lookup(k)[0]
          // It returns whether the key was there: a read, as `has` is.
          if (node) run.read(node, k)
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
      case Symbol.toPrimitive:
        return toPrimitive
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
export class SetView extends View {
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
          // A read of that member only: a commit that adds another one is no conflict.
          if (this.node) run.read(this.node, v)
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
      case Symbol.toPrimitive:
        return toPrimitive
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
