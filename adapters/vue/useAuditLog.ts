import type { AuditLogEntry } from 'theus'
import { type ShallowRef, shallowReadonly, shallowRef } from 'vue'
import { onServer, serverRef, subscribeInScope } from './scoped.js'
import { useEngine } from './useEngine.js'

const EMPTY: readonly AuditLogEntry[] = Object.freeze([])

/**
 * The latest `limit` audit findings of the engine, oldest first, as a readonly ref updated on
 * every `'audit'` event.
 * @example
 * const findings = useAuditLog(20)
 * h('ol', findings.value.map((f) => h('li', `${f.level} ${f.message}`)))
 */
export function useAuditLog(limit = 50): Readonly<ShallowRef<readonly AuditLogEntry[]>> {
  const engine = useEngine()
  // A limit below 1, or not a number (NaN from an empty input), shows none.
  const n = limit > 0 ? Math.floor(limit) : 0
  // `auditLog` is a ring buffer the engine mutates in place: copy it once per event.
  const latest = (): readonly AuditLogEntry[] =>
    n === 0 || engine.auditLog.length === 0 ? EMPTY : Object.freeze(engine.auditLog.slice(-n))
  if (onServer()) return serverRef(latest)
  const entries = shallowRef(latest())
  subscribeInScope(() =>
    engine.on('audit', () => {
      entries.value = latest()
    }),
  )
  return shallowReadonly(entries) as Readonly<ShallowRef<readonly AuditLogEntry[]>>
}
