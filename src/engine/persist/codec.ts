/**
 * The tagged JSON codec of stored state: `encode` gives the JSON-safe form of a state value,
 * `decode` takes it back. Stored payloads are untrusted (SPEC §10.1), so `decode` refuses a
 * `__proto__` key anywhere and, strictly, a class value outside the heavy zone. `theus/sync`
 * encodes its messages with it too.
 */
import { type Zone, zoneOfSegment } from '../../context/zones.js'
import { describe } from '../../errors.js'
import { isPlainObject } from '../../workflow/functions.js'

// JSON has no Map, Set, Date, typed array, bigint, undefined or non-finite number. Those are
// written as `{ "$t": <tag>, "v": <JSON> }`; a plain object that has its own `$t` key is
// wrapped as `{ "$t": "Object", "v": {...} }`, so decoding is never ambiguous.
const TYPED = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const
type TypedName = keyof typeof TYPED

// What JSON objects decode to: the core's one plain-object check (issue #10), for the
// persist modules too.
export { isPlainObject }

/** The error for a `__proto__` key in stored data: it is never data. */
export function protoKey(where: string): TypeError {
  return new TypeError(
    `${where} holds the key '__proto__', which is never a data key (SPEC §10.1): the payload is not applied`,
  )
}

/** The JSON-safe form of a state value (tags for what JSON cannot hold). */
export function encode(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v
    case 'number':
      return Number.isFinite(v) ? v : { $t: 'Number', v: String(v) }
    case 'bigint':
      return { $t: 'BigInt', v: v.toString() }
    case 'undefined':
      return { $t: 'undefined' }
    case 'object': {
      if (v === null) return null
      if (Array.isArray(v)) return v.map(encode)
      if (v instanceof Date)
        return { $t: 'Date', v: Number.isNaN(v.getTime()) ? null : v.toISOString() }
      if (v instanceof Map) return { $t: 'Map', v: [...v].map(([k, x]) => [encode(k), encode(x)]) }
      if (v instanceof Set) return { $t: 'Set', v: [...v].map(encode) }
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        const name = v.constructor.name
        if (Object.hasOwn(TYPED, name))
          return { $t: name, v: Array.from(v as unknown as ArrayLike<unknown>, encode) }
      }
      if (v instanceof ArrayBuffer) return { $t: 'ArrayBuffer', v: Array.from(new Uint8Array(v)) }
      if (isPlainObject(v)) {
        const out: Record<string, unknown> = {}
        for (const k of Object.keys(v)) out[k] = encode(v[k])
        return Object.hasOwn(v, '$t') ? { $t: 'Object', v: out } : out
      }
      break
    }
  }
  throw new TypeError(
    `${describe(v)} cannot be saved as JSON. Persisted zones hold plain objects, arrays, Map, Set, Date, typed arrays and primitives; keep other values in an unpersisted zone (meta_, heavy_)`,
  )
}

/**
 * The inverse of `encode`; throws on an unknown or malformed tag, on a `__proto__` key
 * anywhere, and (`'strict'`) on a typed array or `ArrayBuffer` outside the heavy zone.
 */
export function decode(v: unknown, mode: 'strict' | 'lax' = 'lax', zone?: Zone): unknown {
  if (Array.isArray(v)) return v.map((x) => decode(x, mode, zone))
  if (!isPlainObject(v)) return v
  const record = (o: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(o)) {
      // JSON.parse makes `__proto__` an own key; assigning it would re-parent `out`.
      if (k === '__proto__') throw protoKey("the payload's state")
      out[k] = decode(o[k], mode, zone ?? zoneOfSegment(k))
    }
    return out
  }
  if (!Object.hasOwn(v, '$t')) return record(v)
  const tag = v['$t']
  const x = v['v']
  const bad = (what: string) =>
    new TypeError(`a tagged value {"$t":${JSON.stringify(tag)}} has ${what}`)
  const notPlain = () => {
    if (mode === 'strict' && zone !== 'heavy')
      throw new TypeError(
        `the payload holds a ${String(tag)} outside the heavy zone, where only plain data may live (SPEC §10.1)`,
      )
  }
  switch (tag) {
    case 'undefined':
      return undefined
    case 'Number':
      if (x !== 'NaN' && x !== 'Infinity' && x !== '-Infinity')
        throw bad('a "v" that is not NaN or ±Infinity')
      return Number(x)
    case 'BigInt':
      if (typeof x !== 'string' || !/^-?\d+$/.test(x))
        throw bad('a "v" that is not an integer string')
      return BigInt(x)
    case 'Date':
      if (x !== null && typeof x !== 'string') throw bad('a "v" that is not a date string')
      return new Date(x === null ? Number.NaN : x)
    case 'Map':
      if (!Array.isArray(x) || !x.every((e) => Array.isArray(e) && e.length === 2))
        throw bad('a "v" that is not a list of [key, value]')
      return new Map(
        x.map((e: unknown[]) => {
          const k = decode(e[0], mode, zone)
          if (k === '__proto__') throw protoKey("the payload's state")
          return [
            k,
            decode(e[1], mode, zone ?? (typeof k === 'string' ? zoneOfSegment(k) : undefined)),
          ]
        }),
      )
    case 'Set':
      if (!Array.isArray(x)) throw bad('a "v" that is not a list')
      return new Set(x.map((e) => decode(e, mode, zone)))
    case 'Object':
      if (!isPlainObject(x)) throw bad('a "v" that is not an object')
      return record(x)
    case 'ArrayBuffer':
      if (!Array.isArray(x)) throw bad('a "v" that is not a list of bytes')
      notPlain()
      return new Uint8Array(x as number[]).buffer
    default:
      if (typeof tag === 'string' && Object.hasOwn(TYPED, tag)) {
        if (!Array.isArray(x)) throw bad('a "v" that is not a list')
        notPlain()
        const Ctor = TYPED[tag as TypedName] as unknown as { from(a: unknown[]): unknown }
        return Ctor.from(x.map((e) => decode(e, mode, zone)))
      }
      throw bad('an unknown tag')
  }
}
