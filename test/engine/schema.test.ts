/**
 * The `schema` option (SPEC §3 options, §3.1 step 4): any Standard Schema validator, zod 4
 * included, checked on every commit: `edit()`, undo, redo and replayed edits included.
 */
import {
  process,
  type RollbackEvent,
  type RunLogEntry,
  SchemaViolationError,
  type StandardSchemaLike,
  TheusEngine,
  TheusError,
} from 'theus'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { caught } from '../support/caught.js'

const schema = z.object({
  global: z.object({ max_transfer: z.number().positive() }),
  domain: z.looseObject({
    accounts: z.record(z.string(), z.number().nonnegative()),
    owner: z.string().min(1),
    items: z.array(z.object({ qty: z.number().int() })),
    prefs: z.map(z.string(), z.boolean()),
  }),
})

const initial = () => ({
  global: { max_transfer: 100 },
  domain: {
    accounts: { Alice: 10, Bob: 0 } as Record<string, number>,
    owner: 'Alice',
    items: [{ qty: 1 }] as { qty: number }[],
    prefs: new Map([['dark', true]]),
    sig_changed: false,
    meta_note: '',
  },
})

const setBalance = process(
  { outputs: ['domain.accounts', 'domain.sig_changed'] },
  function setBalance(ctx, args: { who: string; v: number }) {
    ctx.domain.accounts[args.who] = args.v
    ctx.domain.sig_changed = true
    return 'set'
  },
)
const breakTwo = process({ outputs: ['domain.owner', 'domain.items'] }, function breakTwo(ctx) {
  ctx.domain.owner = ''
  ctx.domain.items.push({ qty: 1.5 })
})
const asyncSet = process(
  { outputs: ['domain.accounts'] },
  async function asyncSet(ctx, args: { who: string; v: number }) {
    await Promise.resolve()
    ctx.domain.accounts[args.who] = args.v
  },
)
const setPref = process({ outputs: ['domain.prefs'] }, function setPref(ctx, args: { v: unknown }) {
  ctx.domain.prefs.set('dark', args.v)
})

function make(s: StandardSchemaLike = schema) {
  const engine = new TheusEngine(initial(), { schema: s })
  for (const p of [setBalance, breakTwo, asyncSet, setPref]) engine.registerProcess(p)
  const rollbacks: RollbackEvent[] = []
  const commits: string[] = []
  engine.on('rollback', (e) => rollbacks.push(e))
  engine.on('commit', (e) => commits.push(e.process))
  return { engine, rollbacks, commits }
}

describe('schema option', () => {
  it('a zod 4 schema is a Standard Schema the engine accepts', () => {
    expect(schema['~standard'].version).toBe(1)
    const { engine } = make()
    expect(engine.options.schema).toBe(schema)
  })

  it('a valid commit passes', () => {
    const { engine, commits, rollbacks } = make()
    expect(engine.runProcess('setBalance', { who: 'Bob', v: 5 })).toBe('set')
    expect(engine.state.value.domain.accounts.Bob).toBe(5)
    expect(commits).toEqual(['setBalance'])
    expect(rollbacks).toEqual([])
  })

  it('a commit that would violate it rolls back with SchemaViolationError listing the issues', () => {
    const { engine, rollbacks, commits } = make()
    const s0 = engine.state.value
    const sel = engine.select('domain.accounts.Bob')
    const seen: unknown[] = []
    const off = sel.subscribe((v) => seen.push(v))
    const signals: unknown[] = []
    engine.on('signal', (e) => signals.push(e))
    const e = caught(() => engine.runProcess('setBalance', { who: 'Bob', v: -5 }))
    expect(e).toBeInstanceOf(SchemaViolationError)
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('SCHEMA_VIOLATION')
    expect(e.name).toBe('SchemaViolationError')
    expect(e.issues).toHaveLength(1)
    expect(e.issues[0].path).toEqual(['domain', 'accounts', 'Bob'])
    expect(typeof e.issues[0].message).toBe('string')
    expect(e.message).toContain('setBalance')
    expect(e.message).toContain('domain.accounts.Bob')
    // Nothing of the run is visible.
    expect(engine.state.value).toBe(s0)
    expect(sel.value).toBe(0)
    expect(seen).toEqual([0])
    expect(signals).toEqual([])
    expect(commits).toEqual([])
    expect(engine.history).toHaveLength(0)
    expect(engine.runLog).toHaveLength(0)
    expect(rollbacks).toHaveLength(1)
    expect(rollbacks[0]).toMatchObject({ process: 'setBalance', args: { who: 'Bob', v: -5 } })
    expect(rollbacks[0]!.error).toBe(e)
    off()
  })

  it('lists every issue with its path, array indexes as numbers', () => {
    const { engine } = make()
    const e = caught(() => engine.runProcess('breakTwo'))
    expect(e).toBeInstanceOf(SchemaViolationError)
    const paths = e.issues.map((i: { path: unknown }) => i.path)
    expect(paths).toEqual(
      expect.arrayContaining([
        ['domain', 'owner'],
        ['domain', 'items', 1, 'qty'],
      ]),
    )
    expect(e.issues).toHaveLength(2)
    expect(engine.state.value.domain.owner).toBe('Alice')
    expect(engine.state.value.domain.items).toEqual([{ qty: 1 }])
  })

  it('a SchemaViolationError is thrown as is, even by a process that declares no errors', () => {
    const { engine } = make()
    const e = caught(() => engine.runProcess('setBalance', { who: 'Alice', v: -1 }))
    expect(e.code).toBe('SCHEMA_VIOLATION')
    expect(e.code).not.toBe('UNDECLARED_ERROR')
  })

  it('checks Map contents too', () => {
    const { engine } = make()
    const e = caught(() => engine.runProcess('setPref', { v: 'yes' }))
    expect(e).toBeInstanceOf(SchemaViolationError)
    expect(e.issues[0].path.slice(0, 2)).toEqual(['domain', 'prefs'])
    expect(engine.state.value.domain.prefs.get('dark')).toBe(true)
    engine.runProcess('setPref', { v: false })
    expect(engine.state.value.domain.prefs.get('dark')).toBe(false)
  })

  it('edit() is checked too, and a failing edit changes nothing', () => {
    const { engine, rollbacks } = make()
    const s0 = engine.state.value
    const e = caught(() =>
      engine.edit((s) => {
        s.domain.accounts.Alice = -100
        s.global.max_transfer = 0
      }),
    )
    expect(e).toBeInstanceOf(SchemaViolationError)
    expect(e.code).toBe('SCHEMA_VIOLATION')
    expect(e.issues.map((i: { path: unknown }) => i.path)).toEqual(
      expect.arrayContaining([
        ['domain', 'accounts', 'Alice'],
        ['global', 'max_transfer'],
      ]),
    )
    expect(engine.state.value).toBe(s0)
    expect(engine.history).toHaveLength(0)
    expect(engine.runLog).toHaveLength(0)
    expect(rollbacks.map((r) => r.process)).toEqual(['edit'])
    // A valid edit passes.
    expect(
      engine.edit((s) => {
        s.domain.accounts.Carol = 1
        return 'ok'
      }),
    ).toBe('ok')
    expect(engine.state.value.domain.accounts.Carol).toBe(1)
  })

  it('an async run that would violate it rejects with SchemaViolationError and rolls back', async () => {
    const { engine } = make()
    const s0 = engine.state.value
    await expect(engine.runProcess('asyncSet', { who: 'Bob', v: -3 })).rejects.toBeInstanceOf(
      SchemaViolationError,
    )
    expect(engine.state.value).toBe(s0)
    await engine.runProcess('asyncSet', { who: 'Bob', v: 3 })
    expect(engine.state.value.domain.accounts.Bob).toBe(3)
  })

  it('the validated value is the whole would-be state, not only what the run wrote', () => {
    const values: unknown[] = []
    const spy: StandardSchemaLike = {
      '~standard': {
        version: 1,
        vendor: 'spy',
        validate: (value) => {
          values.push(structuredClone(value))
          return { value }
        },
      },
    }
    const { engine } = make(spy)
    engine.runProcess('setBalance', { who: 'Bob', v: 7 })
    expect(values.length).toBeGreaterThanOrEqual(1)
    const last = values[values.length - 1] as any
    expect(last.domain.accounts).toEqual({ Alice: 10, Bob: 7 })
    expect(last.domain.owner).toBe('Alice')
    expect(last.global).toEqual({ max_transfer: 100 })
  })

  it('works with any Standard Schema, including { key } path segments', () => {
    const custom: StandardSchemaLike = {
      '~standard': {
        version: 1,
        vendor: 'custom',
        validate: (value: any) =>
          value.domain.accounts.Bob > 50
            ? {
                issues: [
                  { message: 'too rich', path: [{ key: 'domain' }, 'accounts', { key: 'Bob' }] },
                ],
              }
            : { value },
      },
    }
    const { engine } = make(custom)
    engine.runProcess('setBalance', { who: 'Bob', v: 50 })
    const e = caught(() => engine.runProcess('setBalance', { who: 'Bob', v: 51 }))
    expect(e).toBeInstanceOf(SchemaViolationError)
    expect(e.issues).toEqual([{ message: 'too rich', path: ['domain', 'accounts', 'Bob'] }])
    expect(engine.state.value.domain.accounts.Bob).toBe(50)
  })

  it('an asynchronous schema is refused with SchemaViolationError, its code, and rolls back', () => {
    const later: StandardSchemaLike = {
      '~standard': { version: 1, vendor: 'custom', validate: async (value) => ({ value }) },
    }
    const { engine, rollbacks } = make(later)
    const before = engine.state.value
    const e = caught(() => engine.runProcess('setBalance', { who: 'Bob', v: 5 }))
    expect(e).toBeInstanceOf(SchemaViolationError)
    expect(e.code).toBe('SCHEMA_VIOLATION')
    expect(e.message).toContain('synchronous')
    expect(engine.state.value).toBe(before)
    expect(rollbacks).toHaveLength(1)
  })

  it('is checked in non-strict mode too', () => {
    const engine = new TheusEngine(initial(), { schema, strictMode: false })
    engine.registerProcess(setBalance)
    const s0 = engine.state.value
    expect(() => engine.runProcess('setBalance', { who: 'Bob', v: -1 })).toThrow(
      SchemaViolationError,
    )
    expect(engine.state.value).toBe(s0)
    expect(engine.state.value.domain.accounts.Bob).toBe(0)
    engine.runProcess('setBalance', { who: 'Bob', v: 1 })
    expect(engine.state.value.domain.accounts.Bob).toBe(1)
  })

  it('undo and redo stay within the schema and still work after a rejected commit', () => {
    const { engine } = make()
    engine.runProcess('setBalance', { who: 'Bob', v: 4 })
    expect(() => engine.runProcess('setBalance', { who: 'Bob', v: -4 })).toThrow(
      SchemaViolationError,
    )
    expect(engine.undo()).toBe(true)
    expect(engine.state.value.domain.accounts.Bob).toBe(0)
    expect(engine.redo()).toBe(true)
    expect(engine.state.value.domain.accounts.Bob).toBe(4)
  })

  it('checks undo and redo too: one that would break it throws and keeps its entry', () => {
    // The initial context is not a commit, so it may start outside the schema.
    const engine = new TheusEngine(
      { ...initial(), domain: { ...initial().domain, owner: '' } },
      {
        schema,
      },
    )
    engine.edit((s) => {
      s.domain.owner = 'Bob'
    })
    expect(caught(() => engine.undo())).toBeInstanceOf(SchemaViolationError)
    expect(engine.state.value.domain.owner).toBe('Bob')
    expect(engine.history).toHaveLength(1)
  })

  it("a refused undo or redo fires 'rollback' { process, args, error }, as a failed edit does", () => {
    let refuse = ''
    const picky: StandardSchemaLike = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (v) =>
          (v as { domain: { owner: string } }).domain.owner === refuse
            ? { issues: [{ message: 'refused owner' }] }
            : { value: v },
      },
    }
    const { engine, rollbacks, commits } = make(picky)
    // After the rollback, the engine takes commits again (SPEC §10.2).
    const later: unknown[] = []
    const off = engine.on('rollback', () => {
      off()
      later.push(engine.runProcess('setBalance', { who: 'Bob', v: 1 }))
    })
    engine.edit((s) => {
      s.domain.owner = 'Bob'
    })
    refuse = 'Alice'
    const undoError = caught(() => engine.undo())
    expect(undoError).toBeInstanceOf(SchemaViolationError)
    expect(rollbacks).toEqual([{ process: 'undo', args: undefined, error: undoError }])
    expect(later).toEqual(['set'])
    refuse = ''
    engine.undo()
    engine.undo()
    refuse = 'Bob'
    const redoError = caught(() => engine.redo())
    expect(redoError).toBeInstanceOf(SchemaViolationError)
    expect(rollbacks[1]).toEqual({ process: 'redo', args: undefined, error: redoError })
    expect(engine.state.value.domain.owner).toBe('Alice')
    expect(commits).toEqual(['edit', 'setBalance', 'undo', 'undo'])
  })

  it('checks the edits of a replayed log (untrusted input)', async () => {
    const log = [
      { process: 'edit', patches: [{ op: 'replace', path: ['domain', 'owner'], value: '' }] },
    ] as unknown as RunLogEntry[]
    const err = await TheusEngine.replay(initial(), [], log, { schema }).catch((e) => e)
    expect(err).toBeInstanceOf(SchemaViolationError)
  })

  it('replay passes the schema on and reproduces a valid log', async () => {
    const { engine } = make()
    engine.runProcess('setBalance', { who: 'Bob', v: 4 })
    expect(() => engine.runProcess('breakTwo')).toThrow(SchemaViolationError)
    engine.edit((s) => {
      s.domain.owner = 'Bob'
    })
    const copy = await TheusEngine.replay(initial(), [setBalance, breakTwo], engine.runLog, {
      schema,
    })
    expect(copy.state.value).toEqual(engine.state.value)
    expect(copy.options.schema).toBe(schema)
  })
})
