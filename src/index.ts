/**
 * theus: process-oriented state for the browser. This barrel names every public export.
 */
//#region errors

export type { SchemaIssue, SourceIssue, TheusErrorCode, TheusErrorDetails } from './errors.js'
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
  warnOnce,
} from './errors.js'

//#endregion

export type { Layer } from './context/paths.js'
//#region context
export { normalizePath, parsePath } from './context/paths.js'
export type { Zone } from './context/zones.js'
export { resolveZone } from './context/zones.js'

//#endregion

export type {
  Contract,
  ProcessContext,
  ProcessDefinition,
  ProcessFn,
  ProcessLog,
} from './contract/process.js'
//#region engine
export { defineProcess, isProcessDefinition, process } from './contract/process.js'
export type {
  ReduxDevToolsConnection,
  ReduxDevToolsExtension,
  ReduxDevToolsMessage,
  ReduxDevToolsOptions,
} from './engine/devtools.js'
export { connectReduxDevTools } from './engine/devtools.js'
export type { DeepReadonly, PathValue, StateOf } from './engine/pathTypes.js'
export type {
  PersistEvent,
  PersistEventType,
  PersistedState,
  PersistFailureReason,
  PersistHandle,
  PersistOptions,
  PersistStorage,
  PersistZone,
} from './engine/persist.js'
export { persist } from './engine/persist.js'
export type { ContextInput, EngineOptions, StandardSchemaLike } from './engine/TheusEngine.js'
export { TheusEngine } from './engine/TheusEngine.js'
export type {
  AuditAction,
  AuditLevel,
  AuditLogEntry,
  CommitEvent,
  EngineErrorEvent,
  EngineEventMap,
  EngineEventType,
  HaltEvent,
  HistoryEntry,
  LogEntry,
  Patch,
  ResumeEvent,
  RollbackEvent,
  RunLogEntry,
  RunOptions,
  SignalEvent,
} from './engine/types.js'

//#endregion

export type {
  AuditCondition,
  AuditHost,
  Auditor,
  AuditRead,
  AuditRecipe,
  AuditRecipeSource,
  AuditRuleSource,
  AuditScalar,
  NormalizedProcessRecipe,
  NormalizedRule,
  ProcessRecipeSource,
  RecipeLocator,
  ValidateRecipeOptions,
} from './audit/index.js'
//#region audit (issue 4)
export {
  AUDIT_CONDITIONS,
  createAuditor,
  isAuditRecipe,
  validateAuditRecipe,
} from './audit/index.js'

//#endregion

export type { WorkflowDefinition, WorkflowState } from './workflow/definition.js'
//#region workflow (issue 5)
export { signalKey, validateWorkflow } from './workflow/definition.js'
export type {
  BinaryOperator,
  Expression,
  ExpressionLocation,
  ExpressionNode,
  ExpressionRoot,
  ExpressionScope,
} from './workflow/expression.js'
export { evaluateExpression, parseExpression, testCondition } from './workflow/expression.js'
export type {
  FluxDefinition,
  FluxInput,
  FluxRunOptions,
  FluxStep,
  ValidateFluxOptions,
} from './workflow/flux.js'
export { executeFlux, validateFlux } from './workflow/flux.js'
export type { WorkflowHost } from './workflow/host.js'
export type {
  Locator as WorkflowLocator,
  ValidateOptions as ValidateWorkflowOptions,
} from './workflow/issues.js'
export type { WorkflowInput } from './workflow/StateMachine.js'
export { StateMachine } from './workflow/StateMachine.js'
export type {
  WorkflowManagerOptions,
  WorkflowStatus,
  WorkflowTransition,
} from './workflow/WorkflowManager.js'
export { WorkflowManager } from './workflow/WorkflowManager.js'
//#endregion
