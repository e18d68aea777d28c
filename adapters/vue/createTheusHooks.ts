import type {
  ArgsOf,
  CheckPath,
  ProcessDefinition,
  ProcessesOf,
  ProcessNames,
  ResultOf,
  RunOptions,
  TheusEngine,
  UncheckedName,
} from 'theus'
import type { ShallowRef } from 'vue'
import type { ContextOf, EqualityFn, Selected, StateSnapshot } from '../shared.js'
import { useAuditLog } from './useAuditLog.js'
import { useEngine } from './useEngine.js'
import { type ProcessHandle, useProcess } from './useProcess.js'
import { useTheus } from './useTheus.js'
import { useWorkflow } from './useWorkflow.js'

/**
 * The composables, typed for one engine type: paths and selectors infer from its context, and, when
 * the engine was given `processes`, process names, args and results from those.
 */
export interface TheusHooks<TEngine extends TheusEngine<any>> {
  useEngine(): TEngine
  useTheus<P extends string>(
    path: CheckPath<ContextOf<TEngine>, P>,
    isEqual?: EqualityFn<Selected<TEngine, P>>,
  ): Readonly<ShallowRef<Selected<TEngine, P>>>
  useTheus<TResult>(
    selector: (state: StateSnapshot<TEngine>) => TResult,
    isEqual?: EqualityFn<TResult>,
  ): Readonly<ShallowRef<TResult>>
  useProcess<TArgs, TResult>(
    definition: ProcessDefinition<TArgs, TResult>,
    options?: RunOptions,
  ): ProcessHandle<TArgs, Awaited<TResult>>
  useProcess<K extends ProcessNames<ProcessesOf<TEngine>>>(
    name: K,
    options?: RunOptions,
  ): ProcessHandle<ArgsOf<ProcessesOf<TEngine>[K]>, Awaited<ResultOf<ProcessesOf<TEngine>[K]>>>
  useProcess<TArgs = Record<string, unknown>, TResult = unknown>(
    name: UncheckedName<ProcessesOf<TEngine>>,
    options?: RunOptions,
  ): ProcessHandle<TArgs, TResult>
  useWorkflow: typeof useWorkflow
  useAuditLog: typeof useAuditLog
}

/**
 * The same composables, typed for your engine. Injection cannot carry the engine's type, so
 * create them once beside the engine and import them from there. Nothing is created at
 * runtime: these are the package's composables, re-typed.
 * @example
 * export const engine = new TheusEngine(initial, { processes: { transfer } })
 * export const { useTheus, useProcess } = createTheusHooks<typeof engine>()
 * const accounts = useTheus('domain.accounts') // Readonly<ShallowRef<Readonly<Record<string, number>>>>
 * const { run } = useProcess('transfer') // run(args: TransferArgs)
 */
export function createTheusHooks<TEngine extends TheusEngine<any>>(): TheusHooks<TEngine> {
  return { useEngine, useTheus, useProcess, useWorkflow, useAuditLog } as TheusHooks<TEngine>
}
