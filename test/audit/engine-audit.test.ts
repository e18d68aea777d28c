import {
  AuditBlockError,
  AuditInterlockError,
  type AuditLogEntry,
  EngineHaltedError,
  process,
  RecipeError,
  TheusEngine,
} from 'theus'
import 'theus/yaml'
import { describe, expect, it } from 'vitest'

const initial = () => ({
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
  },
})

const transfer = process(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts', 'domain.total_reserves'] },
  function transfer(ctx, args: { from_user: string; to_user: string; amount: number }) {
    ctx.domain.accounts[args.from_user] = (ctx.domain.accounts[args.from_user] ?? 0) - args.amount
    ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
    ctx.domain.total_reserves -= args.amount
  },
)

const RECIPE = `process_recipes:
  base_money_rules:
    inputs:
      - field: amount
        min: 1
        level: B
  transfer:
    inherits: base_money_rules
    inputs:
      - field: amount
        max: 10000
        level: B
      - field: domain.accounts.Alice
        min: 0
        level: C
    outputs:
      - field: domain.total_reserves
        min: 999000
        level: S
        message: Reserves too low
`

function engineWith(recipe: unknown = RECIPE) {
  const engine = new TheusEngine(initial(), { auditRecipe: recipe })
  engine.registerProcess(transfer)
  const events: AuditLogEntry[] = []
  engine.on('audit', (e) => events.push(e))
  return { engine, events }
}

describe('TheusEngine audit gates', () => {
  it('blocks at the input gate before the body runs; nothing changes', () => {
    const { engine, events } = engineWith()
    const before = engine.state.value
    expect(() =>
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 20000 }),
    ).toThrow(AuditBlockError)
    expect(engine.state.value).toBe(before)
    expect(events).toHaveLength(1)
    expect(engine.auditLog).toEqual(events)
    expect(events[0]).toMatchObject({
      process: 'transfer',
      gate: 'input',
      field: 'amount',
      action: 'block',
    })
  })

  it('applies inherited input rules', () => {
    const { engine } = engineWith()
    expect(() =>
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 0 }),
    ).toThrow(/rule 'min' violated on 'amount'/)
  })

  it('commits a passing run and logs nothing', () => {
    const { engine, events } = engineWith()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 500 })
    expect(engine.state.value.domain.accounts.Bob).toBe(500)
    expect(events).toHaveLength(0)
  })

  it('reads input rules from the committed context, and level C commits with a warning', () => {
    const { engine, events } = engineWith()
    engine.edit((s) => {
      s.domain.accounts.Alice = -5
    })
    engine.runProcess('transfer', { from_user: 'Bob', to_user: 'Alice', amount: 10 })
    expect(events[0]).toMatchObject({ field: 'domain.accounts.Alice', value: -5, action: 'warn' })
    expect(engine.state.value.domain.accounts.Alice).toBe(5)
  })

  it('checks output rules on the draft; level S rolls back and halts the engine until resume()', () => {
    const { engine, events } = engineWith()
    const before = engine.state.value
    const err = (() => {
      try {
        engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 2000 })
      } catch (e) {
        return e
      }
    })() as AuditInterlockError
    expect(err).toBeInstanceOf(AuditInterlockError)
    expect(err.level).toBe('S')
    expect(err.message).toContain('Reserves too low')
    expect(events[0]).toMatchObject({ gate: 'output', value: 998000, action: 'interlock' })
    expect(engine.state.value).toBe(before)
    expect(engine.halted).toBe(true)
    expect(() =>
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 }),
    ).toThrow(EngineHaltedError)
    engine.resume()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    expect(engine.state.value.domain.accounts.Bob).toBe(1)
  })

  it('reads local.* at the output gate from what the body left there, in both modes (input gate: empty)', () => {
    // The output gate reads any path of the run's draft (SPEC §3.1 step 3); `local` is the run's
    // own scratch. It used to read nothing there, so every output rule on local.* failed.
    const score = process(
      { inputs: [], outputs: ['domain.total_reserves'] },
      function score(ctx, args: { risk: number }) {
        ctx.local.risk = { value: args.risk, tags: ['a', 'b'] }
        ctx.domain.total_reserves = 1
      },
    )
    const recipe = {
      process_recipes: {
        score: {
          inputs: [{ field: 'local.risk', eq: null, level: 'C' }],
          outputs: [
            { field: 'local.risk.value', max: 5, level: 'B' },
            { field: 'local.risk.tags', max_len: 2, level: 'B' },
          ],
        },
      },
    }
    for (const strictMode of [true, false]) {
      const engine = new TheusEngine(initial(), { auditRecipe: recipe, strictMode })
      engine.registerProcess(score)
      engine.runProcess('score', { risk: 3 })
      expect(engine.state.value.domain.total_reserves).toBe(1)
      // The input gate runs before the body: local is the fresh empty object, so the value is missing.
      expect(engine.auditLog.map((e) => [e.gate, e.field, e.value])).toEqual([
        ['input', 'local.risk', undefined],
      ])
      expect(() => engine.runProcess('score', { risk: 9 })).toThrow(AuditBlockError)
      expect(engine.auditLog.at(-1)).toMatchObject({ gate: 'output', value: 9, limit: 5 })
      // The next run starts with a fresh local: nothing of the last one is read.
      engine.registerProcess(process({ inputs: [], name: 'quiet' }, () => {}))
      engine.replaceAuditRecipe({
        process_recipes: {
          quiet: { outputs: [{ field: 'local.risk.value', max: 5, level: 'C' }] },
        },
      })
      engine.runProcess('quiet')
      expect(engine.auditLog.at(-1)).toMatchObject({ process: 'quiet', value: undefined })
    }
  })

  it('keeps threshold counters per engine', () => {
    const recipe = {
      process_recipes: {
        transfer: { inputs: [{ field: 'amount', max: 10, level: 'B', threshold: 2 }] },
      },
    }
    const a = engineWith(recipe)
    const b = engineWith(recipe)
    const args = { from_user: 'Alice', to_user: 'Bob', amount: 20 }
    a.engine.runProcess('transfer', args) // count 1 of 2: commits with an early warning
    b.engine.runProcess('transfer', args)
    expect(() => a.engine.runProcess('transfer', args)).toThrow(AuditBlockError)
    expect(a.events.map((e) => e.action)).toEqual(['early-warning', 'block'])
    expect(b.events.map((e) => e.action)).toEqual(['early-warning'])
  })

  it('rejects a malformed recipe at construction with RecipeError', () => {
    expect(
      () =>
        new TheusEngine(initial(), {
          auditRecipe: 'process_recipes:\n  transfer:\n    inputz: []\n',
        }),
    ).toThrow(RecipeError)
  })
})
