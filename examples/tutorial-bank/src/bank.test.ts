import { AuditBlockError, AuditInterlockError, ConflictError, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'
import { initial } from './context'
import { createBank, processes } from './engine'

// A fresh bank per test: no state, audit counter or history leaks from one test to the next.
describe('transfer', () => {
  it('moves money and returns Success', () => {
    const { engine } = createBank()
    expect(engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 300 })).toBe(
      'Success',
    )
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 700, Bob: 300 })
  })

  it('raises the fraud signal for one commit when funds are short', () => {
    const { engine } = createBank()
    const result = engine.runProcess('transfer', { from_user: 'Bob', to_user: 'Alice', amount: 5 })
    expect(result).toBe('Failed: Insufficient Funds')
    expect(engine.state.value.domain.sig_fraud_detected).toBe(true)
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
  })

  it('is blocked over 10,000 and changes nothing', () => {
    const { engine } = createBank()
    const before = engine.state.value
    expect(() =>
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 20_000 }),
    ).toThrow(AuditBlockError)
    expect(engine.state.value).toBe(before)
  })

  it('blocks the third large transfer in a row', () => {
    const { engine } = createBank()
    engine.edit((s) => {
      s.domain.accounts.Alice = 50_000
    })
    const big = { from_user: 'Alice', to_user: 'Bob', amount: 6000 }
    engine.runProcess('transfer', big)
    engine.runProcess('transfer', big)
    expect(() => engine.runProcess('transfer', big)).toThrow(AuditBlockError)
    expect(engine.auditLog.map((e) => e.action)).toEqual(['count', 'early-warning', 'block'])
  })
})

describe('loan', () => {
  it('halts the engine when reserves would go negative', () => {
    const { engine } = createBank()
    expect(() => engine.runProcess('loan', { user: 'Bob', amount: 2_000_000 })).toThrow(
      AuditInterlockError,
    )
    expect(engine.halted).toBe(true)
    engine.resume()
    expect(engine.runProcess('loan', { user: 'Bob', amount: 100 })).toBeUndefined()
    expect(engine.state.value.domain.total_reserves).toBe(999_900)
  })
})

describe('deposit', () => {
  it('conflicts with a concurrent deposit to the same account, and retries', async () => {
    const { engine } = createBank()
    const first = engine.runProcess('deposit', { user: 'Bob', amount: 10 })
    const second = engine.runProcess('deposit', { user: 'Bob', amount: 20 })
    await first
    await expect(second).rejects.toBeInstanceOf(ConflictError)
    expect(engine.state.value.domain.accounts.Bob).toBe(10)

    const a = engine.runProcess('deposit', { user: 'Bob', amount: 1 })
    const b = engine.runProcess('deposit', { user: 'Bob', amount: 2 }, { retries: 1 })
    await Promise.all([a, b])
    expect(engine.state.value.domain.accounts.Bob).toBe(13)
  })
})

describe('the transfers workflow', () => {
  it('goes through PROCESSING and NOTIFY back to IDLE', async () => {
    const { engine, transfers } = createBank()
    await transfers.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 100 })
    expect(transfers.history.map((t) => t.to)).toEqual(['PROCESSING', 'NOTIFY', 'IDLE'])
    expect(engine.logs.at(-1)?.message).toBe('transfer confirmed')
  })

  it('aborts on a sanctioned payee until reset', async () => {
    const { transfers } = createBank()
    await transfers.send('CMD_TX', { from_user: 'Alice', to_user: 'Mallory', amount: 100 })
    expect(transfers.status.value).toBe('aborted')
    transfers.reset()
    expect(transfers.state.value).toBe('IDLE')
  })
})

describe('month end', () => {
  it('pays interest until the month given, and replays to the same state', async () => {
    const { engine, closeMonths } = createBank()
    await closeMonths(2)
    expect(engine.state.value.domain.month).toBe(2)
    expect(engine.state.value.domain.accounts.Alice).toBe(1020.1)
    const copy = await TheusEngine.replay(initial, Object.values(processes), engine.runLog)
    expect(copy.toDict()).toEqual(engine.toDict())
  })
})
