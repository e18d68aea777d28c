import { type FormEvent, useState } from 'react'
import { workflow } from './engine'
import { useAuditLog, useProcess, useTheus, useWorkflow } from './hooks'

export function App() {
  const accounts = useTheus('domain.accounts')
  const lastTx = useTheus('domain.meta_last_tx')
  const transfer = useProcess('transfer')
  const flow = useWorkflow(workflow)
  const audit = useAuditLog(5)
  const [amount, setAmount] = useState(100)
  const [message, setMessage] = useState('')

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    const outcome = await transfer.run({ from_user: 'Alice', to_user: 'Bob', amount })
    setMessage(
      outcome.ok
        ? outcome.value
        : outcome.error instanceof Error
          ? outcome.error.message
          : String(outcome.error),
    )
  }

  return (
    <main>
      <h1>Theus bank</h1>
      <ul>
        {Object.entries(accounts).map(([user, balance]) => (
          <li key={user}>
            {user}: {balance}
          </li>
        ))}
      </ul>
      <form onSubmit={onSubmit}>
        <label>
          Alice pays Bob{' '}
          <input type="number" value={amount} onChange={(e) => setAmount(Number(e.target.value))} />
        </label>{' '}
        <button type="submit" disabled={transfer.pending}>
          Transfer
        </button>{' '}
        <button
          type="button"
          onClick={() =>
            void flow.send('CMD_TX', { from_user: 'Bob', to_user: 'Alice', amount: 50 })
          }
        >
          Workflow: Bob pays Alice 50
        </button>
      </form>
      <p>{message}</p>
      <p>
        Workflow: {flow.state} ({flow.status}) {lastTx && `last: ${lastTx}`}
      </p>
      <h2>Audit</h2>
      <ul>
        {audit.map((entry) => (
          <li key={`${entry.at}-${entry.field}-${entry.count}`}>
            [{entry.level}] {entry.message}
          </li>
        ))}
      </ul>
    </main>
  )
}
