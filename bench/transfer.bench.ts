/**
 * The bank transfer (two balances change, one subscriber reads two balances) at 10, 1 000 and
 * 100 000 accounts: Theus strict and non-strict, a rolled-back Theus run, a plain function,
 * immer `produce`, MobX-State-Tree and valtio, interleaved in one process.
 */
import { effect } from '@preact/signals-core'
import { produce } from 'immer'
import { reaction } from 'mobx'
import { types } from 'mobx-state-tree'
import { process as defineProcess, TheusEngine } from 'theus'
import { proxy, subscribe } from 'valtio/vanilla'
import { type Contender, measure, printTable, type Result } from './harness.js'

const SIZES = [10, 1_000, 100_000]

function accounts(n: number): Record<string, number> {
  const a: Record<string, number> = {}
  for (let i = 0; i < n; i++) a[`u${i}`] = 1_000_000
  return a
}

const transfer = defineProcess(
  { name: 'transfer', inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function transfer(ctx, args: { from: string; to: string; amount: number }) {
    const acc = ctx.domain.accounts
    acc[args.from] = acc[args.from] - args.amount
    acc[args.to] = acc[args.to] + args.amount
  },
)
class Refused extends Error {}
// Capturing a stack trace costs microseconds: one row throws an error made beforehand, to show
// the engine's own rollback cost; the other makes it in the body, as most code does.
const prebuilt = new Refused('no')
const failing = defineProcess(
  {
    name: 'failing',
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts'],
    errors: ['Refused'],
  },
  function failing(ctx, args: { from: string; to: string; amount: number; fresh?: boolean }) {
    const acc = ctx.domain.accounts
    acc[args.from] = acc[args.from] - args.amount
    acc[args.to] = acc[args.to] + args.amount
    throw args.fresh ? new Refused('no') : prebuilt
  },
)
const recipe = {
  process_recipes: {
    transfer: {
      inputs: [{ field: 'amount', max: 10_000, level: 'B' }],
      outputs: [{ field: 'domain.accounts.u0', min: 0, level: 'S' }],
    },
  },
}

let sink = 0
const args = { from: 'u0', to: 'u1', amount: 1 }

function theus(n: number, strict: boolean, audited = false): Contender {
  const engine = new TheusEngine(
    { domain: { accounts: accounts(n) } },
    { strictMode: strict, runLogLimit: 1000, ...(audited ? { auditRecipe: recipe } : {}) },
  )
  engine.registerProcess(transfer)
  const a = engine.select('domain.accounts.u0')
  const b = engine.select('domain.accounts.u1')
  effect(() => {
    sink += (a.value as number) + (b.value as number)
  })
  return {
    name: `theus ${strict ? 'strict' : 'non-strict'}${audited ? ' + audit (2 rules)' : ''}`,
    op: () => engine.runProcess('transfer', args),
  }
}

function theusRollback(n: number, fresh: boolean): Contender {
  const engine = new TheusEngine({ domain: { accounts: accounts(n) } }, { runLogLimit: 1000 })
  const failArgs = { ...args, fresh }
  engine.registerProcess(failing)
  const a = engine.select('domain.accounts.u0')
  const b = engine.select('domain.accounts.u1')
  effect(() => {
    sink += (a.value as number) + (b.value as number)
  })
  return {
    name: `theus strict, rolled back${fresh ? ' (new Error)' : ''}`,
    op: () => {
      try {
        engine.runProcess('failing', failArgs)
      } catch {
        sink++
      }
    },
  }
}

function plain(n: number): Contender {
  const state = { accounts: accounts(n) }
  const listeners: (() => void)[] = [() => (sink += state.accounts.u0! + state.accounts.u1!)]
  return {
    name: 'plain function',
    op: () => {
      state.accounts[args.from]! -= args.amount
      state.accounts[args.to]! += args.amount
      for (const l of listeners) l()
    },
  }
}

function immer(n: number): Contender {
  let state = { accounts: accounts(n) }
  return {
    name: 'immer produce',
    op: () => {
      state = produce(state, (d) => {
        d.accounts[args.from]! -= args.amount
        d.accounts[args.to]! += args.amount
      })
      sink += state.accounts.u0! + state.accounts.u1!
    },
  }
}

function mst(n: number): Contender {
  const Bank = types.model({ accounts: types.map(types.number) }).actions((self) => ({
    transfer(from: string, to: string, amount: number) {
      self.accounts.set(from, self.accounts.get(from)! - amount)
      self.accounts.set(to, self.accounts.get(to)! + amount)
    },
  }))
  const store = Bank.create({ accounts: accounts(n) })
  reaction(
    () => store.accounts.get('u0')! + store.accounts.get('u1')!,
    (v) => {
      sink += v
    },
  )
  return { name: 'mobx-state-tree', op: () => store.transfer(args.from, args.to, args.amount) }
}

function valtio(n: number): Contender {
  const state = proxy({ accounts: accounts(n) })
  subscribe(
    state,
    () => {
      sink += state.accounts.u0! + state.accounts.u1!
    },
    true,
  )
  return {
    name: 'valtio (no rollback)',
    op: () => {
      state.accounts[args.from]! -= args.amount
      state.accounts[args.to]! += args.amount
    },
  }
}

export function runTransferBench(): Record<number, Result[]> {
  const out: Record<number, Result[]> = {}
  for (const n of SIZES) {
    const cs = [
      plain(n),
      theus(n, true),
      theus(n, false),
      theus(n, true, true),
      theusRollback(n, false),
      theusRollback(n, true),
      mst(n),
      valtio(n),
    ]
    // immer copies the whole record per change: at 100 000 accounts a round takes seconds.
    cs.push(immer(n))
    const res = measure(cs, { rounds: n >= 100_000 ? 7 : 15 })
    printTable(`bank transfer, ${n.toLocaleString('en-US')} accounts`, res, 'plain function')
    out[n] = res
  }
  const pick = (n: number, name: string) => out[n]!.find((r) => r.name === name)!.nsPerOp
  const strict = SIZES.map((n) => pick(n, 'theus strict'))
  const ratio = (name: string) =>
    SIZES.map(
      (n, i) => `${n.toLocaleString('en-US')}: ${(pick(n, name) / strict[i]!).toFixed(2)}`,
    ).join(', ')
  console.log(
    `\ntheus strict per op: ${strict.map((t) => `${(t / 1000).toFixed(2)} µs`).join(', ')} (target ≤ 1.5 µs)`,
  )
  console.log(
    `theus strict growth 10 → 100 000 accounts: ${(strict[2]! / strict[0]!).toFixed(2)}× (target ≤ 1.5×)`,
  )
  console.log(`rollback / commit: ${ratio('theus strict, rolled back')} (target ≤ 1, issue 3: ≤ 2)`)
  console.log(`rollback with new Error / commit: ${ratio('theus strict, rolled back (new Error)')}`)
  console.log(`audit overhead (2 rules) / no recipe: ${ratio('theus strict + audit (2 rules)')}`)
  if (sink === 42) console.log('')
  return out
}
