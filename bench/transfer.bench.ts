import { reactive, effect as vueEffect } from '@vue/reactivity'
import { produce } from 'immer'
import { reaction } from 'mobx'
import { types } from 'mobx-state-tree'
import { proxy, subscribe } from 'valtio/vanilla'
import { accounts, bankEngine, LEVEL_C_RECIPE } from './bank.js'
import { type Contender, measure, printTable, type Result } from './harness.js'
import { report } from './report.js'

const SIZES = [10, 1_000, 100_000]

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

const toSink = (sum: number): void => {
  sink += sum
}

function theus(n: number, strict: boolean, audited: false | 'S+B' | 'C' = false): Contender {
  const auditRecipe = audited === 'S+B' ? recipe : audited === 'C' ? LEVEL_C_RECIPE : undefined
  const engine = bankEngine(
    n,
    { strictMode: strict, runLogLimit: 1000, ...(auditRecipe ? { auditRecipe } : {}) },
    toSink,
  )
  return {
    name: `theus ${strict ? 'strict' : 'non-strict'}${audited === 'S+B' ? ' + audit (2 rules)' : audited === 'C' ? ' + level C rule' : ''}`,
    op: () => engine.runProcess('transfer', args),
  }
}

function theusRollback(n: number, fresh: boolean): Contender {
  const engine = bankEngine(n, { runLogLimit: 1000 }, toSink)
  const failArgs = { ...args, fresh }
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

/** Alternates undo() and redo() of one transfer: each op is one commit of inverse patches. */
function theusUndoRedo(n: number): Contender {
  const engine = bankEngine(n, { runLogLimit: 1000 }, toSink)
  engine.runProcess('transfer', args)
  let undone = false
  return {
    name: 'theus undo/redo',
    op: () => {
      undone = undone ? !engine.redo() : engine.undo()
    },
  }
}

function vue(n: number): Contender {
  const state = reactive({ accounts: accounts(n) })
  // A scheduler as Vue's own: the effect runs once after the transfer, not once per write.
  let queued = false
  const runner = vueEffect(
    () => {
      sink += state.accounts.u0! + state.accounts.u1!
    },
    {
      scheduler: () => {
        queued = true
      },
    },
  )
  return {
    name: 'vue reactivity (no rollback)',
    op: () => {
      state.accounts[args.from]! -= args.amount
      state.accounts[args.to]! += args.amount
      if (queued) {
        queued = false
        runner()
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

export const THEUS_ROWS = [
  'theus strict',
  'theus non-strict',
  'theus strict + level C rule',
  'theus strict + audit (2 rules)',
  'theus strict, rolled back',
  'theus undo/redo',
]

export function runTransferBench(): Record<number, Result[]> {
  const out: Record<number, Result[]> = {}
  for (const n of SIZES) {
    const cs = [
      plain(n),
      theus(n, true),
      theus(n, false),
      theus(n, true, 'C'),
      theus(n, true, 'S+B'),
      theusRollback(n, false),
      theusRollback(n, true),
      theusUndoRedo(n),
      mst(n),
      valtio(n),
      vue(n),
    ]
    // immer copies the whole record per change: at 100 000 accounts a round takes seconds.
    cs.push(immer(n))
    const res = measure(cs, { rounds: 15 })
    printTable(`bank transfer, ${n.toLocaleString('en-US')} accounts`, res, 'valtio (no rollback)')
    out[n] = res
  }
  const pick = (n: number, name: string) => out[n]!.find((r) => r.name === name)!.nsPerOp
  const per = (f: (n: number) => number, digits = 2) =>
    SIZES.map((n) => `${n.toLocaleString('en-US')}: ${f(n).toFixed(digits)}`).join(', ')
  console.log('\nTargets of issue 10 (ratios in this run):')
  console.log(
    `strict / valtio: ${per((n) => pick(n, 'theus strict') / pick(n, 'valtio (no rollback)'))} (target ≤ 1, stretch 0.8)`,
  )
  console.log(
    `rollback / commit: ${per((n) => pick(n, 'theus strict, rolled back') / pick(n, 'theus strict'))} (target ≤ 1)`,
  )
  console.log(
    `non-strict / strict: ${per((n) => pick(n, 'theus non-strict') / pick(n, 'theus strict'))} (target ≤ 0.8)`,
  )
  console.log(
    `level C rule, ns added: ${per((n) => pick(n, 'theus strict + level C rule') - pick(n, 'theus strict'), 0)} (target ≤ 200 ns)`,
  )
  console.log(
    `undo or redo / transfer: ${per((n) => pick(n, 'theus undo/redo') / pick(n, 'theus strict'))} (target ≤ 1.2)`,
  )
  for (const row of THEUS_ROWS)
    console.log(
      `growth 10 → 100 000, ${row}: ${(pick(100_000, row) / pick(10, row)).toFixed(2)}× (target ≤ 1.3)`,
    )
  report('transfer', { sizes: SIZES, results: out })
  if (sink === 42) console.log('')
  return out
}
