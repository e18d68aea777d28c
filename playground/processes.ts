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

/**
 * An amount is a finite number above 0. `NaN` (an empty form field) and `Infinity` fail here,
 * with the process's own error, wherever no audit rule stopped them first.
 */
function checkAmount(amount: unknown): number {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)
    throw new ValueError(`Amount must be a positive number, got ${String(amount)}`)
  return amount
}

/** A name of an existing account: a typo must not open a new one. */
function checkAccount(accounts: Record<string, number>, name: unknown, role: string): string {
  if (typeof name !== 'string' || !(name in accounts))
    throw new ValueError(
      `Unknown ${role} account ${JSON.stringify(name)}; the accounts are ${Object.keys(accounts).join(', ')}`,
    )
  return name
}

/** The checks every transfer passes before any money moves. */
function checkTransfer(accounts: Record<string, number>, args: TransferArgs): void {
  checkAmount(args.amount)
  checkAccount(accounts, args.from_user, 'sending')
  checkAccount(accounts, args.to_user, 'receiving')
  if (args.from_user === args.to_user)
    throw new ValueError(`From and To are the same account (${args.from_user})`)
}

/**
 * SPEC §2: moves money between two accounts, or raises the fraud signal. Refuses what is not a
 * positive amount, an unknown account and a transfer to the same account (`ValueError`).
 */
export const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.total_reserves', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
    sideEffects: [],
  },
  function transfer(ctx, args: TransferArgs) {
    checkTransfer(ctx.domain.accounts, args)
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
 * The state machine's guard, first in PROCESSING's chain: a transfer that could not move money
 * (insufficient funds, besides `transfer`'s own checks) fails the chain, so the machine takes
 * `EVT_FAIL` back to IDLE instead of notifying a transfer that did not happen. Writes nothing.
 */
export const check_funds = process(
  { inputs: ['domain.accounts'], errors: ['ValueError'] },
  function check_funds(ctx, args: TransferArgs) {
    checkTransfer(ctx.domain.accounts, args)
    const bal: number = ctx.domain.accounts[args.from_user] ?? 0
    if (bal < args.amount)
      throw new ValueError(
        `Insufficient funds: ${args.from_user} holds ${bal}, the transfer needs ${args.amount}`,
      )
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
    checkAmount(args.amount)
    checkAccount(ctx.domain.accounts, args.user, 'receiving')
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
  {
    inputs: ['domain.accounts', 'global.monthly_rate'],
    outputs: ['domain.ledger'],
    errors: ['ValueError'],
  },
  function accrue_interest(ctx, args: { user: string }) {
    checkAccount(ctx.domain.accounts, args.user, 'interest')
    const balance: number = ctx.domain.accounts[args.user] ?? 0
    ctx.domain.ledger.accrued += Math.round(balance * ctx.global.monthly_rate * 100) / 100
    ctx.domain.ledger.month += 1
  },
)

/** Pays the accrued interest out of the reserves. */
export const post_interest = process(
  {
    inputs: ['domain.ledger'],
    outputs: ['domain.accounts', 'domain.total_reserves'],
    errors: ['ValueError'],
  },
  function post_interest(ctx, args: { user: string }) {
    checkAccount(ctx.domain.accounts, args.user, 'interest')
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
