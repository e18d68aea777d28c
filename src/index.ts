/**
 * theus: process-oriented state for the browser. This barrel names every public export.
 */
//#region errors
export {
  AbortError,
  AuditBlockError,
  AuditInterlockError,
  ConflictError,
  ContractViolationError,
  EngineHaltedError,
  RecipeError,
  SchemaViolationError,
  TheusError,
  WorkflowError,
} from './errors.js'
export type { SchemaIssue, SourceIssue, TheusErrorCode, TheusErrorDetails } from './errors.js'
//#endregion

//#region context
export { normalizePath, parsePath } from './context/paths.js'
export type { Layer } from './context/paths.js'
export { resolveZone } from './context/zones.js'
export type { Zone } from './context/zones.js'
//#endregion

//#region engine
export type {
  AuditAction,
  AuditLevel,
  AuditLogEntry,
  CommitEvent,
  EngineEventMap,
  EngineEventType,
  HaltEvent,
  HistoryEntry,
  LogEntry,
  Patch,
  RollbackEvent,
  RunLogEntry,
  RunOptions,
  SignalEvent,
} from './engine/types.js'
//#endregion

//#region audit (issue 4)
//#endregion

//#region workflow (issue 5)
//#endregion
