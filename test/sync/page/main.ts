/**
 * The page the Chromium tests of `theus/sync` open in several tabs: a bank engine synced with
 * `syncTabs`, its balances rendered, and a handle on `window.app` for the test to drive.
 */
import { process, TheusEngine } from 'theus'
import { type SyncConflictEvent, syncTabs } from 'theus/sync'

const transfer = process(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function transfer(ctx, args: { from: string; to: string; amount: number }) {
    const bal = ctx.domain.accounts[args.from] ?? 0
    if (bal < args.amount) return 'Failed'
    ctx.domain.accounts[args.from] = bal - args.amount
    ctx.domain.accounts[args.to] = (ctx.domain.accounts[args.to] ?? 0) + args.amount
    return 'Success'
  },
)

const engine = new TheusEngine({
  domain: { accounts: { Alice: 1000, Bob: 0, Carol: 500 } as Record<string, number> },
})
engine.registerProcess(transfer)
const sync = syncTabs(engine, { name: 'e2e' })
const conflicts: SyncConflictEvent[] = []

const show = (id: string, text: string) => {
  const el = document.querySelector(`[data-testid="${id}"]`)
  if (el) el.textContent = text
}
engine.state.subscribe((s) => {
  for (const [name, v] of Object.entries(s.domain.accounts)) show(`balance-${name}`, String(v))
})
show('leader', String(sync.isLeader))
sync.onLeaderChange((l) => show('leader', String(l)))
sync.onConflict((e) => {
  conflicts.push(e)
  show('conflicts', String(conflicts.length))
})

const app = {
  ready: sync.ready.then(() => true),
  isLeader: () => sync.isLeader,
  accounts: () => ({ ...engine.state.value.domain.accounts }),
  conflicts: () => conflicts.map((c) => ({ code: c.error.code, process: c.process })),
  transfer: (from: string, to: string, amount: number) =>
    engine.runProcess('transfer', { from, to, amount }),
  /** Blocks this tab's event loop for `ms` (no message can arrive), then transfers. */
  transferAfterBusy(ms: number, from: string, to: string, amount: number) {
    const end = performance.now() + ms
    while (performance.now() < end) {}
    return engine.runProcess('transfer', { from, to, amount })
  },
}
;(window as unknown as { app: typeof app }).app = app
