import { effect } from '@preact/signals-core'
import { type CommitEvent, type Contract, process, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

const initial = () => ({
  global: { rate: 2, cfg: { deep: { x: 1 } } },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    other: { k: 1 },
    list: [1, 2, 3],
    rows: [{ id: 1 }, { id: 2 }],
    m: new Map<string, number>([['a', 1]]),
    s: new Set<number>([1]),
    n: 0,
  },
})

let seq = 0
function define(engine: TheusEngine, contract: Contract, body: (ctx: any, args: any) => unknown) {
  const name = `p${++seq}`
  engine.registerProcess(process({ ...contract, name }, body))
  return (args?: Record<string, unknown>) => engine.runProcess(name, args)
}

function counter(read: () => unknown): { count: () => number; stop: () => void } {
  let n = 0
  const stop = effect(() => {
    read()
    n++
  })
  return { count: () => n - 1, stop }
}

describe('TheusEngine.state', () => {
  it('is a ReadonlySignal of the current snapshot', () => {
    const engine = new TheusEngine(initial())
    expect(engine.state.value.domain.accounts.Alice).toBe(1000)
    expect(engine.state.peek()).toBe(engine.state.value)
    expect(typeof engine.state.subscribe).toBe('function')
    const seen: unknown[] = []
    const stop = engine.state.subscribe((v) => seen.push(v))
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    stop()
    expect(seen).toHaveLength(2)
    expect(seen[1]).toBe(engine.state.value)
  })

  it('notifies once per commit, however many paths the run wrote', () => {
    const engine = new TheusEngine(initial())
    const c = counter(() => engine.state.value)
    define(engine, { outputs: ['domain'] }, (ctx) => {
      ctx.domain.accounts.Alice = 1
      ctx.domain.accounts.Bob = 2
      ctx.domain.list.push(4)
      ctx.domain.m.set('b', 2)
      ctx.domain.n = 3
      ctx.domain.other = { k: 2 }
    })()
    expect(c.count()).toBe(1)
    c.stop()
  })

  it('keeps untouched subtrees identical across commits (structural sharing)', () => {
    const engine = new TheusEngine(initial())
    const s0 = engine.state.value
    define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice = 1
    })()
    const s1 = engine.state.value
    expect(s1).not.toBe(s0)
    expect(s1.domain).not.toBe(s0.domain)
    expect(s1.domain.accounts).not.toBe(s0.domain.accounts)
    expect(s1.global).toBe(s0.global)
    expect(s1.global.cfg.deep).toBe(s0.global.cfg.deep)
    expect(s1.domain.other).toBe(s0.domain.other)
    expect(s1.domain.list).toBe(s0.domain.list)
    expect(s1.domain.rows).toBe(s0.domain.rows)
    expect(s1.domain.m).toBe(s0.domain.m)
    expect(s1.domain.s).toBe(s0.domain.s)
  })

  it('keeps untouched Map entries identical', () => {
    const engine = new TheusEngine({
      domain: {
        m: new Map<string, any>([
          ['a', 1],
          ['o', { z: 1 }],
        ]),
      },
    })
    const s0 = engine.state.value
    define(engine, { outputs: ['domain.m'] }, (ctx) => {
      ctx.domain.m.set('a', 2)
    })()
    const s1 = engine.state.value
    expect(s1.domain.m).not.toBe(s0.domain.m)
    expect(s1.domain.m.get('a')).toBe(2)
    expect(s1.domain.m.get('o')).toBe(s0.domain.m.get('o'))
  })

  it('returns the same snapshot on every read between commits', () => {
    const engine = new TheusEngine(initial())
    expect(engine.state.value).toBe(engine.state.value)
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })()
    expect(engine.state.value).toBe(engine.state.value)
    expect(engine.select('domain.accounts').value).toBe(engine.select('domain.accounts').value)
  })

  it('keeps untouched elements of a changed array identical', () => {
    const engine = new TheusEngine(initial())
    const s0 = engine.state.value
    define(engine, { outputs: ['domain.rows'] }, (ctx) => {
      ctx.domain.rows[1].id = 20
    })()
    const s1 = engine.state.value
    expect(s1.domain.rows).not.toBe(s0.domain.rows)
    expect(s1.domain.rows[0]).toBe(s0.domain.rows[0])
    expect(s1.domain.rows[1]).toEqual({ id: 20 })
  })

  for (const [what, reshape] of [
    ['push', (rows: any[]) => rows.push({ id: 3 })],
    ['sort', (rows: any[]) => rows.sort((a, b) => a.id - b.id)],
    ['reverse', (rows: any[]) => rows.reverse()],
    ['index assignment', (rows: any[]) => (rows[1] = { id: 9 })],
  ] as const) {
    it(`shows a write inside an element after ${what} in the same run`, () => {
      const engine = new TheusEngine(initial())
      engine.state.value
      const expected = [{ id: 0 }, { id: 2 }] as any[]
      reshape(expected)
      define(engine, { outputs: ['domain.rows'] }, (ctx) => {
        ctx.domain.rows[0].id = 0
        reshape(ctx.domain.rows)
      })()
      expect(engine.state.value.domain.rows).toEqual(expected)
      expect(engine.select('domain.rows').value).toEqual(expected)
    })
  }

  it('commits a write inside an object the same process assigned in an earlier run', () => {
    const engine = new TheusEngine(initial())
    const commits: CommitEvent[] = []
    engine.on('commit', (e) => commits.push(e))
    const run = define(engine, { outputs: ['domain.other'] }, (ctx, args) => {
      if (args.step === 1) {
        ctx.domain.other = { k: -1, list: [] }
        ctx.domain.other.k = 0
      } else {
        ctx.domain.other.k = args.step
        ctx.domain.other.list.push(args.step)
      }
    })
    run({ step: 1 })
    const sel = engine.select('domain.other.k')
    const before = engine.state.value
    let notified = 0
    const stop = effect(() => {
      sel.value
      notified++
    })
    run({ step: 2 })
    stop()
    expect(engine.state.value).not.toBe(before)
    expect(engine.state.value.domain.other).toEqual({ k: 2, list: [2] })
    expect(sel.value).toBe(2)
    expect(notified).toBe(2)
    expect(engine.history).toHaveLength(2)
    expect(commits[1]!.patches.length).toBeGreaterThan(0)
  })

  it('keeps Map insertion order like a plain Map (delete then set moves a key last)', () => {
    const engine = new TheusEngine({
      domain: {
        m: new Map([
          ['a', 1],
          ['b', 2],
        ]),
      },
    })
    const run = define(engine, { outputs: ['domain.m'] }, (ctx) => {
      ctx.domain.m.delete('a')
      ctx.domain.m.set('a', 3)
      return [...ctx.domain.m.keys()]
    })
    expect(run()).toEqual(['b', 'a'])
    expect([...engine.state.value.domain.m.keys()]).toEqual(['b', 'a'])
  })

  it('freezes snapshots deeply in strict mode', () => {
    const engine = new TheusEngine(initial())
    const s = engine.state.value as any
    expect(Object.isFrozen(s)).toBe(true)
    expect(Object.isFrozen(s.domain)).toBe(true)
    expect(Object.isFrozen(s.domain.accounts)).toBe(true)
    expect(Object.isFrozen(s.domain.rows)).toBe(true)
    expect(Object.isFrozen(s.domain.rows[0])).toBe(true)
    expect(Object.isFrozen(s.global.cfg.deep)).toBe(true)
    expect(() => {
      s.domain.accounts.Alice = 0
    }).toThrow()
    expect(() => s.domain.list.push(1)).toThrow()
    expect(() => s.domain.m.set('z', 1)).toThrow()
    expect(() => s.domain.m.delete('a')).toThrow()
    expect(() => s.domain.m.clear()).toThrow()
    expect(() => s.domain.s.add(9)).toThrow()
    expect(() => s.domain.s.delete(1)).toThrow()
    expect(() => s.domain.s.clear()).toThrow()
    expect(engine.state.value.domain.accounts.Alice).toBe(1000)
    expect(engine.state.value.domain.m.get('a')).toBe(1)
    expect(engine.state.value.domain.s.has(1)).toBe(true)
  })

  it('does not let a Date in a strict snapshot be changed for later readers', () => {
    const engine = new TheusEngine({ domain: { d: new Date(0) } })
    try {
      engine.state.value.domain.d.setTime(5000)
    } catch {}
    expect(engine.state.value.domain.d.getTime()).toBe(0)
    expect(engine.select('domain.d').value.getTime()).toBe(0)
  })

  it("does not let select()'s Date be changed for its later readers either", () => {
    const engine = new TheusEngine({ domain: { d: new Date(0) } })
    const d = engine.select('domain.d')
    expect(() => d.value.setTime(5000)).toThrow(TypeError)
    expect(d.value.getTime()).toBe(0)
  })

  it('freezes snapshots after a commit too', () => {
    const engine = new TheusEngine(initial())
    define(engine, { outputs: ['domain.accounts', 'domain.rows'] }, (ctx) => {
      ctx.domain.accounts.Carol = 5
      ctx.domain.rows.push({ id: 3 })
    })()
    const s = engine.state.value as any
    expect(Object.isFrozen(s.domain.accounts)).toBe(true)
    expect(Object.isFrozen(s.domain.rows[2])).toBe(true)
  })

  it('freezes snapshots in non-strict mode too (a mutated snapshot would disagree with the state)', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    const s = engine.state.value as any
    expect(Object.isFrozen(s.domain)).toBe(true)
    expect(Object.isFrozen(s.domain.accounts)).toBe(true)
  })
})

describe('TheusEngine.select', () => {
  it('is a ReadonlySignal of one path', () => {
    const engine = new TheusEngine(initial())
    const alice = engine.select('domain.accounts.Alice')
    expect(alice.value).toBe(1000)
    expect(alice.peek()).toBe(1000)
    const seen: unknown[] = []
    const stop = alice.subscribe((v) => seen.push(v))
    define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice = 1
    })()
    stop()
    expect(seen).toEqual([1000, 1])
  })

  it('accepts aliases and brackets', () => {
    const engine = new TheusEngine(initial())
    expect(engine.select('domain_ctx.accounts.Alice').value).toBe(1000)
    expect(engine.select('domain.rows[1].id').value).toBe(2)
    expect(engine.select('global_ctx.rate').value).toBe(2)
  })

  it('is undefined for a path that does not exist', () => {
    const engine = new TheusEngine(initial())
    expect(engine.select('domain.accounts.Zed').value).toBeUndefined()
    // A typed engine rejects the path at compile time; at run time it is undefined.
    // @ts-expect-error no such path
    expect(engine.select('domain.nothing.deeper').value).toBeUndefined()
  })

  it('notifies only when its value changes: writing another key does not notify', () => {
    const engine = new TheusEngine(initial())
    const alice = counter(() => engine.select('domain.accounts.Alice').value)
    const other = counter(() => engine.select('domain.other').value)
    const bob = define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Bob += 1
    })
    bob()
    bob()
    expect(alice.count()).toBe(0)
    expect(other.count()).toBe(0)
    define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice -= 1
    })()
    expect(alice.count()).toBe(1)
    expect(other.count()).toBe(0)
    alice.stop()
    other.stop()
  })

  it('does not notify when a write leaves the value equal', () => {
    const engine = new TheusEngine(initial())
    const alice = counter(() => engine.select('domain.accounts.Alice').value)
    define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice = 1000
    })()
    expect(alice.count()).toBe(0)
    alice.stop()
  })

  it('notifies a subscriber that reads two paths once per commit', () => {
    const engine = new TheusEngine(initial())
    const alice = engine.select('domain.accounts.Alice')
    const bob = engine.select('domain.accounts.Bob')
    const seen: (number | undefined)[][] = []
    const stop = effect(() => {
      seen.push([alice.value, bob.value])
    })
    define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice -= 10
      ctx.domain.accounts.Bob += 10
    })()
    stop()
    expect(seen).toEqual([
      [1000, 0],
      [990, 10],
    ])
  })

  it('notifies an object selection when something inside it changes', () => {
    const engine = new TheusEngine(initial())
    const accounts = engine.select('domain.accounts')
    const before = accounts.value
    const c = counter(() => accounts.value)
    define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Bob = 5
    })()
    expect(c.count()).toBe(1)
    expect(accounts.value).not.toBe(before)
    expect(accounts.value).toEqual({ Alice: 1000, Bob: 5 })
    expect(accounts.value).toBe(engine.state.value.domain.accounts)
    c.stop()
  })

  it('notifies an object selection when a key is added or removed', () => {
    const engine = new TheusEngine(initial())
    const c = counter(() => engine.select('domain.accounts').value)
    define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Carol = 1
    })()
    define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      delete ctx.domain.accounts.Carol
    })()
    expect(c.count()).toBe(2)
    c.stop()
  })

  it('notifies a selection of a missing path when it appears', () => {
    const engine = new TheusEngine(initial())
    const carol = engine.select('domain.accounts.Carol')
    const c = counter(() => carol.value)
    define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Carol = 7
    })()
    expect(carol.value).toBe(7)
    expect(c.count()).toBe(1)
    c.stop()
  })

  it('follows a replaced parent object', () => {
    const engine = new TheusEngine(initial())
    const k = engine.select('domain.other.k')
    const c = counter(() => k.value)
    define(engine, { outputs: ['domain.other'] }, (ctx) => {
      ctx.domain.other = { k: 42 }
    })()
    expect(k.value).toBe(42)
    expect(c.count()).toBe(1)
    define(engine, { outputs: ['domain.other'] }, (ctx) => {
      ctx.domain.other.k = 43
    })()
    expect(k.value).toBe(43)
    expect(c.count()).toBe(2)
    c.stop()
  })

  it('follows the containers on its path after they move or are replaced, and only them', () => {
    // A selection follows the place of its parent (a computed per path prefix) and its own key:
    // a move re-runs the places whose keys it changed, and the selections below them re-read.
    const engine = new TheusEngine(initial())
    const id = engine.select('domain.rows.1.id')
    const c = counter(() => id.value)
    const swap = define(engine, { outputs: ['domain.rows'] }, (ctx) => {
      ctx.domain.rows.reverse()
    })
    const setId = define(
      engine,
      { outputs: ['domain.rows'] },
      (ctx, a: { i: number; v: number }) => {
        ctx.domain.rows[a.i].id = a.v
      },
    )
    expect(id.value).toBe(2)
    swap()
    expect(id.value).toBe(1)
    expect(c.count()).toBe(1)
    // The element that left index 1 no longer notifies it; the one that came does.
    setId({ i: 0, v: 20 })
    expect(c.count()).toBe(1)
    setId({ i: 1, v: 10 })
    expect(id.value).toBe(10)
    expect(c.count()).toBe(2)
    define(engine, { outputs: ['domain.rows'] }, (ctx) => {
      ctx.domain.rows = [{ id: 7 }, { id: 8 }]
    })()
    expect(id.value).toBe(8)
    setId({ i: 1, v: 9 })
    expect(id.value).toBe(9)
    expect(c.count()).toBe(4)
    c.stop()
  })

  it('follows array elements and Map entries', () => {
    const engine = new TheusEngine(initial())
    const first = engine.select('domain.list.0')
    const len = engine.select('domain.list')
    define(engine, { outputs: ['domain.list'] }, (ctx) => {
      ctx.domain.list.unshift(0)
    })()
    expect(first.value).toBe(0)
    expect(len.value).toEqual([0, 1, 2, 3])
    const m = engine.select('domain.m')
    define(engine, { outputs: ['domain.m'] }, (ctx) => {
      ctx.domain.m.set('b', 2)
    })()
    expect([...(m.value as Map<string, number>)]).toEqual([
      ['a', 1],
      ['b', 2],
    ])
  })
})

describe("'commit' event", () => {
  it('carries { process, args, patches, inversePatches, result, durationMs }', () => {
    const engine = new TheusEngine(initial())
    const events: CommitEvent[] = []
    engine.on('commit', (e) => events.push(e))
    engine.registerProcess(
      process({ outputs: ['domain.accounts'] }, function pay(ctx, args: { amount: number }) {
        ctx.domain.accounts.Alice -= args.amount
        ctx.domain.accounts.Carol = args.amount
        delete ctx.domain.accounts.Bob
        return 'paid'
      }),
    )
    engine.runProcess('pay', { amount: 10 })
    expect(events).toHaveLength(1)
    const e = events[0]!
    expect(e.process).toBe('pay')
    expect(e.args).toEqual({ amount: 10 })
    expect(e.result).toBe('paid')
    expect(typeof e.durationMs).toBe('number')
    expect(e.durationMs).toBeGreaterThanOrEqual(0)
    const byPath = (ps: typeof e.patches) =>
      [...ps].sort((a, b) => a.path.join('.').localeCompare(b.path.join('.')))
    expect(byPath(e.patches)).toEqual([
      { op: 'replace', path: ['domain', 'accounts', 'Alice'], value: 990 },
      { op: 'remove', path: ['domain', 'accounts', 'Bob'] },
      { op: 'add', path: ['domain', 'accounts', 'Carol'], value: 10 },
    ])
    expect(byPath(e.inversePatches)).toEqual([
      { op: 'replace', path: ['domain', 'accounts', 'Alice'], value: 1000 },
      { op: 'add', path: ['domain', 'accounts', 'Bob'], value: 0 },
      { op: 'remove', path: ['domain', 'accounts', 'Carol'] },
    ])
  })

  it('gives full paths for nested objects and Map entries', () => {
    const engine = new TheusEngine({
      domain: { m: new Map<string, any>([['a', { b: 1 }]]), obj: { a: { b: { c: 1 } } } },
    })
    const events: CommitEvent[] = []
    engine.on('commit', (e) => events.push(e))
    define(engine, { outputs: ['domain.m', 'domain.obj'] }, (ctx) => {
      ctx.domain.m.get('a').b = 2
      ctx.domain.obj.a.b.c = 3
      ctx.domain.m.set('z', 1)
    })()
    expect(events[0]!.patches).toHaveLength(3)
    expect(events[0]!.patches).toEqual(
      expect.arrayContaining([
        { op: 'replace', path: ['domain', 'm', 'a', 'b'], value: 2 },
        { op: 'replace', path: ['domain', 'obj', 'a', 'b', 'c'], value: 3 },
        { op: 'add', path: ['domain', 'm', 'z'], value: 1 },
      ]),
    )
  })

  it('gives a patch for a whole-layer replacement', () => {
    const engine = new TheusEngine(initial())
    const events: CommitEvent[] = []
    engine.on('commit', (e) => events.push(e))
    define(engine, { outputs: ['domain'] }, (ctx) => {
      ctx.domain = { n: 2 }
    })()
    expect(engine.state.value.domain).toEqual({ n: 2 })
    expect(events[0]!.patches).toEqual([{ op: 'replace', path: ['domain'], value: { n: 2 } }])
  })

  it('fires after the state is updated', () => {
    const engine = new TheusEngine(initial())
    let seen: number | undefined
    engine.on('commit', () => {
      seen = engine.state.value.domain.n
    })
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 9
    })()
    expect(seen).toBe(9)
  })

  it('gives patches with numeric indices for arrays', () => {
    const engine = new TheusEngine(initial())
    const events: CommitEvent[] = []
    engine.on('commit', (e) => events.push(e))
    define(engine, { outputs: ['domain.rows'] }, (ctx) => {
      ctx.domain.rows[0].id = 5
    })()
    const paths = events[0]!.patches.map((p) => p.path)
    expect(paths.length).toBeGreaterThan(0)
    for (const path of paths) {
      expect(path.slice(0, 2)).toEqual(['domain', 'rows'])
      if (path.length > 2) expect(typeof path[2]).toBe('number')
    }
  })

  it('stops after its unsubscribe', () => {
    const engine = new TheusEngine(initial())
    let n = 0
    const off = engine.on('commit', () => n++)
    const run = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n++
    })
    run()
    off()
    run()
    expect(n).toBe(1)
  })
})

describe('a run that wrote nothing', () => {
  it('creates no snapshot and no history entry, but fires commit with empty patches and enters runLog', () => {
    const engine = new TheusEngine(initial())
    const events: CommitEvent[] = []
    engine.on('commit', (e) => events.push(e))
    const s0 = engine.state.value
    const c = counter(() => engine.state.value)
    engine.registerProcess(
      process({ inputs: ['domain.accounts'] }, function peek(ctx) {
        return ctx.domain.accounts.Alice
      }),
    )
    expect(engine.runProcess('peek', { q: 1 })).toBe(1000)
    expect(engine.state.value).toBe(s0)
    expect(c.count()).toBe(0)
    expect(engine.history).toHaveLength(0)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      process: 'peek',
      args: { q: 1 },
      patches: [],
      inversePatches: [],
      result: 1000,
    })
    expect(engine.runLog).toEqual([{ process: 'peek', args: { q: 1 } }])
    c.stop()
  })
})

describe('an equal value', () => {
  it('counts as a write: a commit with a patch, a history entry and a runLog entry', () => {
    const engine = new TheusEngine(initial())
    const events: CommitEvent[] = []
    engine.on('commit', (e) => events.push(e))
    const s0 = engine.state.value
    define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 0
    })()
    expect(events[0]!.patches).toEqual([{ op: 'replace', path: ['domain', 'n'], value: 0 }])
    expect(engine.history).toHaveLength(1)
    expect(engine.runLog).toHaveLength(1)
    expect(engine.state.value).not.toBe(s0)
    expect(engine.state.value).toEqual(s0)
  })
})
