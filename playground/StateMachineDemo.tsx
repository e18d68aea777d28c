/**
 * The state machine demo: `workflows/workflow.yaml` (SPEC §5.1) driven by a `WorkflowManager`
 * and followed with `useWorkflow`. CMD_TX enters PROCESSING (transfer), whose chain event leads
 * to NOTIFY (notify) and back to IDLE, or straight back to IDLE when the transfer throws.
 */
import { type ReactNode, useState } from 'react'
import type { WorkflowManager } from 'theus'
import { useTheus, useWorkflow } from 'theus/react'
import { ErrorView } from './ErrorView'
import type { TransferArgs } from './processes'

/**
 * Current state, status, last error, a CMD_TX form and the transition history of a manager.
 * @example
 * <StateMachineDemo manager={new WorkflowManager(engine, workflow)} />
 */
export function StateMachineDemo({ manager }: { manager: WorkflowManager }): ReactNode {
  const { state, status, send, lastError } = useWorkflow(manager)
  const lastTx = String(useTheus('domain.meta_last_tx'))
  const [args, setArgs] = useState<TransferArgs>({
    from_user: 'Alice',
    to_user: 'Bob',
    amount: 100,
  })
  // The component re-renders on every state and status change, and a transition always
  // changes one of them, so reading the history here stays current.
  const history = manager.history
  const states = Object.keys(manager.definition.states)
  return (
    <section className="card">
      <h2>
        State machine <small>workflows/workflow.yaml</small>
      </h2>
      <ol className="states" aria-label="states">
        {states.map((s) => (
          <li key={s} className={s === state ? 'current' : undefined}>
            {s}
            <small>{manager.definition.states[s]?.entry.join(', ')}</small>
          </li>
        ))}
      </ol>
      <p className="line">
        state <output data-testid="fsm-state">{state}</output> · status{' '}
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
          void send('CMD_TX', args)
        }}
      >
        <label>
          From
          <input
            name="fsm_from"
            value={args.from_user}
            onChange={(e) => setArgs({ ...args, from_user: e.target.value })}
          />
        </label>
        <label>
          To
          <input
            name="fsm_to"
            value={args.to_user}
            onChange={(e) => setArgs({ ...args, to_user: e.target.value })}
          />
        </label>
        <label>
          Amount
          <input
            name="fsm_amount"
            type="number"
            value={String(args.amount)}
            onChange={(e) => setArgs({ ...args, amount: e.target.valueAsNumber })}
          />
        </label>
        <button type="submit" data-testid="send-cmd-tx">
          Send CMD_TX
        </button>
        <button type="button" data-testid="fsm-reset" onClick={() => manager.reset()}>
          Reset
        </button>
      </form>
      <ErrorView error={lastError} testId="fsm-error" />
      <h3>Transitions</h3>
      {history.length === 0 ? (
        <p className="muted">None yet.</p>
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
