/**
 * The functions of the safe expression language (`len`, `sum`, `min`, `max`, `mean`, `abs`),
 * shared by Flux conditions and by audit rules on computed values (`field: "len(domain.cart)"`).
 * Each takes one value and never throws: a value of the wrong kind gives `undefined` (which a
 * condition treats as falsy and an audit rule as a violation, fail closed). They call no user
 * code: collections are read through the built-in accessors of Map and Set, and arrays by index.
 */

/** The names a call may use. */
export const FUNCTION_NAMES = ['len', 'sum', 'min', 'max', 'mean', 'abs'] as const
/** A function of the expression language. */
export type FunctionName = (typeof FUNCTION_NAMES)[number]

export function isFunctionName(name: string): name is FunctionName {
  return (FUNCTION_NAMES as readonly string[]).includes(name)
}

const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!
const setSize = Object.getOwnPropertyDescriptor(Set.prototype, 'size')!.get!
const setValues = Set.prototype.values

/** A plain object (its prototype is Object.prototype or null); no user code runs. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** Length of a string or array, size of a Map or Set, key count of a plain object, length of a typed array. */
export function lengthOf(v: unknown): number | undefined {
  try {
    if (typeof v === 'string' || Array.isArray(v)) return v.length
    if (v instanceof Map) return mapSize.call(v) as number
    if (v instanceof Set) return setSize.call(v) as number
    if (ArrayBuffer.isView(v))
      return (v as unknown as { length?: number }).length ?? (v as DataView).byteLength
    if (isPlainObject(v)) return Object.keys(v).length
  } catch {
    // A revoked proxy, or a look-alike that the built-in accessors reject.
  }
  return undefined
}

/** The numbers of an array, a typed array or a Set; `undefined` when any item is not a number. */
function numbersOf(v: unknown): number[] | undefined {
  try {
    let items: ArrayLike<unknown> | undefined
    if (Array.isArray(v)) items = v
    else if (ArrayBuffer.isView(v) && !(v instanceof DataView))
      items = v as unknown as ArrayLike<unknown>
    else if (v instanceof Set) items = Array.from(setValues.call(v) as Iterable<unknown>)
    if (items === undefined) return undefined
    const out: number[] = []
    for (let i = 0; i < items.length; i++) {
      const x = items[i]
      if (typeof x === 'bigint') out.push(Number(x))
      else if (typeof x === 'number') out.push(x)
      else return undefined
    }
    return out
  } catch {
    return undefined
  }
}

/**
 * Applies one function. `sum` of an empty collection is 0; `min`, `max` and `mean` of an empty
 * one are `undefined`; `abs` takes a number.
 * @example
 * applyFunction('mean', [1, 2, 3]) // 2
 */
export function applyFunction(name: FunctionName, v: unknown): unknown {
  if (name === 'len') return lengthOf(v)
  if (name === 'abs') return typeof v === 'number' ? Math.abs(v) : undefined
  const xs = numbersOf(v)
  if (xs === undefined) return undefined
  if (name === 'sum' || name === 'mean') {
    let total = 0
    for (const x of xs) total += x
    return name === 'sum' ? total : xs.length === 0 ? undefined : total / xs.length
  }
  if (xs.length === 0) return undefined
  // A loop, not Math.min(...xs): spreading a million items overflows the stack.
  let best = xs[0]!
  for (const x of xs) if (name === 'min' ? x < best : x > best) best = x
  return best
}
