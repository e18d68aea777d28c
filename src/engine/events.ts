/**
 * Event payloads: deeply frozen before any listener sees them (SPEC §10.1).
 */
import { deepFreeze } from '../transaction/tree.js'
import { sealPatches } from './history.js'
import type { Patch } from './types.js'

/** Deep-freezes an event payload before listeners see it (the error objects excepted). */
export function freezePayload(event: Record<string, unknown>): void {
  if (Object.isFrozen(event)) return
  for (const key of Object.keys(event)) {
    const v = event[key]
    if (key === 'error' || typeof v !== 'object' || v === null) continue
    if (key === 'patches' || key === 'inversePatches') sealPatches(v as Patch[])
    else deepFreeze(v)
  }
  Object.freeze(event)
}
