/** The bank of SPEC §2 with 1 000 accounts, shared by the React and Vue adapter tests. */
import { process, TheusEngine } from 'theus'

export class ValueError extends Error {
  override name = 'ValueError'
}

export const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.total_reserves', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
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

export const names = Array.from({ length: 1000 }, (_, i) => `acc${i}`)

export function createBank(rows = 1000) {
  const accounts: Record<string, number> = {}
  for (const n of names.slice(0, rows)) accounts[n] = 100
  const engine = new TheusEngine({
    global: { max_transfer: 10_000 },
    domain: { accounts, total_reserves: 1_000_000, sig_fraud_detected: false },
  })
  engine.registerProcess(transfer)
  return engine
}

/** A promise with its resolve and reject, to hold an async process where a test wants it. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

export function shallowEqualArrays(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]))
}
