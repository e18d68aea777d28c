/**
 * The bank demo: SPEC §1–§2's context and processes through `theus/react`. Each account row
 * reads its own path, so a transfer re-renders exactly the two rows it touches (see the render
 * counters); forms run processes with `useProcess` and show errors as data.
 */
import { type FormEvent, memo, type ReactNode, useEffect, useRef, useState } from 'react'
import type { AuditLogEntry } from 'theus'
import { useEngine, useProcess, useTheus } from 'theus/react'
import { ErrorView } from './ErrorView'
import { AccountSelect, AmountField } from './fields'
import { errorData, formatMoney, formatValue, parseAmount } from './format'
import type { TransferArgs } from './processes'
import auditRecipe from './specs/audit_recipe.yaml'

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

/** A business failure returned as a result (the SPEC's `'Failed: Insufficient Funds'`). */
const isFailure = (result: unknown) => typeof result === 'string' && result.startsWith('Failed')

/**
 * The audit findings of `process` that did not stop its last run (level C: counts, early
 * warnings, warnings), collected from the 'audit' events of that run. Blocks and interlocks
 * are the run's error and show as such.
 */
function useRunWarnings(process: string): { warnings: AuditLogEntry[]; startRun: () => void } {
  const engine = useEngine()
  const [warnings, setWarnings] = useState<AuditLogEntry[]>([])
  useEffect(
    () =>
      engine.on('audit', (f) => {
        if (f.process === process && f.level === 'C') setWarnings((list) => [...list, f])
      }),
    [engine, process],
  )
  return { warnings, startRun: () => setWarnings([]) }
}

interface RuleSource {
  field?: string
  message?: string
  [condition: string]: unknown
}

/**
 * The rule's own message, from the recipe this page was built with: an audit log entry's
 * `message` is the engine's whole sentence, and under the form the rule's words say enough.
 */
function ruleMessage(f: AuditLogEntry): string | undefined {
  const recipes = (auditRecipe as { process_recipes?: Record<string, Record<string, unknown>> })
    .process_recipes
  const rules = recipes?.[f.process]?.[f.gate === 'input' ? 'inputs' : 'outputs']
  if (!Array.isArray(rules)) return undefined
  // Two rules may share a field and a condition (max 10,000 at B, max 5,000 at C): the limit
  // tells them apart.
  const rule = (rules as RuleSource[]).find(
    (r) => r.field === f.field && r[f.condition] === f.limit,
  )
  return rule?.message
}

function AuditWarnings({ warnings, testId }: { warnings: AuditLogEntry[]; testId: string }) {
  if (warnings.length === 0) return null
  return (
    <ul className="warnings" data-testid={testId} aria-label="audit warnings of this run">
      {warnings.map((f) => (
        <li key={`${f.at}:${f.field}:${f.condition}:${f.count}`} className={`action-${f.action}`}>
          <span className={`badge level-${f.level}`}>
            {f.level} {f.action}
          </span>{' '}
          {ruleMessage(f) ?? `${f.field} ${f.condition} ${formatValue(f.limit)}`}:{' '}
          <code>
            {f.field} = {formatValue(f.value)}
          </code>{' '}
          <span className="muted">
            ({f.condition} {formatValue(f.limit)}, {f.count}/{f.threshold})
          </span>
        </li>
      ))}
    </ul>
  )
}

function TransferForm(): ReactNode {
  const { run, pending, error, result } = useProcess<TransferArgs, string>('transfer')
  const { warnings, startRun } = useRunWarnings('transfer')
  const [from, setFrom] = useState('Alice')
  const [to, setTo] = useState('Bob')
  const [amountText, setAmountText] = useState('100')
  const amount = parseAmount(amountText)
  const onSubmit = (ev: FormEvent) => {
    ev.preventDefault()
    if (!amount.ok) return
    startRun()
    void run({ from_user: from, to_user: to, amount: amount.value })
  }
  return (
    <section className="card">
      <h2>
        Transfer <small>useProcess('transfer')</small>
      </h2>
      <form onSubmit={onSubmit} className="row" data-testid="transfer-form">
        <AccountSelect name="from_user" label="From" value={from} onChange={setFrom} />
        <AccountSelect name="to_user" label="To" value={to} onChange={setTo} />
        <AmountField name="amount" label="Amount" text={amountText} onText={setAmountText} />
        <button type="submit" data-testid="transfer" disabled={pending || !amount.ok}>
          {pending ? 'Running…' : 'Transfer'}
        </button>
      </form>
      <p className="hint">
        Over 5,000 twice in a row: a level C warning (Carol can afford it). Over 10,000: blocked
        (level B). From Dave, whose account is frozen: a level A interlock. More than the balance:
        the fraud signal. To the same account: <code>ValueError</code>.
      </p>
      {error !== null ? (
        <ErrorView error={error} testId="transfer-error" />
      ) : (
        result !== null &&
        (isFailure(result) ? (
          <p
            className="result failure"
            role="alert"
            data-testid="transfer-result"
            data-outcome="failure"
          >
            <strong>{result}</strong>{' '}
            <span className="muted">
              No money moved; the process raised <code>sig_fraud_detected</code> for one commit.
            </span>
          </p>
        ) : (
          <p className="result" role="status" data-testid="transfer-result" data-outcome="success">
            {result}
          </p>
        ))
      )}
      <AuditWarnings warnings={warnings} testId="transfer-audit" />
    </section>
  )
}

function DepositForm(): ReactNode {
  const { run, pending, error, result } = useProcess<{ user: string; amount: number }, string>(
    'deposit',
  )
  const [amountText, setAmountText] = useState('50')
  const amount = parseAmount(amountText)
  const submit = () => {
    if (amount.ok) void run({ user: 'Bob', amount: amount.value })
  }
  const conflict = errorData(error).code === 'CONFLICT'
  return (
    <section className="card">
      <h2>
        Deposit <small>async process</small>
      </h2>
      <form
        className="row"
        onSubmit={(ev) => {
          ev.preventDefault()
          submit()
        }}
      >
        <AmountField
          name="deposit_amount"
          label="Amount to Bob"
          text={amountText}
          onText={setAmountText}
        />
        <button type="submit" data-testid="deposit" disabled={pending || !amount.ok}>
          Deposit
        </button>
        {pending && (
          <span className="badge" data-testid="deposit-pending">
            pending…
          </span>
        )}
      </form>
      <p className="hint">
        It takes 400 ms: a transfer to or from Bob meanwhile makes it a <code>CONFLICT</code>.
      </p>
      {error !== null ? (
        <>
          <ErrorView error={error} testId="deposit-error" />
          {conflict && (
            <button
              type="button"
              data-testid="deposit-again"
              disabled={pending || !amount.ok}
              onClick={submit}
            >
              Run again
            </button>
          )}
        </>
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
  const [last, setLast] = useState<string | undefined>(engine.history.at(-1)?.process)
  const [redoable, setRedoable] = useState(0)
  useEffect(
    () =>
      engine.on('commit', (e) => {
        // Read the history once the commit is done: redo() may fire 'commit' before its entry
        // is back in the history.
        queueMicrotask(() => {
          setCount(engine.history.length)
          setLast(engine.history.at(-1)?.process)
        })
        // A run that wrote nothing (empty patches) makes no history entry and keeps the redo
        // stack; any other new commit clears it.
        setRedoable((n) =>
          e.process === 'undo'
            ? n + 1
            : e.process === 'redo'
              ? n - 1
              : e.patches.length === 0
                ? n
                : 0,
        )
      }),
    [engine],
  )
  return (
    <div className="row">
      <button
        type="button"
        data-testid="undo"
        disabled={count === 0}
        title={last === undefined ? 'Nothing to undo' : `Undo the last ${last} commit`}
        onClick={() => engine.undo()}
      >
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
        history: <output data-testid="history-count">{count}</output>{' '}
        {count === 1 ? 'commit' : 'commits'} to undo
      </span>
    </div>
  )
}

/**
 * Processes that fail on purpose: a level S interlock, a level A interlock and a contract
 * violation; with the transfer form's level B block and level C warnings, every audit level
 * can be reached from this page.
 */
function Breakers(): ReactNode {
  const drain = useProcess('drain_reserves')
  const frozen = useProcess<TransferArgs, string>('transfer')
  const skim = useProcess('skim')
  const [last, setLast] = useState<'drain' | 'frozen' | 'skim' | null>(null)
  const error =
    last === 'drain'
      ? drain.error
      : last === 'frozen'
        ? frozen.error
        : last === 'skim'
          ? skim.error
          : null
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
          Drain reserves <span className="badge level-S">S</span>
        </button>
        <button
          type="button"
          data-testid="frozen"
          title="A transfer from Dave, whose account is frozen: a level A interlock"
          onClick={() => {
            setLast('frozen')
            void frozen.run({ from_user: 'Dave', to_user: 'Alice', amount: 10 })
          }}
        >
          Send from Dave <span className="badge level-A">A</span>
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
      <ul className="hint levels">
        <li>
          <span className="badge level-S">S</span> halts the engine until Resume.
        </li>
        <li>
          <span className="badge level-A">A</span> refuses the run and aborts a running workflow.
        </li>
        <li>
          <span className="badge level-B">B</span> blocks the run: a transfer over 10,000.
        </li>
        <li>
          <span className="badge level-C">C</span> warns and lets the run go on: shown under the
          transfer form.
        </li>
      </ul>
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
