// Type-checked inside the temporary project against the installed tarball's `.d.ts` files
// (strict, skipLibCheck off), once under NodeNext and once under Bundler resolution: the
// published types resolve and the SPEC's samples compile as a user writes them.
import type { ReactNode } from 'react'
import { createProcess, type ProcessDefinition, process, TheusEngine, TheusError } from 'theus'
import { createTheusHooks, type RunParams, useTheus } from 'theus/react'
import {
  createTheusHooks as createVueHooks,
  useTheus as useTheusVue,
  type RunParams as VueRunParams,
} from 'theus/vue'
import { parseAuditRecipe } from 'theus/yaml'

//#region SPEC §1–§3, verbatim
const initial = {
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    sig_fraud_detected: false,
    meta_last_tx: '',
    heavy_chart: new Float64Array(365),
  },
}

class ValueError extends Error {
  override name = 'ValueError'
}

export const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.total_reserves', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
    sideEffects: [], // informational, shown by `theus audit inspect`
  },
  function transfer(ctx, args: { from_user: string; to_user: string; amount: number }) {
    if (args.amount <= 0) throw new ValueError('Amount must be positive')
    const bal = ctx.domain.accounts[args.from_user] ?? 0
    if (bal < args.amount) {
      ctx.domain.sig_fraud_detected = true
      return 'Failed: Insufficient Funds'
    }
    ctx.domain.accounts[args.from_user] = bal - args.amount
    ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
    return 'Success'
  },
)
const def: ProcessDefinition = transfer

const auditRecipe = parseAuditRecipe('process_recipes: {}', { filename: 'audit_recipe.yaml' })
const engine = new TheusEngine(initial, { strictMode: true, auditRecipe })
engine.registerProcess(def)
new TheusEngine(initial).registerProcess('transfer', transfer)
const result: unknown = engine.runProcess('transfer', {
  from_user: 'Alice',
  to_user: 'Bob',
  amount: 500,
})
const alice: number | undefined = engine.state.value.domain.accounts.Alice
const code: string = new TheusError('DISPOSED', 'example').code
//#endregion

//#region SPEC §7: the plain hooks (an untyped engine from the provider) give values a view renders
export function Balance(): ReactNode {
  const balance = useTheus('domain.accounts.Alice')
  const bob = useTheus((s) => s.domain.accounts.Bob)
  const node: ReactNode = balance
  return [node, bob]
}
export function useAliceBalance(): number {
  const balance = useTheusVue('domain.accounts.Alice')
  return balance.value
}
//#endregion

//#region SPEC §11: the typed names, checked as a user writes them
const bound = createProcess<typeof initial>()
const deposit = bound(
  { outputs: ['domain.accounts'] },
  async function deposit(ctx, args: { user: string; amount: number }) {
    const next = (ctx.domain.accounts[args.user] ?? 0) + args.amount
    ctx.domain.accounts[args.user] = next
    return next
  },
)
// @ts-expect-error a path that does not exist in the context
bound({ inputs: ['domain.acounts'] }, function misspelled() {})
bound({ inputs: ['domain.accounts'] }, function readOnly(ctx) {
  // @ts-expect-error a declared input is read-only
  ctx.domain.accounts.Alice = 1
  // @ts-expect-error an undeclared path is absent
  ctx.domain.total_reserves
})
const typed = new TheusEngine(initial, { processes: { transfer, deposit } })
const reserves: number = typed.select('domain.total_reserves').value
// @ts-expect-error a misspelled path is a compile error, not unknown
typed.select('domain.total_reserve')
const deposited: Promise<number> = typed.runProcess('deposit', { user: 'Bob', amount: 1 })
// @ts-expect-error an unknown process name
typed.runProcess('deposits', { user: 'Bob', amount: 1 })
// @ts-expect-error args of the wrong type
typed.runProcess('deposit', { user: 'Bob', amount: '1' })
const react = createTheusHooks<typeof typed>()
const vue = createVueHooks<typeof typed>()
export function Typed(): ReactNode {
  const total: number = react.useTheus('domain.total_reserves')
  // @ts-expect-error misspelled
  react.useTheus('domain.total_reserve')
  const { result } = react.useProcess('deposit')
  const last: number | null = result
  const fromVue: number = vue.useTheus('domain.total_reserves').value
  // @ts-expect-error misspelled
  vue.useTheus('domain.total_reserve')
  const vueResult: number | null = vue.useProcess('deposit').result.value
  return [total, last, fromVue, vueResult].join()
}
//#endregion

// The names docs/types.md lists as exported from the adapters.
const runArgs: RunParams<{ user: string }> & VueRunParams<{ user: string }> = [{ user: 'Bob' }]

export const used = [result, alice, code, reserves, deposited, runArgs]
