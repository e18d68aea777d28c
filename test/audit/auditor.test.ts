import {
  AuditBlockError,
  AuditInterlockError,
  type AuditLogEntry,
  type AuditRuleSource,
  createAuditor,
  RecipeError,
} from 'theus'
import { describe, expect, it } from 'vitest'

type Read = (segs: readonly string[]) => unknown

/** An auditor over one process 'p' with the given input rules, and its emitted entries. */
function setup(inputs: AuditRuleSource[], outputs: AuditRuleSource[] = []) {
  const entries: AuditLogEntry[] = []
  const auditor = createAuditor(
    { process_recipes: { p: { inputs, outputs } } },
    { emit: (e) => entries.push(e) },
  )
  return { auditor, entries }
}

const noContext: Read = () => undefined

/** Runs the input gate once; returns the thrown error, or undefined. */
function run(
  auditor: ReturnType<typeof createAuditor>,
  args: Record<string, unknown>,
  read: Read = noContext,
) {
  try {
    auditor.checkInput('p', args, read)
    return undefined
  } catch (e) {
    return e
  }
}

describe('createAuditor conditions', () => {
  const cases: [string, AuditRuleSource, unknown, unknown][] = [
    // [name, rule, passing value, failing value]
    ['min', { field: 'v', min: 0 }, 0, -1],
    ['max', { field: 'v', max: 10 }, 10, 11],
    ['eq', { field: 'v', eq: 'ok' }, 'ok', 'no'],
    ['eq null', { field: 'v', eq: null }, null, 0],
    ['neq', { field: 'v', neq: 0 }, 1, 0],
    ['min_len on a string', { field: 'v', min_len: 2 }, 'ab', 'a'],
    ['max_len on a string', { field: 'v', max_len: 2 }, 'ab', 'abc'],
    ['min_len on an array', { field: 'v', min_len: 1 }, [1], []],
    ['max_len on an array', { field: 'v', max_len: 1 }, [1], [1, 2]],
    ['min_len on a Map', { field: 'v', min_len: 1 }, new Map([[1, 1]]), new Map()],
    ['max_len on a Set', { field: 'v', max_len: 1 }, new Set([1]), new Set([1, 2])],
    ['regex searches', { field: 'v', regex: 'b+' }, 'abbc', 'ac'],
    ['regex anchored', { field: 'v', regex: '^[A-Z]+$' }, 'ABC', 'ABCd'],
  ]
  for (const [name, rule, pass, fail] of cases) {
    it(`${name}: passes ${String(pass)} and flags the other value`, () => {
      const { auditor, entries } = setup([{ ...rule, level: 'B' }])
      expect(run(auditor, { v: pass })).toBeUndefined()
      expect(entries).toHaveLength(0)
      const err = run(auditor, { v: fail })
      expect(err).toBeInstanceOf(AuditBlockError)
      expect(entries).toHaveLength(1)
      expect(entries[0]).toMatchObject({ field: 'v', action: 'block', level: 'B' })
    })
  }

  const wrongTypes: [string, AuditRuleSource, unknown][] = [
    ['min on a numeric string', { field: 'v', min: 0 }, '5'],
    ['max on NaN', { field: 'v', max: 10 }, Number.NaN],
    ['max on a bigint', { field: 'v', max: 10 }, 1n],
    ['min_len on a number', { field: 'v', min_len: 0 }, 5],
    ['max_len on a plain object', { field: 'v', max_len: 5 }, { length: 1 }],
    ['regex on a number', { field: 'v', regex: '1' }, 1],
    ['eq with a different type', { field: 'v', eq: 1 }, '1'],
  ]
  for (const [name, rule, value] of wrongTypes) {
    it(`fails closed: ${name}`, () => {
      const { auditor, entries } = setup([{ ...rule, level: 'B' }])
      expect(run(auditor, { v: value })).toBeInstanceOf(AuditBlockError)
      expect(entries[0]?.value).toBe(value)
    })
  }

  it('treats a missing value as a violation with value undefined, for every condition', () => {
    const rules: AuditRuleSource[] = [
      { field: 'domain.missing', min: 0 },
      { field: 'domain.missing', neq: 1 },
      { field: 'domain.missing', max_len: 3 },
      { field: 'domain.missing', regex: '.*' },
    ]
    const { auditor, entries } = setup(rules)
    expect(run(auditor, {})).toBeUndefined() // level C only warns
    expect(entries.map((e) => [e.condition, e.value, e.action])).toEqual([
      ['min', undefined, 'warn'],
      ['neq', undefined, 'warn'],
      ['max_len', undefined, 'warn'],
      ['regex', undefined, 'warn'],
    ])
    expect('value' in entries[0]!).toBe(true)
  })

  it('checks both conditions of a rule written with two', () => {
    const { auditor, entries } = setup([{ field: 'v', min: 0, max: 10, level: 'B' }])
    expect(run(auditor, { v: 5 })).toBeUndefined()
    expect(run(auditor, { v: -1 })).toBeInstanceOf(AuditBlockError)
    expect(run(auditor, { v: 11 })).toBeInstanceOf(AuditBlockError)
    expect(entries.map((e) => e.condition)).toEqual(['min', 'max'])
  })
})

describe('createAuditor levels', () => {
  it('S throws AuditInterlockError level S with the issue message format', () => {
    const { auditor, entries } = setup([
      { field: 'amount', max: 10000, level: 'S', message: 'Too much.' },
    ])
    const err = run(auditor, { amount: 20000 }) as AuditInterlockError
    expect(err).toBeInstanceOf(AuditInterlockError)
    expect(err.level).toBe('S')
    expect(err.code).toBe('AUDIT_INTERLOCK')
    expect(err.message).toBe(
      "[LEVEL S INTERLOCK] process 'p' input gate: rule 'max' violated on 'amount' (value 20000, limit 10000, count 1/1). Too much.",
    )
    expect(entries[0]?.action).toBe('interlock')
  })

  it('A throws AuditInterlockError level A', () => {
    const { auditor, entries } = setup([{ field: 'amount', max: 1, level: 'A' }])
    const err = run(auditor, { amount: 2 }) as AuditInterlockError
    expect(err).toBeInstanceOf(AuditInterlockError)
    expect(err.level).toBe('A')
    expect(entries[0]?.action).toBe('abort')
  })

  it('B throws AuditBlockError with the message and details of the issue', () => {
    const { auditor } = setup([{ field: 'amount', max: 10000, level: 'B' }])
    const err = run(auditor, { amount: 20000 }) as AuditBlockError
    expect(err).toBeInstanceOf(AuditBlockError)
    expect(err.code).toBe('AUDIT_BLOCK')
    expect(err.message).toBe(
      "[LEVEL B BLOCK] process 'p' input gate: rule 'max' violated on 'amount' (value 20000, limit 10000, count 1/1).",
    )
    expect(err.details).toMatchObject({
      process: 'p',
      gate: 'input',
      field: 'amount',
      condition: 'max',
      value: 20000,
      limit: 10000,
      count: 1,
      threshold: 1,
    })
  })

  it('C only emits a warning (the default level)', () => {
    const { auditor, entries } = setup([{ field: 'amount', max: 1 }])
    expect(run(auditor, { amount: 2 })).toBeUndefined()
    expect(entries).toEqual([
      {
        at: expect.any(Number),
        process: 'p',
        gate: 'input',
        field: 'amount',
        condition: 'max',
        value: 2,
        limit: 1,
        level: 'C',
        count: 1,
        threshold: 1,
        action: 'warn',
        message:
          "[LEVEL C WARN] process 'p' input gate: rule 'max' violated on 'amount' (value 2, limit 1, count 1/1).",
      },
    ])
  })

  it('evaluates every rule and throws the most severe error', () => {
    const { auditor, entries } = setup([
      { field: 'a', max: 1, level: 'B' },
      { field: 'b', max: 1, level: 'S' },
      { field: 'c', max: 1, level: 'C' },
    ])
    const err = run(auditor, { a: 2, b: 2, c: 2 }) as AuditInterlockError
    expect(err).toBeInstanceOf(AuditInterlockError)
    expect(err.level).toBe('S')
    expect(entries.map((e) => e.action)).toEqual(['block', 'interlock', 'warn'])
  })

  it('emits nothing for passing checks and for processes without a recipe', () => {
    const { auditor, entries } = setup([{ field: 'a', max: 1, level: 'B' }])
    expect(run(auditor, { a: 1 })).toBeUndefined()
    auditor.checkInput('other', { a: 100 }, noContext)
    expect(entries).toHaveLength(0)
  })
})

describe('createAuditor thresholds', () => {
  it('counts, blocks on the third violation, then starts a fresh count', () => {
    const { auditor, entries } = setup([
      { field: 'v', max: 1, level: 'B', max_threshold: 3, min_threshold: 3 },
    ])
    expect(run(auditor, { v: 2 })).toBeUndefined()
    expect(run(auditor, { v: 2 })).toBeUndefined()
    const err = run(auditor, { v: 2 }) as AuditBlockError
    expect(err).toBeInstanceOf(AuditBlockError)
    expect(err.message).toContain('count 3/3')
    expect(run(auditor, { v: 2 })).toBeUndefined()
    expect(entries.map((e) => [e.action, e.count, e.threshold])).toEqual([
      ['count', 1, 3],
      ['count', 2, 3],
      ['block', 3, 3],
      ['count', 1, 3],
    ])
  })

  it('logs every count below a min_threshold above max_threshold as a count, then acts (§9)', () => {
    const { auditor, entries } = setup([
      { field: 'v', max: 1, level: 'B', max_threshold: 3, min_threshold: 5 },
    ])
    for (let i = 0; i < 4; i++) run(auditor, { v: 2 })
    expect(entries.map((e) => [e.action, e.count])).toEqual([
      ['count', 1],
      ['count', 2],
      ['block', 3],
      ['count', 1],
    ])
  })

  it('accepts threshold as an alias of max_threshold', () => {
    const { auditor } = setup([{ field: 'v', max: 1, level: 'B', threshold: 2 }])
    expect(run(auditor, { v: 2 })).toBeUndefined()
    expect(run(auditor, { v: 2 })).toBeInstanceOf(AuditBlockError)
  })

  it('records early warnings from min_threshold (default 0: every count below the threshold)', () => {
    const { auditor, entries } = setup([
      { field: 'v', max: 1, level: 'B', max_threshold: 4, min_threshold: 2 },
    ])
    for (let i = 0; i < 4; i++) run(auditor, { v: 2 })
    expect(entries.map((e) => e.action)).toEqual([
      'count',
      'early-warning',
      'early-warning',
      'block',
    ])
    const d = setup([{ field: 'v', max: 1, level: 'B', max_threshold: 2 }])
    run(d.auditor, { v: 2 })
    expect(d.entries[0]?.action).toBe('early-warning')
  })

  it('resets the counter on a passing check by default', () => {
    const { auditor, entries } = setup([{ field: 'v', max: 1, level: 'B', max_threshold: 2 }])
    expect(run(auditor, { v: 2 })).toBeUndefined()
    expect(run(auditor, { v: 0 })).toBeUndefined()
    expect(run(auditor, { v: 2 })).toBeUndefined()
    expect(entries.map((e) => e.count)).toEqual([1, 1])
  })

  it('keeps the counter across passing checks with reset_on_success: false', () => {
    const { auditor, entries } = setup([
      { field: 'v', max: 1, level: 'B', max_threshold: 2, reset_on_success: false },
    ])
    expect(run(auditor, { v: 2 })).toBeUndefined()
    expect(run(auditor, { v: 0 })).toBeUndefined()
    expect(run(auditor, { v: 2 })).toBeInstanceOf(AuditBlockError)
    expect(entries.map((e) => e.count)).toEqual([1, 2])
  })

  it('keeps counters per auditor instance (one per engine)', () => {
    const recipe = {
      process_recipes: {
        p: { inputs: [{ field: 'v', max: 1, level: 'B' as const, max_threshold: 2 }] },
      },
    }
    const one = createAuditor(recipe, { emit() {} })
    const two = createAuditor(recipe, { emit() {} })
    expect(run(one, { v: 2 })).toBeUndefined()
    expect(run(two, { v: 2 })).toBeUndefined()
    expect(run(one, { v: 2 })).toBeInstanceOf(AuditBlockError)
  })

  it('keeps separate counters per gate, and for two rules on the same field and condition', () => {
    const { auditor, entries } = setup(
      [
        { field: 'v', max: 5, level: 'C' },
        { field: 'v', max: 10, level: 'B', max_threshold: 2 },
      ],
      [{ field: 'v', max: 10, level: 'B', max_threshold: 2 }],
    )
    expect(run(auditor, { v: 20 })).toBeUndefined()
    auditor.checkOutput('p', { v: 20 }, noContext)
    expect(entries.map((e) => [e.gate, e.limit, e.count, e.action])).toEqual([
      ['input', 5, 1, 'warn'],
      ['input', 10, 1, 'early-warning'],
      ['output', 10, 1, 'early-warning'],
    ])
  })
})

describe('createAuditor counters and lookups', () => {
  it("counts a parent's rule separately for the parent and for each process inheriting it", () => {
    const rule = { field: 'v', max: 1, level: 'B' as const, max_threshold: 2 }
    const auditor = createAuditor(
      { process_recipes: { base: { inputs: [rule] }, child: { inherits: 'base' } } },
      { emit() {} },
    )
    const check = (p: string) => {
      try {
        auditor.checkInput(p, { v: 2 }, noContext)
        return 'passed'
      } catch (e) {
        return (e as Error).name
      }
    }
    expect([check('child'), check('base'), check('child'), check('base')]).toEqual([
      'passed',
      'passed',
      'AuditBlockError',
      'AuditBlockError',
    ])
  })

  it('finds no rules for a process named like an Object.prototype member', () => {
    const { auditor, entries } = setup([{ field: 'v', min: 0, level: 'B' }])
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(() => auditor.checkInput(name, { v: -1 }, noContext)).not.toThrow()
      expect(auditor.rulesOf(name)).toBeUndefined()
    }
    expect(entries).toEqual([])
  })
})

describe('createAuditor values', () => {
  it('reads args first, then the context', () => {
    const reads: string[][] = []
    const read: Read = (segs) => {
      reads.push([...segs])
      return segs.join('.') === 'domain.balance' ? -5 : undefined
    }
    const { auditor, entries } = setup([
      { field: 'amount', max: 10 },
      { field: 'domain.balance', min: 0 },
      { field: 'domain_ctx.balance', min: 0 },
    ])
    run(auditor, { amount: 50, domain: undefined as unknown }, read)
    // `domain` is a key of args here, so 'domain.balance' is read from args.
    expect(entries.map((e) => e.value)).toEqual([50, undefined, -5])
    expect(reads).toEqual([['domain', 'balance']])
  })

  it('reads nested args paths and Map entries', () => {
    const { auditor, entries } = setup([
      { field: 'user.name', min_len: 3 },
      { field: 'm.k', max: 1 },
    ])
    run(auditor, { user: { name: 'Al' }, m: new Map([['k', 5]]) })
    expect(entries.map((e) => e.value)).toEqual(['Al', 5])
  })

  it('reads the context through the read callback for output rules (the draft)', () => {
    const { auditor, entries } = setup([], [{ field: 'domain.total_reserves', min: 0, level: 'S' }])
    const draft = { domain: { total_reserves: -1 } }
    expect(() =>
      auditor.checkOutput('p', {}, (segs) => segs.reduce<any>((o, s) => o?.[s], draft)),
    ).toThrow(AuditInterlockError)
    expect(entries[0]).toMatchObject({ gate: 'output', value: -1, action: 'interlock' })
  })

  it('fails closed when the context read throws', () => {
    const { auditor, entries } = setup([{ field: 'domain.x', min: 0, level: 'B' }])
    const err = run(auditor, {}, () => {
      throw new Error('not readable')
    })
    expect(err).toBeInstanceOf(AuditBlockError)
    expect(entries[0]?.value).toBeUndefined()
  })

  it('never walks into prototypes through args', () => {
    const { auditor, entries } = setup([{ field: 'a.constructor.name', eq: 'Object' }])
    run(auditor, { a: {} })
    expect(entries[0]?.value).toBeUndefined()
  })
})

describe('createAuditor recipes', () => {
  it('rejects an invalid recipe with RecipeError', () => {
    expect(() =>
      createAuditor({ process_recipes: { p: { inputs: [{ max: 1 }] } } }, { emit() {} }),
    ).toThrow(RecipeError)
  })

  it('applies inherited rules first, and rulesOf lists the effective rules', () => {
    const { emit, entries } = (() => {
      const entries: AuditLogEntry[] = []
      return { entries, emit: (e: AuditLogEntry) => entries.push(e) }
    })()
    const auditor = createAuditor(
      {
        process_recipes: {
          base_money_rules: {
            inputs: [{ field: 'amount', min: 0, level: 'B' }],
            errors: ['ValueError'],
          },
          transfer: {
            inherits: 'base_money_rules',
            inputs: [{ field: 'amount', max: 10000, level: 'B' }],
            side_effects: ['email'],
          },
        },
      },
      { emit },
    )
    expect(() => auditor.checkInput('transfer', { amount: -1 }, noContext)).toThrow(AuditBlockError)
    expect(entries[0]?.condition).toBe('min')
    const rules = auditor.rulesOf('transfer')
    expect(rules?.inputs.map((r) => r.condition)).toEqual(['min', 'max'])
    expect(rules?.errors).toEqual(['ValueError'])
    expect(rules?.side_effects).toEqual(['email'])
    expect(rules?.inputs[1]).toEqual({
      field: 'amount',
      condition: 'max',
      limit: 10000,
      level: 'B',
      minThreshold: 0,
      maxThreshold: 1,
      resetOnSuccess: true,
    })
    expect(auditor.rulesOf('nope')).toBeUndefined()
  })

  it('rulesOf gives fresh lists of the four kinds, which the caller may change', () => {
    const auditor = createAuditor(
      { process_recipes: { p: { outputs: [{ field: 'v', min: 0 }], errors: ['E'] } } },
      { emit() {} },
    )
    const first = auditor.rulesOf('p')!
    expect(Object.keys(first)).toEqual(['inputs', 'outputs', 'side_effects', 'errors'])
    expect(first).toEqual({
      inputs: [],
      outputs: [expect.objectContaining({ field: 'v', condition: 'min' })],
      side_effects: [],
      errors: ['E'],
    })
    first.outputs.pop()
    first.errors.push('F')
    expect(Object.isFrozen(first.errors)).toBe(false)
    expect(auditor.rulesOf('p')!.outputs).toHaveLength(1)
    expect(auditor.rulesOf('p')!.errors).toEqual(['E'])
    expect(auditor.rulesOf('p')).not.toBe(auditor.rulesOf('p'))
  })
})
