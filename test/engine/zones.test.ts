import { effect } from '@preact/signals-core'
import { type Contract, process, type SignalEvent, TheusEngine, TheusError } from 'theus'
import { describe, expect, it } from 'vitest'
import { caught } from '../support/caught.js'

const initial = () => ({
  global: { meta_build: 'b1' },
  domain: {
    n: 0,
    sig_fraud_detected: false,
    cmd_start: 0,
    sig_alert: { level: 0 },
    ui: { sig_click: '', label: 'a' },
    meta_last_tx: '',
    meta_trace: { runs: 0 },
    heavy_chart: new Float64Array(4),
    heavy_blob: { pixels: [1, 2, 3] },
    rest: { k: 1 },
  },
})

let seq = 0
function define(engine: TheusEngine, contract: Contract, body: (ctx: any, args: any) => unknown) {
  const name = `p${++seq}`
  engine.registerProcess(process({ ...contract, name }, body))
  return (args?: Record<string, unknown>) => engine.runProcess(name, args)
}

describe('signal zone', () => {
  it('lasts one commit: the next commit that writes something else resets it', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })()
    expect(engine.state.value.domain.sig_fraud_detected).toBe(true)
    expect(engine.select('domain.sig_fraud_detected').value).toBe(true)
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
    expect(engine.select('domain.sig_fraud_detected').value).toBe(false)
  })

  it('is not reset by a commit that writes nothing', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })()
    define(engine, { inputs: ['domain.n'] }, (ctx) => ctx.domain.n)()
    expect(engine.state.value.domain.sig_fraud_detected).toBe(true)
  })

  it('is not reset by a failed run', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })()
    caught(() =>
      define(engine, { outputs: ['domain.n'] }, (ctx) => {
        ctx.domain.n = 1
        throw new Error('x')
      })(),
    )
    expect(engine.state.value.domain.sig_fraud_detected).toBe(true)
  })

  it('stays set when the next commit writes it again', () => {
    const engine = new TheusEngine(initial())
    const raise = define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })
    raise()
    raise()
    expect(engine.state.value.domain.sig_fraud_detected).toBe(true)
  })

  it('resets cmd_ fields, nested signal fields and fields written inside', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.cmd_start', 'domain.sig_alert', 'domain.ui'] }, (ctx) => {
      ctx.domain.cmd_start = 5
      ctx.domain.sig_alert.level = 3
      ctx.domain.ui.sig_click = 'ok'
    })()
    expect(engine.state.value.domain.cmd_start).toBe(5)
    expect(engine.state.value.domain.sig_alert).toEqual({ level: 3 })
    expect(engine.state.value.domain.ui.sig_click).toBe('ok')
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    expect(engine.state.value.domain.cmd_start).toBe(0)
    expect(engine.state.value.domain.sig_alert).toEqual({ level: 0 })
    expect(engine.state.value.domain.ui).toEqual({ sig_click: '', label: 'a' })
  })

  it('resets only the signal fields the next commit did not write', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.sig_fraud_detected', 'domain.cmd_start'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
      ctx.domain.cmd_start = 1
    })()
    define(engine, { outputs: ['domain.cmd_start'] }, (ctx) => {
      ctx.domain.cmd_start = 2
    })()
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
    expect(engine.state.value.domain.cmd_start).toBe(2)
  })

  it("publishes a 'signal' event { process, path, value } for each written signal field", () => {
    const engine = new TheusEngine(initial())
    const signals: SignalEvent[] = []
    engine.on('signal', (e) => signals.push(e))
    engine.registerProcess(
      process(
        { outputs: ['domain.sig_fraud_detected', 'domain.cmd_start', 'domain.n'] },
        function raise(ctx) {
          ctx.domain.sig_fraud_detected = true
          ctx.domain.cmd_start = 7
          ctx.domain.n = 1
        },
      ),
    )
    engine.runProcess('raise')
    expect([...signals].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { process: 'raise', path: 'domain.cmd_start', value: 7 },
      { process: 'raise', path: 'domain.sig_fraud_detected', value: true },
    ])
  })

  it("publishes the field's path and whole value when the write was inside the field", () => {
    const engine = new TheusEngine(initial())
    const signals: SignalEvent[] = []
    engine.on('signal', (e) => signals.push(e))
    define(engine, { outputs: ['domain.sig_alert'] }, (ctx) => {
      ctx.domain.sig_alert.level = 3
    })()
    expect(signals).toHaveLength(1)
    expect(signals[0]!.path).toBe('domain.sig_alert')
    expect(signals[0]!.value).toEqual({ level: 3 })
  })

  it('publishes a nested signal field under its own path', () => {
    const engine = new TheusEngine(initial())
    const signals: SignalEvent[] = []
    engine.on('signal', (e) => signals.push(e))
    define(engine, { outputs: ['domain.ui'] }, (ctx) => {
      ctx.domain.ui.sig_click = 'button'
      ctx.domain.ui.label = 'b'
    })()
    expect(signals.map((s) => [s.path, s.value])).toEqual([['domain.ui.sig_click', 'button']])
  })

  it('writes, publishes and then resets the signal fields of a container written whole', () => {
    const engine = new TheusEngine(initial())
    const signals: SignalEvent[] = []
    engine.on('signal', (e) => signals.push(e))
    define(engine, { outputs: ['domain.ui', 'domain.rest'] }, (ctx) => {
      ctx.domain.ui = {
        sig_click: 'button',
        label: 'b',
        deep: { cmd_go: 1, meta_x: { sig_no: 1 } },
      }
      ctx.domain.rest = { k: 2 }
    })()
    // The first prefix decides: `meta_x.sig_no` is meta, neither published nor reset.
    expect(signals.map((s) => [s.path, s.value])).toEqual([
      ['domain.ui.sig_click', 'button'],
      ['domain.ui.deep.cmd_go', 1],
    ])
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    const ui = engine.state.value.domain.ui as Record<string, any>
    // sig_click goes back to its initial value; cmd_go, not in the initial context, is removed.
    expect(ui).toEqual({ sig_click: '', label: 'b', deep: { meta_x: { sig_no: 1 } } })
    expect(signals).toHaveLength(2)
    // Undoing both restores the old container; as for any signal write, the undo is a reset,
    // not a publication.
    engine.undo()
    engine.undo()
    expect(engine.state.value.domain.ui).toEqual({ sig_click: '', label: 'a' })
    expect(signals).toHaveLength(2)
  })

  it("publishes no 'signal' event for a reset", () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })()
    const signals: SignalEvent[] = []
    engine.on('signal', (e) => signals.push(e))
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 2
    })()
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
    expect(signals).toEqual([])
  })

  it("publishes no 'signal' event for a failed run", () => {
    const engine = new TheusEngine(initial())
    const signals: SignalEvent[] = []
    engine.on('signal', (e) => signals.push(e))
    caught(() =>
      define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
        ctx.domain.sig_fraud_detected = true
        throw new Error('x')
      })(),
    )
    expect(signals).toEqual([])
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
  })

  it("fires 'signal' after 'commit'", () => {
    const engine = new TheusEngine(initial())
    const order: string[] = []
    engine.on('commit', () => order.push('commit'))
    engine.on('signal', () => order.push('signal'))
    define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })()
    expect(order).toEqual(['commit', 'signal'])
  })

  it('notifies a select() of a signal field on raise and on reset', () => {
    const engine = new TheusEngine(initial())
    const seen: unknown[] = []
    const stop = effect(() => {
      seen.push(engine.select('domain.sig_fraud_detected').value)
    })
    define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })()
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    stop()
    expect(seen).toEqual([false, true, false])
  })

  it('is reset by an edit() commit', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })()
    engine.edit((s) => {
      s.domain.n = 5
    })
    expect(engine.state.value.domain.sig_fraud_detected).toBe(false)
  })

  it('resets within the same single notification as the commit', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })()
    const seen: [number, boolean][] = []
    const stop = effect(() => {
      const s = engine.state.value
      seen.push([s.domain.n, s.domain.sig_fraud_detected])
    })
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    stop()
    expect(seen).toEqual([
      [0, true],
      [1, false],
    ])
  })

  it('shows the reset in the commit patches', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.sig_fraud_detected'] }, (ctx) => {
      ctx.domain.sig_fraud_detected = true
    })()
    const patches: unknown[] = []
    engine.on('commit', (e) => patches.push(...e.patches))
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    expect(patches).toContainEqual({ op: 'replace', path: ['domain', 'n'], value: 1 })
    expect(patches).toContainEqual({
      op: 'replace',
      path: ['domain', 'sig_fraud_detected'],
      value: false,
    })
  })

  it('removes on reset a signal field that did not exist initially', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.rest'] }, (ctx) => {
      ctx.domain.rest.sig_new = 1
    })()
    expect((engine.state.value.domain.rest as any).sig_new).toBe(1)
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    expect((engine.state.value.domain.rest as any).sig_new).toBeUndefined()
  })

  it('resets a signal field in an array element or a Map entry to its initial value', () => {
    // Their initial values were noted through plain objects only: the reset deleted the key
    // (the element lost its field, the Map its entry).
    const engine = new TheusEngine({
      domain: { rows: [{ sig_hit: 0 }], flags: new Map([['sig_on', false]]), n: 0 },
    })
    const events: string[] = []
    engine.on('signal', (e) => events.push(`${e.path}=${e.value}`))
    define(engine, { outputs: ['domain.rows', 'domain.flags'] }, (ctx) => {
      ctx.domain.rows[0].sig_hit = 5
      ctx.domain.flags.set('sig_on', true)
    })()
    expect(events).toEqual(['domain.rows.0.sig_hit=5', 'domain.flags.sig_on=true'])
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    expect(engine.state.value.domain.rows).toEqual([{ sig_hit: 0 }])
    expect([...engine.state.value.domain.flags]).toEqual([['sig_on', false]])
    expect(events).toHaveLength(2)
  })
})

describe('heavy zone', () => {
  it('keeps the initial heavy value by reference, unfrozen', () => {
    const init = initial()
    const engine = new TheusEngine(init)
    expect(engine.state.value.domain.heavy_chart).toBe(init.domain.heavy_chart)
    expect(engine.state.value.domain.heavy_blob).toBe(init.domain.heavy_blob)
    expect(Object.isFrozen(engine.state.value.domain.heavy_blob)).toBe(false)
    expect(Object.isFrozen(engine.state.value.domain.heavy_blob.pixels)).toBe(false)
  })

  it('holds a heavy_ value nested in a data object by reference too', () => {
    const blob = { px: [1] }
    const engine = new TheusEngine({ domain: { charts: { heavy_main: blob, title: 't' } } })
    expect(engine.state.value.domain.charts.heavy_main).toBe(blob)
    expect(Object.isFrozen(blob)).toBe(false)
    expect(Object.isFrozen(engine.state.value.domain.charts)).toBe(true)
  })

  it('hands the body the same object as state, as input or as output', () => {
    const engine = new TheusEngine(initial())
    const chart = engine.state.value.domain.heavy_chart
    const asInput = define(
      engine,
      { inputs: ['domain.heavy_chart', 'domain.heavy_blob'] },
      (ctx) => [
        ctx.domain.heavy_chart === chart,
        ctx.domain.heavy_blob === engine.state.value.domain.heavy_blob,
      ],
    )
    const asOutput = define(
      engine,
      { outputs: ['domain.heavy_chart'] },
      (ctx) => ctx.domain.heavy_chart === chart,
    )
    expect(asInput()).toEqual([true, true])
    expect(asOutput()).toBe(true)
  })

  it('lets an in-place change show in state at once, same identity', () => {
    const engine = new TheusEngine(initial())
    const chart = engine.state.value.domain.heavy_chart
    define(engine, { outputs: ['domain.heavy_chart'] }, (ctx) => {
      ctx.domain.heavy_chart[0] = 42
    })()
    expect(engine.state.value.domain.heavy_chart).toBe(chart)
    expect(chart[0]).toBe(42)
  })

  it('does not roll back an in-place change', () => {
    const engine = new TheusEngine(initial())
    const chart = engine.state.value.domain.heavy_chart
    const e = caught(() =>
      define(engine, { outputs: ['domain.heavy_chart', 'domain.heavy_blob'] }, (ctx) => {
        ctx.domain.heavy_chart[1] = 7
        ctx.domain.heavy_blob.pixels.push(4)
        throw new Error('fail')
      })(),
    )
    expect(e.code).toBe('UNDECLARED_ERROR')
    expect(engine.state.value.domain.heavy_chart).toBe(chart)
    expect(chart[1]).toBe(7)
    expect(engine.state.value.domain.heavy_blob.pixels).toEqual([1, 2, 3, 4])
  })

  it('does not roll back a reassignment; the new snapshot changes only that path', () => {
    const engine = new TheusEngine(initial())
    const before = engine.state.value
    const events: string[] = []
    engine.on('commit', () => events.push('commit'))
    engine.on('rollback', () => events.push('rollback'))
    const next = new Float64Array([9, 9])
    caught(() =>
      define(engine, { outputs: ['domain.heavy_chart', 'domain.n'] }, (ctx) => {
        ctx.domain.n = 5
        ctx.domain.heavy_chart = next
        throw new Error('fail')
      })(),
    )
    const after = engine.state.value
    expect(after.domain.heavy_chart).toBe(next)
    expect(after).not.toBe(before)
    expect(after.domain.n).toBe(0)
    expect(after.global).toBe(before.global)
    expect(after.domain.rest).toBe(before.domain.rest)
    expect(after.domain.meta_trace).toBe(before.domain.meta_trace)
    expect(events).toEqual(['rollback'])
    expect(engine.history).toHaveLength(0)
  })

  it('keeps a heavy reassignment of a failed edit() as it does for a failed run', () => {
    const engine = new TheusEngine(initial())
    const before = engine.state.value
    const seen: unknown[] = []
    const stop = effect(() => {
      seen.push(engine.select('domain.heavy_chart').value)
    })
    const events: string[] = []
    engine.on('rollback', (e) => events.push(e.process))
    const next = new Float64Array(3)
    const err = new Error('fail')
    expect(
      caught(() =>
        engine.edit((s) => {
          s.domain.n = 5
          s.domain.heavy_chart = next
          throw err
        }),
      ),
    ).toBe(err)
    stop()
    expect(engine.state.value.domain.heavy_chart).toBe(next)
    expect(engine.state.value.domain.n).toBe(0)
    expect(engine.state.value.domain.rest).toBe(before.domain.rest)
    expect(seen).toEqual([before.domain.heavy_chart, next])
    expect(events).toEqual(['edit'])
  })

  it('notifies subscribers of a reassigned heavy path after a failed run', () => {
    const engine = new TheusEngine(initial())
    const seen: unknown[] = []
    const stop = effect(() => {
      seen.push(engine.select('domain.heavy_chart').value)
    })
    const next = new Float64Array(1)
    caught(() =>
      define(engine, { outputs: ['domain.heavy_chart'] }, (ctx) => {
        ctx.domain.heavy_chart = next
        throw new Error('fail')
      })(),
    )
    stop()
    expect(seen).toHaveLength(2)
    expect(seen[1]).toBe(next)
  })

  it('commits a reassignment of a heavy path in a successful run, notifying once', () => {
    const engine = new TheusEngine(initial())
    const seen: unknown[] = []
    const stop = effect(() => {
      seen.push(engine.select('domain.heavy_chart').value)
    })
    const next = new Float64Array(2)
    define(engine, { outputs: ['domain.heavy_chart'] }, (ctx) => {
      ctx.domain.heavy_chart = next
    })()
    stop()
    expect(engine.state.value.domain.heavy_chart).toBe(next)
    expect(engine.select('domain.heavy_chart').value).toBe(next)
    expect(seen).toHaveLength(2)
  })

  it('notifies subscribers of a declared heavy output after every run, failed ones included', () => {
    const engine = new TheusEngine(initial())
    const sel = engine.select('domain.heavy_chart')
    let n = 0
    const stop = effect(() => {
      sel.value
      n++
    })
    const draw = define(engine, { outputs: ['domain.heavy_chart'] }, (ctx, args) => {
      ctx.domain.heavy_chart[0] = 1
      if (args.fail) throw new Error('fail')
    })
    draw()
    expect(n).toBe(2)
    draw()
    expect(n).toBe(3)
    caught(() => draw({ fail: true }))
    expect(n).toBe(4)
    stop()
  })

  it('a heavy selection is a signal: subscribe, peek, valueOf, toJSON, the brand', () => {
    const engine = new TheusEngine(initial())
    const sel = engine.select('domain.heavy_chart')
    const chart = engine.state.value.domain.heavy_chart
    expect(sel.peek()).toBe(chart)
    expect(sel.valueOf()).toBe(chart)
    expect(sel.toJSON()).toBe(chart)
    expect(String(sel)).toBe(String(chart))
    expect((sel as unknown as { brand: symbol }).brand).toBe(Symbol.for('preact-signals'))
    const seen: unknown[] = []
    const stop = sel.subscribe((v) => seen.push(v))
    const next = new Float64Array(2)
    const draw = define(engine, { outputs: ['domain.heavy_chart'] }, (ctx) => {
      ctx.domain.heavy_chart[0] = 1
    })
    draw()
    define(engine, { outputs: ['domain.heavy_chart'] }, (ctx) => {
      ctx.domain.heavy_chart = next
    })()
    stop()
    draw()
    expect(seen).toEqual([chart, chart, next])
    // peek() reads without subscribing, as every signal's peek does.
    let n = 0
    const stopPeek = effect(() => {
      sel.peek()
      n++
    })
    draw()
    define(engine, { outputs: ['domain.heavy_chart'] }, (ctx) => {
      ctx.domain.heavy_chart = new Float64Array(1)
    })()
    stopPeek()
    expect(n).toBe(1)
  })

  it('notifies subscribers of a declared heavy output even when the run did not touch it', () => {
    const engine = new TheusEngine(initial())
    let n = 0
    const stop = effect(() => {
      engine.select('domain.heavy_chart').value
      n++
    })
    define(engine, { outputs: ['domain.heavy_chart'] }, () => {})()
    expect(n).toBe(2)
    stop()
  })

  it('does not notify heavy subscribers for runs of processes that do not declare it', () => {
    const engine = new TheusEngine(initial())
    let n = 0
    const stop = effect(() => {
      engine.select('domain.heavy_chart').value
      n++
    })
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    define(engine, { inputs: ['domain.heavy_chart'] }, (ctx) => ctx.domain.heavy_chart.length)()
    expect(n).toBe(1)
    stop()
  })
})

describe('meta zone', () => {
  it('is written through outputs, committed, and not reset by later commits', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.meta_last_tx', 'domain.meta_trace'] }, (ctx) => {
      ctx.domain.meta_last_tx = 'tx1'
      ctx.domain.meta_trace.runs += 1
    })()
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    expect(engine.state.value.domain.meta_last_tx).toBe('tx1')
    expect(engine.state.value.domain.meta_trace).toEqual({ runs: 1 })
    expect(engine.select('domain.meta_last_tx').value).toBe('tx1')
  })

  it('decides by its first prefix: a sig_ key inside meta_ is meta, neither published nor reset', () => {
    const engine = new TheusEngine({ domain: { n: 0, meta_trace: { sig_last: 0 } } })
    const signals: string[] = []
    engine.on('signal', (e) => signals.push(e.path))
    define(engine, { outputs: ['domain.meta_trace'] }, (ctx) => {
      ctx.domain.meta_trace.sig_last = 7
    })()
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    expect(signals).toEqual([])
    expect(engine.state.value.domain.meta_trace).toEqual({ sig_last: 7 })
    // Undo restores it as meta data (a signal's undo would skip it as a reset).
    engine.undo()
    engine.undo()
    expect(engine.state.value.domain).toEqual({ n: 0, meta_trace: { sig_last: 0 } })
  })

  it('is rolled back with a failed run (only heavy is exempt)', () => {
    const engine = new TheusEngine(initial())
    const before = engine.state.value
    caught(() =>
      define(engine, { outputs: ['domain.meta_last_tx'] }, (ctx) => {
        ctx.domain.meta_last_tx = 'tx'
        throw new Error('x')
      })(),
    )
    expect(engine.state.value).toBe(before)
  })
})

describe('TheusEngine.toDict', () => {
  it('leaves out the signal, meta and heavy zones by default', () => {
    const engine = new TheusEngine(initial())
    expect(engine.toDict()).toEqual({
      global: {},
      domain: { n: 0, ui: { label: 'a' }, rest: { k: 1 } },
    })
  })

  it('keeps every zone with excludeZones: []', () => {
    const init = initial()
    const engine = new TheusEngine(init)
    const d = engine.toDict({ excludeZones: [] }) as any
    expect(Object.keys(d.domain).sort()).toEqual(Object.keys(init.domain).sort())
    expect(d.global.meta_build).toBe('b1')
    expect(d.domain.heavy_chart).toBe(engine.state.value.domain.heavy_chart)
    expect(d.domain.sig_alert).toEqual({ level: 0 })
  })

  it('leaves out exactly the zones named in excludeZones', () => {
    const engine = new TheusEngine(initial())
    const d = engine.toDict({ excludeZones: ['heavy'] }) as any
    expect(d.domain.sig_fraud_detected).toBe(false)
    expect(d.domain.meta_last_tx).toBe('')
    expect(d.domain.heavy_chart).toBeUndefined()
    expect(d.domain.heavy_blob).toBeUndefined()
    const onlyZones = engine.toDict({ excludeZones: ['data'] }) as any
    expect(onlyZones.domain.n).toBeUndefined()
    expect(onlyZones.domain.rest).toBeUndefined()
    expect(onlyZones.domain.sig_fraud_detected).toBe(false)
  })

  it('refuses excludeZones that is not an array of zones, with INVALID_ARGS and a did-you-mean', () => {
    const engine = new TheusEngine(initial())
    const e = caught(() => engine.toDict({ excludeZones: ['meta', 'signals'] as never }))
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('INVALID_ARGS')
    expect(e.message).toContain("got the string 'signals'. Did you mean 'signal'?")
    expect(e.message).toContain('data, signal, meta, heavy')
    for (const bad of ['signal', 5, [7], [Symbol('z')], [Object.create(null)]]) {
      const err = caught(() => engine.toDict({ excludeZones: bad as never }))
      expect([err.code, err.message]).toEqual(['INVALID_ARGS', expect.stringContaining('toDict()')])
    }
    // null counts as no options, as an absent excludeZones does.
    expect(engine.toDict(null as never)).toEqual(engine.toDict())
  })

  it('refuses toDict options that are not { excludeZones? }: a typo would copy the default zones', () => {
    const engine = new TheusEngine(initial())
    const typo = caught(() => engine.toDict({ exclude: ['data'] } as never))
    expect([typo.code, typo.message]).toEqual([
      'INVALID_ARGS',
      "toDict(): expected { excludeZones? }, got the key 'exclude'.",
    ])
    for (const bad of [5, 'signal', ['meta']]) {
      const err = caught(() => engine.toDict(bad as never))
      expect([err.code, err.message]).toEqual([
        'INVALID_ARGS',
        expect.stringContaining('toDict(): expected { excludeZones? }, got'),
      ])
    }
  })

  it('returns a plain, unfrozen copy that does not change the state', () => {
    const engine = new TheusEngine(initial())
    const d = engine.toDict() as any
    expect(Object.isFrozen(d.domain)).toBe(false)
    d.domain.rest.k = 99
    d.domain.n = 5
    expect(engine.state.value.domain.rest.k).toBe(1)
    expect(engine.state.value.domain.n).toBe(0)
  })

  it('holds every heavy_ key by reference, as the engine does, and copies the rest', () => {
    const blob = { big: [1, 2, 3] }
    const engine = new TheusEngine({
      global: {},
      domain: {
        meta_info: { heavy_cache: blob, plain: { a: 1 } },
        m: new Map<string, unknown>([
          ['heavy_x', blob],
          ['y', { b: 2 }],
        ]),
        list: [{ sig_on: true, v: 1 }],
      },
    })
    const d = engine.toDict({ excludeZones: [] }) as any
    expect(d.domain.meta_info.heavy_cache).toBe(blob)
    expect(d.domain.m.get('heavy_x')).toBe(blob)
    expect(d.domain.m.get('y')).toEqual({ b: 2 })
    expect(Object.isFrozen(d.domain.meta_info.plain)).toBe(false)
    // Zone prefixes are filtered wherever plain data holds them, arrays included.
    expect((engine.toDict() as any).domain.list).toEqual([{ v: 1 }])
  })

  it('reflects commits', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 3
    })()
    expect((engine.toDict() as any).domain.n).toBe(3)
  })
})
