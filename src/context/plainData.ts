/**
 * Plain data (SPEC §10.1): `__proto__` is never a key, and outside `heavy_` the context holds
 * only primitives, plain objects, arrays, Map, Set and Date.
 */
import { aValueOf, describe, errors, suggest, type TheusError, warnOnce } from '../errors.js'
import { classOf, isHeavyKey, Kind, kindOf } from '../transaction/tree.js'

/**
 * Why `layer` cannot stand at the root key `key`, if it cannot: the root holds the layers
 * `global` and `domain`, each a plain object (SPEC §1). Checked at construction and on every
 * write to the root (edit(), `ctx.domain = v`), so that no commit leaves another shape.
 */
export function rootKeyError(key: string, layer: unknown): TheusError | undefined {
  if (key === 'local')
    return errors.invalidContext(
      "'local' is not a context layer you can give: it is created fresh for each run. Move its keys to 'domain'",
    )
  if (key !== 'global' && key !== 'domain') {
    const hint = suggest(key, ['global', 'domain'])
    return errors.invalidContext(
      `unknown root key '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; put application state under 'domain' and configuration under 'global'`,
    )
  }
  if (kindOf(layer) !== Kind.Object)
    return errors.invalidContext(`layer '${key}' must be a plain object, got ${describe(layer)}`)
  return undefined
}

/** The layers of an initial context, as far as the checks are concerned. */
interface Layers {
  global?: unknown
  domain?: unknown
}

/**
 * Visits the children of a plain container (kind from `kindOf`): each value with its path and
 * its key (none for a Set member, whose path is the Set's). Stops at, and returns, the first
 * truthy result.
 */
function eachChild(
  v: object,
  k: Kind,
  path: string,
  visit: (x: unknown, path: string, key?: unknown) => string | undefined,
): string | undefined {
  let found: string | undefined
  if (k === Kind.Object) {
    for (const key of Object.keys(v))
      if ((found = visit((v as Record<string, unknown>)[key], `${path}.${key}`, key))) return found
  } else if (k === Kind.Array) {
    const a = v as unknown[]
    for (let i = 0; i < a.length; i++) if ((found = visit(a[i], `${path}.${i}`))) return found
  } else if (k === Kind.Map) {
    for (const [mk, mv] of v as Map<unknown, unknown>)
      if ((found = visit(mv, `${path}.${String(mk)}`, mk))) return found
  } else for (const x of v as Set<unknown>) if ((found = visit(x, path))) return found
  return undefined
}

/** `kindOf`, where an object literal (most args) is known plain without its four probes. */
export function plainKind(v: object): Kind | -1 {
  return Object.getPrototypeOf(v) === Object.prototype && !Array.isArray(v)
    ? Kind.Object
    : kindOf(v)
}

/**
 * The path of the first own `__proto__` key inside a value (walking plain data), if any.
 * Untrusted input (args, replayed logs) holding one is refused: it is never a data key.
 */
export function protoKeyIn(v: unknown, path: string, seen?: Set<object>): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const k = plainKind(v)
  if (k === -1) return undefined
  // Most args are a few primitives: nothing to walk, no allocation.
  if (k === Kind.Object) {
    let nested = false
    for (const key in v) {
      const x = (v as Record<string, unknown>)[key]
      // Own keys only: asked of objects alone (Object.hasOwn keeps a for-in loop slow).
      if (typeof x === 'object' && x !== null && Object.hasOwn(v, key)) nested = true
    }
    if (Object.hasOwn(v, '__proto__')) return `${path}.__proto__`
    if (!nested) return undefined
  }
  const s = seen ?? new Set<object>()
  if (s.has(v)) return undefined
  s.add(v)
  // A Map key `__proto__` is the path itself (an object's was found above).
  // An object used as a Map key is data too: it is checked as values are.
  return eachChild(v, k, path, (x, p, key) =>
    key === '__proto__' ? p : (protoKeyIn(key, p, s) ?? protoKeyIn(x, p, s)),
  )
}

/**
 * Checks an initial context: `__proto__` is never a key, values outside `heavy_` are plain
 * data (strict mode refuses others; non-strict keeps them by reference and warns), no cycles.
 */
export function checkContext(initial: Layers, strict: boolean): void {
  const seen = new Set<object>()
  const walk = (v: unknown, path: string, key?: unknown): undefined => {
    // A Map key that is an object holding one counts too (the state would not load once saved).
    const proto = key === '__proto__' ? path : protoKeyIn(key, path)
    if (proto)
      throw errors.invalidContext(
        `'${proto}' is a '__proto__' key, which is never data (it would reach a prototype); rename it`,
      )
    if (isHeavyKey(key)) return
    if (typeof v !== 'object' || v === null) {
      if (typeof v === 'function') foreignAt(v, path)
      return
    }
    if (v instanceof Date) return
    const k = kindOf(v)
    if (k === -1) return foreignAt(v, path)
    if (seen.has(v)) throw errors.cycleContext(path)
    seen.add(v)
    eachChild(v, k, path, walk)
    seen.delete(v)
  }
  const foreignAt = (v: unknown, path: string): undefined => {
    const cls = classOf(v)
    if (strict) throw errors.foreignContext(path, cls)
    warnForeign(path, cls)
  }
  for (const layer of ['global', 'domain'] as const)
    if (initial[layer] !== undefined) walk(initial[layer], layer)
}

/** The warning, once per path, for a value that is not plain data kept outside `heavy_`. */
export function warnForeign(path: string, cls: string): void {
  warnOnce(
    `foreign-value:${path}`,
    `'${path}' holds ${aValueOf(cls)}, which is not plain data: it is kept by reference, never copied, frozen or rolled back. Put it under a 'heavy_' key to say so (non-strict mode; strict mode refuses it).`,
  )
}
