/**
 * What plain data is (SPEC §10.1: primitives, plain objects, arrays, Map, Set, Date; `heavy_`
 * keys held by reference) and how a value is frozen for readers. A leaf module: no signals, so
 * the parsers (`theus/yaml`, `theus/vite`) can freeze what they validated without the engine.
 */

export enum Kind {
  Object = 0,
  Array = 1,
  Map = 2,
  Set = 3,
}

export function kindOf(v: unknown): Kind | -1 {
  if (typeof v !== 'object' || v === null) return -1
  if (Array.isArray(v)) return Kind.Array
  if (v instanceof Map) return Kind.Map
  if (v instanceof Set) return Kind.Set
  const proto = Object.getPrototypeOf(v)
  if (proto === Object.prototype || proto === null) return Kind.Object
  return -1
}

/**
 * The class name of a value that is not plain data, for messages: `Float64Array`, `Account`,
 * `Function`. Looks at prototypes only, never runs a getter of the value itself.
 */
export function classOf(v: unknown): string {
  if (typeof v === 'function') return 'Function'
  if (typeof v !== 'object' || v === null) return typeof v
  try {
    for (let p = Object.getPrototypeOf(v); p !== null; p = Object.getPrototypeOf(p)) {
      const d = Object.getOwnPropertyDescriptor(p, 'constructor')
      const name = d && 'value' in d ? (d.value as { name?: unknown } | undefined)?.name : undefined
      if (typeof name === 'string' && name !== '') return name
    }
  } catch {
    // A hostile proxy: say what can be said.
  }
  return Object.prototype.toString.call(v).slice(8, -1)
}

/** True for a value held by reference: the heavy zone, and objects of other classes. */
export function isHeavyKey(key: unknown): boolean {
  return typeof key === 'string' && key.startsWith('heavy_')
}

function refuse(): never {
  throw new TypeError('Cannot modify a frozen Theus snapshot.')
}
const LOCKED = { value: refuse, enumerable: false, writable: false, configurable: false }

/**
 * Locks a Map or Set in place: its mutators throw and the object is frozen. It stays of class
 * Map or Set, so `toEqual(new Map(...))` and `instanceof Map` hold for snapshot values.
 */
export function lockCollection<T extends Map<unknown, unknown> | Set<unknown>>(c: T): T {
  if (c instanceof Map) Object.defineProperties(c, { set: LOCKED, delete: LOCKED, clear: LOCKED })
  else Object.defineProperties(c, { add: LOCKED, delete: LOCKED, clear: LOCKED })
  return Object.freeze(c)
}

const DATE_SETTERS = Object.getOwnPropertyNames(Date.prototype).filter((k) => k.startsWith('set'))

/** Locks a Date in place: its setters throw (freezing alone does not stop `setTime`). */
export function lockDate(d: Date): Date {
  for (const k of DATE_SETTERS) Object.defineProperty(d, k, LOCKED)
  return Object.freeze(d)
}

/**
 * Freezes a run-owned copy or a record in place, deeply; Maps and Sets are locked (their
 * mutators throw), Dates too. Heavy values are held by reference and never frozen; an already
 * frozen object is taken as frozen all the way down (snapshots are).
 */
export function deepFreeze<T>(v: T): T {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v
  if (v instanceof Date) return lockDate(v) as T
  const k = kindOf(v)
  if (k === Kind.Object || k === Kind.Array) {
    // Heavy values are held by reference and never frozen.
    for (const key of Object.keys(v))
      if (!isHeavyKey(key)) deepFreeze((v as Record<string, unknown>)[key])
    Object.freeze(v)
  } else if (k === Kind.Map) {
    const m = v as unknown as Map<unknown, unknown>
    for (const [mk, x] of m) if (!isHeavyKey(mk)) deepFreeze(x)
    lockCollection(m)
  } else if (k === Kind.Set) {
    const set = v as unknown as Set<unknown>
    for (const x of set) deepFreeze(x)
    lockCollection(set)
  }
  return v
}
