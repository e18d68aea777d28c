import { AuditBlockError, process, RecipeError, TheusEngine, TheusError } from 'theus'
import { describe, expect, it } from 'vitest'

const v1 = process({ inputs: ['domain.n'], outputs: ['domain.n'] }, function bump(ctx) {
  ctx.domain.n += 1
})
const v2 = process({ inputs: ['domain.n'], outputs: ['domain.n'] }, function bump(ctx) {
  ctx.domain.n += 10
})

function engine(options = {}) {
  const e = new TheusEngine({ domain: { n: 0, sig_x: false } }, options)
  e.registerProcess(v1)
  return e
}

describe('engine.replaceProcess', () => {
  it('runs the new body from the next run on and keeps state and history', () => {
    const e = engine()
    e.runProcess('bump')
    e.replaceProcess(v2)
    expect(e.getProcess('bump')).toBe(v2)
    expect(e.state.value.domain.n).toBe(1)
    e.runProcess('bump')
    expect(e.state.value.domain.n).toBe(11)
    expect(e.history.length).toBe(2)
    e.undo()
    expect(e.state.value.domain.n).toBe(1)
  })

  it('replaces under an explicit name', () => {
    const e = engine()
    e.registerProcess('other', v1)
    e.replaceProcess('other', v2)
    e.runProcess('other')
    expect(e.state.value.domain.n).toBe(10)
    expect(e.getProcess('bump')).toBe(v1)
  })

  it('refuses a contract the context no longer fits, and keeps the old definition', () => {
    const e = engine()
    const bad = process({ outputs: ['domain.missing'] }, function bump(ctx) {
      ctx.domain.missing = 1
    })
    expect(() => e.replaceProcess(bad)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONTRACT' }),
    )
    const zone = process({ inputs: ['domain.sig_x'], outputs: ['domain.n'] }, function bump() {})
    expect(() => e.replaceProcess(zone)).toThrow(expect.objectContaining({ code: 'ZONE_POLICY' }))
    expect(e.getProcess('bump')).toBe(v1)
    e.runProcess('bump')
    expect(e.state.value.domain.n).toBe(1)
  })

  it('is PROCESS_NOT_FOUND for a name never registered, and INVALID_CONTRACT for a plain function', () => {
    const e = engine()
    const other = process({ outputs: ['domain.n'] }, function other() {})
    expect(() => e.replaceProcess(other)).toThrow(
      expect.objectContaining({ code: 'PROCESS_NOT_FOUND' }),
    )
    expect(() => e.replaceProcess((() => {}) as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONTRACT' }),
    )
    expect(e.processNames).toEqual(['bump'])
  })

  it('throws DISPOSED after dispose()', () => {
    const e = engine()
    e.dispose()
    expect(() => e.replaceProcess(v2)).toThrow(TheusError)
  })
})

describe('engine.replaceAuditRecipe', () => {
  const recipe = (max: number, threshold = 1) => ({
    process_recipes: {
      bump: { outputs: [{ field: 'domain.n', max, level: 'B', threshold }] },
    },
  })

  it('applies the new rules from the next run on, with fresh counters', () => {
    const e = engine({ auditRecipe: recipe(100, 2) })
    e.edit((s) => {
      s.domain.n = 500
    })
    // One violation counted (1 of 2), the run commits.
    e.runProcess('bump')
    expect(e.auditLog.at(-1)).toMatchObject({ count: 1, threshold: 2 })
    e.replaceAuditRecipe(recipe(100, 2))
    // Counters were reset: this is 1 of 2 again, not 2 of 2 (which would block).
    e.runProcess('bump')
    expect(e.auditLog.at(-1)).toMatchObject({ count: 1, threshold: 2 })
    e.replaceAuditRecipe(recipe(10))
    expect(() => e.runProcess('bump')).toThrow(AuditBlockError)
    e.replaceAuditRecipe(null)
    e.runProcess('bump')
    expect(e.state.value.domain.n).toBe(503)
  })

  it('refuses a bad recipe with RecipeError and keeps the old one', () => {
    const e = engine({ auditRecipe: recipe(0) })
    expect(() => e.replaceAuditRecipe({ process_recipes: { bump: { nope: 1 } } })).toThrow(
      RecipeError,
    )
    expect(() => e.runProcess('bump')).toThrow(AuditBlockError)
  })
})
