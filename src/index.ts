/**
 * theus: process-oriented state for the browser. This barrel names every public export.
 */
// First: a bundler lays the modules out in the order it meets them, and the engine's own
// import order keeps related code together, which gzips the core app 71 B smaller (and an
// app with persist 140 B smaller) than meeting errors.ts and the audit modules first.

/**
 * signals-core's `computed`, `effect` and `untracked`, from the copy the engine's signals come
 * from: the adapters import them from here (they import only `theus` and their framework), and
 * an application can follow `engine.state` or `engine.select(path)` with them.
 */
export { computed, effect, untracked } from '@preact/signals-core'
export { TheusEngine } from './engine/TheusEngine.js'

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

//#region engine
export type {
  Contract,
  ProcessContext,
  ProcessDefinition,
  ProcessFn,
  ProcessLog,
  TypedContract,
  TypedProcess,
} from './contract/process.js'
export {
  createProcess,
  defineProcess,
  isProcessDefinition,
  process,
} from './contract/process.js'
export type {
  ArgsOf,
  ContractView,
  ProcessesOf,
  ProcessMap,
  ProcessNames,
  ResultOf,
  RunArgs,
  TypedProcessContext,
  UncheckedName,
} from './contract/types.js'
export type {
  ReduxDevToolsConnection,
  ReduxDevToolsExtension,
  ReduxDevToolsMessage,
  ReduxDevToolsOptions,
} from './engine/devtools.js'
export { connectReduxDevTools } from './engine/devtools.js'
export type { ContextInput, EngineOptions, StandardSchemaLike } from './engine/options.js'
export type {
  CheckContractPath,
  CheckPath,
  ContractPath,
  DeepReadonly,
  PathValue,
  StateOf,
  StatePath,
} from './engine/pathTypes.js'
export { persist } from './engine/persist/persist.js'
export type {
  PersistEvent,
  PersistEventType,
  PersistedState,
  PersistFailureReason,
  PersistHandle,
  PersistOptions,
  PersistStorage,
  PersistZone,
} from './engine/persist/types.js'
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
  RecipeKnowledge,
  RecipeLocator,
  ValidateRecipeOptions,
} from './audit/index.js'
//#region audit (issue 4)
export {
  AUDIT_CONDITIONS,
  checkRecipeAgainst,
  createAuditor,
  isAuditRecipe,
  validateAuditRecipe,
} from './audit/index.js'

//#endregion

export type { WorkflowDefinition, WorkflowState } from './workflow/definition.js'
//#region workflow (issue 5). The Flux runtime and the condition language (executeFlux,
// validateFlux, parseExpression, evaluateExpression, testCondition) live in `theus/workflow`,
// outside the core's bundle; their types stay importable from here.
export { checkWorkflowProcesses, signalKey, validateWorkflow } from './workflow/definition.js'
export type {
  BinaryOperator,
  Expression,
  ExpressionLocation,
  ExpressionNode,
  ExpressionRoot,
  ExpressionScope,
} from './workflow/expression.js'
export type {
  FluxDefinition,
  FluxInput,
  FluxRunOptions,
  FluxStep,
  ValidateFluxOptions,
} from './workflow/flux.js'
export type { WorkflowHost } from './workflow/host.js'
export type {
  Locator as WorkflowLocator,
  ValidateOptions as ValidateWorkflowOptions,
} from './workflow/issues.js'
export type { WorkflowInput } from './workflow/StateMachine.js'
export { StateMachine } from './workflow/StateMachine.js'
export type {
  CheckFlux,
  CheckWorkflow,
  KnownProcessNames,
  TypedFluxSource,
  TypedFluxStep,
  TypedWorkflowSource,
} from './workflow/types.js'
export type {
  WorkflowManagerOptions,
  WorkflowStatus,
  WorkflowTransition,
} from './workflow/WorkflowManager.js'
export { WorkflowManager } from './workflow/WorkflowManager.js'
//#endregion
