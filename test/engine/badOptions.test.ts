/**
 * Bad options get a typed error that says what to write, and change nothing: the engine's
 * options, registerProcess's name, runProcess's options.
 */
import { process, TheusEngine, TheusError } from 'theus'
import { describe, expect, it } from 'vitest'

const inc = process({ outputs: ['domain.n'] }, function inc(ctx) {
  ctx.domain.n++
  return ctx.domain.n
})

const codeOf = (fn: () => unknown): { code: string; message: string } => {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(TheusError)
    return e as TheusError
  }
  throw new Error('did not throw')
}

describe('engine options', () => {
  it('refuses an unknown option with the close one', () => {
    const e = codeOf(() => new TheusEngine({ domain: { n: 0 } }, { strictmode: false } as never))
    expect(e.code).toBe('INVALID_ARGS')
    expect(e.message).toMatch(/unknown option 'strictmode'; did you mean 'strictMode'\?/)
    const far = codeOf(() => new TheusEngine({ domain: {} }, { colour: 1 } as never))
    expect(far.message).toMatch(/unknown option 'colour'/)
    expect(far.message).not.toMatch(/did you mean/)
  })
  it('refuses options that are not an object, a non-boolean strictMode, a schema that is not one', () => {
    expect(codeOf(() => new TheusEngine({ domain: {} }, null as never)).code).toBe('INVALID_ARGS')
    expect(codeOf(() => new TheusEngine({ domain: {} }, 'strict' as never)).message).toMatch(
      /expected an object/,
    )
    expect(
      codeOf(() => new TheusEngine({ domain: {} }, { strictMode: 'false' } as never)).message,
    ).toMatch(/strictMode must be a boolean/)
    expect(
      codeOf(() => new TheusEngine({ domain: {} }, { schema: { parse() {} } } as never)).message,
    ).toMatch(/Standard Schema/)
  })
  it('says where a bad limit is and what type it got: a string is not the number it reads as', () => {
    const e = codeOf(() => new TheusEngine({ domain: {} }, { historyLimit: '10' } as never))
    expect([e.code, e.message]).toEqual([
      'INVALID_ARGS',
      "Engine options: historyLimit must be a whole number ≥ 0 or Infinity, got the string '10'.",
    ])
    expect(codeOf(() => new TheusEngine({ domain: {} }, { maxOps: 0 })).message).toBe(
      'Engine options: maxOps must be a whole number ≥ 1, got number 0.',
    )
    expect(codeOf(() => new TheusEngine({ domain: {} }, { runLogLimit: -1 })).message).toMatch(
      /^Engine options: runLogLimit must be/,
    )
  })
  it('takes every documented option', () => {
    const engine = new TheusEngine(
      { domain: { n: 0 } },
      {
        processes: { inc },
        strictMode: false,
        auditRecipe: { process_recipes: {} },
        schema: { '~standard': { version: 1, vendor: 't', validate: (value) => ({ value }) } },
        historyLimit: 5,
        runLogLimit: 5,
        maxOps: 5,
      },
    )
    expect(engine.runProcess('inc')).toBe(1)
  })
})

describe('registerProcess names', () => {
  it("refuses registerProcess('', def) and registers nothing", () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    const e = codeOf(() => engine.registerProcess('', inc))
    expect(e.code).toBe('INVALID_CONTRACT')
    expect(e.message).toMatch(/name is empty/)
    expect(codeOf(() => engine.runProcess('')).code).toBe('PROCESS_NOT_FOUND')
    expect(
      codeOf(() => new TheusEngine({ domain: { n: 0 } }, { processes: { '': inc } })).code,
    ).toBe('INVALID_CONTRACT')
  })
})

describe('runProcess options', () => {
  const make = () => new TheusEngine({ domain: { n: 0 } }, { processes: { inc } })
  it('refuses negative or fractional retries, a signal that is not an AbortSignal, a non-object, an unknown key', () => {
    const engine = make()
    for (const [opts, re] of [
      [{ retries: -1 }, /retries must be a whole number ≥ 0, got -1/],
      [{ retries: 1.5 }, /retries must be/],
      [{ signal: 'stop' }, /signal must be an AbortSignal/],
      [{ signal: {} }, /signal must be an AbortSignal/],
      [42, /expected \{ signal\?, retries\? \}/],
      // A typo would otherwise run once, without the retries asked for.
      [{ retry: 2 }, /expected \{ signal\?, retries\? \}, got the key 'retry'/],
    ] as const) {
      const e = codeOf(() => engine.runProcess('inc', {}, opts as never))
      expect(e.code).toBe('INVALID_ARGS')
      expect(e.message).toMatch(re)
      expect(e.message).toMatch(/process 'inc'/)
    }
    expect(engine.state.value.domain.n).toBe(0)
    expect(engine.runLog).toHaveLength(0)
  })
  it('takes a real AbortSignal and whole retries', () => {
    const engine = make()
    expect(engine.runProcess('inc', {}, { signal: new AbortController().signal, retries: 2 })).toBe(
      1,
    )
    expect(engine.runProcess('inc', {}, {})).toBe(2)
  })
})
