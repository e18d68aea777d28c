/**
 * Two synced views: two engines on this page, each synced with `syncTabs` as two tabs would be
 * (BroadcastChannel and Web Locks reach other objects of the same page too). Open the page in
 * another tab and it joins them. A transfer in one view shows in the other; "Conflict" commits
 * two transfers from the same account at once, and the leader keeps one.
 */
import { type ReactNode, useEffect, useState } from 'react'
import { TheusEngine } from 'theus'
import { TheusProvider, useProcess, useTheus } from 'theus/react'
import { syncTabs, type TabSync } from 'theus/sync'
import { formatMoney } from './format'
import { transfer } from './processes'

interface View {
  engine: TheusEngine<any>
  sync: TabSync
}

function makeView(): View {
  const engine = new TheusEngine({
    global: { max_transfer: 10_000 },
    domain: {
      accounts: { Alice: 1000, Bob: 0, Carol: 500 } as Record<string, number>,
      total_reserves: 1_000_000,
      sig_fraud_detected: false,
    },
  })
  engine.registerProcess(transfer)
  return { engine, sync: syncTabs(engine, { name: 'playground' }) }
}

function Panel({ label, view }: { label: string; view: View }): ReactNode {
  const accounts = useTheus('domain.accounts') as Record<string, number>
  const { run } = useProcess('transfer')
  const [leader, setLeader] = useState(view.sync.isLeader)
  const [conflicts, setConflicts] = useState<{ n: number; message: string }[]>([])
  useEffect(() => view.sync.onLeaderChange(setLeader), [view])
  useEffect(
    () =>
      view.sync.onConflict((e) =>
        setConflicts((c) => [...c, { n: c.length, message: e.error.message }]),
      ),
    [view],
  )
  return (
    <section className="card" data-testid={`sync-${label}`}>
      <h2>
        View {label} {leader ? <small>(leader)</small> : null}
      </h2>
      <table>
        <tbody>
          {Object.entries(accounts).map(([name, v]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td className="num">{formatMoney(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() => run({ from_user: 'Alice', to_user: 'Bob', amount: 100 })}
      >
        Alice → Bob 100
      </button>
      <ul className="muted">
        {conflicts.map((c) => (
          <li key={c.n}>CONFLICT: {c.message}</li>
        ))}
      </ul>
    </section>
  )
}

export function SyncDemo(): ReactNode {
  const [views] = useState(() => [makeView(), makeView()] as const)
  useEffect(
    () => () => {
      for (const v of views) v.sync.close()
    },
    [views],
  )
  const conflict = () => {
    // Both commit before either hears of the other: the leader orders one, rejects the other.
    views[0].engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 600 })
    views[1].engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Carol', amount: 700 })
  }
  return (
    <div className="stack">
      <p>
        Two engines synced by <code>syncTabs</code> from <code>theus/sync</code>; open this page in
        another tab to add a third.{' '}
        <button type="button" onClick={conflict}>
          Conflict: both views spend Alice's money at once
        </button>
      </p>
      <div className="layout">
        {views.map((v, i) => (
          <TheusProvider key={v.sync.id} engine={v.engine}>
            <Panel label={i === 0 ? 'A' : 'B'} view={v} />
          </TheusProvider>
        ))}
      </div>
    </div>
  )
}
