/**
 * SPEC §10.2 (re-entrancy, listener errors, halt, dispose), §10.3 (bounded run log and its
 * base) and the engine points of issue 14.
 */
import { effect } from '@preact/signals-core'
import {
  AuditBlockError,
  AuditInterlockError,
  type EngineErrorEvent,
  process,
  type ResumeEvent,
  TheusEngine,
  type TheusError,
  WorkflowManager,
} from 'theus'
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'

afterEach(() => {
  vi.restoreAllMocks()
})

const initial = () => ({
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    n: 0,
    sig_fraud_detected: false,
    meta_last: '',
  },
})

const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.sig_fraud_detected', 'domain.meta_last'],
  },
  function transfer(ctx, args: { from: string; to: string; amount: number }) {
    const bal = ctx.domain.accounts[args.from] ?? 0
    if (bal < args.amount) {
      ctx.domain.sig_fraud_detected = true
      return 'Failed: Insufficient Funds'
    }
    ctx.domain.accounts[args.from] = bal - args.amount
    ctx.domain.accounts[args.to] = (ctx.domain.accounts[args.to] ?? 0) + args.amount
    ctx.domain.meta_last = `${args.from}->${args.to}`
    return 'Success'
  },
)
const inc = process(
  { inputs: ['domain.n'], outputs: ['domain.n'] },
  function inc(ctx, args: { by?: number }) {
    ctx.domain.n += args.by ?? 1
  },
)

const make = (options: ConstructorParameters<typeof TheusEngine>[1] = {}) => {
  const engine = new TheusEngine(initial(), options)
  engine.registerProcess(transfer)
  engine.registerProcess(inc)
  return engine
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (e) {
    return (e as TheusError).code
  }
  return undefined
}

const haltRecipe = {
  process_recipes: { inc: { outputs: [{ field: 'domain.n', max: 5, level: 'S' as const }] } },
}

describe('re-entrancy: NESTED_RUN until the commit is applied', () => {
  it('refuses runProcess, edit, undo, redo and replay from an audit listener fired by a gate', async () => {
    const engine = make({
      auditRecipe: {
        process_recipes: { inc: { outputs: [{ field: 'domain.n', max: 0, level: 'C' as const }] } },
      },
    })
    engine.runProcess('inc')
    const seen: (string | undefined)[] = []
    let replayed: Promise<unknown> | undefined
    engine.on('audit', () => {
      seen.push(codeOf(() => engine.runProcess('inc', { by: 50 })))
      seen.push(codeOf(() => engine.edit((s: any) => (s.domain.n = 50))))
      seen.push(codeOf(() => engine.undo()))
      seen.push(codeOf(() => engine.redo()))
      replayed = TheusEngine.replay(initial(), [inc], [])
    })
    engine.runProcess('inc', { by: 100 })
    expect(seen).toEqual(['NESTED_RUN', 'NESTED_RUN', 'NESTED_RUN', 'NESTED_RUN'])
    await expect(replayed).rejects.toMatchObject({ code: 'NESTED_RUN' })
    // No lost update: the outer run's write is the only one.
    expect(engine.state.value.domain.n).toBe(101)
  })

  it('refuses a run from a schema validator, and from an input-gate listener', () => {
    let inner: string | undefined
    let engine!: TheusEngine
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 't',
        validate: (value: unknown) => {
          inner ??= codeOf(() => engine.runProcess('inc', { by: 50 }))
          return { value }
        },
      },
    }
    engine = make({ schema })
    engine.runProcess('inc', { by: 100 })
    expect(inner).toBe('NESTED_RUN')
    expect(engine.state.value.domain.n).toBe(100)
  })

  it("allows runs once the commit is applied: from 'commit', 'signal' and 'rollback' listeners and subscribers", () => {
    const engine = make()
    const done: string[] = []
    engine.on('commit', (e) => {
      if (e.process === 'transfer') {
        engine.runProcess('inc')
        done.push('commit')
      }
    })
    engine.on('signal', () => {
      engine.edit((s: any) => (s.domain.n += 10))
      done.push('signal')
    })
    engine.on('rollback', (e) => {
      if (e.process === 'inc') return
      engine.runProcess('inc')
      done.push('rollback')
    })
    const stop = effect(() => {
      if (engine.select('domain.accounts.Bob').value === 7) {
        engine.runProcess('inc', { by: 100 })
        done.push('subscriber')
      }
    })
    engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 7 })
    engine.runProcess('transfer', { from: 'Bob', to: 'Alice', amount: 1_000_000 })
    expect(() =>
      engine.runProcess('transfer', { from: 'Alice', to: '__proto__', amount: 1 }),
    ).toThrow()
    stop()
    expect(done).toEqual(['subscriber', 'commit', 'commit', 'signal', 'rollback'])
    expect(engine.state.value.domain.n).toBe(1 + 100 + 1 + 10 + 1)
  })

  it('lets other runs commit while an async body awaits', async () => {
    const engine = make()
    let release!: () => void
    engine.registerProcess(
      process({ outputs: ['domain.meta_last'] }, async function slow(ctx) {
        await new Promise<void>((r) => {
          release = r
        })
        ctx.domain.meta_last = 'slow'
      }),
    )
    const p = engine.runProcess('slow') as Promise<unknown>
    engine.runProcess('inc')
    engine.edit((s: any) => (s.domain.n += 1))
    release()
    await p
    expect(engine.state.value.domain).toMatchObject({ n: 2, meta_last: 'slow' })
  })
})

describe('event order of a commit (SPEC §3.1 step 5)', () => {
  it("notifies state and select() subscribers, then 'commit', then 'signal'", () => {
    const engine = make()
    const order: string[] = []
    engine.on('signal', (e) => order.push(`signal ${e.path}`))
    engine.on('commit', (e) => order.push(`commit ${e.process}`))
    const stopState = effect(() => {
      engine.state.value
      order.push('state')
    })
    const stopSel = engine.select('domain.sig_fraud_detected').subscribe((v) => {
      order.push(`select ${v}`)
    })
    order.length = 0
    engine.runProcess('transfer', { from: 'Bob', to: 'Alice', amount: 5 })
    // The order among subscribers is signals-core's; all of them come before the events.
    expect([...order.slice(0, 2)].sort()).toEqual(['select true', 'state'])
    expect(order.slice(2)).toEqual(['commit transfer', 'signal domain.sig_fraud_detected'])
    // A commit made by a 'commit' listener delivers its own events after its subscribers.
    order.length = 0
    const off = engine.on('commit', (e) => {
      if (e.process === 'transfer') engine.edit((s: any) => (s.domain.n += 1))
    })
    engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 1 })
    expect([...order.slice(0, 2)].sort()).toEqual(['select false', 'state'])
    expect(order.slice(2)).toEqual(['commit transfer', 'state', 'commit edit'])
    off()
    stopState()
    stopSel()
  })

  it("a commit made by a 'commit' listener fires its events after the rest of the first commit's", () => {
    const engine = make()
    const order: string[] = []
    engine.on('commit', (e) => {
      order.push(`commit ${e.process}`)
      if (e.process === 'transfer') engine.edit((s: any) => (s.domain.n += 1))
    })
    engine.on('signal', (e) => order.push(`signal ${e.process} ${e.path}`))
    engine.on('rollback', (e) => order.push(`rollback ${e.process}`))
    engine.runProcess('transfer', { from: 'Bob', to: 'Alice', amount: 5 })
    // The edit's commit came between the transfer's 'commit' and its 'signal' (which then
    // arrived when the edit had already reset the signal).
    expect(order).toEqual([
      'commit transfer',
      'signal transfer domain.sig_fraud_detected',
      'commit edit',
    ])
    // A rollback raised by a listener waits its turn too.
    order.length = 0
    engine.on('commit', (e) => {
      if (e.process === 'transfer') {
        try {
          engine.edit(() => {
            throw new Error('no')
          })
        } catch {}
      }
    })
    engine.runProcess('transfer', { from: 'Bob', to: 'Alice', amount: 5 })
    expect(order).toEqual([
      'commit transfer',
      'signal transfer domain.sig_fraud_detected',
      'commit edit',
      'rollback edit',
    ])
  })
})

describe("listener errors: the 'error' event", () => {
  it('a throwing subscriber does not change the outcome of a committed run', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const engine = make()
    const events: string[] = []
    engine.on('commit', () => events.push('commit'))
    engine.on('rollback', () => events.push('rollback'))
    const stop = engine.select('domain.n').subscribe((n) => {
      if (n === 1) throw new Error('subscriber boom')
    })
    let other = 0
    const stop2 = engine.select('domain.n').subscribe(() => other++)
    expect(engine.runProcess('inc')).toBeUndefined()
    expect(events).toEqual(['commit'])
    expect(engine.state.value.domain.n).toBe(1)
    expect(other).toBe(2)
    expect(error).toHaveBeenCalledTimes(1)
    expect(String(error.mock.calls[0]![0])).toContain('[theus] a subscriber threw')
    stop()
    stop2()
  })

  it("sends listener and subscriber errors to 'error' (and not to the console), other listeners still run", () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const engine = make()
    const got: EngineErrorEvent[] = []
    engine.on('error', (e) => got.push(e))
    const boom = new Error('listener boom')
    engine.on('commit', () => {
      throw boom
    })
    let second = 0
    engine.on('commit', () => second++)
    const subErr = new Error('subscriber boom')
    const stop = engine.select('domain.n').subscribe((n) => {
      if (n > 0) throw subErr
    })
    const out = engine.edit((s: any) => {
      s.domain.n = 5
      return 'done'
    })
    expect(out).toBe('done')
    expect(second).toBe(1)
    // Subscribers run first, then the 'commit' listeners (SPEC §3.1 step 5).
    expect(got).toEqual([
      { source: 'subscriber', error: subErr },
      { source: 'listener', event: 'commit', error: boom },
    ])
    expect(Object.isFrozen(got[1])).toBe(true)
    expect(error).not.toHaveBeenCalled()
    expect(engine.state.value.domain.n).toBe(5)
    expect(engine.history).toHaveLength(1)
    stop()
    expectTypeOf(got[0]!).toEqualTypeOf<EngineErrorEvent>()
  })
})

describe("several throwing subscribers: one 'error' event each", () => {
  it("reports every subscriber that threw during one commit, before 'commit'", () => {
    const engine = make()
    const got: unknown[] = []
    engine.on('error', (e) => got.push(e.error))
    engine.on('commit', () => got.push('commit'))
    const errs = [new Error('a'), new Error('b'), new Error('c'), new Error('d')]
    const stops = [
      engine.select('domain.n').subscribe((n) => {
        if (n) throw errs[0]
      }),
      engine.select('domain.n').subscribe((n) => {
        if (n) throw errs[1]
      }),
      engine.state.subscribe((s: any) => {
        if (s.domain.n) throw errs[2]
      }),
      engine.canUndo.subscribe((can) => {
        if (can) throw errs[3]
      }),
    ]
    expect(engine.runProcess('inc')).toBeUndefined()
    expect(engine.state.value.domain.n).toBe(1)
    expect(got).toHaveLength(5)
    expect(new Set(got.slice(0, 4))).toEqual(new Set(errs))
    expect(got[4]).toBe('commit')
    for (const stop of stops) stop()
  })
})

describe('halt is total', () => {
  const halted = () => {
    const engine = make({ auditRecipe: haltRecipe })
    engine.runProcess('inc')
    expect(codeOf(() => engine.runProcess('inc', { by: 10 }))).toBe('AUDIT_INTERLOCK')
    expect(engine.halted).toBe(true)
    return engine
  }

  it('refuses runProcess, edit, undo and redo with ENGINE_HALTED; reads keep working', () => {
    const engine = halted()
    const before = engine.state.value
    expect(codeOf(() => engine.runProcess('inc'))).toBe('ENGINE_HALTED')
    expect(codeOf(() => engine.edit((s: any) => (s.domain.n = 99)))).toBe('ENGINE_HALTED')
    expect(codeOf(() => engine.undo())).toBe('ENGINE_HALTED')
    expect(codeOf(() => engine.redo())).toBe('ENGINE_HALTED')
    expect(engine.state.value).toBe(before)
    expect(engine.select('domain.n').value).toBe(1)
    expect(engine.toDict().domain.n).toBe(1)
  })

  it('never re-runs the body of an async run with retries once halted', async () => {
    const engine = make({ auditRecipe: haltRecipe })
    let bodies = 0
    let release!: () => void
    engine.registerProcess(
      process({ inputs: ['domain.n'], outputs: ['domain.meta_last'] }, async function reader(ctx) {
        bodies++
        const n = ctx.domain.n
        await new Promise<void>((r) => {
          release = r
        })
        ctx.domain.meta_last = String(n)
      }),
    )
    const p = engine.runProcess('reader', {}, { retries: 3 }) as Promise<unknown>
    engine.runProcess('inc') // a conflict for the pending run
    expect(codeOf(() => engine.runProcess('inc', { by: 10 }))).toBe('AUDIT_INTERLOCK')
    release()
    await expect(p).rejects.toMatchObject({ code: 'ENGINE_HALTED' })
    expect(bodies).toBe(1)
  })

  it("resume() fires 'resume'; halted follows haltedSignal", () => {
    const engine = make({ auditRecipe: haltRecipe })
    const seen: boolean[] = []
    const stop = effect(() => {
      seen.push(engine.halted)
    })
    const resumes: ResumeEvent[] = []
    engine.on('resume', (e) => resumes.push(e))
    expect(codeOf(() => engine.runProcess('inc', { by: 10 }))).toBe('AUDIT_INTERLOCK')
    expect(engine.haltedSignal.value).toBe(true)
    engine.resume()
    engine.resume()
    expect(engine.haltedSignal.value).toBe(false)
    expect(seen).toEqual([false, true, false])
    expect(resumes).toHaveLength(1)
    expect(resumes[0]).toMatchObject({ process: 'inc', error: { code: 'AUDIT_INTERLOCK' } })
    stop()
  })

  it('makes WorkflowManager.send fail without moving: lastError is ENGINE_HALTED', async () => {
    const engine = halted()
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { events: { GO: 'RUN' } },
        RUN: { entry: 'inc', events: { EVT_CHAIN_DONE: 'IDLE' } },
      },
    })
    await wf.send('GO')
    expect(wf.state.value).toBe('IDLE')
    expect(wf.history).toEqual([])
    expect((wf.lastError.value as TheusError).code).toBe('ENGINE_HALTED')
    expect(engine.state.value.domain.n).toBe(1)
  })
})

describe('a level S interlock inside a workflow chain', () => {
  const states = (failEntry?: string) => ({
    states: {
      IDLE: { events: { GO: 'RUN' } },
      RUN: { entry: 'inc', events: { EVT_CHAIN_DONE: 'IDLE', EVT_CHAIN_FAIL: 'FAILED' } },
      FAILED: failEntry ? { entry: failEntry, events: {} } : { events: { RETRY: 'RUN' } },
    },
  })

  it('halts the engine; the chain fail event is processed (SPEC §5.1) and lastError is the interlock', async () => {
    const engine = make({ auditRecipe: haltRecipe })
    const wf = new WorkflowManager(engine, states())
    await wf.send('GO', { by: 10 })
    expect(engine.halted).toBe(true)
    expect(wf.state.value).toBe('FAILED')
    expect(wf.status.value).toBe('idle')
    expect(wf.lastError.value).toBeInstanceOf(AuditInterlockError)
    expect((wf.lastError.value as AuditInterlockError).level).toBe('S')
    expect(engine.state.value.domain.n).toBe(0)
    // While halted, a send fails where it is.
    await wf.send('RETRY')
    expect(wf.state.value).toBe('FAILED')
    expect((wf.lastError.value as TheusError).code).toBe('ENGINE_HALTED')
  })

  it("a fail state's entry processes are refused with ENGINE_HALTED, which becomes lastError", async () => {
    const engine = make({ auditRecipe: haltRecipe })
    const wf = new WorkflowManager(engine, states('inc'))
    await wf.send('GO', { by: 10 })
    expect(wf.state.value).toBe('FAILED')
    expect((wf.lastError.value as TheusError).code).toBe('ENGINE_HALTED')
  })
})

describe('canUndo and canRedo signals', () => {
  it('haltedSignal, canUndo and canRedo are read-only: only the engine moves them', () => {
    const engine = make()
    for (const sig of [engine.haltedSignal, engine.canUndo, engine.canRedo])
      expect(() => {
        ;(sig as { value: boolean }).value = true
      }).toThrow(TypeError)
    expect(engine.halted).toBe(false)
    expect([engine.canUndo.value, engine.canRedo.value]).toEqual([false, false])
    engine.runProcess('inc')
    expect(engine.canUndo.value).toBe(true)
  })

  it('follow history and the redo stack', () => {
    const engine = make()
    const seen: [boolean, boolean][] = []
    const stop = effect(() => {
      seen.push([engine.canUndo.value, engine.canRedo.value])
    })
    engine.runProcess('inc')
    engine.undo()
    engine.redo()
    engine.undo()
    engine.runProcess('inc')
    stop()
    expect(seen).toEqual([
      [false, false],
      [true, false],
      [false, true],
      [true, false],
      [false, true],
      [true, false],
    ])
  })
})

describe('dispose', () => {
  it('clears every listener, runs dispose hooks, and the signals never change again', () => {
    const engine = make()
    const events: string[] = []
    engine.on('commit', () => events.push('commit'))
    let hook = 0
    engine._onDispose(() => hook++)
    const n = engine.select('domain.n')
    engine.dispose()
    engine.dispose()
    expect(hook).toBe(1)
    expect(codeOf(() => engine.runProcess('inc'))).toBe('DISPOSED')
    expect(codeOf(() => engine.resume())).toBe('DISPOSED')
    expect(n.value).toBe(0)
    expect(events).toEqual([])
  })

  it('executeWorkflow on a disposed engine rejects with DISPOSED (a promise-returning call never throws)', async () => {
    const engine = make()
    engine.dispose()
    let thrown: unknown
    let pending: Promise<string[]> | undefined
    try {
      pending = engine.executeWorkflow({ steps: ['inc'] })
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeUndefined()
    await expect(pending).rejects.toMatchObject({ code: 'DISPOSED' })
  })

  it('a run or an edit that disposes the engine does not commit: its signals never change', () => {
    for (const strictMode of [true, false]) {
      const engine = new TheusEngine(initial(), { strictMode })
      const before = engine.state.value
      let notified = 0
      engine.state.subscribe(() => notified++)
      notified = 0
      engine.registerProcess(
        process({ outputs: ['domain.n'] }, function disposer(ctx) {
          ctx.domain.n = 5
          engine.dispose()
          return 'r'
        }),
      )
      // It committed after dispose(): n became 5 and the subscriber ran.
      expect(codeOf(() => engine.runProcess('disposer'))).toBe('DISPOSED')
      expect(engine.state.value).toBe(before)
      expect(notified).toBe(0)
      const other = new TheusEngine(initial(), { strictMode })
      const was = other.state.value
      expect(
        codeOf(() =>
          other.edit((d) => {
            d.domain.n = 5
            other.dispose()
          }),
        ),
      ).toBe('DISPOSED')
      expect(other.state.value).toBe(was)
    }
  })

  it('a schema check that disposes the engine fails the run with DISPOSED', () => {
    let engine: TheusEngine<any> | undefined
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 't',
        validate: (value: unknown) => {
          engine?.dispose()
          return { value }
        },
      },
    }
    engine = new TheusEngine(initial(), { schema })
    engine.registerProcess(
      process({ outputs: ['domain.n'] }, function inc(ctx) {
        ctx.domain.n = 1
      }),
    )
    expect(codeOf(() => engine?.runProcess('inc'))).toBe('DISPOSED')
    expect(engine.state.value.domain.n).toBe(0)
  })
})

describe('runLogLimit and runLogBase (SPEC §10.3)', () => {
  it('keeps 1000 entries by default', () => {
    const engine = make()
    expect(engine.options.runLogLimit).toBe(1000)
    for (let i = 0; i < 1005; i++) engine.runProcess('inc')
    expect(engine.runLog).toHaveLength(1000)
    expect(engine.runLogBase.domain.n).toBe(5)
  })

  it('replay(runLogBase, processes, runLog) builds the live state, edits, undo and redo included', async () => {
    const engine = make({ runLogLimit: 5 })
    const ops = [
      () => engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 10 }),
      () => engine.runProcess('transfer', { from: 'Bob', to: 'Carol', amount: 3 }),
      () => engine.runProcess('transfer', { from: 'Carol', to: 'Bob', amount: 1_000 }),
      () => engine.runProcess('inc', { by: 2 }),
      () => engine.edit((s: any) => (s.domain.accounts[`e${s.domain.n}`] = s.domain.n)),
      () => engine.undo(),
      () => engine.redo(),
      () => engine.undo(),
    ]
    for (let i = 0; i < 50; i++) {
      ops[(i * 7 + (i >> 2)) % ops.length]!()
      expect(engine.runLog.length).toBeLessThanOrEqual(5)
      const copy = await TheusEngine.replay(engine.runLogBase, [transfer, inc], engine.runLog)
      expect(copy.toDict(), `after step ${i}`).toEqual(engine.toDict())
      expect(copy.state.value.domain.meta_last).toBe(engine.state.value.domain.meta_last)
    }
    expect(Object.isFrozen(engine.runLogBase.domain)).toBe(true)
    expect(engine.runLogBase.domain.sig_fraud_detected).toBe(false)
  })

  it('replay(runLogBase) agrees on signal fields in array elements and Map entries', async () => {
    // Their resets restore the initial value of their path; pushed elements' fields are not
    // noted (an index path would not survive the base). Checked across every zone.
    const hit = process(
      { outputs: ['domain.rows', 'domain.flags'] },
      function hit(ctx, args: { push?: boolean; first?: boolean }) {
        if (args.push) ctx.domain.rows.push({ sig_hit: 5 })
        else if (args.first) ctx.domain.rows.unshift({ sig_hit: 1 })
        else ctx.domain.rows[0].sig_hit = 2
        ctx.domain.flags.set('sig_on', true)
      },
    )
    const bump = process({ outputs: ['domain.n'] }, function bump(ctx) {
      ctx.domain.n++
    })
    for (const args of [{}, { push: true }, { first: true }]) {
      for (const second of ['hit', 'bump'] as const) {
        const engine = new TheusEngine(
          { domain: { rows: [{ sig_hit: 0 }], flags: new Map([['sig_on', false]]), n: 0 } },
          { runLogLimit: 1, processes: { hit, bump } },
        )
        engine.runProcess('hit', args)
        engine.runProcess(second, args)
        const copy = await TheusEngine.replay(engine.runLogBase, [hit, bump], engine.runLog)
        expect(copy.toDict({ excludeZones: [] }), JSON.stringify([args, second])).toEqual(
          engine.toDict({ excludeZones: [] }),
        )
      }
    }
  })

  it('replays undo and redo of commits that lie before the log, then of ones inside it (fuzz find)', async () => {
    const engine = make({ runLogLimit: 5 })
    engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 1 }) // A
    engine.runProcess('inc') // B
    engine.undo() // B
    engine.runProcess('inc', { by: 5 }) // C
    engine.undo() // C
    engine.undo() // A: before the kept log
    engine.redo() // A: the replayed engine must redo A here, not C
    engine.redo() // C
    expect(engine.runLog.map((e) => e.process)).toEqual(['inc', 'undo', 'undo', 'redo', 'redo'])
    const copy = await TheusEngine.replay(engine.runLogBase, [transfer, inc], engine.runLog)
    expect(copy.toDict()).toEqual(engine.toDict())
    expect(copy.history).toHaveLength(engine.history.length)
    copy.undo()
    copy.undo()
    engine.undo()
    engine.undo()
    expect(copy.toDict()).toEqual(engine.toDict())
  })

  it('keeps heavy keys in runLogBase, by reference, so processes that declare them replay', async () => {
    const chart = new Float64Array(3)
    const plot = process(
      { inputs: ['domain.n'], outputs: ['domain.heavy_chart', 'domain.n'] },
      function plot(ctx) {
        ctx.domain.n += 1
        ctx.domain.heavy_chart[0] = ctx.domain.n
      },
    )
    for (const runLogLimit of [2, Number.POSITIVE_INFINITY]) {
      const engine = new TheusEngine({ domain: { n: 0, heavy_chart: chart } }, { runLogLimit })
      engine.registerProcess(plot)
      for (let i = 0; i < 4; i++) engine.runProcess('plot')
      expect(engine.runLogBase.domain.heavy_chart).toBe(chart)
      expect(Object.isFrozen(engine.runLogBase.domain)).toBe(true)
      const copy = await TheusEngine.replay(engine.runLogBase, [plot], engine.runLog)
      expect(copy.state.value.domain.n).toBe(engine.state.value.domain.n)
    }
  })

  it('runLogLimit Infinity keeps everything from the initial state; 0 keeps nothing', async () => {
    const all = make({ runLogLimit: Number.POSITIVE_INFINITY })
    const none = make({ runLogLimit: 0 })
    for (let i = 0; i < 20; i++) {
      all.runProcess('inc')
      none.runProcess('inc')
    }
    expect(all.runLog).toHaveLength(20)
    expect(all.runLogBase.domain.n).toBe(0)
    expect(none.runLog).toHaveLength(0)
    expect(none.runLogBase.domain.n).toBe(20)
    expect(codeOf(() => make({ runLogLimit: -1 }))).toBe('INVALID_ARGS')
    expect(codeOf(() => make({ runLogLimit: 1.5 }))).toBe('INVALID_ARGS')
  })
})

describe('issue 14: engine points', () => {
  it('undo and redo neither restore nor publish sig_ values', () => {
    const engine = make()
    engine.runProcess('transfer', { from: 'Bob', to: 'Alice', amount: 5 })
    expect(engine.state.value.domain.sig_fraud_detected).toBe(true)
    engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 5 })
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
    const signals: unknown[] = []
    engine.on('signal', (e) => signals.push(e))
    engine.undo()
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
    engine.undo()
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
    engine.redo()
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
    expect(signals).toEqual([])
  })

  it("undo and redo fire 'commit' once the entry has moved", () => {
    const engine = make()
    engine.runProcess('inc')
    const seen: [string, number, boolean, boolean][] = []
    engine.on('commit', (e) =>
      seen.push([e.process, engine.history.length, engine.canUndo.value, engine.canRedo.value]),
    )
    engine.undo()
    engine.redo()
    expect(seen).toEqual([
      ['undo', 0, false, true],
      ['redo', 1, true, false],
    ])
  })

  it("AuditBlockError.details carries the rule's own message", () => {
    const engine = make({
      auditRecipe: {
        process_recipes: {
          inc: {
            inputs: [
              { field: 'by', max: 10, level: 'B' as const, message: 'At most 10 at a time' },
            ],
          },
        },
      },
    })
    let err: unknown
    try {
      engine.runProcess('inc', { by: 11 })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(AuditBlockError)
    expect((err as AuditBlockError).details.message).toBe('At most 10 at a time')
  })
})

describe('WorkflowManager.history (SPEC §10.1, §10.3)', () => {
  const def = {
    states: { IDLE: { events: { GO: 'ONE' } }, ONE: { events: { GO: 'IDLE' } } },
  }

  it('keeps the last 1000 transitions by default, or historyLimit', async () => {
    const engine = make()
    const wf = new WorkflowManager(engine, def)
    const small = new WorkflowManager(engine, def, { historyLimit: 3 })
    for (let i = 0; i < 1003; i++) await wf.send('GO')
    for (let i = 0; i < 5; i++) await small.send('GO')
    expect(wf.history).toHaveLength(1000)
    expect(small.history.map((t) => t.to)).toEqual(['ONE', 'IDLE', 'ONE'])
    expect(codeOf(() => new WorkflowManager(engine, def, { historyLimit: -2 }))).toBe(
      'INVALID_ARGS',
    )
  })

  it('hands out frozen transitions in a read-only list', async () => {
    const wf = new WorkflowManager(make(), def)
    await wf.send('GO')
    expect(Object.isFrozen(wf.history)).toBe(true)
    expect(Object.isFrozen(wf.history[0])).toBe(true)
    expect(() => (wf.history as any).push({})).toThrow(TypeError)
    expect(() => ((wf.history[0] as any).to = 'X')).toThrow(TypeError)
  })
})
