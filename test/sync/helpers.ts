import { process } from 'theus'
import type { SyncLocks } from 'theus/sync'

export class ValueError extends Error {
  override name = 'ValueError'
}

export const initial = () => ({
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0, Carol: 500 } as Record<string, number>,
    notes: {} as Record<string, string>,
    sig_fraud_detected: false,
  },
})

export const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
  },
  function transfer(ctx, args: { from: string; to: string; amount: number }) {
    if (args.amount <= 0) throw new ValueError('Amount must be positive')
    const bal = ctx.domain.accounts[args.from] ?? 0
    if (bal < args.amount) {
      ctx.domain.sig_fraud_detected = true
      return 'Failed'
    }
    ctx.domain.accounts[args.from] = bal - args.amount
    ctx.domain.accounts[args.to] = (ctx.domain.accounts[args.to] ?? 0) + args.amount
    return 'Success'
  },
)

export const note = process(
  { inputs: [], outputs: ['domain.notes'] },
  function note(ctx, args: { key: string; text: string }) {
    ctx.domain.notes[args.key] = args.text
  },
)

/** Web Locks in memory: one holder per name, the next waiter gets it when it releases. */
export class MemoryLocks implements SyncLocks {
  private held = new Map<string, Array<() => void>>()
  request(name: string, cb: (lock: unknown) => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        Promise.resolve()
          .then(() => cb({ name }))
          .then(resolve, reject)
          .finally(() => {
            const q = this.held.get(name)!
            q.shift()
            if (q.length > 0) q[0]!()
            else this.held.delete(name)
          })
      }
      const q = this.held.get(name)
      if (q === undefined) {
        this.held.set(name, [grant])
        grant()
      } else q.push(grant)
    })
  }
}

export const sum = (accounts: Record<string, number>) =>
  Object.values(accounts).reduce((a, b) => a + b, 0)

/** Waits until `cond()` holds, polling the event loop (bounded). */
export async function until(cond: () => boolean, what: string, rounds = 2500): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 2))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** An async process: its commit comes after an await. */
export const slowNote = process(
  { inputs: [], outputs: ['domain.notes'] },
  async function slowNote(ctx, args: { key: string; text: string }) {
    await new Promise((r) => setTimeout(r, 1))
    ctx.domain.notes[args.key] = args.text
  },
)
