/**
 * SPEC §10.1, the trust model: views expose own data only, `__proto__` is never a data key,
 * plain data outside `heavy_`, records are read-only, and a run's views die with its body.
 */
import { process, TheusEngine, TheusError } from 'theus'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { caught } from '../support/caught.js'

afterEach(() => {
  vi.restoreAllMocks()
  // A failed case must not leave Object.prototype polluted for the next one.
  delete (Object.prototype as Record<string, unknown>).polluted
})

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (e) {
    return (e as TheusError).code ?? (e as Error).name
  }
  return undefined
}

const bank = () => ({
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total: 1000,
    out: { a: 1 } as Record<string, any>,
  },
})

const transfer = process(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function transfer(ctx, args: { from: string; to: string; amount: number }) {
    const bal = ctx.domain.accounts[args.from] ?? 0
    if (bal < args.amount) return 'insufficient'
    ctx.domain.accounts[args.from] = bal - args.amount
    ctx.domain.accounts[args.to] = (ctx.domain.accounts[args.to] ?? 0) + args.amount
    return 'ok'
  },
)

describe('views expose own data only', () => {
  it('reads inherited members (constructor, __proto__, toString) as undefined on object views', () => {
    const engine = new TheusEngine(bank())
    engine.registerProcess(
      process({ inputs: ['domain.accounts'] }, function probe(ctx) {
        const a = ctx.domain.accounts as any
        // biome-ignore lint/suspicious/noProto: the attack under test
        return [a.constructor, a.__proto__, a.toString, a.hasOwnProperty, 'constructor' in a]
      }),
    )
    expect(engine.runProcess('probe')).toEqual([undefined, undefined, undefined, undefined, false])
  })

  it('turns object, Map and Set views into strings as their plain values would be', () => {
    const engine = new TheusEngine({
      domain: { o: { a: 1 }, m: new Map([['k', 1]]), s: new Set([1]), list: [1, 2] },
    })
    engine.registerProcess(
      process({ inputs: ['domain'] }, function show(ctx) {
        const d = ctx.domain as any
        // No inherited toString on a view, yet a template literal or a concatenation works.
        return [`${d.o}`, String(d.m), `${d.s}`, `${d.list}`, d.o.toString]
      }),
    )
    expect(engine.runProcess('show')).toEqual([
      '[object Object]',
      '[object Map]',
      '[object Set]',
      '1,2',
      undefined,
    ])
  })

  it('reads a key named like an inherited member when the container holds it', () => {
    const engine = new TheusEngine({ domain: { accounts: { constructor: 7 } as any } })
    engine.registerProcess(
      process({ inputs: ['domain.accounts'] }, function probe(ctx) {
        return ctx.domain.accounts.constructor
      }),
    )
    expect(engine.runProcess('probe')).toBe(7)
  })

  it('keeps array, Map and Set methods, but not their constructor', () => {
    const engine = new TheusEngine({
      domain: { list: [3, 1, 2], m: new Map([['k', 1]]), s: new Set([1]), when: new Date(5) },
    })
    engine.registerProcess(
      process(
        { outputs: ['domain.list', 'domain.m', 'domain.s'], inputs: ['domain.when'] },
        function use(ctx) {
          const d = ctx.domain as any
          d.list.push(4)
          d.list.sort()
          d.m.set('j', 2)
          d.s.add(2)
          return [
            d.list.map((x: number) => x * 2),
            d.list.constructor,
            d.m.constructor,
            d.s.constructor,
            d.m.get('k'),
            d.s.has(2),
            d.when.getTime(),
            [...d.m.keys()],
          ]
        },
      ),
    )
    expect(engine.runProcess('use')).toEqual([
      [2, 4, 6, 8],
      undefined,
      undefined,
      undefined,
      1,
      true,
      5,
      ['k', 'j'],
    ])
  })

  it('cannot reach Object.prototype through a view (the pollution of issue 11)', () => {
    const engine = new TheusEngine(bank())
    engine.registerProcess(
      process({ outputs: ['domain.out'] }, function pollute(ctx) {
        // biome-ignore lint/suspicious/noProto: the attack under test
        ;(ctx.domain.out as any).__proto__.polluted = 'yes'
      }),
    )
    expect(code(() => engine.runProcess('pollute'))).toBe('UNDECLARED_ERROR')
    expect(({} as any).polluted).toBeUndefined()
    expect(engine.history).toHaveLength(0)
  })
})

describe('__proto__ is never a data key', () => {
  it('writing it through a view is ILLEGAL_WRITE, even where the path is an output', () => {
    const engine = new TheusEngine(bank())
    engine.registerProcess(
      process({ outputs: ['domain.out'] }, function write(ctx, args: { how: string }) {
        const o = ctx.domain.out as any
        // biome-ignore lint/suspicious/noProto: the attack under test
        if (args.how === 'set') o.__proto__ = { polluted: 'yes' }
        // biome-ignore lint/suspicious/noProto: the attack under test
        if (args.how === 'bracket') o['__proto__'] = 1
        if (args.how === 'define') Object.defineProperty(o, '__proto__', { value: {} })
        if (args.how === 'reflect') Reflect.set(o, '__proto__', {})
        if (args.how === 'setPrototypeOf') Object.setPrototypeOf(o, { polluted: 'yes' })
        if (args.how === 'nested') o.x = JSON.parse('{"__proto__": {"polluted": "yes"}}')
      }),
    )
    for (const how of ['set', 'bracket', 'define', 'reflect', 'setPrototypeOf', 'nested']) {
      let err: TheusError | undefined
      try {
        engine.runProcess('write', { how })
      } catch (e) {
        err = e as TheusError
      }
      expect(err?.code, how).toBe('ILLEGAL_WRITE')
      expect(err?.message, how).toMatch(/^Illegal Write: process 'write'.*__proto__/)
    }
    expect(engine.history).toHaveLength(0)
    expect(({} as any).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(engine.state.value.domain.out)).toBe(Object.prototype)
  })

  it('edit() refuses it too, and commits nothing', () => {
    const engine = new TheusEngine(bank())
    expect(
      code(() =>
        engine.edit((s: any) => {
          // biome-ignore lint/suspicious/noProto: the attack under test
          s.domain.out.__proto__ = { polluted: 'yes' }
        }),
      ),
    ).toBe('ILLEGAL_WRITE')
    expect(
      code(() =>
        engine.edit((s: any) => {
          // biome-ignore lint/suspicious/noProto: the attack under test
          s.domain.out.__proto__.polluted = 'yes'
        }),
      ),
    ).toBe('TypeError')
    expect(
      code(() =>
        engine.edit((s: any) => {
          s.domain.copy = JSON.parse('{"a": {"__proto__": {"polluted": 1}}}')
        }),
      ),
    ).toBe('ILLEGAL_WRITE')
    expect(engine.history).toHaveLength(0)
    expect(({} as any).polluted).toBeUndefined()
  })

  it('a transfer to the account named __proto__ destroys no money: the run rolls back', () => {
    const engine = new TheusEngine(bank())
    engine.registerProcess(transfer)
    const before = engine.state.value
    expect(
      code(() => engine.runProcess('transfer', { from: 'Alice', to: '__proto__', amount: 500 })),
    ).toBe('ILLEGAL_WRITE')
    expect(engine.state.value).toBe(before)
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 1000, Bob: 0 })
  })

  it('a transfer to an account named constructor is an ordinary account', () => {
    const engine = new TheusEngine(bank())
    engine.registerProcess(transfer)
    expect(engine.runProcess('transfer', { from: 'Alice', to: 'constructor', amount: 500 })).toBe(
      'ok',
    )
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 500, Bob: 0, constructor: 500 })
  })

  it('an initial context holding it anywhere is INVALID_CONTEXT', () => {
    const poisoned = JSON.parse('{"domain": {"a": {"b": [{"__proto__": {"polluted": 1}}]}}}')
    expect(code(() => new TheusEngine(poisoned))).toBe('INVALID_CONTEXT')
    expect(() => new TheusEngine(poisoned)).toThrow(/domain\.a\.b\.0\.__proto__/)
    expect(code(() => new TheusEngine(poisoned, { strictMode: false }))).toBe('INVALID_CONTEXT')
    expect(({} as any).polluted).toBeUndefined()
  })

  it('is refused as a Map key too: in the context, in a write, in args', () => {
    expect(code(() => new TheusEngine({ domain: { m: new Map([['__proto__', 1]]) } }))).toBe(
      'INVALID_CONTEXT',
    )
    const engine = new TheusEngine({ domain: { m: new Map<string, unknown>(), out: {} as any } })
    engine.registerProcess(
      process({ outputs: ['domain.m', 'domain.out'] }, function put(ctx, args: { how: string }) {
        if (args.how === 'set') ctx.domain.m.set('__proto__', 1)
        else ctx.domain.out.v = new Map([['__proto__', 1]])
      }),
    )
    expect(code(() => engine.runProcess('put', { how: 'set' }))).toBe('ILLEGAL_WRITE')
    expect(code(() => engine.runProcess('put', { how: 'value' }))).toBe('ILLEGAL_WRITE')
    expect(
      code(() => engine.runProcess('put', { how: 'set', m: new Map([['__proto__', 1]]) })),
    ).toBe('INVALID_ARGS')
  })

  it('is refused inside an object used as a Map key: context, write, args, replayed patch', async () => {
    // Such a key was kept, saved by persist(), and then the save was refused at the next load.
    const evil = () => JSON.parse('{"id":1,"deep":{"__proto__":{"polluted":1}}}') as object
    expect(code(() => new TheusEngine({ domain: { m: new Map([[evil(), 1]]) } }))).toBe(
      'INVALID_CONTEXT',
    )
    const engine = new TheusEngine({ domain: { m: new Map<object, unknown>(), out: {} as any } })
    engine.registerProcess(
      process({ outputs: ['domain.m', 'domain.out'] }, function put(ctx, args: { how: string }) {
        if (args.how === 'set') ctx.domain.m.set(evil(), 1)
        else ctx.domain.out.v = new Map([[evil(), 1]])
      }),
    )
    const before = engine.state.value
    expect(code(() => engine.runProcess('put', { how: 'set' }))).toBe('ILLEGAL_WRITE')
    expect(code(() => engine.runProcess('put', { how: 'value' }))).toBe('ILLEGAL_WRITE')
    expect(code(() => engine.edit((s) => s.domain.m.set(evil(), 1)))).toBe('ILLEGAL_WRITE')
    expect(engine.state.value).toBe(before)
    expect(code(() => engine.runProcess('put', { how: 'set', m: new Map([[evil(), 1]]) }))).toBe(
      'INVALID_ARGS',
    )
    const log = [
      { process: 'edit', patches: [{ op: 'add', path: ['domain', 'm', evil()], value: 1 }] },
    ]
    await expect(
      TheusEngine.replay({ domain: { m: new Map(), out: {} } }, [], log as never),
    ).rejects.toMatchObject({ code: 'INVALID_ARGS' })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('args holding it are INVALID_ARGS before anything runs', () => {
    const engine = new TheusEngine(bank())
    engine.registerProcess(transfer)
    const args = JSON.parse(
      '{"from": "Alice", "to": "Bob", "amount": 1, "x": {"__proto__": {"polluted": 1}}}',
    )
    expect(code(() => engine.runProcess('transfer', args))).toBe('INVALID_ARGS')
    expect(engine.runLog).toHaveLength(0)
  })

  it('a replayed log entry holding it fails the replay with INVALID_ARGS', async () => {
    const bad = [
      [{ process: 'transfer', args: JSON.parse('{"__proto__": {"amount": 5}}') }],
      JSON.parse('[{ "process": "transfer", "args": {}, "__proto__": { "polluted": 1 } }]'),
      [
        {
          process: 'edit',
          args: undefined,
          patches: [JSON.parse('{ "op": "add", "path": ["domain", "x"], "__proto__": {} }')],
        },
      ],
      [
        {
          process: 'edit',
          args: undefined,
          patches: [{ op: 'add', path: ['domain', '__proto__', 'polluted'], value: 1 }],
        },
      ],
      [
        {
          process: 'edit',
          args: undefined,
          patches: [
            {
              op: 'add',
              path: ['domain', 'x'],
              value: JSON.parse('{"__proto__": {"polluted": 1}}'),
            },
          ],
        },
      ],
      [{ process: 'edit', args: undefined, patches: [{ op: 'nope', path: ['domain', 'x'] }] }],
      [{ process: 'edit', args: undefined, patches: 'garbage' }],
      [null],
    ]
    for (const log of bad) {
      await expect(TheusEngine.replay(bank(), [transfer], log as any)).rejects.toMatchObject({
        code: 'INVALID_ARGS',
      })
    }
    expect(({} as any).polluted).toBeUndefined()
  })

  it("a replayed patch at the root obeys edit()'s rules: no layer removed, no other root key", async () => {
    const bad = [
      { op: 'remove', path: ['domain'] },
      { op: 'replace', path: ['domain'], value: 5 },
      { op: 'replace', path: ['global'], value: null },
      { op: 'add', path: ['foo'], value: 1 },
      { op: 'add', path: ['local'], value: 1 },
    ]
    for (const patch of bad) {
      const err = await TheusEngine.replay(bank(), [], [
        { process: 'edit', args: undefined, patches: [patch] },
      ] as any).catch((e: unknown) => e)
      expect(err, JSON.stringify(patch)).toMatchObject({ code: 'INVALID_CONTEXT' })
    }
  })

  it('undo and redo can never reach a prototype (patches go through the guard)', () => {
    const engine = new TheusEngine(bank())
    engine.edit((s: any) => {
      s.domain.out.k = 1
    })
    engine.undo()
    engine.redo()
    expect(engine.state.value.domain.out).toEqual({ a: 1, k: 1 })
    expect(Object.getPrototypeOf(engine.state.value.domain.out)).toBe(Object.prototype)
  })
})

describe('plain data outside heavy_', () => {
  class Account {
    constructor(public balance: number) {}
    drain() {
      this.balance = 0
    }
  }

  it('refuses a class instance, typed array, ArrayBuffer or function at construction (strict)', () => {
    const cases: [unknown, string][] = [
      [new Account(5), 'Account'],
      [new Float64Array(3), 'Float64Array'],
      [new ArrayBuffer(8), 'ArrayBuffer'],
      [() => 1, 'function'],
      [new WeakMap(), 'WeakMap'],
      [/re/, 'RegExp'],
    ]
    for (const [value, cls] of cases) {
      let err: TheusError | undefined
      try {
        new TheusEngine({ domain: { box: { v: value } } })
      } catch (e) {
        err = e as TheusError
      }
      expect(err?.code, cls).toBe('INVALID_CONTEXT')
      expect(err?.message, cls).toContain('domain.box.v')
      expect(err?.message, cls).toContain(cls)
      expect(err?.message, cls).toContain('heavy_')
    }
  })

  it('accepts them under heavy_ and plain objects with a null prototype anywhere', () => {
    const engine = new TheusEngine({
      domain: {
        heavy_acct: new Account(5),
        stats: { heavy_vec: new Float64Array(2) },
        dict: Object.assign(Object.create(null), { a: 1 }),
        when: new Date(0),
      },
    })
    expect(engine.state.value.domain.dict).toEqual({ a: 1 })
  })

  it('refuses such a write with ZONE_POLICY naming the path and the class, and rolls back', () => {
    const engine = new TheusEngine({ domain: { acct: { balance: 1 } as any, n: 0 } })
    engine.registerProcess(
      process({ outputs: ['domain.acct', 'domain.n'] }, function put(ctx, args: { what: string }) {
        ctx.domain.n = 1
        if (args.what === 'class') ctx.domain.acct.inner = new Account(1)
        if (args.what === 'typed') ctx.domain.acct = { v: new Uint8Array(2) }
        if (args.what === 'fn') ctx.domain.acct.f = () => 0
        if (args.what === 'cycle') {
          const a: any = { x: 1 }
          a.self = a
          ctx.domain.acct = a
        }
      }),
    )
    for (const [what, cls, path] of [
      ['class', 'Account', 'domain.acct.inner'],
      ['typed', 'Uint8Array', 'domain.acct.v'],
      ['fn', 'function', 'domain.acct.f'],
    ]) {
      let err: TheusError | undefined
      try {
        engine.runProcess('put', { what })
      } catch (e) {
        err = e as TheusError
      }
      expect(err?.code, what).toBe('ZONE_POLICY')
      expect(err?.message, what).toContain(path)
      expect(err?.message, what).toContain(cls)
      expect(err?.message, what).toContain('heavy_')
    }
    expect(code(() => engine.runProcess('put', { what: 'cycle' }))).toBe('ZONE_POLICY')
    expect(engine.state.value.domain).toEqual({ acct: { balance: 1 }, n: 0 })
    expect(code(() => engine.edit((s: any) => (s.domain.acct = new Account(3))))).toBe(
      'ZONE_POLICY',
    )
  })

  it('non-strict mode keeps such a value by reference and warns once per path', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const acct = new Account(9)
    const engine = new TheusEngine({ domain: { acct, other: 0 } as any }, { strictMode: false })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/^\[theus\].*domain\.acct.*Account/)
    engine.registerProcess(
      process({ outputs: ['domain.other'] }, function put(ctx) {
        ;(ctx.domain as any).other = new Account(1)
      }),
    )
    engine.runProcess('put')
    engine.runProcess('put')
    expect(warn).toHaveBeenCalledTimes(2)
    expect((engine.state.value.domain as any).other).toBeInstanceOf(Account)
  })
})

describe('records are read-only', () => {
  const setup = (strictMode: boolean) => {
    const engine = new TheusEngine(bank(), { strictMode })
    engine.registerProcess(transfer)
    return engine
  }

  for (const strictMode of [true, false]) {
    it(`freezes history, runLog, logs, auditLog and event payloads deeply (strictMode ${strictMode})`, () => {
      const engine = new TheusEngine(bank(), {
        strictMode,
        auditRecipe: {
          process_recipes: { transfer: { inputs: [{ field: 'amount', max: 10, level: 'C' }] } },
        },
      })
      engine.registerProcess(transfer)
      engine.registerProcess(
        process({ outputs: ['domain.out'] }, function logIt(ctx) {
          ctx.log.info('hello', { view: ctx.domain.out, list: [1] })
          return { nested: { r: 1 } }
        }),
      )
      const events: any[] = []
      for (const t of ['commit', 'rollback', 'audit', 'signal'] as const)
        engine.on(t, (e) => events.push(e))
      engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 50, meta: { deep: [1] } })
      const result = engine.runProcess('logIt')
      const records: unknown[] = [
        engine.history,
        engine.runLog,
        engine.logs,
        engine.auditLog,
        engine.state.value,
        result,
        ...events,
      ]
      const walk = (v: unknown, path: string) => {
        if (typeof v !== 'object' || v === null) return
        expect(Object.isFrozen(v), path).toBe(true)
        for (const k of Object.keys(v)) if (k !== 'error') walk((v as any)[k], `${path}.${k}`)
      }
      for (const [i, r] of records.entries()) walk(r, `record ${i}`)
      expect(engine.logs[0]!.fields).toEqual({ view: { a: 1 }, list: [1] })
    })
  }

  it('editing a record cannot change what undo, redo or replay do', async () => {
    const engine = setup(true)
    let seen: any
    engine.on('commit', (e) => {
      seen = e
      try {
        ;(e.inversePatches[0] as any).value = 1_000_000
      } catch {}
    })
    engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 100 })
    const h = engine.history[0] as any
    const tamper = [
      () => (h.inversePatches[0].value = 1_000_000),
      () => h.inversePatches.push({ op: 'add', path: ['domain', 'x'], value: 1 }),
      () => (h.inversePatches[0].path[1] = 'total'),
      () => ((engine.runLog[0] as any).args.amount = 999),
      () => (seen.patches[0].value = 5),
      () => (engine.runLog as any).push({ process: 'transfer', args: {} }),
    ]
    for (const t of tamper) expect(t).toThrow(TypeError)
    expect(engine.undo()).toBe(true)
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 1000, Bob: 0 })
    expect(engine.redo()).toBe(true)
    const copy = await TheusEngine.replay(bank(), [transfer], engine.runLog)
    expect(copy.toDict()).toEqual(engine.toDict())
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 900, Bob: 100 })
  })

  it('non-strict state.value is frozen: writing it cannot make select() and toDict() disagree', () => {
    const engine = new TheusEngine({ domain: { cfg: { x: 1 } } }, { strictMode: false })
    expect(() => {
      ;(engine.state.value as any).domain.cfg.x = 99
    }).toThrow(TypeError)
    expect(engine.select('domain.cfg.x').value).toBe(1)
    expect(engine.toDict().domain.cfg.x).toBe(1)
  })
})

describe("a run's views live only while its body runs", () => {
  it('a view kept from a run throws INVALID_CONTRACT on read and write afterwards, also once the run is reused', () => {
    const engine = new TheusEngine(bank())
    let kept: any
    engine.registerProcess(
      process(
        { inputs: ['domain.accounts'], outputs: ['domain.out'] },
        function keep(ctx, args: { k?: boolean }) {
          if (args.k)
            kept = { out: ctx.domain.out, accounts: ctx.domain.accounts, domain: ctx.domain }
          return ctx.domain.out.a
        },
      ),
    )
    engine.runProcess('keep', { k: true })
    expect(code(() => kept.out.a)).toBe('INVALID_CONTRACT')
    expect(code(() => (kept.out.a = 5))).toBe('INVALID_CONTRACT')
    expect(code(() => Object.keys(kept.accounts))).toBe('INVALID_CONTRACT')
    expect(code(() => 'Alice' in kept.accounts)).toBe('INVALID_CONTRACT')
    // The Run object is reused by the next run of the same process: the kept view stays dead.
    engine.on('audit', () => {})
    engine.registerProcess(
      process({ outputs: ['domain.total'] }, function other(ctx) {
        ctx.domain.total = 1
      }),
    )
    engine.runProcess('keep')
    expect(code(() => (kept.out.a = 42))).toBe('INVALID_CONTRACT')
    expect(engine.state.value.domain.out.a).toBe(1)
  })

  it('a schema validator writing through a view kept from an earlier run cannot commit', () => {
    let kept: any
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (value: unknown) => {
          try {
            if (kept) kept.a = 666
          } catch {}
          return { value }
        },
      },
    }
    const engine = new TheusEngine(bank(), { schema })
    engine.registerProcess(
      process({ outputs: ['domain.out'] }, function keep(ctx) {
        kept ??= ctx.domain.out
        ctx.domain.out.b = 1
      }),
    )
    engine.runProcess('keep')
    engine.runProcess('keep')
    expect(engine.state.value.domain.out).toEqual({ a: 1, b: 1 })
  })

  it("an 'audit' listener writing through a kept view after the output gate does not land", () => {
    const engine = new TheusEngine(bank(), {
      auditRecipe: {
        process_recipes: {
          setOut: {
            outputs: [
              { field: 'domain.out.a', max: 10, level: 'B' },
              { field: 'domain.total', max: 0, level: 'C' },
            ],
          },
        },
      },
    })
    let kept: any
    engine.registerProcess(
      process({ outputs: ['domain.out', 'domain.total'] }, function setOut(ctx) {
        kept = ctx.domain.out
        ctx.domain.out.a = 5
        ctx.domain.total = 7
      }),
    )
    const errs: unknown[] = []
    engine.on('audit', () => {
      try {
        kept.a = 1_000_000
      } catch (e) {
        errs.push(e)
      }
    })
    engine.runProcess('setOut')
    expect(engine.state.value.domain.out.a).toBe(5)
    expect(errs).toHaveLength(1)
    expect((errs[0] as TheusError).code).toBe('INVALID_CONTRACT')
  })

  it('an async body’s views die when its promise settles', async () => {
    const engine = new TheusEngine(bank())
    let kept: any
    engine.registerProcess(
      process({ outputs: ['domain.out'] }, async function later(ctx) {
        kept = ctx.domain.out
        await Promise.resolve()
        ctx.domain.out.a = 2
      }),
    )
    await engine.runProcess('later')
    expect(code(() => kept.a)).toBe('INVALID_CONTRACT')
    expect(engine.state.value.domain.out.a).toBe(2)
  })
})

describe('ILLEGAL_READ did-you-mean', () => {
  it('suggests the declared path a typo is close to', () => {
    const engine = new TheusEngine({ domain: { cart: [1], other: 1 } })
    engine.registerProcess(
      process({ inputs: ['domain.cart'] }, function read(ctx) {
        return (ctx.domain as any).cartt
      }),
    )
    let err: TheusError | undefined
    try {
      engine.runProcess('read')
    } catch (e) {
      err = e as TheusError
    }
    expect(err?.code).toBe('ILLEGAL_READ')
    expect(err?.message).toContain("Did you mean 'domain.cart'?")
    expect(err?.details.hint).toBe("Did you mean 'domain.cart'?")
  })
})

describe('paths read own data only outside a run too', () => {
  it('select(), the output gate and toDict never read an inherited member', () => {
    const engine = new TheusEngine(bank(), {
      auditRecipe: {
        process_recipes: {
          touch: { outputs: [{ field: 'domain.accounts.constructor', min: 0, level: 'C' }] },
        },
      },
    })
    expect(engine.select('domain.accounts.constructor').value).toBeUndefined()
    expect(engine.select('domain.accounts.__proto__').value).toBeUndefined()
    expect(engine.select('domain.accounts.toString').value).toBeUndefined()
    engine.registerProcess(
      process({ outputs: ['domain.total'] }, function touch(ctx) {
        ctx.domain.total = 1
      }),
    )
    engine.runProcess('touch')
    expect(engine.auditLog.at(-1)).toMatchObject({
      field: 'domain.accounts.constructor',
      value: undefined,
    })
  })
})

describe('args that cannot be copied', () => {
  const engine = () => {
    const e = new TheusEngine({ domain: { n: 0 } })
    e.registerProcess(
      process({ inputs: ['domain.n'], outputs: ['domain.n'] }, function inc(ctx) {
        ctx.domain.n++
      }),
    )
    return e
  }
  const cyclic = (): Record<string, unknown> => {
    const a: Record<string, unknown> = { x: 1 }
    a.self = { back: a }
    return a
  }
  const deep = (): Record<string, unknown> => {
    const root: Record<string, unknown> = {}
    let cur = root
    for (let i = 0; i < 50_000; i++) cur = cur.d = {} as Record<string, unknown>
    return root
  }

  it.each([
    ['cyclic', cyclic],
    ['nested past the stack', deep],
  ])('refuses %s args with INVALID_ARGS, nothing run', (_, make) => {
    const e = engine()
    expect(() => e.runProcess('inc', make())).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGS',
        message: expect.stringContaining('hold a cycle or nest too deeply'),
      }),
    )
    expect(e.state.value.domain.n).toBe(0)
    expect(e.runLog).toHaveLength(0)
    // The engine goes on.
    e.runProcess('inc', { x: [1, { y: 2 }] })
    expect(e.state.value.domain.n).toBe(1)
  })

  it('refuses args whose getter throws with INVALID_ARGS, the getter error as cause, nothing run', async () => {
    const e = engine()
    const boom = new Error('boom')
    const events: string[] = []
    e.on('commit', () => events.push('commit'))
    e.on('rollback', () => events.push('rollback'))
    const getter = {
      get x(): number {
        throw boom
      },
    }
    for (const args of [getter, { nested: [getter] }]) {
      const err = caught(() => e.runProcess('inc', args))
      expect(err).toBeInstanceOf(TheusError)
      expect([err.code, err.cause]).toEqual(['INVALID_ARGS', boom])
      expect(err.message).toContain("Invalid args for process 'inc': reading them threw")
    }
    await expect(e.executeWorkflow({ steps: ['inc'] }, getter)).rejects.toMatchObject({
      code: 'INVALID_ARGS',
      cause: boom,
    })
    // A Proxy whose traps throw from the first look, and a revoked one.
    const trapped = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw boom
        },
      },
    )
    const { proxy: revoked, revoke } = Proxy.revocable({}, {})
    revoke()
    for (const args of [trapped, revoked]) {
      const err = caught(() => e.runProcess('inc', args))
      expect(err).toBeInstanceOf(TheusError)
      expect(err.code).toBe('INVALID_ARGS')
      expect(err.cause).toBeInstanceOf(args === trapped ? Error : TypeError)
      await expect(e.executeWorkflow({ steps: ['inc'] }, args)).rejects.toMatchObject({
        code: 'INVALID_ARGS',
      })
    }
    expect(e.state.value.domain.n).toBe(0)
    expect(e.runLog).toHaveLength(0)
    expect(events).toEqual([])
  })

  it('refuses a return value that contains itself, naming where, and rolls the run back', async () => {
    const e = new TheusEngine({ domain: { n: 0 } })
    const events: string[] = []
    e.on('commit', () => events.push('commit'))
    e.on('rollback', (r) => events.push(`rollback ${(r.error as TheusError).code}`))
    // A heavy value and a class instance are kept by reference, never walked: their own
    // loops are not where the copy failed.
    class Linked {
      self: Linked = this
    }
    const graph: Record<string, unknown> = {}
    graph.self = graph
    const make = (self: 'object' | 'map') => {
      const o: Record<string, unknown> = { heavy_graph: graph, inst: new Linked(), list: [1, {}] }
      const inner = (o.list as unknown[])[1] as Record<string, unknown>
      inner.back = self === 'object' ? o : new Map([['k', o]])
      return o
    }
    e.registerProcess(
      process({ outputs: ['domain.n'] }, function cyc(ctx, args: { self: 'object' | 'map' }) {
        ctx.domain.n = 1
        return make(args.self)
      }),
    )
    e.registerProcess(
      process({ outputs: ['domain.n'] }, async function later(ctx) {
        ctx.domain.n = 2
        await Promise.resolve()
        return make('object')
      }),
    )
    const before = e.state.value
    const err = caught(() => e.runProcess('cyc', { self: 'object' }))
    expect(err).toBeInstanceOf(TheusError)
    expect(err.code).toBe('INVALID_CONTRACT')
    expect(err.message).toContain("return value contains itself at 'result.list.1.back'")
    expect(caught(() => e.runProcess('cyc', { self: 'map' })).message).toContain(
      "'result.list.1.back.k'",
    )
    await expect(e.runProcess('later')).rejects.toMatchObject({ code: 'INVALID_CONTRACT' })
    expect(caught(() => e.edit(() => make('object'))).code).toBe('INVALID_CONTRACT')
    expect(e.state.value).toBe(before)
    expect(e.runLog).toHaveLength(0)
    expect(events).toEqual(Array(4).fill('rollback INVALID_CONTRACT'))
  })

  it('refuses a return value nested past the stack, saying so', () => {
    const e = engine()
    e.registerProcess(
      process({}, function deepResult() {
        return deep()
      }),
    )
    expect(caught(() => e.runProcess('deepResult')).message).toContain(
      'return value nests too deeply',
    )
  })

  it('rejects a workflow run with them the same way', async () => {
    const e = engine()
    await expect(e.executeWorkflow({ steps: ['inc'] }, cyclic())).rejects.toMatchObject({
      code: 'INVALID_ARGS',
    })
    expect(e.state.value.domain.n).toBe(0)
  })
})

describe('object keys of a Map', () => {
  // SPEC §2: no read returns a raw object whose mutation would escape the guard. A Map's object
  // keys are kept by identity (lookups need it), so they are frozen when they enter the state.
  it('are frozen: neither a body with input-only access nor a snapshot reader can change them', () => {
    const key = { id: 1 }
    const engine = new TheusEngine({ domain: { m: new Map<object, number>([[key, 1]]), n: 0 } })
    engine.registerProcess(
      process({ inputs: ['domain.m'], outputs: ['domain.n'] }, function poke(ctx) {
        for (const [k] of ctx.domain.m) (k as { id: number }).id = 2
        ctx.domain.n = 1
      }),
    )
    expect(caught(() => engine.runProcess('poke'))).toBeInstanceOf(Error)
    expect(engine.state.value.domain.n).toBe(0)
    const [k] = [...(engine.state.value.domain.m as Map<{ id: number }, number>).keys()]
    expect(k!.id).toBe(1)
    expect(Object.isFrozen(k)).toBe(true)
    expect(engine.state.value.domain.m.get(key)).toBe(1)
  })

  it('written by a body or edit() are frozen too, and still find their entry', () => {
    const engine = new TheusEngine({ domain: { m: new Map<object, number>() } })
    const a = { id: 'a' }
    const b = { id: 'b', deep: { x: 1 } }
    engine.registerProcess(
      process({ outputs: ['domain.m'] }, function put(ctx) {
        ctx.domain.m.set(a, 1)
      }),
    )
    engine.runProcess('put')
    engine.edit((s) => {
      s.domain.m.set(b, 2)
    })
    expect(Object.isFrozen(a)).toBe(true)
    expect(Object.isFrozen(b.deep)).toBe(true)
    expect(engine.state.value.domain.m.get(a)).toBe(1)
    expect(engine.state.value.domain.m.get(b)).toBe(2)
  })
})
