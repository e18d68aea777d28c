import { type FormEvent, useState } from 'react'
import { transfers } from './engine'
import { useAuditLog, useEngine, useProcess, useTheus, useWorkflow } from './hooks'

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i])

function Balance({ user }: { user: string }) {
  // One signal per row: a transfer re-renders the two rows it touches, no others.
  const balance = useTheus(`domain.accounts.${user}`)
  return (
    <li>
      {user}: {balance}
    </li>
  )
}

export function App() {
  const engine = useEngine()
  const users = useTheus((s) => Object.keys(s.domain.accounts), sameList)
  const transfer = useProcess('transfer')
  const flow = useWorkflow(transfers)
  const audit = useAuditLog(5)
  const [amount, setAmount] = useState(100)

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    await transfer.run({ from_user: 'Alice', to_user: 'Bob', amount })
  }

  return (
    <main>
      <h1>Tutorial bank</h1>
      <ul>
        {users.map((user) => (
          <Balance key={user} user={user} />
        ))}
      </ul>
      <form onSubmit={onSubmit}>
        <label>
          Alice pays Bob{' '}
          <input type="number" value={amount} onChange={(e) => setAmount(Number(e.target.value))} />
        </label>{' '}
        <button type="submit" disabled={transfer.pending}>
          Transfer
        </button>
      </form>
      {transfer.error instanceof Error && <p role="alert">{transfer.error.message}</p>}
      {transfer.result !== null && <p role="status">{String(transfer.result)}</p>}
      <p>
        <button type="button" onClick={() => engine.undo()}>
          Undo
        </button>{' '}
        <button type="button" onClick={() => engine.redo()}>
          Redo
        </button>
      </p>
      <p>
        Workflow: {flow.state} ({flow.status}){' '}
        <button
          type="button"
          onClick={() =>
            void flow.send('CMD_TX', { from_user: 'Bob', to_user: 'Alice', amount: 50 })
          }
        >
          Bob pays Alice 50
        </button>
      </p>
      <h2>Audit</h2>
      <ul>
        {audit.map((entry) => (
          <li key={`${entry.at}-${entry.field}-${entry.count}`}>{entry.message}</li>
        ))}
      </ul>
    </main>
  )
}
