/**
 * The bypass catalogue (issue 11): every known way for a body to change state outside its
 * contract, or outside its run. Each attempt must fail with its code, roll the run back and
 * leave the state, the history and Object.prototype exactly as they were.
 */
import { process, TheusEngine, type TheusError } from 'theus'
import { afterEach, describe, expect, it } from 'vitest'

afterEach(() => {
  delete (Object.prototype as Record<string, unknown>).polluted
  delete (Array.prototype as unknown as Record<string, unknown>).polluted
})

const initial = () => ({
  domain: {
    rec: { a: 1, inner: { b: 2 } } as Record<string, any>,
    list: [{ x: 1 }, { x: 2 }] as any[],
    nums: [3, 1, 2],
    m: new Map<string, any>([['k', { v: 1 }]]),
    s: new Set<number>([1, 2]),
    when: new Date(1000),
    out: { o: 1 } as Record<string, any>,
    other: 0,
  },
})

/** Inputs: everything but `out`; outputs: `out` only. */
const contract = {
  inputs: ['domain.rec', 'domain.list', 'domain.nums', 'domain.m', 'domain.s', 'domain.when'],
  outputs: ['domain.out'],
}

type Attempt = [name: string, code: string, body: (d: any) => void]

const attempts: Attempt[] = [
  ['set on an input object', 'IMMUTABLE_INPUT', (d) => (d.rec.a = 2)],
  ['set deep in an input object', 'IMMUTABLE_INPUT', (d) => (d.rec.inner.b = 3)],
  ['delete on an input object', 'IMMUTABLE_INPUT', (d) => delete d.rec.a],
  ['Object.assign onto an input', 'IMMUTABLE_INPUT', (d) => Object.assign(d.rec, { a: 9 })],
  [
    'defineProperty on an input',
    'IMMUTABLE_INPUT',
    (d) => Object.defineProperty(d.rec, 'a', { value: 9 }),
  ],
  ['Reflect.set on an input', 'IMMUTABLE_INPUT', (d) => Reflect.set(d.rec, 'a', 9)],
  [
    'Reflect.deleteProperty on an input',
    'IMMUTABLE_INPUT',
    (d) => Reflect.deleteProperty(d.rec, 'a'),
  ],
  [
    'Object.setPrototypeOf on an input',
    'IMMUTABLE_INPUT',
    (d) => Object.setPrototypeOf(d.rec, { polluted: 1 }),
  ],
  ['Object.freeze of an input', 'IMMUTABLE_INPUT', (d) => Object.freeze(d.rec)],
  ['push on an input array', 'IMMUTABLE_INPUT', (d) => d.nums.push(4)],
  ['pop on an input array', 'IMMUTABLE_INPUT', (d) => d.nums.pop()],
  ['splice on an input array', 'IMMUTABLE_INPUT', (d) => d.nums.splice(0, 1)],
  ['sort on an input array', 'IMMUTABLE_INPUT', (d) => d.nums.sort()],
  ['reverse on an input array', 'IMMUTABLE_INPUT', (d) => d.nums.reverse()],
  ['fill on an input array', 'IMMUTABLE_INPUT', (d) => d.nums.fill(0)],
  ['copyWithin on an input array', 'IMMUTABLE_INPUT', (d) => d.nums.copyWithin(0, 1)],
  ['length = 0 on an input array', 'IMMUTABLE_INPUT', (d) => (d.nums.length = 0)],
  ['index write on an input array', 'IMMUTABLE_INPUT', (d) => (d.nums[0] = 9)],
  ['write inside an input array element', 'IMMUTABLE_INPUT', (d) => (d.list[0].x = 9)],
  ['Map.set on an input Map', 'IMMUTABLE_INPUT', (d) => d.m.set('k', 2)],
  ['Map.delete on an input Map', 'IMMUTABLE_INPUT', (d) => d.m.delete('k')],
  ['Map.clear on an input Map', 'IMMUTABLE_INPUT', (d) => d.m.clear()],
  ['write inside a Map value', 'IMMUTABLE_INPUT', (d) => (d.m.get('k').v = 9)],
  ['Map.prototype.set.call on a view', 'IMMUTABLE_INPUT', (d) => d.m.set.call(d.m, 'k', 3)],
  ['Set.add on an input Set', 'IMMUTABLE_INPUT', (d) => d.s.add(3)],
  ['Set.delete on an input Set', 'IMMUTABLE_INPUT', (d) => d.s.delete(1)],
  ['Set.clear on an input Set', 'IMMUTABLE_INPUT', (d) => d.s.clear()],
  ['write to an undeclared path', 'ILLEGAL_WRITE', (d) => (d.other = 1)],
  ['replace a whole layer', 'ILLEGAL_WRITE', (d) => (d.rec = {})],
  ['Symbol key on an output', 'ILLEGAL_WRITE', (d) => (d.out[Symbol('s')] = 1)],
  ['read of an undeclared path', 'ILLEGAL_READ', (d) => d.other],
  [
    '__proto__ assignment on an output',
    'ILLEGAL_WRITE',
    // biome-ignore lint/suspicious/noProto: the attack under test
    (d) => (d.out.__proto__ = { polluted: 1 }),
  ],
  [
    '__proto__ key inside an assigned value',
    'ILLEGAL_WRITE',
    (d) => (d.out.v = JSON.parse('{"__proto__":{"polluted":1}}')),
  ],
  [
    'setPrototypeOf on an output',
    'ILLEGAL_WRITE',
    (d) => Object.setPrototypeOf(d.out, { polluted: 1 }),
  ],
  [
    'pollution through __proto__ of an output',
    'UNDECLARED_ERROR',
    // biome-ignore lint/suspicious/noProto: the attack under test
    (d) => (d.out.__proto__.polluted = 1),
  ],
  [
    'pollution through constructor.prototype',
    'UNDECLARED_ERROR',
    (d) => (d.out.constructor.prototype.polluted = 1),
  ],
  [
    'pollution through an array constructor',
    'UNDECLARED_ERROR',
    (d) => (d.nums.constructor.prototype.polluted = 1),
  ],
  ['a class instance outside heavy_', 'ZONE_POLICY', (d) => (d.out.v = new (class Acct {})())],
  ['a typed array outside heavy_', 'ZONE_POLICY', (d) => (d.out.v = new Float32Array(2))],
  ['a function outside heavy_', 'ZONE_POLICY', (d) => (d.out.v = () => 1)],
  [
    'a violation swallowed by the body',
    'IMMUTABLE_INPUT',
    (d) => {
      try {
        d.rec.a = 2
      } catch {}
      d.out.o = 2
    },
  ],
]

describe('bypass catalogue: writes outside the contract', () => {
  for (const [name, code, body] of attempts) {
    it(`${name}: ${code}, nothing changes`, () => {
      const engine = new TheusEngine(initial())
      engine.registerProcess(
        process(contract, function attempt(ctx) {
          body(ctx.domain)
        }),
      )
      const before = engine.state.value
      const dict = engine.toDict()
      let err: TheusError | undefined
      try {
        engine.runProcess('attempt')
      } catch (e) {
        err = e as TheusError
      }
      expect(err?.code).toBe(code)
      expect(engine.state.value).toBe(before)
      expect(engine.toDict()).toEqual(dict)
      expect(engine.history).toHaveLength(0)
      expect(({} as any).polluted).toBeUndefined()
      expect(([] as any).polluted).toBeUndefined()
    })
  }

  it('copies what cannot be guarded: Dates and Set elements come out as copies', () => {
    const engine = new TheusEngine({ domain: { when: new Date(1000), s: new Set([{ k: 1 }]) } })
    engine.registerProcess(
      process({ inputs: ['domain.when', 'domain.s'] }, function copies(ctx) {
        ctx.domain.when.setTime(0)
        for (const el of ctx.domain.s as Set<any>) el.k = 99
      }),
    )
    engine.runProcess('copies')
    expect(engine.state.value.domain.when.getTime()).toBe(1000)
    expect([...engine.state.value.domain.s]).toEqual([{ k: 1 }])
  })

  it('a returned view becomes a frozen copy: mutating the result changes nothing', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(
      process(contract, function give(ctx) {
        return ctx.domain.rec
      }),
    )
    const out = engine.runProcess('give') as any
    expect(() => (out.a = 5)).toThrow(TypeError)
    expect(engine.state.value.domain.rec.a).toBe(1)
  })

  it('the args a body scribbles on are not the logged ones', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(
      process(contract, function scribble(_ctx, args: { list: number[] }) {
        args.list.push(4)
      }),
    )
    engine.runProcess('scribble', { list: [1] })
    expect(engine.runLog[0]!.args).toEqual({ list: [1] })
  })
})

describe('bypass catalogue: writes outside the run', () => {
  it('a write scheduled after the body returned (microtask, timer) throws and lands nowhere', async () => {
    const engine = new TheusEngine(initial())
    const late: unknown[] = []
    engine.registerProcess(
      process(contract, function detach(ctx) {
        const out = ctx.domain.out
        queueMicrotask(() => {
          try {
            out.o = 'micro'
          } catch (e) {
            late.push((e as TheusError).code)
          }
        })
        setTimeout(() => {
          try {
            out.o = 'timer'
          } catch (e) {
            late.push((e as TheusError).code)
          }
        }, 0)
      }),
    )
    engine.runProcess('detach')
    await new Promise((r) => setTimeout(r, 5))
    expect(late).toEqual(['INVALID_CONTRACT', 'INVALID_CONTRACT'])
    expect(engine.state.value.domain.out.o).toBe(1)
    expect(engine.history).toHaveLength(0)
  })

  it('an async body’s write after an await that outlives the run (not awaited) lands nowhere', async () => {
    const engine = new TheusEngine(initial())
    const late: unknown[] = []
    engine.registerProcess(
      process(contract, async function leak(ctx) {
        const out = ctx.domain.out
        void (async () => {
          await new Promise((r) => setTimeout(r, 1))
          try {
            out.o = 'late'
          } catch (e) {
            late.push((e as TheusError).code)
          }
        })()
        out.o = 2
      }),
    )
    await engine.runProcess('leak')
    await new Promise((r) => setTimeout(r, 10))
    expect(late).toEqual(['INVALID_CONTRACT'])
    expect(engine.state.value.domain.out.o).toBe(2)
  })

  it('a view kept by one run is dead in every later run of the same process', () => {
    const engine = new TheusEngine(initial())
    let kept: any
    let inRun: string | undefined
    engine.registerProcess(
      process(contract, function keep(ctx, args: { use?: boolean }) {
        if (args.use) {
          try {
            kept.o = 'revived'
          } catch (e) {
            inRun = (e as TheusError).code
          }
          ctx.domain.out.o = 3
        } else kept = ctx.domain.out
      }),
    )
    engine.runProcess('keep')
    engine.runProcess('keep', { use: true })
    expect(inRun).toBe('INVALID_CONTRACT')
    expect(engine.state.value.domain.out.o).toBe(3)
  })

  it('a view kept from a rolled-back run cannot carry its writes into another run', async () => {
    const engine = new TheusEngine(initial())
    let kept: any
    engine.registerProcess(
      process(contract, async function failing(ctx) {
        ctx.domain.out.o = 'rolled back'
        kept = ctx.domain.out
        await Promise.resolve()
        throw new Error('no')
      }),
    )
    engine.registerProcess(
      process(contract, function copy(ctx, args: { how: string }) {
        if (args.how === 'assign') ctx.domain.out.copy = kept
        else ctx.domain.out.copy = { nested: kept }
      }),
    )
    await expect(engine.runProcess('failing')).rejects.toMatchObject({ code: 'UNDECLARED_ERROR' })
    for (const how of ['assign', 'nested'])
      expect(() => engine.runProcess('copy', { how })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONTRACT' }),
      )
    expect(engine.state.value.domain.out).toEqual({ o: 1 })
  })

  it('a kept ctx.domain of an edit() is dead too', () => {
    const engine = new TheusEngine(initial())
    let kept: any
    engine.edit((s: any) => {
      kept = s.domain
    })
    expect(() => (kept.other = 5)).toThrow(expect.objectContaining({ code: 'INVALID_CONTRACT' }))
    expect(engine.state.value.domain.other).toBe(0)
  })

  it('a kept ctx hands out no layer after its run, whether or not the body read it', () => {
    const engine = new TheusEngine({ ...initial(), global: { g: 1 } })
    let kept: any
    engine.registerProcess(
      process(
        { inputs: ['global.g', 'domain.out'], outputs: ['domain.out'] },
        function keep(ctx, args: { read?: boolean }) {
          // Inside the run a layer is one view, the one its children hang from.
          expect(ctx.domain).toBe(ctx.domain)
          expect(ctx.domain.out).toBe(ctx.domain.out)
          if (args.read) expect(ctx.global.g).toBe(1)
          kept = ctx
        },
      ),
    )
    engine.runProcess('keep', { read: true })
    engine.runProcess('keep')
    // The last run did not read ctx.global: reading it now is reading through a dead root.
    expect(() => kept.global).toThrow(expect.objectContaining({ code: 'INVALID_CONTRACT' }))
    // It did read ctx.domain: the layer it handed out died with the run.
    expect(() => kept.domain.out).toThrow(expect.objectContaining({ code: 'INVALID_CONTRACT' }))
  })

  it('ctx.domain after the body assigned it is the new layer, through the root', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(
      process({ inputs: ['domain'], outputs: ['domain'] }, function swap(ctx) {
        const before = ctx.domain
        ;(ctx as { domain: unknown }).domain = { ...initial().domain, other: 7 }
        expect(ctx.domain).not.toBe(before)
        expect(ctx.domain.other).toBe(7)
        expect(ctx.domain).toBe(ctx.domain)
      }),
    )
    engine.runProcess('swap')
    expect(engine.state.value.domain.other).toBe(7)
  })
})
