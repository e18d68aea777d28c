/**
 * The playground's processes on an engine without its audit recipe, so that each body's own
 * checks are what answers: bad amounts and unknown accounts are the process's `ValueError`,
 * and nothing changes.
 */
import { TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'
import * as processes from '../../playground/processes'

function bank() {
  const engine = new TheusEngine({
    global: { monthly_rate: 0.01 },
    domain: {
      accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
      total_reserves: 1_000_000,
      sig_fraud_detected: false,
      meta_last_tx: '',
      ledger: { month: 0, accrued: 0 },
    },
  })
  engine.scanAndRegister({ './processes.ts': processes })
  return engine
}

const refusal = (engine: TheusEngine, name: string, args: Record<string, unknown>) => {
  const before = engine.state.value
  let error: unknown
  try {
    const r = engine.runProcess(name, args)
    if (r instanceof Promise) throw new Error('expected a synchronous refusal')
  } catch (e) {
    error = e
  }
  expect(engine.state.value).toBe(before)
  return error as Error
}

describe('playground processes', () => {
  it.each([
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [0, '0'],
    [-5, '-5'],
    ['12', '12'],
  ])('transfer and check_funds refuse the amount %s with their own ValueError', (amount, shown) => {
    const engine = bank()
    for (const name of ['transfer', 'check_funds']) {
      const e = refusal(engine, name, { from_user: 'Alice', to_user: 'Bob', amount })
      expect(e).toBeInstanceOf(processes.ValueError)
      expect(e.message).toBe(`Amount must be a positive number, got ${shown}`)
    }
  })

  it('deposit refuses NaN before it waits, with its own ValueError', async () => {
    const engine = bank()
    await expect(engine.runProcess('deposit', { user: 'Bob', amount: Number.NaN })).rejects.toThrow(
      new processes.ValueError('Amount must be a positive number, got NaN'),
    )
    await expect(engine.runProcess('deposit', { user: 'bobb', amount: 5 })).rejects.toThrow(
      'Unknown receiving account "bobb"; the accounts are Alice, Bob',
    )
    expect(Object.keys(engine.state.value.domain.accounts)).toEqual(['Alice', 'Bob'])
  })

  it('transfer refuses an unknown account instead of opening it, and a transfer to itself', () => {
    const engine = bank()
    expect(
      refusal(engine, 'transfer', { from_user: 'Alice', to_user: 'bobb', amount: 5 }).message,
    ).toBe('Unknown receiving account "bobb"; the accounts are Alice, Bob')
    expect(
      refusal(engine, 'transfer', { from_user: 'Al', to_user: 'Bob', amount: 5 }).message,
    ).toBe('Unknown sending account "Al"; the accounts are Alice, Bob')
    expect(
      refusal(engine, 'transfer', { from_user: 'Alice', to_user: 'Alice', amount: 5 }).message,
    ).toBe('From and To are the same account (Alice)')
    expect(Object.keys(engine.state.value.domain.accounts)).toEqual(['Alice', 'Bob'])
  })

  it('check_funds fails on insufficient funds (the state machine takes EVT_FAIL), transfer returns the failure', () => {
    const engine = bank()
    expect(
      refusal(engine, 'check_funds', { from_user: 'Bob', to_user: 'Alice', amount: 5 }).message,
    ).toBe('Insufficient funds: Bob holds 0, the transfer needs 5')
    expect(engine.runProcess('transfer', { from_user: 'Bob', to_user: 'Alice', amount: 5 })).toBe(
      'Failed: Insufficient Funds',
    )
    expect(
      engine.runProcess('check_funds', { from_user: 'Alice', to_user: 'Bob', amount: 5 }),
    ).toBe(undefined)
  })

  it('the interest processes refuse an unknown account', () => {
    const engine = bank()
    expect(refusal(engine, 'accrue_interest', { user: 'Carl' })).toBeInstanceOf(
      processes.ValueError,
    )
    expect(refusal(engine, 'post_interest', { user: 'Carl' })).toBeInstanceOf(processes.ValueError)
  })
})
