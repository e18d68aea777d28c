/**
 * The playground's processes. Each one declares what it reads (inputs), writes (outputs) and
 * may throw (errors); the engine enforces it while the body runs. Names come from the function
 * names (the build keeps them: see `keepNames` in vite.config.ts).
 */
import { process } from 'theus'

/** A declared error: re-thrown as it is, after the run is rolled back. */
export class ValueError extends Error {
  override name = 'ValueError'
}

/** The arguments of `transfer` (and of the state machine's `CMD_TX`). */
export interface TransferArgs {
  from_user: string
  to_user: string
  amount: number
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** SPEC §2: moves money between two accounts, or raises the fraud signal. */
export const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.total_reserves', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
    sideEffects: [],
  },
  function transfer(ctx, args: TransferArgs) {
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

/**
 * Pays cash in: an async process (a pretend bank call), so its form shows `pending`. The draft
 * lives across the `await`; nothing is visible until the commit.
 */
export const deposit = process(
  {
    outputs: ['domain.accounts', 'domain.total_reserves'],
    errors: ['ValueError'],
    sideEffects: ['bank API'],
  },
  async function deposit(ctx, args: { user: string; amount: number }) {
    if (!(args.amount > 0)) throw new ValueError('Amount must be positive')
    await delay(400)
    ctx.domain.accounts[args.user] = (ctx.domain.accounts[args.user] ?? 0) + args.amount
    ctx.domain.total_reserves += args.amount
    return `Deposited ${args.amount} for ${args.user}`
  },
)

/** Empties the vault: the recipe's level S output rule stops it and halts the engine. */
export const drain_reserves = process(
  { outputs: ['domain.total_reserves'] },
  function drain_reserves(ctx) {
    ctx.domain.total_reserves -= 2_000_000
    return 'drained'
  },
)

/** Writes a path its contract does not declare: the guard stops it, nothing is committed. */
export const skim = process(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function skim(ctx) {
    ctx.domain.accounts.Alice = 0
    ctx.domain.total_reserves = 0
  },
)

/** The state machine's NOTIFY entry: records the last transaction (meta zone) and logs it. */
export const notify = process(
  { outputs: ['domain.meta_last_tx'] },
  async function notify(ctx, args: TransferArgs) {
    await delay(150)
    ctx.domain.meta_last_tx = `${args.from_user} → ${args.to_user}: ${args.amount}`
    ctx.log.info('notified', { ...args })
  },
)

//#region the Flux pipeline (workflows/interest.yaml)

/** Starts a quarter: the ledger back to zero. */
export const open_quarter = process({ outputs: ['domain.ledger'] }, function open_quarter(ctx) {
  ctx.domain.ledger = { month: 0, accrued: 0 }
})

/** One month of simple interest on `args.user`'s balance, into the ledger. */
export const accrue_interest = process(
  { inputs: ['domain.accounts', 'global.monthly_rate'], outputs: ['domain.ledger'] },
  function accrue_interest(ctx, args: { user: string }) {
    const balance: number = ctx.domain.accounts[args.user] ?? 0
    ctx.domain.ledger.accrued += Math.round(balance * ctx.global.monthly_rate * 100) / 100
    ctx.domain.ledger.month += 1
  },
)

/** Pays the accrued interest out of the reserves. */
export const post_interest = process(
  { inputs: ['domain.ledger'], outputs: ['domain.accounts', 'domain.total_reserves'] },
  function post_interest(ctx, args: { user: string }) {
    const accrued: number = ctx.domain.ledger.accrued
    ctx.domain.accounts[args.user] = (ctx.domain.accounts[args.user] ?? 0) + accrued
    ctx.domain.total_reserves -= accrued
    return accrued
  },
)

/** Nothing accrued: nothing to post. */
export const skip_interest = process({ inputs: ['domain.ledger'] }, function skip_interest(ctx) {
  ctx.log.info('no interest to post', { accrued: ctx.domain.ledger.accrued })
})

//#endregion
