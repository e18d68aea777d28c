import type { ReadonlySignal } from '@preact/signals-core'
import type { WorkflowManager, WorkflowStatus } from 'theus'
import { type ShallowRef, shallowReadonly, shallowRef } from 'vue'
import { subscribeSignal } from '../shared.js'
import { onServer, serverRef, subscribeInScope } from './scoped.js'

/** What `useWorkflow` returns: readonly refs of the manager's signals, and its `send`. */
export interface WorkflowHandle {
  /** The current state; during a chain, already the state being entered. */
  state: Readonly<ShallowRef<string>>
  status: Readonly<ShallowRef<WorkflowStatus>>
  /** Sends an event; resolves when its cascade is done, never rejects. */
  send: (event: string, args?: unknown) => Promise<void>
  /** The error of the last failed chain, `null` otherwise. */
  lastError: Readonly<ShallowRef<unknown>>
}

function useSignalRef<T>(sig: ReadonlySignal<T>): Readonly<ShallowRef<T>> {
  if (onServer()) return serverRef(() => sig.peek())
  const r = shallowRef(sig.peek())
  subscribeInScope(() =>
    subscribeSignal(sig, () => {
      r.value = sig.peek()
    }),
  )
  return shallowReadonly(r) as Readonly<ShallowRef<T>>
}

/**
 * Follows a `WorkflowManager` as readonly refs of its `state`, `status` and `lastError`.
 * @example
 * const { state, status, send } = useWorkflow(manager)
 * h('button', { disabled: status.value === 'running', onClick: () => send('CMD_TX', args) }, state.value)
 */
export function useWorkflow(manager: WorkflowManager): WorkflowHandle {
  return {
    state: useSignalRef(manager.state),
    status: useSignalRef(manager.status),
    send: (event, args) => manager.send(event, args),
    lastError: useSignalRef(manager.lastError),
  }
}
