/**
 * The state machine demo: `workflows/workflow.yaml` (SPEC §5.1) driven by a `WorkflowManager`
 * and followed with `useWorkflow`. CMD_TX enters PROCESSING (check_funds, then transfer), whose
 * chain event leads to NOTIFY (notify) and back to IDLE, or straight back to IDLE when a step
 * throws: an unknown account, a bad amount, insufficient funds.
 */
import { type ReactNode, useEffect, useRef, useState } from 'react'
import type { WorkflowManager, WorkflowTransition } from 'theus'
import { useTheus, useWorkflow } from 'theus/react'
import { ErrorView } from './ErrorView'
import { FsmDiagram } from './FsmDiagram'
import { AccountSelect, AmountField } from './fields'
import { parseAmount } from './format'

interface Queued {
  id: number
  event: string
  /** The last transition when it was sent: it has run once a later transition names it. */
  after: WorkflowTransition | undefined
}

let nextQueued = 0

/** The entries of `history` after `marker` (all of them when `marker` is undefined). */
function since(
  history: readonly WorkflowTransition[],
  marker: WorkflowTransition | undefined,
): readonly WorkflowTransition[] {
  if (marker === undefined) return history
  const i = history.lastIndexOf(marker)
  // The marker fell off the capped history: everything left is newer.
  return i < 0 ? history : history.slice(i + 1)
}

/**
 * The machine as a diagram, the events its current state accepts as buttons, the queue of
 * events waiting for a running chain, a CMD_TX form and the transitions since the last Reset.
 * @example
 * <StateMachineDemo manager={new WorkflowManager(engine, workflow)} />
 */
export function StateMachineDemo({ manager }: { manager: WorkflowManager }): ReactNode {
  const { state, status, send, lastError } = useWorkflow(manager)
  const lastTx = String(useTheus('domain.meta_last_tx'))
  const [from, setFrom] = useState('Alice')
  const [to, setTo] = useState('Bob')
  const [amountText, setAmountText] = useState('100')
  const amount = parseAmount(amountText)
  const [queued, setQueued] = useState<Queued[]>([])
  // Reset empties the transitions list: the page shows what happened after this entry.
  const [resetAfter, setResetAfter] = useState<WorkflowTransition | undefined>(undefined)
  const mounted = useRef(true)
  useEffect(
    () => () => {
      mounted.current = false
    },
    [],
  )

  // The component re-renders on every state and status change, and a transition always
  // changes one of them, so reading the history here stays current.
  const history = since(manager.history, resetAfter)
  const waiting = queued.filter(
    (q) => !since(manager.history, q.after).some((t) => t.event === q.event),
  )
  const accepted = Object.keys(manager.definition.states[state]?.events ?? {})

  const sendEvent = (event: string) => {
    if (!amount.ok) return
    const args = { from_user: from, to_user: to, amount: amount.value }
    // Sent while a chain runs, it waits in the manager's queue until the chain is done.
    const item: Queued | null =
      manager.status.peek() === 'running'
        ? { id: nextQueued++, event, after: manager.history.at(-1) }
        : null
    if (item !== null) setQueued((list) => [...list, item])
    void send(event, args).then(() => {
      if (item !== null && mounted.current)
        setQueued((list) => list.filter((q) => q.id !== item.id))
    })
  }

  return (
    <section className="card">
      <h2>
        State machine <small>workflows/workflow.yaml</small>
      </h2>
      <FsmDiagram
        definition={manager.definition}
        state={state}
        status={status}
        last={history.at(-1)}
      />
      <p className="line">
        <span id="fsm-state-label">Current state</span>{' '}
        <output data-testid="fsm-state" aria-labelledby="fsm-state-label">
          {state}
        </output>{' '}
        · status{' '}
        <output data-testid="fsm-status" className={`badge ${status}`}>
          {status}
        </output>
        {lastTx !== '' && (
          <>
            {' '}
            · last notification <output data-testid="fsm-last-tx">{lastTx}</output>
          </>
        )}
      </p>
      <form
        className="row"
        onSubmit={(ev) => {
          ev.preventDefault()
          sendEvent('CMD_TX')
        }}
      >
        <AccountSelect name="fsm_from" label="From" value={from} onChange={setFrom} />
        <AccountSelect name="fsm_to" label="To" value={to} onChange={setTo} />
        <AmountField name="fsm_amount" label="Amount" text={amountText} onText={setAmountText} />
      </form>
      <fieldset className="row events">
        <legend className="sr-only">Events {state} accepts</legend>
        {accepted.map((event) => (
          <button
            key={event}
            type="button"
            data-testid={`send-${event}`}
            className={event.startsWith('CMD_') ? 'primary' : undefined}
            disabled={status === 'aborted' || !amount.ok}
            title={`send('${event}') with the form's From, To and Amount`}
            onClick={() => sendEvent(event)}
          >
            Send {event}
          </button>
        ))}
        <button
          type="button"
          data-testid="fsm-reset"
          onClick={() => {
            manager.reset()
            setQueued([])
            setResetAfter(manager.history.at(-1))
          }}
        >
          Reset
        </button>
      </fieldset>
      {status === 'aborted' && (
        <p className="hint" data-testid="fsm-aborted">
          A level A interlock aborted the workflow: every event is ignored until Reset.
        </p>
      )}
      <p className="line">
        Queue{' '}
        {waiting.length === 0 ? (
          <span className="muted" data-testid="fsm-queue-empty">
            empty
          </span>
        ) : (
          <span data-testid="fsm-queue" aria-live="polite">
            {waiting.map((q) => (
              <span key={q.id} className="badge running">
                {q.event}
              </span>
            ))}
          </span>
        )}
      </p>
      <ErrorView error={lastError} testId="fsm-error" />
      <h3>Transitions</h3>
      {history.length === 0 ? (
        <p className="muted" data-testid="fsm-history-empty">
          None yet.
        </p>
      ) : (
        <ol className="log" data-testid="fsm-history">
          {history.map((t, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the history only grows at its end
            <li key={i}>
              {t.from} <span className="muted">—{t.event}→</span> {t.to}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
