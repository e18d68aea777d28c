/**
 * Plain data (SPEC §10.1): `__proto__` is never a key, and outside `heavy_` the context holds
 * only primitives, plain objects, arrays, Map, Set and Date.
 */
import { errors, warnOnce } from '../errors.js'
import { classOf, isHeavyKey, Kind, kindOf } from '../transaction/tree.js'

/** The layers of an initial context, as far as the checks are concerned. */
interface Layers {
  global?: unknown
  domain?: unknown
}

/**
 * The path of the first own `__proto__` key inside a value (walking plain data), if any.
 * Untrusted input (args, replayed logs) holding one is refused: it is never a data key.
 */
export function protoKeyIn(v: unknown, path: string, seen?: Set<object>): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const k = kindOf(v)
  if (k === -1) return undefined
  // Most args are a few primitives: nothing to walk, no allocation.
  if (k === Kind.Object) {
    let nested = false
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue
      const x = (v as Record<string, unknown>)[key]
      if (typeof x === 'object' && x !== null) nested = true
    }
    if (Object.hasOwn(v, '__proto__')) return `${path}.__proto__`
    if (!nested) return undefined
  }
  const s = seen ?? new Set<object>()
  if (s.has(v)) return undefined
  s.add(v)
  if (k === Kind.Object) {
    for (const key of Object.keys(v)) {
      const found = protoKeyIn((v as Record<string, unknown>)[key], `${path}.${key}`, s)
      if (found) return found
    }
  } else if (k === Kind.Array) {
    const a = v as unknown[]
    for (let i = 0; i < a.length; i++) {
      const found = protoKeyIn(a[i], `${path}.${i}`, s)
      if (found) return found
    }
  } else if (k === Kind.Map) {
    for (const [mk, mv] of v as Map<unknown, unknown>) {
      if (mk === '__proto__') return `${path}.__proto__`
      const found = protoKeyIn(mv, `${path}.${String(mk)}`, s)
      if (found) return found
    }
  } else
    for (const x of v as Set<unknown>) {
      const found = protoKeyIn(x, path, s)
      if (found) return found
    }
  return undefined
}

/**
 * Checks an initial context: `__proto__` is never a key, values outside `heavy_` are plain
 * data (strict mode refuses others; non-strict keeps them by reference and warns), no cycles.
 */
export function checkContext(initial: Layers, strict: boolean): void {
  const seen = new Set<object>()
  const walk = (v: unknown, path: string): void => {
    if (typeof v !== 'object' || v === null) {
      if (typeof v === 'function') foreignAt(v, path)
      return
    }
    if (v instanceof Date) return
    const k = kindOf(v)
    if (k === -1) {
      foreignAt(v, path)
      return
    }
    if (seen.has(v))
      throw errors.invalidContext(
        `'${path}' contains itself; the context is a tree of plain data (store an id instead of the object)`,
      )
    seen.add(v)
    if (k === Kind.Object) {
      for (const key of Object.keys(v)) {
        if (key === '__proto__')
          throw errors.invalidContext(
            `'${path}.__proto__' is a '__proto__' key, which is never data (it would reach a prototype); rename it`,
          )
        if (!isHeavyKey(key)) walk((v as Record<string, unknown>)[key], `${path}.${key}`)
      }
    } else if (k === Kind.Array) {
      const a = v as unknown[]
      for (let i = 0; i < a.length; i++) walk(a[i], `${path}.${i}`)
    } else if (k === Kind.Map) {
      for (const [mk, mv] of v as Map<unknown, unknown>) {
        if (mk === '__proto__')
          throw errors.invalidContext(
            `'${path}.__proto__' is a '__proto__' key, which is never data (it would reach a prototype); rename it`,
          )
        if (!isHeavyKey(mk)) walk(mv, `${path}.${String(mk)}`)
      }
    } else for (const x of v as Set<unknown>) walk(x, path)
    seen.delete(v)
  }
  const foreignAt = (v: unknown, path: string): void => {
    const cls = classOf(v)
    const what = cls === 'Function' ? 'a function' : `an object of class ${cls}`
    if (strict)
      throw errors.invalidContext(
        `'${path}' holds ${what}, which is not plain data. The data, signal and meta zones hold plain objects, arrays, Map, Set, Date and primitives; keep other values under a 'heavy_' key (held by reference)`,
      )
    warnOnce(
      `foreign-value:${path}`,
      `'${path}' holds ${what}, which is not plain data: it is kept by reference, never copied, frozen or rolled back. Put it under a 'heavy_' key to say so (non-strict mode; strict mode refuses it).`,
    )
  }
  for (const layer of ['global', 'domain'] as const)
    if (initial[layer] !== undefined) walk(initial[layer], layer)
}
