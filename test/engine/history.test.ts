/**
 * history, undo, redo (SPEC §3 table, §9 "edit, history, replay").
 */
import fc from 'fast-check'
import { type CommitEvent, type HistoryEntry, process, TheusEngine } from 'theus'
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'

const initial = () => ({
  global: { rate: 1 },
  domain: {
    n: 0,
    obj: { a: 1, nested: { b: 2 } } as Record<string, any>,
    list: [1, 2, 3] as number[],
    m: new Map<string, number>([['x', 1]]),
    s: new Set<string>(['p']),
    when: new Date(0),
    sig_ping: false,
  },
})

const inc = process(
  { inputs: ['domain.n'], outputs: ['domain.n'] },
  function inc(ctx, args: { by?: number }) {
    ctx.domain.n += args.by ?? 1
  },
)
const noop = process({ inputs: ['domain.n'] }, function noop(ctx) {
  return ctx.domain.n
})
const fail = process({ outputs: ['domain.n'] }, function fail(ctx) {
  ctx.domain.n = 999
  throw new Error('nope')
})

function make(opts: ConstructorParameters<typeof TheusEngine>[1] = {}) {
  const engine = new TheusEngine(initial(), opts)
  engine.registerProcess(inc)
  engine.registerProcess(noop)
  engine.registerProcess(fail)
  const commits: CommitEvent[] = []
  engine.on('commit', (e) => commits.push(e))
  return { engine, commits }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('history', () => {
  it('is a readonly array, oldest first, of { process, args, patches, inversePatches, at }', () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2030-01-02T03:04:05Z'))
    const { engine } = make()
    expectTypeOf(engine.history).toEqualTypeOf<readonly HistoryEntry[]>()
    expect(Array.isArray(engine.history)).toBe(true)
    expect(engine.history).toEqual([])
    engine.runProcess('inc', { by: 2 })
    vi.setSystemTime(new Date('2030-01-02T03:04:06Z'))
    engine.edit((s) => {
      s.domain.obj.a = 5
    })
    expect(engine.history).toHaveLength(2)
    const [first, second] = engine.history
    expect(Object.keys(first!).sort()).toEqual([
      'args',
      'at',
      'inversePatches',
      'patches',
      'process',
    ])
    expect(first).toEqual({
      process: 'inc',
      args: { by: 2 },
      patches: [{ op: 'replace', path: ['domain', 'n'], value: 2 }],
      inversePatches: [{ op: 'replace', path: ['domain', 'n'], value: 0 }],
      at: Date.parse('2030-01-02T03:04:05Z'),
    })
    expect(second).toMatchObject({
      process: 'edit',
      patches: [{ op: 'replace', path: ['domain', 'obj', 'a'], value: 5 }],
      inversePatches: [{ op: 'replace', path: ['domain', 'obj', 'a'], value: 1 }],
      at: Date.parse('2030-01-02T03:04:06Z'),
    })
  })

  it('and the run log each show their own frozen entry of one commit, with shared patches', () => {
    // A commit records one entry for both logs; each log turns it into its plain entry when
    // first read, in either order.
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2030-01-02T03:04:05Z'))
    for (const [historyFirst, runLogLimit] of [
      [true, 1000],
      [false, 1000],
      [false, Number.POSITIVE_INFINITY],
    ] as const) {
      const { engine } = make({ runLogLimit })
      engine.runProcess('inc', { by: 2 })
      engine.edit((s) => {
        s.domain.n = 7
      })
      engine.undo()
      const history = historyFirst ? engine.history : undefined
      const log = engine.runLog
      const hist = history ?? engine.history
      expect(hist.map((h) => h.process)).toEqual(['inc'])
      expect(log).toEqual([
        { process: 'inc', args: { by: 2 } },
        {
          process: 'edit',
          args: undefined,
          patches: [{ op: 'replace', path: ['domain', 'n'], value: 7 }],
        },
        {
          process: 'undo',
          args: undefined,
          patches: [{ op: 'replace', path: ['domain', 'n'], value: 2 }],
        },
      ])
      expect(Object.keys(log[0]!)).toEqual(['process', 'args'])
      for (const e of [...hist, ...log]) {
        expect(Object.isFrozen(e)).toBe(true)
        if (e.args !== undefined) expect(Object.isFrozen(e.args)).toBe(true)
      }
      expect(hist[0]).toEqual({
        process: 'inc',
        args: { by: 2 },
        patches: [{ op: 'replace', path: ['domain', 'n'], value: 2 }],
        inversePatches: [{ op: 'replace', path: ['domain', 'n'], value: 0 }],
        at: Date.parse('2030-01-02T03:04:05Z'),
      })
      expect(engine.redo()).toBe(true)
      // The edit's entries in both logs hold the same patch list.
      expect(engine.history[1]!.patches).toBe(engine.runLog[1]!.patches)
    }
  })

  it('holds committed runs only: not failed runs, not runs that wrote nothing', () => {
    const { engine } = make()
    engine.runProcess('inc')
    expect(() => engine.runProcess('fail')).toThrow()
    engine.runProcess('noop')
    expect(engine.history.map((h) => h.process)).toEqual(['inc'])
  })

  it('is capped at historyLimit, keeping the latest', () => {
    const { engine } = make({ historyLimit: 3 })
    for (let i = 1; i <= 5; i++) engine.runProcess('inc', { by: i })
    expect(engine.history).toHaveLength(3)
    expect(engine.history.map((h) => h.args)).toEqual([{ by: 3 }, { by: 4 }, { by: 5 }])
    // Undo goes back as far as the history reaches, then stops.
    expect(engine.undo()).toBe(true)
    expect(engine.undo()).toBe(true)
    expect(engine.undo()).toBe(true)
    expect(engine.undo()).toBe(false)
    expect(engine.state.value.domain.n).toBe(1 + 2)
  })

  it('historyLimit defaults to 100', () => {
    const { engine } = make()
    expect(engine.options.historyLimit).toBe(100)
    for (let i = 0; i < 105; i++) engine.runProcess('inc')
    expect(engine.history).toHaveLength(100)
  })

  it('historyLimit Infinity keeps every commit, as runLogLimit and WorkflowManager take it', () => {
    const { engine } = make({ historyLimit: Number.POSITIVE_INFINITY })
    for (let i = 0; i < 105; i++) engine.runProcess('inc')
    expect(engine.history).toHaveLength(105)
  })

  it('history entries are not live: later commits do not change earlier entries', () => {
    const { engine } = make()
    engine.edit((s) => {
      s.domain.obj.nested.b = 3
    })
    const entry = engine.history[0]!
    const copy = structuredClone({ p: entry.patches, i: entry.inversePatches })
    engine.edit((s) => {
      s.domain.obj.nested.b = 4
      s.domain.obj.nested.c = 1
    })
    expect({ p: entry.patches, i: entry.inversePatches }).toEqual(copy)
  })
})

describe('undo and redo', () => {
  it('undo applies the last entry’s inverse patches, returns true, fires commit "undo", enters runLog', () => {
    const { engine, commits } = make()
    engine.runProcess('inc', { by: 2 })
    engine.runProcess('inc', { by: 3 })
    commits.length = 0
    expect(engine.undo()).toBe(true)
    expect(engine.state.value.domain.n).toBe(2)
    expect(engine.history.map((h) => h.args)).toEqual([{ by: 2 }])
    expect(commits).toHaveLength(1)
    expect(commits[0]!.process).toBe('undo')
    expect(commits[0]!.patches).toEqual([{ op: 'replace', path: ['domain', 'n'], value: 2 }])
    expect(commits[0]!.inversePatches).toEqual([{ op: 'replace', path: ['domain', 'n'], value: 5 }])
    expect(engine.runLog.map((r) => r.process)).toEqual(['inc', 'inc', 'undo'])
  })

  it('redo re-applies, returns true, fires commit "redo", enters runLog', () => {
    const { engine, commits } = make()
    engine.runProcess('inc', { by: 2 })
    engine.undo()
    commits.length = 0
    expect(engine.redo()).toBe(true)
    expect(engine.state.value.domain.n).toBe(2)
    expect(engine.history.map((h) => h.process)).toEqual(['inc'])
    expect(commits.map((c) => c.process)).toEqual(['redo'])
    expect(commits[0]!.patches).toEqual([{ op: 'replace', path: ['domain', 'n'], value: 2 }])
    expect(engine.runLog.map((r) => r.process)).toEqual(['inc', 'undo', 'redo'])
  })

  it('both return false when there is nothing to do, and fire nothing', () => {
    const { engine, commits } = make()
    const s0 = engine.state.value
    expect(engine.undo()).toBe(false)
    expect(engine.redo()).toBe(false)
    engine.runProcess('inc')
    expect(engine.redo()).toBe(false)
    expect(engine.undo()).toBe(true)
    expect(engine.undo()).toBe(false)
    expect(engine.redo()).toBe(true)
    expect(engine.redo()).toBe(false)
    expect(commits.map((c) => c.process)).toEqual(['inc', 'undo', 'redo'])
    expect(engine.runLog.map((r) => r.process)).toEqual(['inc', 'undo', 'redo'])
    expect(s0.domain.n).toBe(0)
  })

  it('a new commit clears the redo stack', () => {
    const { engine } = make()
    engine.runProcess('inc', { by: 1 })
    engine.runProcess('inc', { by: 10 })
    engine.undo()
    engine.runProcess('inc', { by: 100 })
    expect(engine.redo()).toBe(false)
    expect(engine.state.value.domain.n).toBe(101)
    expect(engine.history.map((h) => h.args)).toEqual([{ by: 1 }, { by: 100 }])
  })

  it('an edit clears the redo stack too, but a failed run or a run that wrote nothing does not', () => {
    const { engine } = make()
    engine.runProcess('inc', { by: 1 })
    engine.undo()
    expect(() => engine.runProcess('fail')).toThrow()
    engine.runProcess('noop')
    expect(engine.redo()).toBe(true)
    expect(engine.state.value.domain.n).toBe(1)
    engine.undo()
    engine.edit((s) => {
      s.domain.obj.a = 2
    })
    expect(engine.redo()).toBe(false)
  })

  it('multi-step undo then redo walks back and forth through the same states', () => {
    const { engine } = make()
    const states = [engine.state.value]
    engine.runProcess('inc', { by: 1 })
    states.push(engine.state.value)
    engine.edit((s) => {
      s.domain.list.push(4)
      s.domain.m.set('y', 2)
    })
    states.push(engine.state.value)
    engine.edit((s) => {
      delete s.domain.obj.a
      s.domain.s.add('q')
    })
    states.push(engine.state.value)
    for (let i = states.length - 2; i >= 0; i--) {
      expect(engine.undo()).toBe(true)
      expect(engine.state.value).toEqual(states[i])
    }
    for (let i = 1; i < states.length; i++) {
      expect(engine.redo()).toBe(true)
      expect(engine.state.value).toEqual(states[i])
    }
  })

  it('round trips on objects: nested set, added and deleted keys, replaced subtrees', () => {
    const { engine } = make()
    const before = engine.state.value
    engine.edit((s) => {
      s.domain.obj.nested.b = 20
      s.domain.obj.added = { deep: [1, { k: 'v' }] }
      delete s.domain.obj.a
      s.global.rate = 2
    })
    const after = engine.state.value
    expect(after.domain.obj).toEqual({ nested: { b: 20 }, added: { deep: [1, { k: 'v' }] } })
    engine.undo()
    expect(engine.state.value).toEqual(before)
    expect('added' in engine.state.value.domain.obj).toBe(false)
    engine.redo()
    expect(engine.state.value).toEqual(after)
    expect('a' in engine.state.value.domain.obj).toBe(false)
    // Replace a whole subtree and come back.
    engine.edit((s) => {
      s.domain.obj = { other: true }
    })
    engine.undo()
    expect(engine.state.value).toEqual(after)
  })

  it('round trips on arrays: push, pop, splice, sort, index set, length change', () => {
    const { engine } = make()
    const steps: ((l: number[]) => void)[] = [
      (l) => l.push(9, 8),
      (l) => l.pop(),
      (l) => l.splice(1, 1),
      (l) => l.splice(0, 0, 7, 6),
      (l) => l.sort((a, b) => a - b),
      (l) => l.reverse(),
      (l) => {
        l[0] = 42
      },
      (l) => {
        l.length = 1
      },
      (l) => l.unshift(0),
      (l) => l.shift(),
    ]
    const states = [engine.state.value]
    for (const step of steps) {
      engine.edit((s) => {
        step(s.domain.list)
      })
      states.push(engine.state.value)
    }
    for (let i = states.length - 2; i >= 0; i--) {
      engine.undo()
      expect(engine.state.value.domain.list).toEqual(states[i]!.domain.list)
    }
    expect(engine.state.value).toEqual(states[0])
    for (let i = 1; i < states.length; i++) {
      engine.redo()
      expect(engine.state.value.domain.list).toEqual(states[i]!.domain.list)
    }
  })

  it('round trips on Maps and Sets: set, delete, clear, add', () => {
    const { engine } = make()
    const s0 = engine.state.value
    engine.edit((s) => {
      s.domain.m.set('x', 10)
      s.domain.m.set('y', 20)
      s.domain.s.add('q')
    })
    const s1 = engine.state.value
    engine.edit((s) => {
      s.domain.m.delete('x')
      s.domain.s.delete('p')
    })
    const s2 = engine.state.value
    engine.edit((s) => {
      s.domain.m.clear()
      s.domain.s.clear()
    })
    const s3 = engine.state.value
    expect(s3.domain.m.size).toBe(0)
    engine.undo()
    expect(engine.state.value).toEqual(s2)
    engine.undo()
    expect(engine.state.value).toEqual(s1)
    expect(engine.state.value.domain.m.get('x')).toBe(10)
    engine.undo()
    expect(engine.state.value).toEqual(s0)
    expect([...engine.state.value.domain.m.entries()]).toEqual([['x', 1]])
    expect([...engine.state.value.domain.s]).toEqual(['p'])
    engine.redo()
    engine.redo()
    engine.redo()
    expect(engine.state.value).toEqual(s3)
  })

  it('snapshot Maps and Sets deep-equal the plain Map and Set a user compares them with', () => {
    // Users (and test suites) write expect(state.domain.m).toEqual(new Map(...)). A frozen
    // snapshot may block mutators, but it should still be a Map as far as deep equality goes.
    const { engine } = make()
    engine.edit((s) => {
      s.domain.m.set('y', 2)
      s.domain.s.add('q')
    })
    engine.undo()
    expect(engine.state.value.domain.m).toEqual(new Map([['x', 1]]))
    expect(engine.state.value.domain.s).toEqual(new Set(['p']))
    engine.redo()
    expect(engine.state.value.domain.m).toEqual(
      new Map([
        ['x', 1],
        ['y', 2],
      ]),
    )
    expect(engine.state.value.domain.s).toEqual(new Set(['p', 'q']))
  })

  it('round trips on Dates', () => {
    const { engine } = make()
    engine.edit((s) => {
      s.domain.when = new Date(1000)
    })
    engine.undo()
    expect(engine.state.value.domain.when).toEqual(new Date(0))
    engine.redo()
    expect(engine.state.value.domain.when).toEqual(new Date(1000))
  })

  it('undo restores deep-equal states for random edit sequences (property)', () => {
    type Op =
      | { t: 'set'; key: string; v: number }
      | { t: 'del'; key: string }
      | { t: 'nest'; key: string; v: number }
      | { t: 'inner'; key: string; v: number }
      | { t: 'renest' }
      | { t: 'push'; v: number }
      | { t: 'splice'; at: number; n: number }
      | { t: 'sort' }
      | { t: 'mset'; key: string; v: number }
      | { t: 'mdel'; key: string }
      | { t: 'sadd'; v: string }
      | { t: 'sdel'; v: string }
    const key = fc.constantFrom('a', 'b', 'c', 'd')
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ t: fc.constant('set' as const), key, v: fc.integer() }),
      fc.record({ t: fc.constant('del' as const), key }),
      fc.record({ t: fc.constant('nest' as const), key, v: fc.integer() }),
      // Writes inside a child, then the child's container replaced: in any order.
      fc.record({ t: fc.constant('inner' as const), key, v: fc.integer() }),
      fc.record({ t: fc.constant('renest' as const) }),
      fc.record({ t: fc.constant('push' as const), v: fc.integer() }),
      fc.record({
        t: fc.constant('splice' as const),
        at: fc.nat({ max: 5 }),
        n: fc.nat({ max: 2 }),
      }),
      fc.record({ t: fc.constant('sort' as const) }),
      fc.record({ t: fc.constant('mset' as const), key, v: fc.integer() }),
      fc.record({ t: fc.constant('mdel' as const), key }),
      fc.record({ t: fc.constant('sadd' as const), v: key }),
      fc.record({ t: fc.constant('sdel' as const), v: key }),
    )
    const apply = (s: any, o: Op) => {
      const d = s.domain
      switch (o.t) {
        case 'set':
          d.obj[o.key] = o.v
          break
        case 'del':
          delete d.obj[o.key]
          break
        case 'nest':
          d.obj.nested[o.key] = { v: o.v, arr: [o.v] }
          break
        case 'inner':
          if (typeof d.obj.nested[o.key] === 'object') {
            d.obj.nested[o.key].v = o.v
            d.obj.nested[o.key].arr.push(o.v)
          }
          break
        case 'renest':
          d.obj.nested = { a: { v: 0, arr: [] } }
          break
        case 'push':
          d.list.push(o.v)
          break
        case 'splice':
          d.list.splice(o.at, o.n)
          break
        case 'sort':
          d.list.sort((x: number, y: number) => x - y)
          break
        case 'mset':
          d.m.set(o.key, o.v)
          break
        case 'mdel':
          d.m.delete(o.key)
          break
        case 'sadd':
          d.s.add(o.v)
          break
        case 'sdel':
          d.s.delete(o.v)
          break
      }
    }
    fc.assert(
      fc.property(
        fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { maxLength: 8 }),
        (batches) => {
          const { engine } = make()
          const states = [engine.state.value]
          for (const ops of batches) {
            const n = engine.history.length
            engine.edit((s) => {
              for (const o of ops) apply(s, o)
            })
            // An edit that wrote nothing (deleting a missing Map key) makes no history entry.
            if (engine.history.length > n) states.push(engine.state.value)
            else expect(engine.state.value).toEqual(states[states.length - 1])
          }
          for (let i = states.length - 2; i >= 0; i--) {
            expect(engine.undo()).toBe(true)
            expect(engine.state.value).toEqual(states[i])
          }
          expect(engine.undo()).toBe(false)
          for (let i = 1; i < states.length; i++) {
            expect(engine.redo()).toBe(true)
            expect(engine.state.value).toEqual(states[i])
          }
          expect(engine.redo()).toBe(false)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('writes inside a container that the same commit then removes or replaces leave no patch behind', async () => {
    // Another key written first makes the container's buffer apply before the child's.
    const cases: ((d: any) => void)[] = [
      (d) => {
        d.m.set('y', 2)
        d.m.get('e').x = 5
        d.m.delete('e')
      },
      (d) => {
        d.m.set('y', 2)
        d.m.get('e').x = 5
        d.m.set('e', { z: 1 })
      },
      (d) => {
        d.obj.a = 2
        d.obj.nested.b = 3
        delete d.obj.nested
      },
      (d) => {
        d.obj.a = 2
        d.obj.nested.b = 3
        d.obj.nested = { c: 1 }
        d.obj.nested.c = 4
      },
      (d) => {
        d.n = 1
        d.obj.nested.b = 3
        d.obj.nested.list.push(1)
        d.obj = { fresh: true }
      },
      (d) => {
        d.obj.a = 2
        const moved = d.obj.nested
        moved.b = 7
        delete d.obj.nested
        d.obj.kept = moved
      },
    ]
    const start = () => {
      const s = initial()
      ;(s.domain as any).m = new Map([['e', { x: 1 }]])
      s.domain.obj.nested.list = []
      return s
    }
    for (const [i, change] of cases.entries()) {
      for (const strictMode of [true, false]) {
        const engine = new TheusEngine(start(), { strictMode })
        const before = engine.state.value
        engine.edit((s) => change(s.domain))
        const after = engine.state.value
        const copy = await TheusEngine.replay(start(), [], engine.runLog, { strictMode })
        expect(copy.state.value, `case ${i}`).toEqual(after)
        expect(engine.undo(), `case ${i}`).toBe(true)
        expect(engine.state.value, `case ${i}`).toEqual(before)
        expect(engine.redo(), `case ${i}`).toBe(true)
        expect(engine.state.value, `case ${i}`).toEqual(after)
      }
    }
  })

  it('select() subscribers and the state signal are notified on undo and redo', () => {
    const { engine } = make()
    const seenN: unknown[] = []
    const seenObj: unknown[] = []
    const seenState: number[] = []
    const offN = engine.select('domain.n').subscribe((v) => seenN.push(v))
    const offObj = engine.select('domain.obj').subscribe((v) => seenObj.push(v))
    const offState = engine.state.subscribe((v) => seenState.push(v.domain.n))
    engine.runProcess('inc', { by: 5 })
    engine.undo()
    engine.redo()
    expect(seenN).toEqual([0, 5, 0, 5])
    expect(seenState).toEqual([0, 5, 0, 5])
    // domain.obj did not change: its subscribers heard nothing.
    expect(seenObj).toHaveLength(1)
    offN()
    offObj()
    offState()
  })

  it('undo is atomic: a snapshot taken before it is untouched, the new one is frozen', () => {
    const { engine } = make()
    engine.edit((s) => {
      s.domain.obj.nested.b = 9
    })
    const s1 = engine.state.value
    engine.undo()
    expect(s1.domain.obj.nested.b).toBe(9)
    expect(engine.state.value.domain.obj.nested.b).toBe(2)
    expect(Object.isFrozen(engine.state.value.domain.obj)).toBe(true)
    // Untouched subtrees keep their identity (structural sharing) across undo.
    expect(engine.state.value.domain.list).toBe(s1.domain.list)
  })

  it('undo neither restores nor publishes a one-commit signal (issue 14: a signal lasts one commit)', () => {
    const ping = process({ outputs: ['domain.sig_ping'] }, function ping(ctx) {
      ctx.domain.sig_ping = true
    })
    const { engine } = make()
    engine.registerProcess(ping)
    engine.runProcess('ping')
    expect(engine.state.value.domain.sig_ping).toBe(true)
    engine.runProcess('inc')
    expect(engine.state.value.domain.sig_ping).toBe(false)
    const published: unknown[] = []
    engine.on('signal', (e) => published.push(e))
    engine.undo()
    expect(engine.state.value.domain).toMatchObject({ n: 0, sig_ping: false })
    engine.redo()
    expect(engine.state.value.domain).toMatchObject({ n: 1, sig_ping: false })
    expect(published).toEqual([])
  })

  it('with historyLimit 0 nothing is kept and undo returns false', () => {
    const { engine } = make({ historyLimit: 0 })
    engine.runProcess('inc')
    expect(engine.history).toHaveLength(0)
    expect(engine.undo()).toBe(false)
    expect(engine.state.value.domain.n).toBe(1)
  })

  it('undo while an async run is pending makes that run conflict if it read what undo changed', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const derive = process(
      { inputs: ['domain.n'], outputs: ['domain.obj'] },
      async function derive(ctx) {
        const v = ctx.domain.n
        await gate
        ctx.domain.obj.a = v
      },
    )
    const { engine } = make()
    engine.registerProcess(derive)
    engine.runProcess('inc', { by: 3 })
    const p = engine.runProcess('derive') as Promise<unknown>
    expect(engine.undo()).toBe(true)
    release()
    await expect(p).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(engine.state.value.domain.obj.a).toBe(1)
  })
})

describe('undo, redo and replay of a Map keyed by values that are not strings', () => {
  const K = { id: 1 }
  const start = () => ({
    domain: {
      m: new Map<unknown, string>([
        [K, 'k'],
        [true, 't'],
      ]),
      o: { a: 1 },
    },
  })
  const put = process({ outputs: ['domain.m'] }, function put(ctx) {
    ctx.domain.m.set(K, 'k2')
    ctx.domain.m.delete(true)
    ctx.domain.m.set(null, 'n')
  })
  const entries = (e: TheusEngine<any>) => [...e.state.value.domain.m.entries()]

  it('applies the inverse patches and the patches back, keys kept as they are', async () => {
    const engine = new TheusEngine(start(), { processes: { put } })
    engine.runProcess('put')
    expect(engine.undo()).toBe(true)
    expect(entries(engine)).toEqual([
      [K, 'k'],
      [true, 't'],
    ])
    expect(engine.state.value.domain.m.get(K)).toBe('k')
    expect(engine.redo()).toBe(true)
    expect(engine.state.value.domain.m.get(K)).toBe('k2')
    expect(engine.state.value.domain.m.has(true)).toBe(false)
    const again = await TheusEngine.replay(start(), [put], engine.runLog)
    expect(again.state.value.domain.m.get(null)).toBe('n')
    expect(again.state.value.domain.m.get(K)).toBe('k2')
  })

  it('refuses such a key on a plain object in a replayed patch with INVALID_ARGS', async () => {
    const log = JSON.parse(
      '[{"process":"edit","patches":[{"op":"add","path":["domain","o",{"toString":1}],"value":2}]}]',
    )
    const err = await TheusEngine.replay(start(), [put], log).catch((e) => e)
    expect(err.code).toBe('INVALID_ARGS')
  })
})

describe('array patches are per index (SPEC §3.2: patches come from what the run wrote)', () => {
  const arrays = () => {
    const engine = new TheusEngine({
      domain: { list: [1, 2, 3] as number[], rows: [{ id: 1 }, { id: 2 }] as { id: number }[] },
    })
    const commits: CommitEvent[] = []
    engine.on('commit', (e) => commits.push(e))
    return { engine, commits, last: () => commits[commits.length - 1]! }
  }

  it('an index write is one replace at that index', () => {
    const { engine, last } = arrays()
    engine.edit((s) => {
      s.domain.list[1] = 20
    })
    expect(last().patches).toEqual([{ op: 'replace', path: ['domain', 'list', 1], value: 20 }])
    expect(last().inversePatches).toEqual([
      { op: 'replace', path: ['domain', 'list', 1], value: 2 },
    ])
  })

  it('push is an add past the end, pop and splice are removes (last first); undo and redo follow', () => {
    const { engine, last } = arrays()
    engine.edit((s) => {
      s.domain.list.push(4, 5)
    })
    expect(last().patches).toEqual([
      { op: 'add', path: ['domain', 'list', 3], value: 4 },
      { op: 'add', path: ['domain', 'list', 4], value: 5 },
    ])
    expect(last().inversePatches).toEqual([
      { op: 'remove', path: ['domain', 'list', 3] },
      { op: 'remove', path: ['domain', 'list', 4] },
    ])
    engine.edit((s) => {
      s.domain.list.splice(0, 2)
    })
    expect(last().patches).toEqual([
      { op: 'replace', path: ['domain', 'list', 0], value: 3 },
      { op: 'replace', path: ['domain', 'list', 1], value: 4 },
      { op: 'replace', path: ['domain', 'list', 2], value: 5 },
      { op: 'remove', path: ['domain', 'list', 4] },
      { op: 'remove', path: ['domain', 'list', 3] },
    ])
    expect(engine.state.value.domain.list).toEqual([3, 4, 5])
    engine.undo()
    expect(engine.state.value.domain.list).toEqual([1, 2, 3, 4, 5])
    engine.undo()
    expect(engine.state.value.domain.list).toEqual([1, 2, 3])
    engine.redo()
    engine.redo()
    expect(engine.state.value.domain.list).toEqual([3, 4, 5])
  })

  it('a moved element is a replace whose value is its frozen snapshot; untouched ones keep identity', () => {
    const { engine, last } = arrays()
    const before = engine.state.value.domain.rows
    engine.edit((s) => {
      s.domain.rows.reverse()
    })
    const rows = engine.state.value.domain.rows
    expect(rows).toEqual([{ id: 2 }, { id: 1 }])
    expect(rows[0]).toBe(before[1])
    expect(last().patches).toEqual([
      { op: 'replace', path: ['domain', 'rows', 0], value: { id: 2 } },
      { op: 'replace', path: ['domain', 'rows', 1], value: { id: 1 } },
    ])
    expect(Object.isFrozen(last().patches[0]!.value)).toBe(true)
    engine.undo()
    expect(engine.state.value.domain.rows).toEqual([{ id: 1 }, { id: 2 }])
  })

  it('an equal value is a write; a copy that changes no index is one replace of the whole array', () => {
    const { engine, last } = arrays()
    engine.edit((s) => {
      s.domain.list[0] = s.domain.list[0]!
    })
    expect(last().patches).toEqual([{ op: 'replace', path: ['domain', 'list', 0], value: 1 }])
    engine.edit((s) => {
      s.domain.list.length = 3
    })
    expect(last().patches).toEqual([{ op: 'replace', path: ['domain', 'list'], value: [1, 2, 3] }])
    expect(engine.history).toHaveLength(2)
  })

  it('the run log replays per-index patches of an edit cut from the log', async () => {
    const engine = new TheusEngine({ domain: { list: [1, 2, 3] as number[] } }, { runLogLimit: 2 })
    engine.edit((s) => {
      s.domain.list.push(4)
    })
    engine.edit((s) => {
      s.domain.list.splice(1, 2)
    })
    engine.edit((s) => {
      s.domain.list[0] = 9
    })
    const replayed = await TheusEngine.replay(engine.runLogBase, [], engine.runLog)
    expect(replayed.state.value).toEqual(engine.state.value)
    expect(engine.state.value.domain.list).toEqual([9, 4])
  })
})
