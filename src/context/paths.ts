/**
 * Dotted paths: parsing, normalisation and the Python-style aliases. `domain.items[0]`,
 * `domain.items.0` and `domain_ctx.items.0` are one path, `['domain', 'items', '0']`.
 */

/** The layers of a context. `local` exists only inside a running process. */
export type Layer = 'global' | 'domain' | 'local'

const LAYER_ALIASES: Record<string, Layer> = { domain_ctx: 'domain', global_ctx: 'global' }

/**
 * Splits a path into its segments, resolving `[0]` / `['key']` steps and the layer aliases.
 * Returns `undefined` for a path that is not a non-empty string of non-empty segments.
 * @example
 * parsePath('domain_ctx.items[0]') // ['domain', 'items', '0']
 */
export function parsePath(path: unknown): string[] | undefined {
  if (typeof path !== 'string' || path.length === 0) return undefined
  const segs: string[] = []
  let i = 0
  let cur = ''
  let justClosed = false
  while (i < path.length) {
    const ch = path[i]!
    if (ch === '.') {
      if (cur === '' && !justClosed) return undefined
      if (cur !== '') segs.push(cur)
      cur = ''
      justClosed = false
      i++
    } else if (ch === '[') {
      if (cur !== '') segs.push(cur)
      else if (segs.length === 0) return undefined
      cur = ''
      const end = path.indexOf(']', i)
      if (end < 0) return undefined
      let inner = path.slice(i + 1, end).trim()
      if (/^(['"]).*\1$/.test(inner)) inner = inner.slice(1, -1)
      if (inner === '') return undefined
      segs.push(inner)
      i = end + 1
      justClosed = true
      if (i < path.length && path[i] !== '.' && path[i] !== '[') return undefined
    } else {
      if (justClosed) return undefined
      cur += ch
      i++
    }
  }
  if (cur !== '') segs.push(cur)
  else if (!justClosed) return undefined
  const first = segs[0]
  // hasOwn, not `in`: `'constructor' in {}` is true, and the alias would be Object itself.
  if (first !== undefined && Object.hasOwn(LAYER_ALIASES, first)) segs[0] = LAYER_ALIASES[first]!
  return segs
}

/** The canonical dotted form of a path (aliases resolved, brackets turned into dots). */
export function normalizePath(path: string): string {
  const segs = parsePath(path)
  return segs ? segs.join('.') : path
}

/** Joins segments back into a dotted path. */
export function joinPath(segs: readonly (string | number)[]): string {
  return segs.map(String).join('.')
}
