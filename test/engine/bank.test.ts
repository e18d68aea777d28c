import { effect } from '@preact/signals-core'
import { ContractViolationError, process, type SignalEvent, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

class ValueError extends Error {
  override name = 'ValueError'
}

const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.total_reserves', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
    sideEffects: [],
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

const audit = process({ inputs: ['domain.accounts'] }, function audit(ctx) {
  return ctx.domain.total_reserves
})

const initial = () => ({
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    sig_fraud_detected: false,
    meta_last_tx: '',
    heavy_chart: new Float64Array(365),
  },
})

function setup() {
  const engine = new TheusEngine(initial(), { strictMode: true })
  engine.registerProcess(transfer)
  engine.registerProcess(audit)
  return engine
}

describe('the bank example', () => {
  it('transfers 500 from Alice to Bob', () => {
    const engine = setup()
    const result = engine.runProcess('transfer', {
      from_user: 'Alice',
      to_user: 'Bob',
      amount: 500,
    })
    expect(result).toBe('Success')
    expect(engine.state.value.domain.accounts.Alice).toBe(500)
    expect(engine.state.value.domain.accounts.Bob).toBe(500)
    expect(engine.select('domain.accounts.Alice').value).toBe(500)
    expect(engine.select('domain.accounts.Bob').value).toBe(500)
  })

  it('creates the receiving account when it does not exist', () => {
    const engine = setup()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Carol', amount: 1 })
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 999, Bob: 0, Carol: 1 })
  })

  it('raises sig_fraud_detected for one commit on insufficient funds', () => {
    const engine = setup()
    const signals: SignalEvent[] = []
    engine.on('signal', (e) => signals.push(e))
    const before = engine.state.value.domain.accounts
    const result = engine.runProcess('transfer', { from_user: 'Bob', to_user: 'Alice', amount: 5 })
    expect(result).toBe('Failed: Insufficient Funds')
    expect(engine.state.value.domain.sig_fraud_detected).toBe(true)
    expect(engine.state.value.domain.accounts).toBe(before)
    expect(signals).toEqual([
      { process: 'transfer', path: 'domain.sig_fraud_detected', value: true },
    ])
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
    expect(signals).toHaveLength(1)
  })

  it('re-throws ValueError as declared and changes nothing', () => {
    const engine = setup()
    const before = engine.state.value
    let err: unknown
    try {
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: -1 })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ValueError)
    expect((err as Error).message).toBe('Amount must be positive')
    expect(engine.state.value).toBe(before)
  })

  it('refuses a read outside the contract with ILLEGAL_READ', () => {
    const engine = setup()
    let err: any
    try {
      engine.runProcess('audit')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ContractViolationError)
    expect(err.code).toBe('ILLEGAL_READ')
    expect(err.message).toContain('domain.total_reserves')
  })

  it('notifies a subscriber of both balances once per transfer', () => {
    const engine = setup()
    const alice = engine.select('domain.accounts.Alice')
    const bob = engine.select('domain.accounts.Bob')
    const seen: (number | undefined)[][] = []
    const stop = effect(() => {
      seen.push([alice.value, bob.value])
    })
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 100 })
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 100 })
    try {
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 0 })
    } catch {}
    stop()
    expect(seen).toEqual([
      [1000, 0],
      [900, 100],
      [800, 200],
    ])
  })

  it('keeps the total of balances constant over many transfers', () => {
    const engine = setup()
    const users = ['Alice', 'Bob', 'Carol']
    for (let i = 0; i < 50; i++) {
      const from = users[i % 3]!
      const to = users[(i + 1) % 3]!
      try {
        engine.runProcess('transfer', { from_user: from, to_user: to, amount: (i * 37) % 400 })
      } catch {}
    }
    const accounts = engine.state.value.domain.accounts
    expect(Object.values(accounts).reduce((a, b) => a + b, 0)).toBe(1000)
    for (const v of Object.values(accounts)) expect(v).toBeGreaterThanOrEqual(0)
  })

  it('records the committed transfers in history and runLog', () => {
    const engine = setup()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 500 })
    try {
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: -1 })
    } catch {}
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 5000 })
    expect(engine.runLog.map((r) => r.args)).toEqual([
      { from_user: 'Alice', to_user: 'Bob', amount: 500 },
      { from_user: 'Alice', to_user: 'Bob', amount: 5000 },
    ])
    expect(engine.history).toHaveLength(2)
  })
})
