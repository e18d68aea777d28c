/**
 * The bank demo: SPEC §1–§2's context and processes through `theus/react`. Each account row
 * reads its own path, so a transfer re-renders exactly the two rows it touches (see the render
 * counters); forms run processes with `useProcess` and show errors as data.
 */
import { type FormEvent, memo, type ReactNode, useEffect, useRef, useState } from 'react'
import { useEngine, useProcess, useTheus } from 'theus/react'
import { ErrorView } from './ErrorView'
import { formatMoney } from './format'
import type { TransferArgs } from './processes'

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i])

function useAccountNames(): readonly string[] {
  return useTheus((s) => Object.keys(s.domain.accounts), sameNames)
}

/** One account: reads only `domain.accounts.<name>`, and counts its own renders. */
const AccountRow = memo(function AccountRow({ name }: { name: string }): ReactNode {
  const balance = useTheus(`domain.accounts.${name}`)
  const renders = useRef(0)
  renders.current += 1
  return (
    <tr>
      <th scope="row">{name}</th>
      <td className="num" data-testid={`balance-${name}`}>
        {formatMoney(balance)}
      </td>
      <td className="num muted" data-testid={`renders-${name}`}>
        {renders.current}
      </td>
    </tr>
  )
})

function Accounts(): ReactNode {
  const names = useAccountNames()
  const reserves = useTheus('domain.total_reserves')
  const fraud = useTheus('domain.sig_fraud_detected')
  return (
    <section className="card">
      <h2>Accounts</h2>
      <table className="accounts">
        <thead>
          <tr>
            <th scope="col">account</th>
            <th scope="col" className="num">
              balance
            </th>
            <th scope="col" className="num" title="renders of this row">
              renders
            </th>
          </tr>
        </thead>
        <tbody>
          {names.map((name) => (
            <AccountRow key={name} name={name} />
          ))}
        </tbody>
      </table>
      <p className="line">
        Reserves <output data-testid="reserves">{formatMoney(reserves)}</output>
        {fraud === true && (
          <span className="badge warn" data-testid="fraud-signal">
            sig_fraud_detected
          </span>
        )}
      </p>
      <HistoryControls />
    </section>
  )
}

function TransferForm(): ReactNode {
  const names = useAccountNames()
  const { run, pending, error, result } = useProcess<TransferArgs, string>('transfer')
  const [args, setArgs] = useState<TransferArgs>({
    from_user: 'Alice',
    to_user: 'Bob',
    amount: 100,
  })
  const onSubmit = (ev: FormEvent) => {
    ev.preventDefault()
    void run(args)
  }
  return (
    <section className="card">
      <h2>
        Transfer <small>useProcess('transfer')</small>
      </h2>
      <form onSubmit={onSubmit} className="row" data-testid="transfer-form">
        <label>
          From
          <select
            name="from_user"
            value={args.from_user}
            onChange={(e) => setArgs({ ...args, from_user: e.target.value })}
          >
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          To
          <select
            name="to_user"
            value={args.to_user}
            onChange={(e) => setArgs({ ...args, to_user: e.target.value })}
          >
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Amount
          <input
            name="amount"
            type="number"
            step="any"
            value={String(args.amount)}
            onChange={(e) => setArgs({ ...args, amount: e.target.valueAsNumber })}
          />
        </label>
        <button type="submit" data-testid="transfer" disabled={pending}>
          {pending ? 'Running…' : 'Transfer'}
        </button>
      </form>
      <p className="hint">
        Over 5,000 twice in a row: a level C warning. Over 10,000: blocked (level B). More than the
        balance: the fraud signal. Zero or less: <code>ValueError</code>.
      </p>
      {error !== null ? (
        <ErrorView error={error} testId="transfer-error" />
      ) : (
        result !== null && (
          <p className="result" role="status" data-testid="transfer-result">
            {result}
          </p>
        )
      )}
    </section>
  )
}

function DepositForm(): ReactNode {
  const { run, pending, error, result } = useProcess<{ user: string; amount: number }, string>(
    'deposit',
  )
  const [amount, setAmount] = useState(50)
  return (
    <section className="card">
      <h2>
        Deposit <small>async process</small>
      </h2>
      <form
        className="row"
        onSubmit={(ev) => {
          ev.preventDefault()
          void run({ user: 'Bob', amount })
        }}
      >
        <label>
          Amount to Bob
          <input
            name="deposit_amount"
            type="number"
            value={String(amount)}
            onChange={(e) => setAmount(e.target.valueAsNumber)}
          />
        </label>
        <button type="submit" data-testid="deposit" disabled={pending}>
          Deposit
        </button>
        {pending && (
          <span className="badge" data-testid="deposit-pending">
            pending…
          </span>
        )}
      </form>
      {error !== null ? (
        <ErrorView error={error} testId="deposit-error" />
      ) : (
        result !== null && (
          <p className="result" data-testid="deposit-result">
            {result}
          </p>
        )
      )}
    </section>
  )
}

/** Undo and redo: commits of their own, listed in the inspector as `undo` / `redo`. */
function HistoryControls(): ReactNode {
  const engine = useEngine()
  const [count, setCount] = useState(engine.history.length)
  const [redoable, setRedoable] = useState(0)
  useEffect(
    () =>
      engine.on('commit', (e) => {
        setCount(engine.history.length)
        setRedoable((n) => (e.process === 'undo' ? n + 1 : e.process === 'redo' ? n - 1 : 0))
      }),
    [engine],
  )
  return (
    <div className="row">
      <button type="button" data-testid="undo" disabled={count === 0} onClick={() => engine.undo()}>
        Undo
      </button>
      <button
        type="button"
        data-testid="redo"
        disabled={redoable === 0}
        onClick={() => engine.redo()}
      >
        Redo
      </button>
      <span className="muted">
        history: <output data-testid="history-count">{count}</output> commits
      </span>
    </div>
  )
}

/** Processes that fail on purpose: a level S interlock and a contract violation. */
function Breakers(): ReactNode {
  const drain = useProcess('drain_reserves')
  const skim = useProcess('skim')
  const [last, setLast] = useState<'drain' | 'skim' | null>(null)
  const error = last === 'drain' ? drain.error : last === 'skim' ? skim.error : null
  return (
    <section className="card">
      <h2>Failures on purpose</h2>
      <div className="row">
        <button
          type="button"
          data-testid="drain"
          title="Sets total_reserves below 0: the level S output rule halts the engine"
          onClick={() => {
            setLast('drain')
            void drain.run()
          }}
        >
          Drain reserves
        </button>
        <button
          type="button"
          data-testid="skim"
          title="Writes domain.total_reserves, which its contract does not declare"
          onClick={() => {
            setLast('skim')
            void skim.run()
          }}
        >
          Break a contract
        </button>
      </div>
      <ErrorView error={error} testId="breaker-error" />
    </section>
  )
}

/**
 * The bank demo: accounts with per-row render counters, transfer and deposit forms, undo/redo,
 * and processes that trip the audit interlock or break their contract.
 * @example
 * <TheusProvider engine={engine}><BankDemo /></TheusProvider>
 */
export function BankDemo(): ReactNode {
  return (
    <div className="stack">
      <Accounts />
      <TransferForm />
      <DepositForm />
      <Breakers />
    </div>
  )
}
