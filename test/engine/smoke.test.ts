import { process, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

class ValueError extends Error {
  override name = 'ValueError'
}
const transfer = process(
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
describe('smoke', () => {
  it('bank', () => {
    const e = new TheusEngine({
      global: { max_transfer: 10000 },
      domain: {
        accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
        total_reserves: 1e6,
        sig_fraud_detected: false,
        meta_last_tx: '',
        heavy_chart: new Float64Array(3),
      },
    })
    e.registerProcess(transfer)
    const s0 = e.state.value
    const alice = e.select('domain.accounts.Alice')
    expect(alice.value).toBe(1000)
    expect(e.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 500 })).toBe(
      'Success',
    )
    expect(e.state.value.domain.accounts.Alice).toBe(500)
    expect(alice.value).toBe(500)
    expect(e.state.value).not.toBe(s0)
    const s1 = e.state.value
    expect(() =>
      e.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: -1 }),
    ).toThrow('Amount must be positive')
    expect(e.state.value).toBe(s1)
    expect(e.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 5000 })).toBe(
      'Failed: Insufficient Funds',
    )
    expect(e.state.value.domain.sig_fraud_detected).toBe(true)
    expect(e.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 })).toBe(
      'Success',
    )
    expect(e.state.value.domain.sig_fraud_detected).toBe(false)
    expect(Object.isFrozen(e.state.value.domain.accounts)).toBe(true)
    expect(e.history.length).toBe(3)
    e.undo()
    expect(e.state.value.domain.accounts.Alice).toBe(500)
    expect(e.state.value.domain.sig_fraud_detected).toBe(true)
  })
})
