import { useCallback, useRef, useSyncExternalStore } from 'react'
import type { AuditLogEntry } from 'theus'
import { useEngine } from './useEngine.js'

const EMPTY: readonly AuditLogEntry[] = Object.freeze([])

interface Cache {
  last: AuditLogEntry | undefined
  length: number
  limit: number
  entries: readonly AuditLogEntry[]
}

/**
 * The latest `limit` audit findings of the engine, oldest first; re-renders on every `'audit'`
 * event.
 * @example
 * const findings = useAuditLog(20)
 * findings.map((f) => <li key={f.at}>{f.level} {f.message}</li>)
 */
export function useAuditLog(limit = 50): readonly AuditLogEntry[] {
  const engine = useEngine()
  const cache = useRef<Cache | null>(null)
  const subscribe = useCallback((onChange: () => void) => engine.on('audit', onChange), [engine])
  const getSnapshot = (): readonly AuditLogEntry[] => {
    // `auditLog` is a ring buffer the engine mutates in place: its newest entry and length
    // tell whether it changed, and the copy is made once per change.
    const log = engine.auditLog
    const last = log[log.length - 1]
    const c = cache.current
    if (c !== null && c.last === last && c.length === log.length && c.limit === limit)
      return c.entries
    // A limit below 1, or not a number (NaN from an empty input), shows none.
    const n = limit > 0 ? Math.floor(limit) : 0
    const entries = n === 0 || log.length === 0 ? EMPTY : Object.freeze(log.slice(-n))
    cache.current = { last, length: log.length, limit, entries }
    return entries
  }
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
}
