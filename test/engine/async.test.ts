/**
 * Async runs and concurrency (SPEC §3.1 async bullets, §3.2 isolation, §9 "Async runs").
 * Async steps are ordered with explicit deferreds and microtask flushes, never with time.
 */
import {
  AbortError,
  ConflictError,
  ContractViolationError,
  process,
  type RollbackEvent,
  TheusEngine,
  TheusError,
} from 'theus'
import { describe, expect, it } from 'vitest'

//#region helpers

interface Deferred<T = void> {
  promise: Promise<T>
  resolve: (v: T) => void
  reject: (e: unknown) => void
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Lets every pending microtask (and the ones they queue) run. */
const flush = () => new Promise<void>((r) => setImmediate(r))

/** Tracks whether a promise settled, without awaiting it. */
function track<T>(p: Promise<T>) {
  const s: { settled: boolean; value?: T; error?: unknown; rejected: boolean } = {
    settled: false,
    rejected: false,
  }
  p.then(
    (v) => {
      s.settled = true
      s.value = v
    },
    (e) => {
      s.settled = true
      s.rejected = true
      s.error = e
    },
  )
  return s
}

async function rejection(p: unknown): Promise<any> {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected the promise to reject, it resolved')
}

class ValueError extends Error {
  override name = 'ValueError'
}

const initial = () => ({
  global: { max: 10 },
  domain: {
    a: 1,
    b: 2,
    total: 0,
    c: { x: 1, y: 2 },
    accounts: { Alice: 100, Bob: 0 } as Record<string, number>,
    list: [1, 2, 3],
  },
})

function engineWith(...defs: Parameters<TheusEngine['registerProcess']>[0][]) {
  const engine = new TheusEngine(initial())
  for (const d of defs) engine.registerProcess(d)
  const rollbacks: RollbackEvent[] = []
  engine.on('rollback', (e) => rollbacks.push(e))
  return { engine, rollbacks }
}

const setA = process({ outputs: ['domain.a'] }, function setA(ctx, args: { v: number }) {
  ctx.domain.a = args.v
})
const setB = process({ outputs: ['domain.b'] }, function setB(ctx, args: { v: number }) {
  ctx.domain.b = args.v
})
const setBob = process(
  { outputs: ['domain.accounts.Bob'] },
  function setBob(ctx, args: { v: number }) {
    ctx.domain.accounts.Bob = args.v
  },
)
const addAccount = process(
  { outputs: ['domain.accounts'] },
  function addAccount(ctx, args: { name: string; v: number }) {
    ctx.domain.accounts[args.name] = args.v
  },
)
const removeAccount = process(
  { outputs: ['domain.accounts'] },
  function removeAccount(ctx, args: { name: string }) {
    delete ctx.domain.accounts[args.name]
  },
)

//#endregion

describe('async body: draft across awaits, commit when it settles', () => {
  it('reads its own writes across awaits and commits only when it settles', async () => {
    const gate = deferred()
    const seen: unknown[] = []
    const slow = process(
      { inputs: ['domain.a'], outputs: ['domain.a', 'domain.c'] },
      async function slow(ctx) {
        ctx.domain.a = 10
        await Promise.resolve()
        seen.push(ctx.domain.a)
        ctx.domain.c.x = 5
        await gate.promise
        seen.push(ctx.domain.a, ctx.domain.c.x, { ...ctx.domain.c })
        return 'done'
      },
    )
    const { engine } = engineWith(slow)
    const commits: string[] = []
    engine.on('commit', (e) => commits.push(e.process))
    const s0 = engine.state.value
    const selA = engine.select('domain.a')
    const selC = engine.select('domain.c')
    const notified: unknown[] = []
    const off = selA.subscribe((v) => notified.push(v))

    const p = engine.runProcess('slow') as Promise<string>
    expect(p).toBeInstanceOf(Promise)
    await flush()
    // Isolation outside the run: nothing of it is visible before it settles.
    expect(engine.state.value).toBe(s0)
    expect(engine.state.value.domain.a).toBe(1)
    expect(selA.value).toBe(1)
    expect(selC.value).toEqual({ x: 1, y: 2 })
    expect(notified).toEqual([1])
    expect(commits).toEqual([])
    expect(engine.history).toHaveLength(0)
    expect(engine.runLog).toHaveLength(0)

    gate.resolve()
    await expect(p).resolves.toBe('done')
    // Read-your-writes inside the run.
    expect(seen).toEqual([10, 10, 5, { x: 5, y: 2 }])
    expect(engine.state.value.domain.a).toBe(10)
    expect(engine.state.value.domain.c).toEqual({ x: 5, y: 2 })
    expect(selA.value).toBe(10)
    expect(selC.value).toEqual({ x: 5, y: 2 })
    expect(notified).toEqual([1, 10])
    expect(commits).toEqual(['slow'])
    expect(engine.history).toHaveLength(1)
    expect(engine.runLog).toEqual([{ process: 'slow', args: {} }])
    off()
  })

  it('arrays, Maps and Sets: read-your-writes across awaits, invisible outside until the commit', async () => {
    const gate = deferred()
    const coll = process({ outputs: ['domain.list', 'domain.c'] }, async function coll(ctx) {
      ctx.domain.list.push(4)
      ctx.domain.c.m = new Map([['k', 1]])
      await Promise.resolve()
      ctx.domain.c.m.set('j', 2)
      ctx.domain.c.s = new Set(['p'])
      await gate.promise
      ctx.domain.c.s.add('q')
      ctx.domain.list.splice(0, 1)
      return [[...ctx.domain.list], [...ctx.domain.c.m.keys()], [...ctx.domain.c.s]]
    })
    const { engine } = engineWith(coll)
    const p = engine.runProcess('coll')
    await flush()
    expect(engine.state.value.domain.list).toEqual([1, 2, 3])
    expect(engine.state.value.domain.c).toEqual({ x: 1, y: 2 })
    gate.resolve()
    await expect(p).resolves.toEqual([
      [2, 3, 4],
      ['k', 'j'],
      ['p', 'q'],
    ])
    expect(engine.state.value.domain.list).toEqual([2, 3, 4])
    const c = engine.state.value.domain.c as any
    expect(c.m).toBeInstanceOf(Map)
    expect([...c.m]).toEqual([
      ['k', 1],
      ['j', 2],
    ])
    expect(c.s).toBeInstanceOf(Set)
    expect([...c.s]).toEqual(['p', 'q'])
  })

  it('other runs do not see its uncommitted writes, sync or async', async () => {
    const gate = deferred()
    const writer = process({ outputs: ['domain.a', 'domain.c'] }, async function writer(ctx) {
      ctx.domain.a = 99
      ctx.domain.c.y = 42
      await gate.promise
    })
    const peek = process({ inputs: ['domain.a', 'domain.c'] }, function peek(ctx) {
      return [ctx.domain.a, ctx.domain.c.y]
    })
    const peekAsync = process({ inputs: ['domain.a', 'domain.c'] }, async function peekAsync(ctx) {
      await Promise.resolve()
      return [ctx.domain.a, ctx.domain.c.y]
    })
    const { engine } = engineWith(writer, peek, peekAsync)
    const p = engine.runProcess('writer')
    await flush()
    expect(engine.runProcess('peek')).toEqual([1, 2])
    await expect(engine.runProcess('peekAsync')).resolves.toEqual([1, 2])
    gate.resolve()
    await p
    expect(engine.runProcess('peek')).toEqual([99, 42])
  })

  it('a sync body still returns its result directly', () => {
    const { engine } = engineWith(setA)
    expect(engine.runProcess('setA', { v: 3 })).toBeUndefined()
    expect(engine.state.value.domain.a).toBe(3)
  })
})

describe('overlapping async runs', () => {
  it('disjoint paths both commit, and the later commit keeps the earlier one’s changes', async () => {
    const gA = deferred()
    const gB = deferred()
    const runA = process({ inputs: ['domain.a'], outputs: ['domain.a'] }, async function runA(ctx) {
      const v = ctx.domain.a
      await gA.promise
      ctx.domain.a = v + 10
      return 'A'
    })
    const runB = process({ inputs: ['domain.b'], outputs: ['domain.b'] }, async function runB(ctx) {
      const v = ctx.domain.b
      await gB.promise
      ctx.domain.b = v + 20
      return 'B'
    })
    const { engine, rollbacks } = engineWith(runA, runB)
    const pA = engine.runProcess('runA')
    const pB = engine.runProcess('runB')
    // B settles first, then A (A began first).
    gB.resolve()
    await expect(pB).resolves.toBe('B')
    expect(engine.state.value.domain).toMatchObject({ a: 1, b: 22 })
    gA.resolve()
    await expect(pA).resolves.toBe('A')
    expect(engine.state.value.domain).toMatchObject({ a: 11, b: 22 })
    expect(rollbacks).toEqual([])
    expect(engine.runLog.map((e) => e.process)).toEqual(['runB', 'runA'])
  })

  it('disjoint keys of the same record both commit', async () => {
    const gA = deferred()
    const gB = deferred()
    const credit = process(
      { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
      async function credit(ctx, args: { who: string; gate: 'A' | 'B' }) {
        const bal = ctx.domain.accounts[args.who]
        await (args.gate === 'A' ? gA.promise : gB.promise)
        ctx.domain.accounts[args.who] = bal + 1
      },
    )
    const { engine } = engineWith(credit)
    const pA = engine.runProcess('credit', { who: 'Alice', gate: 'A' })
    const pB = engine.runProcess('credit', { who: 'Bob', gate: 'B' })
    gA.resolve()
    await pA
    gB.resolve()
    await pB
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 101, Bob: 1 })
  })

  it('an overlapping read is a ConflictError naming the process and the paths; rolled back', async () => {
    const gate = deferred()
    const derive = process(
      { inputs: ['domain.a'], outputs: ['domain.b'] },
      async function derive(ctx) {
        const v = ctx.domain.a
        await gate.promise
        ctx.domain.b = v * 100
      },
    )
    const { engine, rollbacks } = engineWith(derive, setA)
    const p = engine.runProcess('derive', { tag: 1 })
    engine.runProcess('setA', { v: 7 })
    const before = engine.state.value
    gate.resolve()
    const e = await rejection(p)
    expect(e).toBeInstanceOf(ConflictError)
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('CONFLICT')
    expect(e.paths).toEqual(['domain.a'])
    expect(e.message).toContain('derive')
    expect(e.message).toContain('domain.a')
    expect(engine.state.value).toBe(before)
    expect(engine.state.value.domain).toMatchObject({ a: 7, b: 2 })
    expect(rollbacks).toHaveLength(1)
    expect(rollbacks[0]).toMatchObject({ process: 'derive', args: { tag: 1 } })
    expect(rollbacks[0]!.error).toBe(e)
    expect(engine.runLog.map((r) => r.process)).toEqual(['setA'])
    expect(engine.history.map((h) => h.process)).toEqual(['setA'])
  })

  it('an overlapping write (no read) is a ConflictError; the other commit stays', async () => {
    const gate = deferred()
    const blind = process({ outputs: ['domain.a'] }, async function blind(ctx) {
      ctx.domain.a = 5
      await gate.promise
    })
    const { engine } = engineWith(blind, setA)
    const p = engine.runProcess('blind')
    engine.runProcess('setA', { v: 7 })
    gate.resolve()
    const e = await rejection(p)
    expect(e).toBeInstanceOf(ConflictError)
    expect(e.code).toBe('CONFLICT')
    expect(e.paths).toContain('domain.a')
    expect(engine.state.value.domain.a).toBe(7)
  })

  it('two async writers of the same path: the first to settle wins, the other conflicts', async () => {
    const g1 = deferred()
    const g2 = deferred()
    const put = process(
      { outputs: ['domain.a'] },
      async function put(ctx, args: { v: number; first: boolean }) {
        await (args.first ? g1.promise : g2.promise)
        ctx.domain.a = args.v
      },
    )
    const { engine } = engineWith(put)
    const p1 = engine.runProcess('put', { v: 10, first: true })
    const p2 = engine.runProcess('put', { v: 20, first: false })
    g2.resolve()
    await p2
    g1.resolve()
    const e = await rejection(p1)
    expect(e).toBeInstanceOf(ConflictError)
    expect(e.paths).toEqual(['domain.a'])
    expect(engine.state.value.domain.a).toBe(20)
  })

  it('replacing or deleting a container conflicts with a concurrent commit inside it (no lost update)', async () => {
    // A write of domain.c overlaps a write of domain.c.x, exactly as two writes of domain.a do
    // (arrays already behave so). Otherwise the later commit silently drops the earlier one.
    const cases: [string, (ctx: any) => void][] = [
      ['replace', (ctx) => (ctx.domain.c = { x: 0, y: 0 })],
      ['delete', (ctx) => delete ctx.domain.c],
    ]
    for (const [label, write] of cases) {
      const gate = deferred()
      const reset = process({ outputs: ['domain.c'] }, async function reset(ctx) {
        write(ctx)
        await gate.promise
      })
      const setX = process({ outputs: ['domain.c'] }, function setX(ctx) {
        ctx.domain.c.x = 5
      })
      const { engine } = engineWith(reset, setX)
      const p = engine.runProcess('reset')
      engine.runProcess('setX')
      gate.resolve()
      const e = await rejection(p).catch((x) => x)
      expect(e, label).toBeInstanceOf(ConflictError)
      expect(engine.state.value.domain.c, label).toEqual({ x: 5, y: 2 })
    }
  })

  it('replacing a container, or copying an array, changed only before the run began is no conflict', async () => {
    // Node versions move several times per commit, faster than the commit sequence: a
    // container changed long before the run must not look changed since (it conflicted).
    const cases: [string, (ctx: any) => void][] = [
      ['replace', (ctx) => (ctx.domain.c = { x: 0, y: 0 })],
      ['push', (ctx) => ctx.domain.list.push(4)],
    ]
    for (const [label, write] of cases) {
      const gate = deferred()
      const many = process(
        { outputs: ['domain.c', 'domain.list', 'domain.accounts'] },
        function many(ctx) {
          ctx.domain.c.x += 1
          ctx.domain.list[0] += 1
          ctx.domain.accounts.Alice += 1
        },
      )
      const late = process({ outputs: ['domain.c', 'domain.list'] }, async function late(ctx) {
        await gate.promise
        write(ctx)
        return 'ok'
      })
      const { engine } = engineWith(many, late, setA)
      for (let i = 0; i < 20; i++) engine.runProcess('many')
      const p = engine.runProcess('late')
      engine.runProcess('setA', { v: 5 }) // an unrelated commit meanwhile
      gate.resolve()
      await expect(p, label).resolves.toBe('ok')
    }
  })

  it('a run that copied a container conflicts when another run changes inside it (no stale copy)', async () => {
    const gate = deferred()
    const backup = process(
      { inputs: ['domain.accounts'], outputs: ['domain.c'] },
      async function backup(ctx) {
        ctx.domain.c = { saved: ctx.domain.accounts }
        await gate.promise
      },
    )
    const { engine } = engineWith(backup, setBob)
    const p = engine.runProcess('backup')
    engine.runProcess('setBob', { v: 3 })
    gate.resolve()
    expect(await rejection(p)).toBeInstanceOf(ConflictError)
    expect(engine.state.value.domain.c).toEqual({ x: 1, y: 2 })
  })

  it('a sync run while async runs are pending commits at once; their conflict check sees it', async () => {
    const gate = deferred()
    const derive = process(
      { inputs: ['domain.a'], outputs: ['domain.b'] },
      async function derive(ctx) {
        const v = ctx.domain.a
        await gate.promise
        ctx.domain.b = v + 1
      },
    )
    const { engine } = engineWith(derive, setA, setBob)
    const commits: string[] = []
    engine.on('commit', (e) => commits.push(e.process))
    const p = engine.runProcess('derive')
    // A sync run on a disjoint path commits at once, while derive is pending.
    engine.runProcess('setBob', { v: 50 })
    expect(engine.state.value.domain.accounts.Bob).toBe(50)
    expect(commits).toEqual(['setBob'])
    // A sync run on a path derive read commits at once too...
    engine.runProcess('setA', { v: 3 })
    expect(engine.state.value.domain.a).toBe(3)
    expect(commits).toEqual(['setBob', 'setA'])
    gate.resolve()
    // ...and derive's conflict check sees it.
    const e = await rejection(p)
    expect(e).toBeInstanceOf(ConflictError)
    expect(e.paths).toEqual(['domain.a'])
    expect(engine.state.value.domain).toMatchObject({ a: 3, b: 2, accounts: { Bob: 50 } })
  })

  it('conflict stamps follow every async run to its end: after an aborted, a failed and a conflicted run, the next one still sees a change', async () => {
    // Commits write per-key stamps only while an async run is in flight; each ending must
    // count once, or a later run's conflict goes unseen (or stamps are written forever).
    const gates = [deferred(), deferred(), deferred(), deferred()]
    let turn = 0
    const derive = process(
      { inputs: ['domain.a'], outputs: ['domain.b'], errors: ['ValueError'] },
      async function derive(ctx, args: { fail?: boolean }) {
        const v = ctx.domain.a
        await gates[turn++]!.promise
        if (args.fail) throw new ValueError('no')
        ctx.domain.b = v + 1
      },
    )
    const { engine } = engineWith(derive, setA)
    // 1. Aborted while in flight; its body settles later.
    const ac = new AbortController()
    const aborted = engine.runProcess('derive', {}, { signal: ac.signal })
    ac.abort()
    expect(await rejection(aborted)).toBeInstanceOf(AbortError)
    gates[0]!.resolve()
    // 2. A body that throws.
    const failed = engine.runProcess('derive', { fail: true })
    gates[1]!.resolve()
    expect(await rejection(failed)).toBeInstanceOf(ValueError)
    // 3. A conflicted run.
    const conflicted = engine.runProcess('derive')
    engine.runProcess('setA', { v: 5 })
    gates[2]!.resolve()
    expect(await rejection(conflicted)).toBeInstanceOf(ConflictError)
    // A commit with no async run in flight, then the run that must still conflict.
    engine.runProcess('setA', { v: 6 })
    const last = engine.runProcess('derive')
    engine.runProcess('setA', { v: 7 })
    gates[3]!.resolve()
    const e = await rejection(last)
    expect(e).toBeInstanceOf(ConflictError)
    expect(e.paths).toEqual(['domain.a'])
    expect(engine.state.value.domain.a).toBe(7)
  })

  it('a write of an equal value by another run still counts as a change (conflict)', async () => {
    const gate = deferred()
    const derive = process(
      { inputs: ['domain.a'], outputs: ['domain.b'] },
      async function derive(ctx) {
        const v = ctx.domain.a
        await gate.promise
        ctx.domain.b = v + 1
      },
    )
    const { engine } = engineWith(derive, setA)
    const p = engine.runProcess('derive')
    engine.runProcess('setA', { v: 1 })
    gate.resolve()
    // §9: "an equal value counts as a write"; the run read a path another commit wrote.
    expect(await rejection(p)).toBeInstanceOf(ConflictError)
  })
})

describe('conflicts are judged on what the run read or wrote', () => {
  it('passing through ctx.domain to reach a child is not a read of domain', async () => {
    const gate = deferred()
    const bump = process(
      { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
      async function bump(ctx) {
        const v = ctx.domain.accounts.Alice
        await gate.promise
        ctx.domain.accounts.Alice = v + 1
        return 'ok'
      },
    )
    const addTop = process({ outputs: ['domain'] }, function addTop(ctx) {
      ctx.domain.extra = 1
    })
    const { engine } = engineWith(bump, setA, setB, setBob, addAccount, addTop)
    const p = engine.runProcess('bump')
    engine.runProcess('setA', { v: 8 })
    engine.runProcess('setB', { v: 9 })
    engine.runProcess('setBob', { v: 3 })
    engine.runProcess('addAccount', { name: 'Carol', v: 4 })
    engine.runProcess('addTop')
    gate.resolve()
    await expect(p).resolves.toBe('ok')
    expect(engine.state.value.domain).toMatchObject({
      a: 8,
      b: 9,
      extra: 1,
      accounts: { Alice: 101, Bob: 3, Carol: 4 },
    })
  })

  it('a run that enumerated a record conflicts when a key is added to it', async () => {
    const gate = deferred()
    const sum = process(
      { inputs: ['domain.accounts'], outputs: ['domain.total'] },
      async function sum(ctx) {
        const keys = Object.keys(ctx.domain.accounts)
        await gate.promise
        ctx.domain.total = keys.length
      },
    )
    const { engine } = engineWith(sum, addAccount)
    const p = engine.runProcess('sum')
    engine.runProcess('addAccount', { name: 'Carol', v: 4 })
    gate.resolve()
    const e = await rejection(p)
    expect(e).toBeInstanceOf(ConflictError)
    expect(e.paths).toContain('domain.accounts')
    expect(engine.state.value.domain.total).toBe(0)
  })

  it('a run that enumerated a record conflicts when a key is deleted from it', async () => {
    const gate = deferred()
    const sum = process(
      { inputs: ['domain.accounts'], outputs: ['domain.total'] },
      async function sum(ctx) {
        let t = 0
        for (const k in ctx.domain.accounts) t += ctx.domain.accounts[k]
        await gate.promise
        ctx.domain.total = t
      },
    )
    const { engine } = engineWith(sum, removeAccount)
    const p = engine.runProcess('sum')
    engine.runProcess('removeAccount', { name: 'Bob' })
    gate.resolve()
    expect(await rejection(p)).toBeInstanceOf(ConflictError)
    expect(engine.state.value.domain.total).toBe(0)
  })

  it('a run that read every value (Object.values) conflicts when one of them changes', async () => {
    const gate = deferred()
    const sum = process(
      { inputs: ['domain.accounts'], outputs: ['domain.total'] },
      async function sum(ctx) {
        const t = Object.values(ctx.domain.accounts as Record<string, number>).reduce(
          (x, y) => x + y,
          0,
        )
        await gate.promise
        ctx.domain.total = t
      },
    )
    const { engine } = engineWith(sum, setBob)
    const p = engine.runProcess('sum')
    engine.runProcess('setBob', { v: 5 })
    gate.resolve()
    const e = await rejection(p)
    expect(e).toBeInstanceOf(ConflictError)
    expect(e.paths).toContain('domain.accounts.Bob')
  })

  it('a run that iterated an array conflicts when another run pushes to it', async () => {
    const gate = deferred()
    const sumList = process(
      { inputs: ['domain.list'], outputs: ['domain.total'] },
      async function sumList(ctx) {
        let t = 0
        for (const x of ctx.domain.list as number[]) t += x
        await gate.promise
        ctx.domain.total = t
      },
    )
    const push = process({ outputs: ['domain.list'] }, function push(ctx) {
      ctx.domain.list.push(4)
    })
    const { engine } = engineWith(sumList, push)
    const p = engine.runProcess('sumList')
    engine.runProcess('push')
    gate.resolve()
    expect(await rejection(p)).toBeInstanceOf(ConflictError)
    expect(engine.state.value.domain.total).toBe(0)
  })

  it("a run that asked a Set's has(v) conflicts only when v comes or goes", async () => {
    // Set.has reads one member, not the whole Set: adding another member is a disjoint change.
    for (const [change, conflicts] of [
      [(s: Set<number>) => s.add(3), false],
      [(s: Set<number>) => s.delete(2), false],
      [(s: Set<number>) => s.delete(1), true],
    ] as const) {
      const gate = deferred()
      const check = process(
        { inputs: ['domain.s'], outputs: ['domain.total'] },
        async function check(ctx) {
          const has = ctx.domain.s.has(1)
          await gate.promise
          ctx.domain.total = has ? 1 : 2
        },
      )
      const mutate = process({ outputs: ['domain.s'] }, function mutate(ctx) {
        change(ctx.domain.s)
      })
      const engine = new TheusEngine({ domain: { s: new Set([1, 2]), total: 0 } })
      engine.registerProcess(check)
      engine.registerProcess(mutate)
      const p = engine.runProcess('check')
      engine.runProcess('mutate')
      gate.resolve()
      if (!conflicts) {
        await p
        expect(engine.state.value.domain.total, String(change)).toBe(1)
      } else {
        const e = await rejection(p)
        expect(e, String(change)).toBeInstanceOf(ConflictError)
        expect((e as ConflictError).paths).toEqual(['domain.s'])
      }
    }
  })

  it('a run that iterated a Map conflicts when one of its values changes', async () => {
    // The Map's shape stamp moves only on added or deleted keys; each value iterated is a read.
    const iterations: [string, (m: Map<string, number>) => number][] = [
      ['for...of', (m) => [...m].reduce((t, [, v]) => t + v, 0)],
      ['values()', (m) => [...m.values()].reduce((t, v) => t + v, 0)],
      ['entries()', (m) => [...m.entries()].length],
      [
        'forEach',
        (m) => {
          let t = 0
          m.forEach((v) => {
            t += v
          })
          return t
        },
      ],
    ]
    for (const [how, read] of iterations) {
      const gate = deferred()
      const sumMap = process(
        { inputs: ['domain.m'], outputs: ['domain.total'] },
        async function sumMap(ctx) {
          const t = read(ctx.domain.m)
          await gate.promise
          ctx.domain.total = t
        },
      )
      const setK = process({ outputs: ['domain.m'] }, function setK(ctx) {
        ctx.domain.m.set('k', 7)
      })
      const engine = new TheusEngine({
        domain: {
          m: new Map([
            ['k', 1],
            ['j', 2],
          ]),
          total: 0,
        },
      })
      engine.registerProcess(sumMap)
      engine.registerProcess(setK)
      const p = engine.runProcess('sumMap')
      engine.runProcess('setK')
      gate.resolve()
      const e = await rejection(p)
      expect(e, how).toBeInstanceOf(ConflictError)
      expect(engine.state.value.domain.total, how).toBe(0)
    }
  })

  it('a run that read one index does not conflict with a push; it does when that index changes', async () => {
    // Passing through domain.list to reach list[0] is not a read of the list (SPEC §9).
    for (const [mutate, conflicts] of [
      [(l: number[]) => l.push(4), false],
      [(l: number[]) => l.unshift(0), true],
      [(l: number[]) => (l[0] = 7), true],
    ] as const) {
      const gate = deferred()
      const first = process(
        { inputs: ['domain.list'], outputs: ['domain.total'] },
        async function first(ctx) {
          const v = (ctx.domain.list as number[])[0]!
          await gate.promise
          ctx.domain.total = v
        },
      )
      const change = process({ outputs: ['domain.list'] }, function change(ctx) {
        mutate(ctx.domain.list as number[])
      })
      const { engine } = engineWith(first, change)
      const p = engine.runProcess('first')
      engine.runProcess('change')
      gate.resolve()
      if (conflicts) expect(await rejection(p), String(mutate)).toBeInstanceOf(ConflictError)
      else {
        await p
        expect(engine.state.value.domain.total).toBe(1)
      }
    }
  })

  it('a run that tested a missing key (in, Object.hasOwn) conflicts when another run adds it', async () => {
    // A user reads "is Carol there?" as a read of domain.accounts.Carol, exactly like
    // `ctx.domain.accounts.Carol ?? -1` (which does conflict): the answer it acted on is stale.
    for (const test of [
      (acc: Record<string, number>) => 'Carol' in acc,
      (acc: Record<string, number>) => Object.hasOwn(acc, 'Carol'),
      (acc: Record<string, number>) => acc.Carol !== undefined,
    ]) {
      const gate = deferred()
      const check = process(
        { inputs: ['domain.accounts'], outputs: ['domain.total'] },
        async function check(ctx) {
          const present = test(ctx.domain.accounts)
          await gate.promise
          ctx.domain.total = present ? 1 : -1
        },
      )
      const { engine } = engineWith(check, addAccount)
      const p = engine.runProcess('check')
      engine.runProcess('addAccount', { name: 'Carol', v: 4 })
      gate.resolve()
      const e = await rejection(p)
      expect(e, String(test)).toBeInstanceOf(ConflictError)
      expect(engine.state.value.domain.total).toBe(0)
    }
  })

  it('a run that deleted a missing key (record or Map) conflicts when another run adds it: replay agrees', async () => {
    // The delete wrote nothing, so it committed and the added key stayed; replayed in commit
    // order (add, then delete) the delete removed it: a state the live engine never had.
    for (const strictMode of [true, false]) {
      for (const where of ['record', 'map'] as const) {
        const init = () => ({ domain: { r: { a: 1 } as Record<string, number>, m: new Map() } })
        const drop = process(
          { outputs: ['domain.r', 'domain.m'] },
          async function drop(ctx, args: { k: string }) {
            if (where === 'record') delete ctx.domain.r[args.k]
            else ctx.domain.m.delete(args.k)
            await Promise.resolve()
          },
        )
        const add = process(
          { outputs: ['domain.r', 'domain.m'] },
          function add(ctx, args: { k: string }) {
            ctx.domain.r[args.k] = 6
            ctx.domain.m.set(args.k, 6)
          },
        )
        const engine = new TheusEngine(init(), { strictMode, processes: { drop, add } })
        const p = engine.runProcess('drop', { k: 'k2' })
        engine.runProcess('add', { k: 'k2' })
        const e = await rejection(p)
        expect(e, `${where} strict=${strictMode}`).toBeInstanceOf(ConflictError)
        const copy = await TheusEngine.replay(init(), [drop, add], engine.runLog, { strictMode })
        expect(copy.toDict()).toEqual(engine.toDict())
      }
    }
  })

  it('a run that read one key does not conflict when another key of the record is added', async () => {
    const gate = deferred()
    const readAlice = process(
      { inputs: ['domain.accounts'], outputs: ['domain.total'] },
      async function readAlice(ctx) {
        const v = ctx.domain.accounts.Alice
        await gate.promise
        ctx.domain.total = v
      },
    )
    const { engine } = engineWith(readAlice, addAccount)
    const p = engine.runProcess('readAlice')
    engine.runProcess('addAccount', { name: 'Carol', v: 4 })
    gate.resolve()
    await p
    expect(engine.state.value.domain.total).toBe(100)
  })
})

describe('retries', () => {
  it('retries: n re-runs a run that lost a conflict, on the new state, and succeeds', async () => {
    const gates = [deferred(), deferred()]
    let attempts = 0
    const derive = process(
      { inputs: ['domain.a'], outputs: ['domain.b'] },
      async function derive(ctx) {
        const i = attempts++
        const v = ctx.domain.a
        await gates[i]!.promise
        ctx.domain.b = v * 10
        return `attempt ${i}`
      },
    )
    const { engine, rollbacks } = engineWith(derive, setA)
    const commits: string[] = []
    engine.on('commit', (e) => commits.push(e.process))
    const p = engine.runProcess('derive', {}, { retries: 2 })
    engine.runProcess('setA', { v: 4 })
    gates[0]!.resolve()
    await flush()
    expect(attempts).toBe(2)
    gates[1]!.resolve()
    await expect(p).resolves.toBe('attempt 1')
    expect(engine.state.value.domain).toMatchObject({ a: 4, b: 40 })
    expect(commits).toEqual(['setA', 'derive'])
    expect(engine.runLog.map((r) => r.process)).toEqual(['setA', 'derive'])
    // The lost attempt was rolled back (and said so).
    expect(rollbacks.map((r) => (r.error as TheusError).code)).toEqual(['CONFLICT'])
  })

  it('an async body, its gates, retries and the log see the args as given, whatever the caller changes meanwhile', async () => {
    const gates = [deferred(), deferred()]
    const seen: unknown[] = []
    let attempts = 0
    const derive = process(
      { inputs: ['domain.a'], outputs: ['domain.b'] },
      async function derive(ctx, args: { k: number; list: number[] }) {
        const i = attempts++
        const v = ctx.domain.a
        await gates[i]?.promise
        seen.push(structuredClone(args))
        // A body may change its own copy: the next attempt gets the args as given again.
        args.list.push(99)
        ctx.domain.b = v * args.k
      },
    )
    const { engine } = engineWith(derive, setA)
    const args = { k: 10, list: [1] }
    const p = engine.runProcess('derive', args, { retries: 1 })
    args.k = 1000
    args.list.push(2)
    engine.runProcess('setA', { v: 4 })
    gates[0]!.resolve()
    await flush()
    args.k = 5000
    gates[1]!.resolve()
    await p
    expect(seen).toEqual([
      { k: 10, list: [1] },
      { k: 10, list: [1] },
    ])
    seen.length = 0
    expect(engine.state.value.domain).toMatchObject({ a: 4, b: 40 })
    expect(engine.runLog.at(-1)!.args).toEqual({ k: 10, list: [1] })
    const replayed = await TheusEngine.replay(initial(), [derive, setA], engine.runLog)
    expect(replayed.state.value.domain).toEqual(engine.state.value.domain)
    expect(seen).toEqual([{ k: 10, list: [1] }])
  })

  it('retries exhausted: ConflictError after 1 + n attempts', async () => {
    let attempts = 0
    const derive = process(
      { inputs: ['domain.a'], outputs: ['domain.b'] },
      async function derive(ctx) {
        attempts++
        const v = ctx.domain.a
        // Another commit lands on domain.a while every attempt is pending.
        queueMicrotask(() => engine.runProcess('setA', { v: 100 + attempts }))
        await Promise.resolve()
        await Promise.resolve()
        ctx.domain.b = v
      },
    )
    const { engine } = engineWith(derive, setA)
    const e = await rejection(engine.runProcess('derive', {}, { retries: 2 }))
    expect(attempts).toBe(3)
    expect(e).toBeInstanceOf(ConflictError)
    expect(e.code).toBe('CONFLICT')
    expect(e.paths).toEqual(['domain.a'])
    expect(engine.state.value.domain).toMatchObject({ a: 103, b: 2 })
  })

  it('without retries a conflict is not re-run', async () => {
    let attempts = 0
    const gate = deferred()
    const derive = process(
      { inputs: ['domain.a'], outputs: ['domain.b'] },
      async function derive(ctx) {
        attempts++
        const v = ctx.domain.a
        await gate.promise
        ctx.domain.b = v
      },
    )
    const { engine } = engineWith(derive, setA)
    const p = engine.runProcess('derive')
    engine.runProcess('setA', { v: 4 })
    gate.resolve()
    expect(await rejection(p)).toBeInstanceOf(ConflictError)
    expect(attempts).toBe(1)
  })
})

describe('abort', () => {
  it('aborting before the commit rejects as soon as it aborts, with AbortError, and rolls back', async () => {
    const gate = deferred()
    const ac = new AbortController()
    let afterGate = false
    const slow = process({ outputs: ['domain.a'] }, async function slow(ctx) {
      ctx.domain.a = 50
      await gate.promise
      afterGate = true
      return 'late'
    })
    const { engine, rollbacks } = engineWith(slow)
    const s0 = engine.state.value
    const p = engine.runProcess('slow', { k: 1 }, { signal: ac.signal }) as Promise<unknown>
    const t = track(p)
    await flush()
    expect(t.settled).toBe(false)
    const reason = new Error('user left the page')
    ac.abort(reason)
    await flush()
    // Rejected while the body is still waiting on its gate.
    expect(t.settled).toBe(true)
    expect(t.rejected).toBe(true)
    expect(afterGate).toBe(false)
    const e = t.error as AbortError
    expect(e).toBeInstanceOf(AbortError)
    expect(e).toBeInstanceOf(TheusError)
    expect(e.name).toBe('AbortError')
    expect(e.code).toBe('ABORTED')
    expect(e.cause).toBe(reason)
    expect(engine.state.value).toBe(s0)
    expect(rollbacks).toHaveLength(1)
    expect(rollbacks[0]).toMatchObject({ process: 'slow', args: { k: 1 } })
    expect(rollbacks[0]!.error).toBe(e)
    // The body finishing later changes nothing.
    gate.resolve()
    await flush()
    expect(afterGate).toBe(true)
    expect(engine.state.value).toBe(s0)
    expect(engine.history).toHaveLength(0)
    expect(engine.runLog).toHaveLength(0)
    expect(rollbacks).toHaveLength(1)
  })

  it('a signal aborted during the body’s synchronous part rejects at once, not when the body settles', async () => {
    const ac = new AbortController()
    const reason = new Error('cancelled while starting')
    const hang = process({ outputs: ['domain.a'] }, async function hang(ctx) {
      ctx.domain.a = 2
      ac.abort(reason) // e.g. a "cancel the previous request" handler fired synchronously
      await new Promise(() => {}) // never settles
    })
    const { engine } = engineWith(hang)
    const t = track(engine.runProcess('hang', {}, { signal: ac.signal }) as Promise<unknown>)
    await flush()
    expect(t.settled).toBe(true)
    expect(t.error).toBeInstanceOf(AbortError)
    expect((t.error as AbortError).cause).toBe(reason)
    expect(engine.state.value.domain.a).toBe(1)
  })

  it('the cause is the default reason when abort() is called without one', async () => {
    const ac = new AbortController()
    const hang = process({ outputs: ['domain.a'] }, async function hang() {
      await new Promise(() => {})
    })
    const { engine } = engineWith(hang)
    const p = engine.runProcess('hang', {}, { signal: ac.signal })
    ac.abort()
    const e = await rejection(p)
    expect(e).toBeInstanceOf(AbortError)
    expect(e.cause).toBe(ac.signal.reason)
    expect((e.cause as DOMException).name).toBe('AbortError')
  })

  it('a body that writes after the abort leaves nothing behind', async () => {
    const gate = deferred()
    const ac = new AbortController()
    let writeError: unknown
    const slow = process({ outputs: ['domain.a', 'domain.b'] }, async function slow(ctx) {
      ctx.domain.a = 50
      await gate.promise
      try {
        ctx.domain.b = 60
      } catch (e) {
        writeError = e
      }
    })
    const { engine } = engineWith(slow, setB)
    const p = engine.runProcess('slow', {}, { signal: ac.signal })
    ac.abort('stop')
    expect(await rejection(p)).toBeInstanceOf(AbortError)
    gate.resolve()
    await flush()
    expect(engine.state.value.domain).toMatchObject({ a: 1, b: 2 })
    // A later commit does not pick up anything of the aborted run either.
    engine.runProcess('setB', { v: 3 })
    expect(engine.state.value.domain).toMatchObject({ a: 1, b: 3 })
    expect(writeError === undefined || writeError instanceof TheusError).toBe(true)
  })

  it('aborting after the commit changes nothing', async () => {
    const ac = new AbortController()
    const quick = process({ outputs: ['domain.a'] }, async function quick(ctx) {
      await Promise.resolve()
      ctx.domain.a = 42
      return 'ok'
    })
    const { engine, rollbacks } = engineWith(quick)
    await expect(engine.runProcess('quick', {}, { signal: ac.signal })).resolves.toBe('ok')
    const s1 = engine.state.value
    ac.abort('too late')
    await flush()
    expect(engine.state.value).toBe(s1)
    expect(engine.state.value.domain.a).toBe(42)
    expect(engine.history).toHaveLength(1)
    expect(rollbacks).toEqual([])
  })

  it("an abort from an 'audit' listener at the output gate rolls the run back, as at the input gate", async () => {
    for (const gate of ['inputs', 'outputs'] as const) {
      const auditRecipe = {
        process_recipes: {
          quick: { [gate]: [{ field: gate === 'inputs' ? 'v' : 'domain.a', max: 0 }] },
          setA: { [gate]: [{ field: gate === 'inputs' ? 'v' : 'domain.a', max: 0 }] },
        },
      }
      const quick = process({ outputs: ['domain.a'] }, async function quick(ctx) {
        await Promise.resolve()
        ctx.domain.a = 42
      })
      const engine = new TheusEngine(initial(), { auditRecipe })
      engine.registerProcess(quick)
      engine.registerProcess(setA)
      let ac = new AbortController()
      engine.on('audit', () => ac.abort('stop'))
      const before = engine.state.value
      await expect(
        engine.runProcess('quick', { v: 1 }, { signal: ac.signal }),
      ).rejects.toMatchObject({
        name: 'AbortError',
        code: 'ABORTED',
        cause: 'stop',
      })
      ac = new AbortController()
      expect(() => engine.runProcess('setA', { v: 1 }, { signal: ac.signal })).toThrow(AbortError)
      expect(engine.state.value).toBe(before)
      expect(engine.history).toHaveLength(0)
    }
  })

  it('an already-aborted signal rejects without running the body', async () => {
    let ran = 0
    const quick = process({ outputs: ['domain.a'] }, async function quick(ctx) {
      ran++
      ctx.domain.a = 42
    })
    const { engine, rollbacks } = engineWith(quick)
    const reason = new Error('already gone')
    const p = engine.runProcess('quick', {}, { signal: AbortSignal.abort(reason) })
    expect(p).toBeInstanceOf(Promise)
    const e = await rejection(p)
    expect(ran).toBe(0)
    expect(e).toBeInstanceOf(AbortError)
    expect(e.code).toBe('ABORTED')
    expect(e.name).toBe('AbortError')
    expect(e.cause).toBe(reason)
    expect(engine.state.value.domain.a).toBe(1)
    expect(engine.runLog).toHaveLength(0)
    expect(rollbacks.map((r) => r.process)).toEqual(['quick'])
  })

  it('ctx.signal is the signal given to runProcess', async () => {
    const ac = new AbortController()
    let seen: unknown
    let seenAfterAwait: unknown
    const s = process({ outputs: ['domain.a'] }, async function s(ctx) {
      seen = ctx.signal
      await Promise.resolve()
      seenAfterAwait = ctx.signal
    })
    const { engine } = engineWith(s)
    await engine.runProcess('s', {}, { signal: ac.signal })
    expect(seen).toBe(ac.signal)
    expect(seenAfterAwait).toBe(ac.signal)
  })

  it('a body that honours ctx.signal (fetch-style) rejects with AbortError, not its own error', async () => {
    const ac = new AbortController()
    const fetchy = process({ outputs: ['domain.a'] }, async function fetchy(ctx) {
      await new Promise((_, reject) =>
        ctx.signal?.addEventListener('abort', () => reject(ctx.signal!.reason)),
      )
    })
    const { engine } = engineWith(fetchy)
    const reason = new Error('cancel')
    const p = engine.runProcess('fetchy', {}, { signal: ac.signal })
    ac.abort(reason)
    const e = await rejection(p)
    expect(e).toBeInstanceOf(AbortError)
    expect(e.cause).toBe(reason)
  })
})

describe('nested runs', () => {
  it('NESTED_RUN for runProcess inside an async body before its first await; allowed after it', async () => {
    const outcome: { before?: unknown; after?: unknown } = {}
    const outer = process({ outputs: ['domain.a'] }, async function outer(ctx) {
      try {
        engine.runProcess('setB', { v: 5 })
        outcome.before = 'ran'
      } catch (e) {
        outcome.before = e
      }
      ctx.domain.a = 9
      await Promise.resolve()
      outcome.after = engine.runProcess('setB', { v: 6 })
      return 'outer done'
    })
    const { engine } = engineWith(outer, setB)
    await expect(engine.runProcess('outer')).resolves.toBe('outer done')
    expect(outcome.before).toBeInstanceOf(TheusError)
    expect((outcome.before as TheusError).code).toBe('NESTED_RUN')
    expect(outcome.after).toBeUndefined()
    // The inner run committed on its own; the outer (disjoint) committed when it settled.
    expect(engine.state.value.domain).toMatchObject({ a: 9, b: 6 })
    expect(engine.runLog.map((r) => r.process)).toEqual(['setB', 'outer'])
  })

  it('an uncaught NESTED_RUN rejects the outer run as is and rolls it back', async () => {
    const outer = process({ outputs: ['domain.a'] }, async function outer(ctx) {
      ctx.domain.a = 9
      engine.runProcess('setB', { v: 5 })
    })
    const { engine } = engineWith(outer, setB)
    const e = await rejection(engine.runProcess('outer'))
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('NESTED_RUN')
    expect(engine.state.value.domain).toMatchObject({ a: 1, b: 2 })
  })

  it('a sync run started while an async body is awaiting is not nested', async () => {
    const gate = deferred()
    const outer = process({ outputs: ['domain.a'] }, async function outer(ctx) {
      ctx.domain.a = 9
      await gate.promise
    })
    const { engine } = engineWith(outer, setB)
    const p = engine.runProcess('outer')
    expect(() => engine.runProcess('setB', { v: 1 })).not.toThrow()
    gate.resolve()
    await p
    expect(engine.state.value.domain).toMatchObject({ a: 9, b: 1 })
  })
})

describe('an async body that throws rolls back with the error contract', () => {
  it('a declared error is re-thrown as is', async () => {
    const failing = process(
      { outputs: ['domain.a'], errors: ['ValueError'] },
      async function failing(ctx) {
        ctx.domain.a = 77
        await Promise.resolve()
        throw new ValueError('bad value')
      },
    )
    const { engine, rollbacks } = engineWith(failing)
    const s0 = engine.state.value
    const e = await rejection(engine.runProcess('failing', { n: 1 }))
    expect(e).toBeInstanceOf(ValueError)
    expect(e.message).toBe('bad value')
    expect(engine.state.value).toBe(s0)
    expect(rollbacks).toHaveLength(1)
    expect(rollbacks[0]).toMatchObject({ process: 'failing', args: { n: 1 } })
    expect(rollbacks[0]!.error).toBe(e)
    expect(engine.history).toHaveLength(0)
    expect(engine.runLog).toHaveLength(0)
  })

  it('an undeclared error becomes ContractViolationError UNDECLARED_ERROR with cause', async () => {
    const thrown = new RangeError('boom')
    const failing = process({ outputs: ['domain.a'] }, async function failing(ctx) {
      ctx.domain.a = 77
      await Promise.resolve()
      throw thrown
    })
    const { engine, rollbacks } = engineWith(failing)
    const s0 = engine.state.value
    const e = await rejection(engine.runProcess('failing'))
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e.code).toBe('UNDECLARED_ERROR')
    expect(e.cause).toBe(thrown)
    expect(e.message).toMatch(/^Undeclared Error Violation/)
    expect(e.message).toContain('failing')
    expect(engine.state.value).toBe(s0)
    expect(rollbacks).toHaveLength(1)
    expect(rollbacks[0]!.error).toBe(e)
  })

  it('an error thrown before the first await also rejects (async functions never throw)', async () => {
    const failing = process(
      { outputs: ['domain.a'], errors: ['ValueError'] },
      async function failing(ctx) {
        ctx.domain.a = 77
        throw new ValueError('early')
      },
    )
    const { engine } = engineWith(failing)
    let p: unknown
    expect(() => {
      p = engine.runProcess('failing')
    }).not.toThrow()
    expect(await rejection(p)).toBeInstanceOf(ValueError)
    expect(engine.state.value.domain.a).toBe(1)
  })

  it('a contract violation after an await rolls back with that violation', async () => {
    const sneaky = process(
      { inputs: ['domain.c'], outputs: ['domain.b'] },
      async function sneaky(ctx) {
        ctx.domain.b = 3
        await Promise.resolve()
        ctx.domain.c.x = 4
      },
    )
    const { engine } = engineWith(sneaky)
    const e = await rejection(engine.runProcess('sneaky'))
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e.code).toBe('IMMUTABLE_INPUT')
    expect(engine.state.value.domain).toMatchObject({ b: 2, c: { x: 1 } })
  })
})
