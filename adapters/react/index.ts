/**
 * theus/react: the React adapter. Hooks read the engine's signals through
 * `useSyncExternalStore`, so every component re-renders only when what it reads changes.
 */

export type { ContextOf, EqualityFn, Selected, StateSnapshot } from '../shared.js'
export type { TheusHooks } from './createTheusHooks.js'
export { createTheusHooks } from './createTheusHooks.js'
export type { TheusProviderProps } from './provider.js'
export { TheusProvider } from './provider.js'
export { useAuditLog } from './useAuditLog.js'
export { useEngine } from './useEngine.js'
export type { ProcessHandle, RunOutcome, RunParams } from './useProcess.js'
export { useProcess } from './useProcess.js'
export { useTheus } from './useTheus.js'
export type { WorkflowHandle } from './useWorkflow.js'
export { useWorkflow } from './useWorkflow.js'
