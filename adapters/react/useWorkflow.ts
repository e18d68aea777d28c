import type { ReadonlySignal } from '@preact/signals-core'
import { useCallback, useSyncExternalStore } from 'react'
import type { WorkflowManager, WorkflowStatus } from 'theus'
import { subscribeSignal } from '../shared.js'
import { useMountOnce } from './useMountOnce.js'

/** What `useWorkflow` returns: the manager's signals' current values and its `send`. */
export interface WorkflowHandle {
  /** The current state; during a chain, already the state being entered. */
  state: string
  status: WorkflowStatus
  /** Sends an event; resolves when its cascade is done, never rejects. */
  send: (event: string, args?: unknown) => Promise<void>
  /** The error of the last failed chain, `null` otherwise. */
  lastError: unknown
}

function useSignalValue<T>(sig: ReadonlySignal<T>): T {
  const subscribe = useCallback((onChange: () => void) => subscribeSignal(sig, onChange), [sig])
  const get = () => sig.peek()
  return useSyncExternalStore(subscribe, get, get)
}

/**
 * Follows a `WorkflowManager`: re-renders when its `state`, `status` or `lastError` changes.
 * A `send` from a mount effect runs once under StrictMode, whose replayed mount gets the first
 * call's promise.
 * @example
 * const { state, status, send } = useWorkflow(manager)
 * <button disabled={status === 'running'} onClick={() => send('CMD_TX', args)}>{state}</button>
 */
export function useWorkflow(manager: WorkflowManager): WorkflowHandle {
  const state = useSignalValue(manager.state)
  const status = useSignalValue(manager.status)
  const lastError = useSignalValue(manager.lastError)
  // StrictMode's replayed mount effect gets the first send's promise: the chain runs once.
  const once = useMountOnce()
  const send = useCallback(
    (event: string, args?: unknown) => once([event, args], () => manager.send(event, args)),
    [manager, once],
  )
  return { state, status, send, lastError }
}
