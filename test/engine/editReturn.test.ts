import { TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

describe('edit() return value', () => {
  it('returns a frozen plain copy when fn returns a view', () => {
    const engine = new TheusEngine({
      domain: { accounts: { Alice: 1 } as Record<string, number>, items: [1, 2] },
    })
    const acc = engine.edit((s) => {
      s.domain.accounts.Bob = 2
      return s.domain.accounts
    })
    expect(acc).toEqual({ Alice: 1, Bob: 2 })
    expect(Object.isFrozen(acc)).toBe(true)
    expect(engine.state.value.domain.accounts.Bob).toBe(2)
    const items = engine.edit((s) => s.domain.items)
    expect(items).toEqual([1, 2])
    expect(Array.isArray(items)).toBe(true)
  })
  it('still refuses a promise and rolls back', () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    expect(() =>
      engine.edit((s) => {
        s.domain.n = 1
        return Promise.resolve(1)
      }),
    ).toThrow(/synchronous/)
    expect(engine.state.value.domain.n).toBe(0)
  })
})
