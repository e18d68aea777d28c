/**
 * The playground's bank demo: plain DOM, public names only. Balances are bound to
 * `engine.select(...)` signals with `effect`, so each <output> updates once per commit that
 * changes it and never for a rolled-back run.
 */
import { effect } from '@preact/signals-core'
import { process, TheusEngine } from 'theus'

class ValueError extends Error {
  override name = 'ValueError'
}

type Accounts = Record<string, number>

const initial = {
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Accounts,
    total_reserves: 1_000_000,
    sig_fraud_detected: false,
    meta_last_tx: '',
    heavy_chart: new Float64Array(365),
  },
}

const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.total_reserves', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
    sideEffects: [],
  },
  function transfer(ctx, args: { from_user: string; to_user: string; amount: number }) {
    if (!(args.amount > 0)) throw new ValueError('Amount must be positive')
    const bal: number = ctx.domain.accounts[args.from_user] ?? 0
    if (bal < args.amount) {
      ctx.domain.sig_fraud_detected = true
      return 'Failed: Insufficient Funds'
    }
    ctx.domain.accounts[args.from_user] = bal - args.amount
    ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
    return 'Success'
  },
)

// Writes a path its contract does not declare: the guard stops it and nothing is committed.
const skim = process(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function skim(ctx) {
    ctx.domain.accounts.Alice = 0
    ctx.domain.total_reserves = 0
  },
)

const engine = new TheusEngine(initial, { strictMode: true })
engine.registerProcess(transfer)
engine.registerProcess(skim)

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const resultEl = $('result')
const errorEl = $('error')
const signalEl = $('signal')

const money = new Intl.NumberFormat('en-US')
for (const name of ['Alice', 'Bob']) {
  const balance = engine.select(`domain.accounts.${name}`)
  const el = $(`balance-${name}`)
  effect(() => {
    el.textContent = money.format(balance.value as number)
  })
}
const reserves = engine.select('domain.total_reserves')
effect(() => {
  $('reserves').textContent = money.format(reserves.value as number)
})

let commits = 0
engine.on('commit', () => {
  $('commits').textContent = String(++commits)
})
engine.on('signal', (e) => {
  signalEl.textContent = `signal ${e.path} = ${String(e.value)} (from ${e.process})`
})

function runAndShow(name: string, args?: Record<string, unknown>): void {
  resultEl.textContent = ''
  errorEl.textContent = ''
  signalEl.textContent = ''
  try {
    const result = engine.runProcess(name, args)
    resultEl.textContent = `${name}: ${String(result)}`
  } catch (e) {
    const err = e as Error & { code?: string }
    errorEl.textContent = `${err.name}${err.code ? ` [${err.code}]` : ''}: ${err.message}`
  }
}

const form = $<HTMLFormElement>('transfer-form')
form.addEventListener('submit', (ev) => {
  ev.preventDefault()
  const data = new FormData(form)
  runAndShow('transfer', {
    from_user: String(data.get('from_user')),
    to_user: String(data.get('to_user')),
    amount: Number(data.get('amount')),
  })
})
$('illegal-write').addEventListener('click', () => runAndShow('skim'))

// Handy in the devtools console.
Object.assign(globalThis, { engine })
