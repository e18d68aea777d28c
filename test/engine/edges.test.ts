import { ContractViolationError, process, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'
import { caught } from '../support/caught.js'

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
  it('refuses a value that is not a function with INVALID_ARGS, before any rollback', () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    const rollbacks: unknown[] = []
    engine.on('rollback', (e) => rollbacks.push(e))
    let err: any
    try {
      engine.edit(5 as never)
    } catch (e) {
      err = e
    }
    expect(err.code).toBe('INVALID_ARGS')
    expect(err.message).toMatch(/edit\(\) expects a function/)
    expect(rollbacks).toEqual([])
  })
})

describe('ctx holds no state of its own between runs', () => {
  it('refuses a property added to ctx, rolls the run back, and the next run sees nothing', () => {
    const seen: unknown[] = []
    const p = process({ outputs: ['domain.n'] }, function p(ctx: any) {
      seen.push(ctx.cache)
      ctx.domain.n += 1
      ctx.cache = 'kept'
    })
    const engine = new TheusEngine({ domain: { n: 0 } }, { processes: { p } })
    const err = caught(() => engine.runProcess('p'))
    expect(err).toBeInstanceOf(ContractViolationError)
    expect(err.code).toBe('UNDECLARED_ERROR')
    expect(err.cause).toBeInstanceOf(TypeError)
    expect(() => engine.runProcess('p')).toThrow()
    expect(seen).toEqual([undefined, undefined])
    expect(engine.state.value.domain.n).toBe(0)
  })
})

describe('ctx.local', () => {
  it('is readable and writable, also as a whole, and starts empty on every run', () => {
    const seen: unknown[] = []
    const loc = process({ outputs: ['domain.n'] }, function loc(ctx: any) {
      seen.push({ ...ctx.local })
      ctx.local.a = 1
      ctx.local = { b: 2 }
      ctx.domain.n = ctx.local.b
    })
    const engine = new TheusEngine({ domain: { n: 0 } }, { processes: { loc } })
    engine.runProcess('loc')
    engine.runProcess('loc')
    expect(seen).toEqual([{}, {}])
    expect(engine.state.value.domain.n).toBe(2)
    expect(engine.toDict()).not.toHaveProperty('local')
  })
})

describe('error contract, odd thrown values', () => {
  it('a thrown object without a prototype becomes UNDECLARED_ERROR, not a TypeError', () => {
    const thrown = Object.create(null)
    const p = process({ outputs: ['domain.n'] }, function odd(ctx: any) {
      ctx.domain.n = 1
      throw thrown
    })
    const engine = new TheusEngine({ domain: { n: 0 } }, { processes: { p } })
    const err = caught(() => engine.runProcess('p'))
    expect(err).toBeInstanceOf(ContractViolationError)
    expect(err.code).toBe('UNDECLARED_ERROR')
    expect(err.cause).toBe(thrown)
    expect(engine.state.value.domain.n).toBe(0)
  })
})
