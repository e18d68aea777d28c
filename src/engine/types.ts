import type { TheusError } from '../errors.js'

/** One change: the JSON-Patch-like record a commit emits. */
export interface Patch {
  op: 'add' | 'replace' | 'remove'
  path: (string | number)[]
  value?: unknown
}

/** The event names of `engine.on`. */
export type EngineEventType =
  | 'commit'
  | 'rollback'
  | 'audit'
  | 'signal'
  | 'halt'
  | 'resume'
  | 'error'

/** Payload of `'commit'`. */
export interface CommitEvent {
  process: string
  args: unknown
  patches: Patch[]
  inversePatches: Patch[]
  result: unknown
  durationMs: number
}

/** Payload of `'rollback'`. */
export interface RollbackEvent {
  process: string
  args: unknown
  error: unknown
}

/** Payload of `'signal'`: a signal-zone field the commit wrote, with its new value. */
export interface SignalEvent {
  process: string
  path: string
  value: unknown
}

/** Payload of `'halt'`. */
export interface HaltEvent {
  process: string
  error: TheusError
}

/** Payload of `'resume'`: the halt that `resume()` lifted (its process and interlock). */
export interface ResumeEvent {
  process: string
  error: TheusError
}

/**
 * Payload of `'error'`: a listener (of the event `event`) or a subscriber threw. Such errors
 * never change a run's outcome (SPEC §10.2).
 */
export interface EngineErrorEvent {
  source: 'listener' | 'subscriber'
  /** The event whose listener threw (listeners only). */
  event?: EngineEventType
  error: unknown
}

/** What an audit finding leads to. */
export type AuditAction = 'count' | 'early-warning' | 'warn' | 'block' | 'abort' | 'interlock'

/** Audit levels: S stop, A abort, B block, C warn. */
export type AuditLevel = 'S' | 'A' | 'B' | 'C'

/** One audit finding (a violated rule), as logged in `auditLog` and sent as `'audit'`. */
export interface AuditLogEntry {
  at: number
  process: string
  gate: 'input' | 'output'
  field: string
  condition: string
  value: unknown
  limit: unknown
  level: AuditLevel
  count: number
  threshold: number
  action: AuditAction
  message: string
}

/** Payload type per event name. */
export interface EngineEventMap {
  commit: CommitEvent
  rollback: RollbackEvent
  audit: AuditLogEntry
  signal: SignalEvent
  halt: HaltEvent
  resume: ResumeEvent
  error: EngineErrorEvent
}

/** One `ctx.log` entry. */
export interface LogEntry {
  at: number
  process: string
  level: 'info' | 'warn' | 'error'
  message: string
  fields: Record<string, unknown> | undefined
}

/** One committed run in `history`. */
export interface HistoryEntry {
  process: string
  args: unknown
  patches: Patch[]
  inversePatches: Patch[]
  at: number
}

/** One committed run in `runLog`: enough to replay it. `edit` entries carry their patches. */
export interface RunLogEntry {
  process: string
  args: unknown
  patches?: Patch[]
}

/** Options of `runProcess`. */
export interface RunOptions {
  /** Aborting before the commit rolls the run back with an `AbortError`. */
  signal?: AbortSignal
  /** How many times to re-run an async run that lost a conflict (default 0). */
  retries?: number
}
