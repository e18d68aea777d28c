/**
 * SPEC §4 (audit recipes) and the "Audit" / "Remaining edges" bullets of §9, one test per
 * rule, through public names only.
 */
import {
  AuditBlockError,
  AuditInterlockError,
  type AuditLogEntry,
  EngineHaltedError,
  process,
  RecipeError,
  TheusEngine,
  validateAuditRecipe,
} from 'theus'
import { parseAuditRecipe } from 'theus/yaml'
import { afterEach, describe, expect, it, vi } from 'vitest'

afterEach(() => {
  vi.restoreAllMocks()
})

const initial = () => ({
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    tags: new Set(['a']),
    index: new Map([['k', 1]]),
    label: 'abc',
  },
})

const transfer = process(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts', 'domain.total_reserves'] },
  function transfer(ctx, args: { from_user?: string; to_user?: string; amount?: unknown }) {
    const amount = typeof args.amount === 'number' ? args.amount : 0
    ctx.domain.accounts.Alice = (ctx.domain.accounts.Alice ?? 0) - amount
    ctx.domain.accounts.Bob = (ctx.domain.accounts.Bob ?? 0) + amount
    ctx.domain.total_reserves -= amount
    return 'Success'
  },
)

/** A process with one input rule on `value` (an args key). */
function withRule(rule: Record<string, unknown>, gate: 'inputs' | 'outputs' = 'inputs') {
  const engine = new TheusEngine(initial(), {
    auditRecipe: { process_recipes: { transfer: { [gate]: [rule] } } },
  })
  engine.registerProcess(transfer)
  const events: AuditLogEntry[] = []
  engine.on('audit', (e) => events.push(e))
  return { engine, events }
}

const run = (engine: TheusEngine<any>, args: Record<string, unknown>) => {
  try {
    engine.runProcess('transfer', args)
    return undefined
  } catch (e) {
    return e
  }
}

describe('SPEC §4 audit: findings', () => {
  it('formats the message exactly as the spec example', () => {
    const { engine } = withRule({ field: 'amount', max: 10000, level: 'B' })
    const err = run(engine, { amount: 20000 })
    expect(err).toBeInstanceOf(AuditBlockError)
    expect((err as Error).message).toBe(
      "[LEVEL B BLOCK] process 'transfer' input gate: rule 'max' violated on 'amount' (value 20000, limit 10000, count 1/1).",
    )
    expect((err as AuditBlockError).code).toBe('AUDIT_BLOCK')
    expect(engine.auditLog[0]!.message).toBe((err as Error).message)
  })

  it('appends the rule message to the finding', () => {
    const { engine } = withRule({ field: 'amount', max: 1, level: 'B', message: 'Too much' })
    const err = run(engine, { amount: 2 }) as Error
    expect(err.message.endsWith('count 1/1). Too much')).toBe(true)
  })

  it('has exactly the listed keys in an auditLog entry, equal to the audit event', () => {
    const { engine, events } = withRule({ field: 'amount', max: 10000, level: 'B' })
    run(engine, { amount: 20000 })
    expect(engine.auditLog).toHaveLength(1)
    const entry = engine.auditLog[0]!
    expect(Object.keys(entry).sort()).toEqual(
      [
        'at',
        'process',
        'gate',
        'field',
        'condition',
        'value',
        'limit',
        'level',
        'count',
        'threshold',
        'action',
        'message',
      ].sort(),
    )
    expect(entry).toMatchObject({
      process: 'transfer',
      gate: 'input',
      field: 'amount',
      condition: 'max',
      value: 20000,
      limit: 10000,
      level: 'B',
      count: 1,
      threshold: 1,
      action: 'block',
    })
    expect(typeof entry.at).toBe('number')
    expect(events).toEqual([entry])
  })

  it('logs nothing for passing checks', () => {
    const { engine, events } = withRule({ field: 'amount', max: 10000, level: 'B' })
    expect(engine.runProcess('transfer', { amount: 5 })).toBe('Success')
    expect(engine.auditLog).toHaveLength(0)
    expect(events).toHaveLength(0)
  })

  it('keeps auditLog a readonly array, oldest first', () => {
    const { engine } = withRule({ field: 'amount', max: 1, level: 'C' })
    run(engine, { amount: 2 })
    run(engine, { amount: 3 })
    expect(engine.auditLog.map((e) => e.value)).toEqual([2, 3])
    expect(Array.isArray(engine.auditLog)).toBe(true)
    expect(() => (engine.auditLog as AuditLogEntry[]).push(engine.auditLog[0]!)).toThrow()
    expect(engine.auditLog).toHaveLength(2)
  })

  it('gives the output gate gate "output" and lets it read any path', () => {
    const { engine } = withRule({ field: 'global.max_transfer', max: 5, level: 'C' }, 'outputs')
    engine.runProcess('transfer', { amount: 1 })
    expect(engine.auditLog[0]).toMatchObject({ gate: 'output', value: 10_000, action: 'warn' })
  })
})

describe('SPEC §4 audit: levels and actions', () => {
  it('C records a warning, the run commits, nothing goes to the console', () => {
    const warn = vi.spyOn(console, 'warn')
    const error = vi.spyOn(console, 'error')
    const log = vi.spyOn(console, 'log')
    const { engine } = withRule({ field: 'amount', max: 10, level: 'C' })
    expect(engine.runProcess('transfer', { amount: 20 })).toBe('Success')
    expect(engine.state.value.domain.accounts.Bob).toBe(20)
    expect(engine.auditLog[0]).toMatchObject({ level: 'C', action: 'warn' })
    // decision (docs/recipes.md, Levels): engine.logs holds ctx.log entries only
    expect(engine.logs).toEqual([])
    expect(warn).not.toHaveBeenCalled()
    expect(error).not.toHaveBeenCalled()
    expect(log).not.toHaveBeenCalled()
  })

  it('defaults the level to C', () => {
    const { engine } = withRule({ field: 'amount', max: 10 })
    expect(engine.runProcess('transfer', { amount: 20 })).toBe('Success')
    expect(engine.auditLog[0]).toMatchObject({ level: 'C', action: 'warn' })
  })

  it('B blocks before the body: nothing changes', () => {
    const { engine } = withRule({ field: 'amount', max: 10, level: 'B' })
    const before = engine.state.value
    let bodies = 0
    engine.on('commit', () => bodies++)
    expect(run(engine, { amount: 20 })).toBeInstanceOf(AuditBlockError)
    expect(engine.state.value).toBe(before)
    expect(bodies).toBe(0)
  })

  it('A throws AuditInterlockError level A, rolls back, does not halt', () => {
    const { engine } = withRule({ field: 'amount', max: 10, level: 'A' })
    const before = engine.state.value
    const err = run(engine, { amount: 20 })
    expect(err).toBeInstanceOf(AuditInterlockError)
    expect((err as AuditInterlockError).level).toBe('A')
    expect((err as AuditInterlockError).code).toBe('AUDIT_INTERLOCK')
    expect(engine.auditLog[0]!.action).toBe('abort')
    expect(engine.state.value).toBe(before)
    expect(engine.halted).toBe(false)
    expect(engine.runProcess('transfer', { amount: 1 })).toBe('Success')
  })

  it('S throws AuditInterlockError level S and halts the engine until resume()', () => {
    const { engine } = withRule(
      { field: 'domain.total_reserves', min: 999_990, level: 'S' },
      'outputs',
    )
    const halts: unknown[] = []
    engine.on('halt', (e) => halts.push(e))
    const before = engine.state.value
    const err = run(engine, { amount: 100 })
    expect(err).toBeInstanceOf(AuditInterlockError)
    expect((err as AuditInterlockError).level).toBe('S')
    expect(engine.auditLog[0]).toMatchObject({
      action: 'interlock',
      gate: 'output',
      value: 999_900,
    })
    expect(engine.state.value).toBe(before)
    expect(engine.halted).toBe(true)
    expect(halts).toHaveLength(1)
    const refused = run(engine, { amount: 1 })
    expect(refused).toBeInstanceOf(EngineHaltedError)
    expect((refused as EngineHaltedError).code).toBe('ENGINE_HALTED')
    engine.resume()
    expect(engine.halted).toBe(false)
    expect(engine.runProcess('transfer', { amount: 1 })).toBe('Success')
  })
})

describe('SPEC §3.1/§4 audit: S at the input gate', () => {
  it('halts the engine before the body runs', () => {
    const { engine } = withRule({ field: 'amount', max: 10, level: 'S' })
    const before = engine.state.value
    const err = run(engine, { amount: 20 })
    expect(err).toBeInstanceOf(AuditInterlockError)
    expect((err as AuditInterlockError).level).toBe('S')
    expect(engine.halted).toBe(true)
    expect(engine.state.value).toBe(before)
    expect(run(engine, { amount: 1 })).toBeInstanceOf(EngineHaltedError)
  })
})

describe('SPEC §4 audit: thresholds', () => {
  it('threshold is an alias of max_threshold: fail, fail, block at 3/3, then a fresh count', () => {
    const { engine } = withRule({ field: 'amount', max: 10, level: 'B', threshold: 3 })
    expect(run(engine, { amount: 20 })).toBeUndefined()
    expect(run(engine, { amount: 20 })).toBeUndefined()
    const err = run(engine, { amount: 20 }) as Error
    expect(err).toBeInstanceOf(AuditBlockError)
    expect(err.message).toContain('count 3/3')
    expect(run(engine, { amount: 20 })).toBeUndefined()
    expect(engine.auditLog.map((e) => [e.count, e.threshold, e.action])).toEqual([
      [1, 3, 'early-warning'],
      [2, 3, 'early-warning'],
      [3, 3, 'block'],
      [1, 3, 'early-warning'],
    ])
  })

  it("logs a count below min_threshold as 'count', then early warnings", () => {
    const { engine } = withRule({
      field: 'amount',
      max: 10,
      level: 'B',
      max_threshold: 4,
      min_threshold: 2,
    })
    for (let i = 0; i < 4; i++) run(engine, { amount: 20 })
    expect(engine.auditLog.map((e) => e.action)).toEqual([
      'count',
      'early-warning',
      'early-warning',
      'block',
    ])
  })

  it('resets the counter on success by default, and not with reset_on_success: false', () => {
    const on = withRule({ field: 'amount', max: 10, level: 'B', max_threshold: 2 })
    run(on.engine, { amount: 20 })
    run(on.engine, { amount: 1 })
    expect(run(on.engine, { amount: 20 })).toBeUndefined()
    expect(on.engine.auditLog.map((e) => e.count)).toEqual([1, 1])

    const off = withRule({
      field: 'amount',
      max: 10,
      level: 'B',
      max_threshold: 2,
      reset_on_success: false,
    })
    run(off.engine, { amount: 20 })
    run(off.engine, { amount: 1 })
    expect(run(off.engine, { amount: 20 })).toBeInstanceOf(AuditBlockError)
    expect(off.engine.auditLog.map((e) => e.count)).toEqual([1, 2])
  })

  it('keeps one counter per engine', () => {
    const recipe = validateAuditRecipe({
      process_recipes: {
        transfer: { inputs: [{ field: 'amount', max: 10, level: 'B', threshold: 2 }] },
      },
    })
    const a = new TheusEngine(initial(), { auditRecipe: recipe })
    const b = new TheusEngine(initial(), { auditRecipe: recipe })
    a.registerProcess(transfer)
    b.registerProcess(transfer)
    expect(run(a, { amount: 20 })).toBeUndefined()
    expect(run(b, { amount: 20 })).toBeUndefined()
    expect(run(a, { amount: 20 })).toBeInstanceOf(AuditBlockError)
  })

  it('keeps one counter per condition: a rule with two conditions is two rules', () => {
    const { engine } = withRule({ field: 'amount', min: 5, max: 10, level: 'B', threshold: 2 })
    run(engine, { amount: 20 }) // max: 1/2
    run(engine, { amount: 1 }) // min: 1/2 (max passes and resets)
    expect(engine.auditLog.map((e) => [e.condition, e.count])).toEqual([
      ['max', 1],
      ['min', 1],
    ])
  })
})

describe('SPEC §4 audit: conditions', () => {
  const cases: [string, Record<string, unknown>, unknown, boolean][] = [
    ['min passes', { min: 5 }, 5, true],
    ['min fails', { min: 5 }, 4, false],
    ['max passes', { max: 5 }, 5, true],
    ['max fails', { max: 5 }, 6, false],
    ['max on a string fails closed', { max: 5 }, '1', false],
    ['max on NaN fails closed', { max: 5 }, Number.NaN, false],
    ['eq passes on the same value', { eq: 1 }, 1, true],
    ['eq is strict (1 vs "1")', { eq: 1 }, '1', false],
    ['eq is strict (true vs 1)', { eq: true }, 1, false],
    ['eq null', { eq: null }, null, true],
    ['neq passes on another value', { neq: 'x' }, 'y', true],
    ['neq fails on the same value', { neq: 'x' }, 'x', false],
    ['neq is strict (0 vs "0")', { neq: 0 }, '0', true],
    ['min_len on a string', { min_len: 2 }, 'ab', true],
    ['min_len fails on a short array', { min_len: 2 }, [1], false],
    ['max_len on an array', { max_len: 2 }, [1, 2], true],
    ['max_len fails on a long string', { max_len: 2 }, 'abc', false],
    ['min_len on a Map size', { min_len: 2 }, new Map([[1, 1]]), false],
    ['min_len on a Set size', { min_len: 1 }, new Set([1]), true],
    ['max_len on a Set size', { max_len: 1 }, new Set([1, 2]), false],
    ['min_len on a number fails closed', { min_len: 0 }, 3, false],
    ['regex searches', { regex: 'b' }, 'abc', true],
    ['regex anchored', { regex: '^b$' }, 'abc', false],
    ['regex on a number fails closed', { regex: '1' }, 1, false],
  ]
  it.each(cases)('%s', (_, cond, value, passes) => {
    const { engine } = withRule({ field: 'value', level: 'B', ...cond })
    const err = run(engine, { value })
    if (passes) expect(err).toBeUndefined()
    else expect(err).toBeInstanceOf(AuditBlockError)
  })

  it('treats a missing value as a violation with value undefined', () => {
    const { engine } = withRule({ field: 'domain.nothing', min: 0, level: 'B' })
    expect(run(engine, {})).toBeInstanceOf(AuditBlockError)
    expect(engine.auditLog[0]!.value).toBeUndefined()
    expect('value' in engine.auditLog[0]!).toBe(true)
  })

  it('reads args first, then the context; Map/Set sizes in the context count', () => {
    const { engine } = withRule({ field: 'domain.index', min_len: 2, level: 'B' })
    expect(run(engine, {})).toBeInstanceOf(AuditBlockError)
    const ctx = withRule({ field: 'domain.tags', max_len: 1, level: 'B' })
    expect(run(ctx.engine, {})).toBeUndefined()
    // `domain` as an args key wins over the context.
    const args = withRule({ field: 'domain.x', eq: 1, level: 'B' })
    expect(run(args.engine, { domain: { x: 1 } })).toBeUndefined()
    const ctxPath = withRule({ field: 'domain.label', eq: 'abc', level: 'B' })
    expect(run(ctxPath.engine, {})).toBeUndefined()
  })

  it('runs inherited rules first', () => {
    const engine = new TheusEngine(initial(), {
      auditRecipe: {
        process_recipes: {
          base_money_rules: { inputs: [{ field: 'amount', min: 100, level: 'C' }] },
          transfer: {
            inherits: 'base_money_rules',
            inputs: [{ field: 'amount', max: 1, level: 'C' }],
          },
        },
      },
    })
    engine.registerProcess(transfer)
    engine.runProcess('transfer', { amount: 50 })
    expect(engine.auditLog.map((e) => e.condition)).toEqual(['min', 'max'])
  })

  it('checks the output gate on the draft and rolls back', () => {
    const { engine } = withRule({ field: 'domain.total_reserves', min: 0, level: 'B' }, 'outputs')
    const before = engine.state.value
    expect(run(engine, { amount: 2_000_000 })).toBeInstanceOf(AuditBlockError)
    expect(engine.auditLog[0]).toMatchObject({ gate: 'output', value: -1_000_000 })
    expect(engine.state.value).toBe(before)
  })
})

describe('SPEC §4/§9 audit: bad recipes', () => {
  const bad: [string, string, number, number][] = [
    ['unknown key', 'process_recipes:\n  t:\n    inputs:\n      - field: a\n        mx: 1\n', 5, 9],
    ['rule without field', 'process_recipes:\n  t:\n    inputs:\n      - max: 1\n', 4, 9],
    [
      'bad level',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: 1\n        level: X\n',
      6,
      16,
    ],
    [
      'invalid regex',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        regex: "("\n',
      5,
      16,
    ],
    ['inherits naming nothing', 'process_recipes:\n  t:\n    inherits: nope\n', 3, 15],
    [
      'non-number max',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: "1"\n',
      5,
      14,
    ],
    [
      'negative min_len',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        min_len: -1\n',
      5,
      18,
    ],
    [
      'non-integer max_len',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max_len: 1.5\n',
      5,
      18,
    ],
    [
      'non-integer threshold',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: 1\n        threshold: 1.5\n',
      6,
      20,
    ],
    ['malformed YAML', 'process_recipes:\n  t: [\n', 3, 1],
  ]
  it.each(bad)('%s is a RecipeError naming file, line and column', (_, text, line, column) => {
    let err: unknown
    try {
      parseAuditRecipe(text, { filename: 'audit_recipe.yaml' })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(RecipeError)
    const e = err as RecipeError & { line?: number; column?: number; file?: string }
    expect(e.code).toBe('RECIPE_INVALID')
    expect(e.message).toContain('audit_recipe.yaml')
    expect(e.message).toContain(`:${line}:`)
    expect(e.details['line'] ?? e.line).toBe(line)
    if (_ !== 'malformed YAML') expect(e.details['column'] ?? e.column).toBe(column)
  })

  it('suggests the nearest key for an unknown key', () => {
    expect(() =>
      parseAuditRecipe('process_recipes:\n  t:\n    inputs:\n      - field: a\n        mx: 1\n'),
    ).toThrow(/Did you mean 'max'/)
  })

  it('checks an object recipe given to the engine too', () => {
    expect(
      () =>
        new TheusEngine(initial(), {
          auditRecipe: { process_recipes: { t: { inputs: [{ field: 'a', min: '1' }] } } },
        }),
    ).toThrow(RecipeError)
  })
})
