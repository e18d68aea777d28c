/**
 * runLog and TheusEngine.replay (SPEC §3 table, §9 "edit, history, replay").
 */
import fc from 'fast-check'
import { AuditBlockError, process, type RunLogEntry, TheusEngine, TheusError } from 'theus'
import { describe, expect, expectTypeOf, it } from 'vitest'

class ValueError extends Error {
  override name = 'ValueError'
}

const bankInitial = (accounts: Record<string, number> = { Alice: 1000, Bob: 0 }) => ({
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { ...accounts } as Record<string, number>,
    total_reserves: 1_000_000,
    sig_fraud_detected: false,
    meta_last_tx: '',
    ledger: [] as string[],
    tags: new Map<string, string>(),
  },
})

const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: [
      'domain.accounts',
      'domain.sig_fraud_detected',
      'domain.meta_last_tx',
      'domain.ledger',
    ],
    errors: ['ValueError'],
  },
  function transfer(ctx, args: { from_user: string; to_user: string; amount: number }) {
    if (args.amount <= 0) throw new ValueError('Amount must be positive')
    const bal = ctx.domain.accounts[args.from_user] ?? 0
    if (bal < args.amount) {
      ctx.domain.sig_fraud_detected = true
      return 'Failed: Insufficient Funds'
    }
    ctx.domain.accounts[args.from_user] = bal - args.amount
    ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
    ctx.domain.meta_last_tx = `${args.from_user}->${args.to_user}`
    ctx.domain.ledger.push(`${args.from_user}:${args.to_user}:${args.amount}`)
    return 'Success'
  },
)

const deposit = process(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  async function deposit(ctx, args: { to_user: string; amount: number }) {
    await Promise.resolve()
    ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
  },
)

const balance = process(
  { inputs: ['domain.accounts'] },
  function balance(ctx, args: { who: string }) {
    return ctx.domain.accounts[args.who]
  },
)

const processes = [transfer, deposit, balance]

function bank(accounts?: Record<string, number>) {
  const engine = new TheusEngine(bankInitial(accounts))
  for (const p of processes) engine.registerProcess(p)
  return engine
}

describe('runLog', () => {
  it('lists committed runs { process, args } in commit order, including runs that wrote nothing', async () => {
    const engine = bank()
    expectTypeOf(engine.runLog).toEqualTypeOf<readonly RunLogEntry[]>()
    expect(engine.runLog).toEqual([])
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 10 })
    engine.runProcess('balance', { who: 'Bob' })
    await engine.runProcess('deposit', { to_user: 'Carol', amount: 5 })
    expect(engine.runLog).toEqual([
      { process: 'transfer', args: { from_user: 'Alice', to_user: 'Bob', amount: 10 } },
      { process: 'balance', args: { who: 'Bob' } },
      { process: 'deposit', args: { to_user: 'Carol', amount: 5 } },
    ])
    // A run that wrote nothing is logged but makes no history entry.
    expect(engine.history.map((h) => h.process)).toEqual(['transfer', 'deposit'])
  })

  it('does not list failed runs (thrown, conflicting, aborted, unknown)', async () => {
    const engine = bank()
    expect(() =>
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: -1 }),
    ).toThrow(ValueError)
    expect(() => engine.runProcess('nope')).toThrow(TheusError)
    const ac = new AbortController()
    const p = engine.runProcess('deposit', { to_user: 'Bob', amount: 1 }, { signal: ac.signal })
    ac.abort()
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' })
    const q = engine.runProcess('deposit', { to_user: 'Alice', amount: 1 })
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    await expect(q).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(engine.runLog.map((e) => e.process)).toEqual(['transfer'])
  })

  it('a run that lost a conflict and succeeded on retry is logged once', async () => {
    const engine = bank()
    const q = engine.runProcess('deposit', { to_user: 'Alice', amount: 1 }, { retries: 1 })
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    await q
    expect(engine.runLog.map((e) => e.process)).toEqual(['transfer', 'deposit'])
  })

  it('edit entries carry their patches, and replay reproduces them', async () => {
    const engine = bank()
    engine.edit((s) => {
      s.domain.accounts.Carol = 7
      s.domain.ledger.push('seed')
      s.domain.tags.set('vip', 'Alice')
      delete s.domain.accounts.Bob
    })
    const entry = engine.runLog[0]!
    expect(entry.process).toBe('edit')
    expect(Array.isArray(entry.patches)).toBe(true)
    expect(entry.patches!.length).toBeGreaterThan(0)
    expect(entry.patches).toEqual(engine.history[0]!.patches)
    const copy = await TheusEngine.replay(bankInitial(), processes, engine.runLog)
    expect(copy.state.value).toEqual(engine.state.value)
    expect(copy.state.value.domain.accounts).toEqual({ Alice: 1000, Carol: 7 })
    expect(copy.state.value.domain.tags.get('vip')).toBe('Alice')
  })

  it('logs the args as given: neither the body nor the caller can rewrite the log afterwards', async () => {
    const greedy = process(
      { outputs: ['domain.accounts'] },
      function greedy(ctx, args: { to_user: string; amount: number }) {
        ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
        args.amount = 1_000_000 // a body that scribbles on its args
      },
    )
    const engine = bank()
    engine.registerProcess(greedy)
    const args = { to_user: 'Bob', amount: 5 }
    engine.runProcess('greedy', args)
    args.amount = 42 // the caller reuses its object
    engine.runProcess('greedy', args)
    expect(engine.state.value.domain.accounts.Bob).toBe(5 + 42)
    expect(engine.runLog[0]).toEqual({ process: 'greedy', args: { to_user: 'Bob', amount: 5 } })
    const copy = await TheusEngine.replay(bankInitial(), [...processes, greedy], engine.runLog)
    expect(copy.state.value).toEqual(engine.state.value)
  })
})

describe('TheusEngine.replay', () => {
  it('returns a promise of a new engine in the same state', async () => {
    const engine = bank()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 300 })
    engine.runProcess('transfer', { from_user: 'Bob', to_user: 'Alice', amount: 5000 })
    await engine.runProcess('deposit', { to_user: 'Dave', amount: 12 })
    const pending = TheusEngine.replay(bankInitial(), processes, engine.runLog)
    expect(pending).toBeInstanceOf(Promise)
    const copy = await pending
    expect(copy).toBeInstanceOf(TheusEngine)
    expect(copy).not.toBe(engine)
    expect(copy.state.value).toEqual(engine.state.value)
    expect(copy.runLog).toEqual(engine.runLog)
    expect(copy.history.map((h) => [h.process, h.args])).toEqual(
      engine.history.map((h) => [h.process, h.args]),
    )
    // The copy is independent of the original.
    copy.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    expect(copy.state.value.domain.accounts.Alice).toBe(699)
    expect(engine.state.value.domain.accounts.Alice).toBe(700)
  })

  it('reproduces undo and redo entries', async () => {
    const engine = bank()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 2 })
    engine.undo()
    engine.undo()
    engine.redo()
    engine.edit((s) => {
      s.domain.accounts.Eve = 3
    })
    engine.undo()
    const copy = await TheusEngine.replay(bankInitial(), processes, engine.runLog)
    expect(copy.state.value).toEqual(engine.state.value)
    expect(copy.redo()).toBe(true)
    expect(engine.redo()).toBe(true)
    expect(copy.state.value).toEqual(engine.state.value)
  })

  it('an edit that deleted a missing key, then undo, replays to the same state', async () => {
    // The engine commits such an edit (a history entry with no patches); replay must too, or
    // the undo that follows pops a different entry.
    const engine = bank({ Alice: 0 })
    engine.edit((s) => {
      s.domain.accounts.Alice = 5
    })
    engine.edit((s) => {
      delete s.domain.accounts.Carol
    })
    engine.undo()
    const copy = await TheusEngine.replay(bankInitial({ Alice: 0 }), processes, engine.runLog)
    expect(copy.state.value).toEqual(engine.state.value)
    expect(copy.history.length).toBe(engine.history.length)
  })

  it('an edit that reset a signal replays without publishing it: same runLog, same patches', async () => {
    const engine = bank({ Alice: 0 })
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 1 }) // sig_ fires
    engine.edit((s) => {
      s.domain.accounts.Alice = 3 // this commit resets sig_fraud_detected
    })
    engine.edit((s) => {
      s.domain.accounts.Bob = 4
    })
    const copy = await TheusEngine.replay(bankInitial({ Alice: 0 }), processes, engine.runLog)
    expect(copy.state.value).toEqual(engine.state.value)
    // The replayed engine's log and history are the original's: the reset in the first edit's
    // patches is not a new signal write, so the second edit resets nothing.
    expect(copy.runLog).toEqual(engine.runLog)
    expect(copy.history.map((h) => h.patches)).toEqual(engine.history.map((h) => h.patches))
  })

  it('takes a module map (import.meta.glob shape) as the processes', async () => {
    const engine = bank()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 3 })
    await engine.runProcess('deposit', { to_user: 'Bob', amount: 4 })
    const copy = await TheusEngine.replay(
      bankInitial(),
      { './transfer.ts': { transfer }, './deposit.ts': { deposit, balance } },
      engine.runLog,
    )
    expect(copy.state.value).toEqual(engine.state.value)
  })

  it('takes a process map ({ transfer, deposit }, the shape of options.processes) as the processes', async () => {
    const engine = bank()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 3 })
    await engine.runProcess('deposit', { to_user: 'Bob', amount: 4 })
    const copy = await TheusEngine.replay(bankInitial(), { transfer, deposit }, engine.runLog)
    expect(copy.processNames).toEqual(['transfer', 'deposit'])
    expect(copy.state.value).toEqual(engine.state.value)
  })

  it('a process map registers each definition under its key, as options.processes does', async () => {
    // The live engine logs the key ('send'); replay with the same map must know that name.
    const engine = new TheusEngine(bankInitial(), { processes: { send: transfer } })
    engine.runProcess('send', { from_user: 'Alice', to_user: 'Bob', amount: 3 })
    expect(engine.runLog.map((e) => e.process)).toEqual(['send'])
    const copy = await TheusEngine.replay(bankInitial(), { send: transfer }, engine.runLog)
    expect(copy.processNames).toEqual(['send'])
    expect(copy.state.value).toEqual(engine.state.value)
  })

  it("replays a process named like a built-in entry ('edit', 'undo', 'redo') as that process", async () => {
    // Their log entries tell them apart: a run logs { process, args }, a built-in its patches.
    const named = (name: string) =>
      process(
        { name, inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
        function body(ctx, args: { who: string }) {
          ctx.domain.accounts[args.who] = (ctx.domain.accounts[args.who] ?? 0) + 1
        },
      )
    const mine = ['edit', 'undo', 'redo'].map(named)
    const engine = new TheusEngine(bankInitial())
    for (const p of mine) engine.registerProcess(p)
    engine.runProcess('edit', { who: 'Ed' })
    engine.runProcess('undo', { who: 'Una' })
    engine.runProcess('redo', { who: 'Red' })
    engine.edit((s) => {
      s.domain.accounts.Zed = 9
    })
    engine.undo()
    const copy = await TheusEngine.replay(bankInitial(), mine, engine.runLog)
    expect(copy.state.value.domain.accounts).toEqual(engine.state.value.domain.accounts)
    expect(copy.state.value.domain.accounts).toMatchObject({ Ed: 1, Una: 1, Red: 1 })
  })

  it('replays a log that went through JSON (plain data)', async () => {
    const engine = bank()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 3 })
    engine.edit((s) => {
      s.domain.accounts.Zed = 1
      s.domain.ledger.push('note')
    })
    const log = JSON.parse(JSON.stringify(engine.runLog)) as RunLogEntry[]
    const copy = await TheusEngine.replay(bankInitial(), processes, log)
    expect(copy.state.value).toEqual(engine.state.value)
  })

  it('a replayed engine is fully live: edited values can be changed again', async () => {
    const engine = bank()
    engine.edit((s) => {
      s.domain.accounts.Carol = 5
      s.domain.ledger.push('x')
    })
    const copy = await TheusEngine.replay(bankInitial(), processes, engine.runLog)
    copy.runProcess('transfer', { from_user: 'Carol', to_user: 'Bob', amount: 5 })
    copy.edit((s) => {
      s.domain.ledger[0] = 'y'
    })
    expect(copy.state.value.domain.accounts).toMatchObject({ Carol: 0, Bob: 5 })
    expect(copy.state.value.domain.ledger).toEqual(['y', 'Carol:Bob:5'])
    expect(engine.state.value.domain.ledger).toEqual(['x'])
  })

  it('does not touch the initial object it is given, and passes options on', async () => {
    const engine = bank()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 3 })
    const init = bankInitial()
    const copy = await TheusEngine.replay(init, processes, engine.runLog, { historyLimit: 1 })
    expect(init.domain.accounts).toEqual({ Alice: 1000, Bob: 0 })
    expect(copy.options.historyLimit).toBe(1)
    expect(copy.state.value).toEqual(engine.state.value)
  })

  it('takes the options the live engine was built with, processes included', async () => {
    const options = { processes: { transfer, deposit, balance }, historyLimit: 5 }
    const engine = new TheusEngine(bankInitial(), options)
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 3 })
    // The same definitions in both places were DUPLICATE_PROCESS.
    const copy = await TheusEngine.replay(bankInitial(), processes, engine.runLog, options)
    expect(copy.state.value).toEqual(engine.state.value)
    const other = process({ inputs: ['domain.accounts'] }, function balance() {
      return 0
    })
    await expect(
      TheusEngine.replay(bankInitial(), [other], engine.runLog, options),
    ).rejects.toMatchObject({ code: 'DUPLICATE_PROCESS' })
    await expect(
      TheusEngine.replay(bankInitial(), [undefined as never], engine.runLog),
    ).rejects.toMatchObject({ code: 'INVALID_CONTRACT' })
  })

  it('replays with the same recipe: a refused run moved a counter the log does not hold', async () => {
    // max_threshold 3: 6 and 7 count (1, 2), 8 blocks (3 of 3, not logged), 9 counts 1 again.
    const auditRecipe = {
      process_recipes: { put: { inputs: [{ field: 'v', max: 5, level: 'B', max_threshold: 3 }] } },
    }
    const put = process({ inputs: [], outputs: ['domain.n'] }, function put(ctx, a: { v: number }) {
      ctx.domain.n = a.v
    })
    const initial = () => ({ global: {}, domain: { n: 0 } })
    const engine = new TheusEngine(initial(), { auditRecipe, processes: { put } })
    for (const v of [6, 7, 8, 9]) {
      try {
        engine.runProcess('put', { v })
      } catch {}
    }
    expect(engine.runLog.map((r) => r.args)).toEqual([{ v: 6 }, { v: 7 }, { v: 9 }])
    const copy = await TheusEngine.replay(initial(), [put], engine.runLog, { auditRecipe })
    expect(copy.state.value).toEqual(engine.state.value)
    // The copy's counters start afresh after the replay: two more violations still pass.
    copy.runProcess('put', { v: 10 })
    copy.runProcess('put', { v: 11 })
    expect(() => copy.runProcess('put', { v: 12 })).toThrow(AuditBlockError)
    // A logged run that no threshold could have let through is still refused (a tampered log).
    const tampered = [{ process: 'put', args: { v: 6 } }]
    const strict = { process_recipes: { put: { inputs: [{ field: 'v', max: 5, level: 'B' }] } } }
    await expect(
      TheusEngine.replay(initial(), [put], tampered, { auditRecipe: strict }),
    ).rejects.toThrow(AuditBlockError)
  })

  it('rejects (does not throw synchronously) on a process it does not know', async () => {
    const engine = bank()
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 3 })
    let pending: Promise<unknown> | undefined
    expect(() => {
      pending = TheusEngine.replay(bankInitial(), [deposit], engine.runLog)
    }).not.toThrow()
    await expect(pending).rejects.toMatchObject({ code: 'PROCESS_NOT_FOUND' })
  })

  it('rejects with INVALID_ARGS when the processes are neither an array nor an object', async () => {
    for (const bad of [5, 'transfer', null, undefined])
      await expect(TheusEngine.replay(bankInitial(), bad as any, [])).rejects.toMatchObject({
        code: 'INVALID_ARGS',
      })
  })

  it('overlapping async runs that both committed replay to the same state', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const slowDeposit = process(
      { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
      async function slowDeposit(ctx, args: { to_user: string; amount: number }) {
        const bal = ctx.domain.accounts[args.to_user] ?? 0
        await gate
        ctx.domain.accounts[args.to_user] = bal + args.amount
      },
    )
    const engine = bank()
    engine.registerProcess(slowDeposit)
    const a = engine.runProcess('slowDeposit', { to_user: 'Alice', amount: 1 })
    const b = engine.runProcess('slowDeposit', { to_user: 'Bob', amount: 2 })
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Carol', amount: 0.5 })
    release()
    await expect(a).rejects.toMatchObject({ code: 'CONFLICT' })
    await b
    const copy = await TheusEngine.replay(bankInitial(), [...processes, slowDeposit], engine.runLog)
    expect(copy.state.value).toEqual(engine.state.value)
  })

  it('a random run log (transfers, failures, edits, undo/redo, async) replays to a deep-equal state (property)', async () => {
    const name = fc.constantFrom('Alice', 'Bob', 'Carol', 'Dave', 'Eve')
    const cmd = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          t: fc.constant('transfer' as const),
          from_user: name,
          to_user: name,
          amount: fc.integer({ min: -50, max: 800 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          t: fc.constant('deposit' as const),
          to_user: name,
          amount: fc.integer({ min: 1, max: 100 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          t: fc.constant('edit' as const),
          who: name,
          v: fc.option(fc.integer({ min: 0, max: 2000 })),
          tag: fc.option(fc.string({ maxLength: 3 })),
        }),
      },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('balance' as const), who: name }) },
      { weight: 2, arbitrary: fc.constant({ t: 'undo' as const }) },
      { weight: 1, arbitrary: fc.constant({ t: 'redo' as const }) },
    )
    const accounts = fc.dictionary(name, fc.integer({ min: 0, max: 1500 }), { minKeys: 1 })
    await fc.assert(
      fc.asyncProperty(accounts, fc.array(cmd, { maxLength: 30 }), async (acc, cmds) => {
        const engine = bank(acc)
        for (const c of cmds) {
          try {
            switch (c.t) {
              case 'transfer':
                engine.runProcess('transfer', {
                  from_user: c.from_user,
                  to_user: c.to_user,
                  amount: c.amount,
                })
                break
              case 'deposit':
                await engine.runProcess('deposit', { to_user: c.to_user, amount: c.amount })
                break
              case 'balance':
                engine.runProcess('balance', { who: c.who })
                break
              case 'edit':
                engine.edit((s) => {
                  if (c.v === null) delete s.domain.accounts[c.who]
                  else s.domain.accounts[c.who] = c.v
                  if (c.tag !== null) s.domain.tags.set(c.who, c.tag)
                })
                break
              case 'undo':
                engine.undo()
                break
              case 'redo':
                engine.redo()
                break
            }
          } catch (e) {
            if (!(e instanceof ValueError)) throw e
          }
        }
        const copy = await TheusEngine.replay(bankInitial(acc), processes, engine.runLog)
        expect(copy.state.value).toEqual(engine.state.value)
      }),
      { numRuns: 200 },
    )
  })
})
