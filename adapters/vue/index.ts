/**
 * theus/vue: the Vue 3 adapter. Composables mirror the engine's signals into readonly refs, so
 * every component updates only when what it reads changes. Same names and arguments as
 * theus/react.
 */

export type { ContextOf, EqualityFn, Selected, StateSnapshot } from '../shared.js'
export type { TheusHooks } from './createTheusHooks.js'
export { createTheusHooks } from './createTheusHooks.js'
export { createTheusPlugin, provideTheus } from './provider.js'
export { useAuditLog } from './useAuditLog.js'
export { useEngine } from './useEngine.js'
export type { ProcessHandle, RunOutcome, RunParams } from './useProcess.js'
export { useProcess } from './useProcess.js'
export { useTheus } from './useTheus.js'
export type { WorkflowHandle } from './useWorkflow.js'
export { useWorkflow } from './useWorkflow.js'
