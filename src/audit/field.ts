/**
 * The `field` of an audit rule: a path (`amount`, `domain.cart`), or a computed value, the
 * functions of the expression language applied to a path (`len(domain.cart)`,
 * `abs(sum(args.deltas))`). The core parses this small form itself rather than loading the
 * whole condition language, which stays out of its bundle.
 */
import { parsePath } from '../context/paths.js'
import { type FunctionName, isFunctionName } from '../workflow/functions.js'

/** A parsed field: the path read, and the functions applied to it, innermost first. */
export interface RuleField {
  segs: string[]
  /** The path's first segment as written, before alias resolution: the args key to look for. */
  argKey: string
  fns: FunctionName[]
}

const CALL = /^\s*([A-Za-z_]+)\s*\(([\s\S]*)\)\s*$/

/** Parses a rule's field, or `undefined` when it is neither a path nor a computed value. */
export function parseField(field: unknown): RuleField | undefined {
  if (typeof field !== 'string') return undefined
  const fns: FunctionName[] = []
  let inner = field
  for (let m = CALL.exec(inner); m; m = CALL.exec(inner)) {
    const name = m[1]!
    // Nesting is bounded by the function names themselves; 200 is the limit of every form.
    if (!isFunctionName(name) || fns.length >= 200) return undefined
    fns.unshift(name)
    inner = m[2]!
  }
  const path = fns.length > 0 ? inner.trim() : inner
  // One path per function: `sum(domain.x, 2)` is no call of this form, not a key 'x, 2'.
  if (/[()]/.test(path) || (fns[0] && path.includes(','))) return undefined
  const segs = parsePath(path)
  if (segs === undefined) return undefined
  return { segs, argKey: /^[^.[]*/.exec(path)?.[0] ?? path, fns }
}
