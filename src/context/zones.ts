import { describe, TheusError } from '../errors.js'
import { parsePath } from './paths.js'

/** The zone of a path, decided by the first segment (from the root) that carries a prefix. */
export type Zone = 'data' | 'signal' | 'meta' | 'heavy'

/** The zone one segment's prefix names, or `undefined` for an unprefixed segment. */
export function zoneOfSegment(seg: string): Zone | undefined {
  // Most keys carry no prefix, and every prefix starts with s, c, m or h: one comparison.
  const c = seg.charCodeAt(0)
  if (c !== 115 && c !== 99 && c !== 109 && c !== 104) return undefined
  if (seg.startsWith('sig_') || seg.startsWith('cmd_')) return 'signal'
  if (seg.startsWith('meta_')) return 'meta'
  if (seg.startsWith('heavy_')) return 'heavy'
  return undefined
}

/**
 * The zone of a path: `sig_`/`cmd_` → signal, `meta_` → meta, `heavy_` → heavy, else data.
 * @example
 * resolveZone('domain.sig_fraud_detected') // 'signal'
 */
export function resolveZone(path: string | readonly string[]): Zone {
  const segs = typeof path === 'string' ? (parsePath(path) ?? [path]) : path
  if (!Array.isArray(segs) || segs.some((s) => typeof s !== 'string'))
    throw new TheusError(
      'INVALID_ARGS',
      `resolveZone() takes a dotted path, got ${describe(path)}.`,
    )
  for (const s of segs) {
    const z = zoneOfSegment(s)
    if (z) return z
  }
  return 'data'
}

/** Index of the segment that decides the zone, or -1 for data. */
export function zoneSegmentIndex(segs: readonly string[]): number {
  for (let i = 0; i < segs.length; i++) if (zoneOfSegment(segs[i]!)) return i
  return -1
}
