import { type Contract, ContractViolationError, process, TheusEngine, TheusError } from 'theus'
import { describe, expect, it } from 'vitest'
import { caught } from '../support/caught.js'

const base = () => ({
  global: { max_transfer: 10_000, mode: 'test' },
  domain: {
    accounts: { Alice: 100, Bob: 50 } as Record<string, number>,
    config: { val: 1, secret: 2, other: { x: 1 } },
    total: 0,
    list: [3, 1, 2],
    nested: { inner: { deep: { v: 1 } }, arr: [{ a: 1 }] as { a: number }[] },
    d: new Date(0),
  },
})

const collections = () => ({
  domain: {
    m: new Map<string, any>([
      ['a', 1],
      ['o', { z: 1 }],
    ]),
    s: new Set([1, 2, 3]),
  },
})

let seq = 0
/** Registers a one-off process and returns a function that runs it. */
function define(engine: TheusEngine, contract: Contract, body: (ctx: any, args: any) => unknown) {
  const name = `p${++seq}`
  engine.registerProcess(process({ ...contract, name }, body))
  return { name, run: (args?: Record<string, unknown>) => engine.runProcess(name, args) }
}

/** Runs a body that must violate its contract; returns the violation and checks nothing changed. */
function violation(
  init: () => any,
  contract: Contract,
  body: (ctx: any) => unknown,
  opts: { checkState?: boolean } = {},
): ContractViolationError & { code: string } {
  const engine = new TheusEngine(init())
  const p = define(engine, contract, body)
  const before = opts.checkState === false ? undefined : engine.state.value
  const e = caught(() => p.run())
  expect(e).toBeInstanceOf(ContractViolationError)
  if (before !== undefined) expect(engine.state.value).toBe(before)
  return e
}

describe('guard: read permission', () => {
  it('allows reading a declared input path', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.total'] }, (ctx) => ctx.domain.total)
    expect(p.run()).toBe(0)
  })

  it('allows reading below a declared path (an ancestor is declared)', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.nested'] }, (ctx) => ctx.domain.nested.inner.deep.v)
    expect(p.run()).toBe(1)
  })

  it('allows reading through an output path', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.accounts'] }, (ctx) => ctx.domain.accounts.Alice)
    expect(p.run()).toBe(100)
  })

  it('lets the body traverse the ancestors of a declared path', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.config.val'] }, (ctx) => ctx.domain.config.val)
    expect(p.run()).toBe(1)
  })

  it('throws ILLEGAL_READ for an undeclared path', () => {
    const e = violation(base, { inputs: ['domain.accounts'] }, (ctx) => ctx.domain.total)
    expect(e.code).toBe('ILLEGAL_READ')
    expect(e.message.startsWith('Illegal Read')).toBe(true)
    expect(e.message).toContain('domain.total')
  })

  it('names the process and the path in an ILLEGAL_READ message', () => {
    const engine = new TheusEngine(base())
    engine.registerProcess(
      process({ inputs: ['domain.accounts', 'global.mode'] }, function snoop(ctx) {
        return ctx.global.max_transfer
      }),
    )
    const e = caught(() => engine.runProcess('snoop'))
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('ILLEGAL_READ')
    expect(e.message).toMatch(/^Illegal Read/)
    expect(e.message).toContain('snoop')
    expect(e.message).toContain('global.max_transfer')
  })

  it('throws ILLEGAL_READ for an undeclared child of a traversal view', () => {
    const e = violation(base, { inputs: ['domain.config.val'] }, (ctx) => ctx.domain.config.secret)
    expect(e.code).toBe('ILLEGAL_READ')
    expect(e.message).toContain('domain.config.secret')
  })

  it('hides undeclared children of a traversal view from Object.keys', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.config.val'] }, (ctx) => ({
      config: Object.keys(ctx.domain.config),
      domain: Object.keys(ctx.domain),
    }))
    expect(p.run()).toEqual({ config: ['val'], domain: ['config'] })
  })

  it('hides undeclared children of a traversal view from `in`', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.config.val'] }, (ctx) => [
      'val' in ctx.domain.config,
      'secret' in ctx.domain.config,
      'other' in ctx.domain.config,
      'total' in ctx.domain,
    ])
    expect(p.run()).toEqual([true, false, false, false])
  })

  it('hides undeclared children of a traversal view from for...in', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.config.val'] }, (ctx) => {
      const keys: string[] = []
      for (const k in ctx.domain.config) keys.push(k)
      return keys
    })
    expect(p.run()).toEqual(['val'])
  })

  it('hides undeclared children of a traversal view from spread', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.config.val'] }, (ctx) => ({ ...ctx.domain.config }))
    expect(p.run()).toEqual({ val: 1 })
  })

  it('hides undeclared children of a traversal view from JSON.stringify', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.config.val'] }, (ctx) =>
      JSON.stringify(ctx.domain.config),
    )
    expect(p.run()).toBe('{"val":1}')
  })

  it('hides undeclared children of a traversal view from Object.entries', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.config.val'] }, (ctx) =>
      Object.entries(ctx.domain.config),
    )
    expect(p.run()).toEqual([['val', 1]])
  })

  it('hides undeclared elements of an array traversal view from Object.keys, in and for...in', () => {
    const engine = new TheusEngine(base())
    const keys = define(engine, { inputs: ['domain.list.0'] }, (ctx) =>
      Object.keys(ctx.domain.list),
    )
    const has = define(engine, { inputs: ['domain.list.0'] }, (ctx) => [
      0 in ctx.domain.list,
      1 in ctx.domain.list,
    ])
    const forIn = define(engine, { inputs: ['domain.list.0'] }, (ctx) => {
      const out: string[] = []
      for (const k in ctx.domain.list) out.push(k)
      return out
    })
    expect(keys.run()).toEqual(['0'])
    expect(has.run()).toEqual([true, false])
    expect(forIn.run()).toEqual(['0'])
  })

  it('throws ILLEGAL_READ for an undeclared element of an array traversal view', () => {
    const e = violation(base, { inputs: ['domain.list.0'] }, (ctx) => ctx.domain.list[1])
    expect(e.code).toBe('ILLEGAL_READ')
    expect(e.message).toContain('domain.list.1')
  })

  it('lets a body write a declared child of a traversal view, and delete it', () => {
    const engine = new TheusEngine(base())
    define(engine, { outputs: ['domain.config.val'] }, (ctx) => {
      ctx.domain.config.val = 5
    }).run()
    expect(engine.state.value.domain.config).toEqual({ val: 5, secret: 2, other: { x: 1 } })
    define(engine, { outputs: ['domain.config.val'] }, (ctx) => {
      delete ctx.domain.config.val
    }).run()
    expect(engine.state.value.domain.config).toEqual({ secret: 2, other: { x: 1 } })
  })

  it('exposes several declared children of one traversal view and nothing else', () => {
    const engine = new TheusEngine(base())
    const p = define(
      engine,
      { inputs: ['domain.config.val'], outputs: ['domain.config.other.x'] },
      (ctx) => Object.keys(ctx.domain.config).sort(),
    )
    expect(p.run()).toEqual(['other', 'val'])
  })
})

describe('guard: write permission', () => {
  it('allows writing a declared output', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.total'] }, (ctx) => {
      ctx.domain.total = 7
    })
    p.run()
    expect(engine.state.value.domain.total).toBe(7)
  })

  it('allows writing below a declared output', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.nested'] }, (ctx) => {
      ctx.domain.nested.inner.deep.v = 2
      ctx.domain.nested.arr[0].a = 5
      ctx.domain.nested.added = { y: 1 }
    })
    p.run()
    expect(engine.state.value.domain.nested.inner.deep.v).toBe(2)
    expect(engine.state.value.domain.nested.arr[0]!.a).toBe(5)
    expect((engine.state.value.domain.nested as any).added).toEqual({ y: 1 })
  })

  it('allows writing a declared output below a declared input', () => {
    const engine = new TheusEngine(base())
    define(engine, { inputs: ['domain.config'], outputs: ['domain.config.val'] }, (ctx) => {
      ctx.domain.config.val = ctx.domain.config.secret + 10
    }).run()
    expect(engine.state.value.domain.config.val).toBe(12)
    define(engine, { inputs: ['domain'], outputs: ['domain.total'] }, (ctx) => {
      ctx.domain.total = ctx.domain.accounts.Alice
    }).run()
    expect(engine.state.value.domain.total).toBe(100)
    define(engine, { inputs: ['domain.nested'], outputs: ['domain.nested.arr.0'] }, (ctx) => {
      ctx.domain.nested.arr[0].a = 2
    }).run()
    expect(engine.state.value.domain.nested.arr[0]!.a).toBe(2)
  })

  it('keeps siblings of an output below an input read-only', () => {
    const e = violation(
      base,
      { inputs: ['domain.config'], outputs: ['domain.config.val'] },
      (ctx) => {
        ctx.domain.config.secret = 0
      },
    )
    expect(e.code).toBe('IMMUTABLE_INPUT')
    expect(e.message).toContain('domain.config.secret')
  })

  it('judges a write to an array element by its current index, across runs and reorders', () => {
    const engine = new TheusEngine({ domain: { rows: [{ v: 0 }, { v: 0 }] } })
    const write = define(
      engine,
      { inputs: ['domain.rows'], outputs: ['domain.rows.0'] },
      (ctx, a) => {
        ctx.domain.rows[a.i].v += 1
      },
    )
    const reverse = define(engine, { outputs: ['domain.rows'] }, (ctx) => {
      ctx.domain.rows.reverse()
    })
    write.run({ i: 0 })
    reverse.run()
    const before = engine.state.value
    const e = caught(() => write.run({ i: 1 }))
    expect(e.code).toBe('IMMUTABLE_INPUT')
    expect(engine.state.value).toBe(before)
    expect(engine.state.value.domain.rows).toEqual([{ v: 0 }, { v: 1 }])
  })

  it('throws ILLEGAL_WRITE for a write to a path not in outputs', () => {
    const engine = new TheusEngine(base())
    engine.registerProcess(
      process({ outputs: ['domain.accounts'] }, function thief(ctx) {
        ctx.domain.total = 1
      }),
    )
    const before = engine.state.value
    const e = caught(() => engine.runProcess('thief'))
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e.code).toBe('ILLEGAL_WRITE')
    expect(e.message).toMatch(/^Illegal Write/)
    expect(e.message).toContain('thief')
    expect(e.message).toContain('domain.total')
    expect(engine.state.value).toBe(before)
  })

  it('throws ILLEGAL_WRITE when writing an ancestor of a declared output', () => {
    const e = violation(base, { outputs: ['domain.config.val'] }, (ctx) => {
      ctx.domain.config = { val: 2 }
    })
    expect(e.code).toBe('ILLEGAL_WRITE')
    expect(e.message).toContain('domain.config')
  })

  it('throws ILLEGAL_WRITE for a new key next to a declared output', () => {
    const e = violation(base, { outputs: ['domain.config.val'] }, (ctx) => {
      ctx.domain.config.fresh = 1
    })
    expect(e.code).toBe('ILLEGAL_WRITE')
    expect(e.message).toContain('domain.config.fresh')
  })

  it('throws ILLEGAL_READ for a layer the contract does not reach', () => {
    const e = violation(base, { outputs: ['domain.total'] }, (ctx) => ctx.global)
    expect(e.code).toBe('ILLEGAL_READ')
    expect(e.message).toContain("'global'")
  })

  it('throws ILLEGAL_WRITE when deleting an undeclared key', () => {
    const e = violation(base, { outputs: ['domain.accounts'] }, (ctx) => {
      delete ctx.domain.total
    })
    expect(e.code).toBe('ILLEGAL_WRITE')
  })

  it('throws ILLEGAL_WRITE when writing the global layer without an output', () => {
    const e = violation(base, { inputs: ['global.mode'], outputs: ['domain.total'] }, (ctx) => {
      ctx.global.max_transfer = 1
    })
    expect(e.code).toBe('ILLEGAL_WRITE')
    expect(e.message).toContain('global.max_transfer')
  })

  it('never grants writes through inputs: reassigning an input-only path is refused', () => {
    const e = violation(base, { inputs: ['domain.total'] }, (ctx) => {
      ctx.domain.total = 5
    })
    expect(['ILLEGAL_WRITE', 'IMMUTABLE_INPUT']).toContain(e.code)
  })
})

describe('guard: IMMUTABLE_INPUT vs ILLEGAL_WRITE', () => {
  const input = { inputs: ['domain.accounts', 'domain.list', 'domain.nested'] }

  it('gives IMMUTABLE_INPUT for a set on an object reached through an input-only path', () => {
    const engine = new TheusEngine(base())
    engine.registerProcess(
      process({ inputs: ['domain.accounts'] }, function mutator(ctx) {
        ctx.domain.accounts.Alice = 0
      }),
    )
    const before = engine.state.value
    const e = caught(() => engine.runProcess('mutator'))
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e.code).toBe('IMMUTABLE_INPUT')
    expect(e.message).toMatch(/^Immutable Violation/)
    expect(e.message).toContain('mutator')
    expect(e.message).toContain('domain.accounts.Alice')
    expect(engine.state.value).toBe(before)
  })

  it('gives IMMUTABLE_INPUT for a new key on an input-only object', () => {
    expect(
      violation(base, input, (ctx) => {
        ctx.domain.accounts.Eve = 1
      }).code,
    ).toBe('IMMUTABLE_INPUT')
  })

  it('gives IMMUTABLE_INPUT for a deep set below an input-only path', () => {
    expect(
      violation(base, input, (ctx) => {
        ctx.domain.nested.inner.deep.v = 9
      }).code,
    ).toBe('IMMUTABLE_INPUT')
    expect(
      violation(base, input, (ctx) => {
        ctx.domain.nested.arr[0].a = 9
      }).code,
    ).toBe('IMMUTABLE_INPUT')
  })

  it('gives IMMUTABLE_INPUT for delete on an input-only object', () => {
    expect(
      violation(base, input, (ctx) => {
        delete ctx.domain.accounts.Bob
      }).code,
    ).toBe('IMMUTABLE_INPUT')
  })

  it('gives IMMUTABLE_INPUT for Object.defineProperty on an input-only object', () => {
    expect(
      violation(base, input, (ctx) => {
        Object.defineProperty(ctx.domain.accounts, 'Alice', { value: 1 })
      }).code,
    ).toBe('IMMUTABLE_INPUT')
  })

  it('gives IMMUTABLE_INPUT for Object.assign into an input-only object', () => {
    expect(
      violation(base, input, (ctx) => {
        Object.assign(ctx.domain.accounts, { Alice: 1 })
      }).code,
    ).toBe('IMMUTABLE_INPUT')
  })

  it('gives IMMUTABLE_INPUT for an index write on an input-only array', () => {
    expect(
      violation(base, input, (ctx) => {
        ctx.domain.list[0] = 9
      }).code,
    ).toBe('IMMUTABLE_INPUT')
  })

  it('gives IMMUTABLE_INPUT for `length =` on an input-only array', () => {
    expect(
      violation(base, input, (ctx) => {
        ctx.domain.list.length = 0
      }).code,
    ).toBe('IMMUTABLE_INPUT')
  })

  for (const [name, op] of [
    ['push', (a: any[]) => a.push(4)],
    ['pop', (a: any[]) => a.pop()],
    ['shift', (a: any[]) => a.shift()],
    ['unshift', (a: any[]) => a.unshift(0)],
    ['splice', (a: any[]) => a.splice(0, 1)],
    ['sort', (a: any[]) => a.sort()],
    ['reverse', (a: any[]) => a.reverse()],
    ['fill', (a: any[]) => a.fill(0)],
    ['copyWithin', (a: any[]) => a.copyWithin(0, 1)],
  ] as const) {
    it(`gives IMMUTABLE_INPUT for ${name} on an input-only array`, () => {
      const e = violation(base, input, (ctx) => {
        op(ctx.domain.list)
      })
      expect(e.code).toBe('IMMUTABLE_INPUT')
      expect(e.message).toContain('domain.list')
    })
  }

  it('gives IMMUTABLE_INPUT for Map set/delete/clear through an input-only path', () => {
    for (const op of [
      (m: Map<string, any>) => m.set('a', 2),
      (m: Map<string, any>) => m.set('new', 2),
      (m: Map<string, any>) => m.delete('a'),
      (m: Map<string, any>) => m.clear(),
    ]) {
      const e = violation(
        collections,
        { inputs: ['domain.m'] },
        (ctx) => {
          op(ctx.domain.m)
        },
        { checkState: false },
      )
      expect(e.code).toBe('IMMUTABLE_INPUT')
      expect(e.message).toContain('domain.m')
    }
  })

  it('gives IMMUTABLE_INPUT for a set on an object inside an input-only Map', () => {
    const e = violation(
      collections,
      { inputs: ['domain.m'] },
      (ctx) => {
        ctx.domain.m.get('o').z = 2
      },
      { checkState: false },
    )
    expect(e.code).toBe('IMMUTABLE_INPUT')
  })

  it('gives IMMUTABLE_INPUT for Set add/delete/clear through an input-only path', () => {
    for (const op of [
      (s: Set<number>) => s.add(9),
      (s: Set<number>) => s.delete(1),
      (s: Set<number>) => s.clear(),
    ]) {
      const e = violation(
        collections,
        { inputs: ['domain.s'] },
        (ctx) => {
          op(ctx.domain.s)
        },
        { checkState: false },
      )
      expect(e.code).toBe('IMMUTABLE_INPUT')
      expect(e.message).toContain('domain.s')
    }
  })

  it('gives IMMUTABLE_INPUT for a write below a layer-wide input', () => {
    expect(
      violation(base, { inputs: ['domain'] }, (ctx) => {
        ctx.domain.total = 1
      }).code,
    ).toBe('IMMUTABLE_INPUT')
  })

  it('gives IMMUTABLE_INPUT for an input-only object whose sibling is an output', () => {
    expect(
      violation(base, { inputs: ['domain.accounts'], outputs: ['domain.total'] }, (ctx) => {
        ctx.domain.total = 1
        ctx.domain.accounts.Alice = 1
      }).code,
    ).toBe('IMMUTABLE_INPUT')
  })

  it('gives ILLEGAL_WRITE for a Map mutator on a Map the contract does not cover', () => {
    const e = violation(
      () => ({ domain: { ...collections().domain, n: 0 } }),
      { outputs: ['domain.n'] },
      (ctx) => {
        ctx.domain.m.set('a', 2)
      },
      { checkState: false },
    )
    expect(['ILLEGAL_READ', 'ILLEGAL_WRITE']).toContain(e.code)
  })

  it('lets Map and Set mutators work through an output path', () => {
    const engine = new TheusEngine(collections())
    const p = define(engine, { outputs: ['domain.m', 'domain.s'] }, (ctx) => {
      ctx.domain.m.set('b', 2)
      ctx.domain.m.delete('a')
      ctx.domain.s.add(4)
      ctx.domain.s.delete(1)
    })
    p.run()
    expect([...engine.state.value.domain.m.keys()]).toEqual(['o', 'b'])
    expect([...engine.state.value.domain.s]).toEqual([2, 3, 4])
  })

  it('gives the violation code on e.code and extends ContractViolationError and TheusError', () => {
    const e = violation(base, input, (ctx) => {
      ctx.domain.list.push(1)
    })
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e).toBeInstanceOf(TheusError)
    expect(e).toBeInstanceOf(Error)
    expect(e.code).toBe('IMMUTABLE_INPUT')
  })
})

describe('guard: swallowed violations', () => {
  it('leaves nothing behind when the body catches an ILLEGAL_WRITE', () => {
    const engine = new TheusEngine(base())
    const commits: unknown[] = []
    engine.on('commit', (e) => commits.push(e))
    const p = define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice = 0
      try {
        ctx.domain.total = 99
      } catch {
        // swallowed
      }
      return 'done'
    })
    const before = engine.state.value
    const e = caught(() => p.run())
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e.code).toBe('ILLEGAL_WRITE')
    expect(engine.state.value).toBe(before)
    expect(engine.state.value.domain.accounts.Alice).toBe(100)
    expect(commits).toHaveLength(0)
    expect(engine.history).toHaveLength(0)
  })

  it('leaves nothing behind when the body catches an IMMUTABLE_INPUT', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.list'], outputs: ['domain.total'] }, (ctx) => {
      ctx.domain.total = 5
      try {
        ctx.domain.list.push(1)
      } catch {}
    })
    const before = engine.state.value
    expect(caught(() => p.run()).code).toBe('IMMUTABLE_INPUT')
    expect(engine.state.value).toBe(before)
  })

  it('leaves nothing behind when the body catches an ILLEGAL_READ', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.total'] }, (ctx) => {
      ctx.domain.total = 5
      try {
        return ctx.domain.accounts.Alice
      } catch {
        return 0
      }
    })
    const before = engine.state.value
    expect(caught(() => p.run()).code).toBe('ILLEGAL_READ')
    expect(engine.state.value).toBe(before)
  })
})

describe("guard: a swallowed violation is the run's error", () => {
  class ValueError extends Error {
    override name = 'ValueError'
  }
  const probe = (ctx: any) => {
    try {
      ctx.domain.total = 99
    } catch {}
    try {
      ctx.domain.list.push(1)
    } catch {}
  }

  it('even when the body throws its own error afterwards, declared or not', () => {
    for (const errs of [[], ['ValueError']]) {
      const engine = new TheusEngine(base())
      const rollbacks: unknown[] = []
      engine.on('rollback', (r) => rollbacks.push(r.error))
      const p = define(engine, { inputs: ['domain.list'], errors: errs }, (ctx) => {
        probe(ctx)
        throw new ValueError('after the probe')
      })
      const e = caught(() => p.run())
      expect(e).toBeInstanceOf(ContractViolationError)
      expect(e.code).toBe('ILLEGAL_WRITE')
      expect(e.message).toContain("'domain.total'")
      expect(rollbacks).toEqual([e])
    }
  })

  it('in an async body too, whether it rejects or hits a conflict (no retry)', async () => {
    const engine = new TheusEngine(base())
    const rejects = define(engine, { inputs: ['domain.list'] }, async (ctx) => {
      probe(ctx)
      await null
      throw new ValueError('after the probe')
    })
    await expect(rejects.run()).rejects.toMatchObject({ code: 'ILLEGAL_WRITE' })
    let calls = 0
    let go!: () => void
    const gate = new Promise<void>((r) => {
      go = r
    })
    const conflicted = define(engine, { inputs: ['domain.list'] }, async (ctx) => {
      calls++
      void ctx.domain.list[0]
      probe(ctx)
      await gate
    })
    const bump = define(engine, { outputs: ['domain.list'] }, (ctx) => {
      ctx.domain.list[0] = 7
    })
    const pending = engine.runProcess(conflicted.name, undefined, { retries: 2 })
    bump.run()
    go()
    await expect(pending).rejects.toMatchObject({ code: 'ILLEGAL_WRITE' })
    expect(calls).toBe(1)
  })
})

describe('guard: no raw object escapes', () => {
  it('hands out Date values as copies', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.d'] }, (ctx) => {
      const a = ctx.domain.d
      a.setTime(5000)
      return [a === ctx.domain.d, ctx.domain.d.getTime()]
    })
    expect(p.run()).toEqual([false, 0])
    expect(engine.state.value.domain.d.getTime()).toBe(0)
  })

  it('lets a body replace a Date by assigning a new one', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.d'] }, (ctx) => {
      ctx.domain.d = new Date(42)
    })
    p.run()
    expect(engine.state.value.domain.d.getTime()).toBe(42)
  })

  it('returns a frozen plain copy when the body returns a view', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.accounts'] }, (ctx) => ctx.domain.accounts)
    const out = p.run() as Record<string, number>
    expect(out).toEqual({ Alice: 100, Bob: 50 })
    expect(Object.isFrozen(out)).toBe(true)
    expect(() => {
      out.Alice = 0
    }).toThrow()
    expect(engine.state.value.domain.accounts.Alice).toBe(100)
  })

  it('returns a frozen plain copy of an input-only view', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.nested'] }, (ctx) => ctx.domain.nested)
    const out = p.run() as any
    expect(out).toEqual({ inner: { deep: { v: 1 } }, arr: [{ a: 1 }] })
    expect(Object.isFrozen(out.inner.deep)).toBe(true)
    expect(Object.isFrozen(out.arr)).toBe(true)
  })

  it('returns a frozen copy of an object built by the body that holds views', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice = 1
      return { acc: ctx.domain.accounts, list: [ctx.domain.accounts] }
    })
    const out = p.run() as any
    expect(out.acc).toEqual({ Alice: 1, Bob: 50 })
    expect(Object.isFrozen(out)).toBe(true)
    expect(Object.isFrozen(out.acc)).toBe(true)
    expect(() => {
      out.acc.Bob = 0
    }).toThrow()
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 1, Bob: 50 })
  })

  it('freezes Maps and Sets in a returned value, and the values inside them', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.nested'] }, (ctx) => ({
      m: new Map([['x', ctx.domain.nested.inner]]),
      s: new Set([1]),
    }))
    const out = p.run() as { m: Map<string, any>; s: Set<number> }
    expect(out.m.get('x')).toEqual({ deep: { v: 1 } })
    expect(Object.isFrozen(out.m.get('x'))).toBe(true)
    expect(() => out.m.set('y', 1)).toThrow()
    expect(() => out.s.add(2)).toThrow()
    expect(() => {
      out.m.get('x').deep.v = 5
    }).toThrow()
    expect(engine.state.value.domain.nested.inner.deep.v).toBe(1)
  })

  it('returns a value that stays readable after the run, independent of later commits', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.accounts'] }, (ctx) => ctx.domain.accounts)
    const inc = define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice += 1
    })
    const out = p.run() as Record<string, number>
    inc.run()
    expect(out.Alice).toBe(100)
    expect(engine.state.value.domain.accounts.Alice).toBe(101)
  })

  it('does not let a view kept past the run change the state', () => {
    const engine = new TheusEngine(base())
    let kept: any
    const p = define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      kept = ctx.domain.accounts
    })
    p.run()
    const before = engine.state.value
    try {
      kept.Alice = 0
    } catch {}
    try {
      delete kept.Bob
    } catch {}
    expect(engine.state.value).toBe(before)
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 100, Bob: 50 })
  })

  it('does not let array, Map or Set views kept past the run change the state', () => {
    const engine = new TheusEngine({
      domain: {
        list: [1, 2],
        m: new Map([['a', 1]]),
        s: new Set([1]),
      },
    })
    const kept: any = {}
    const keep = define(engine, { outputs: ['domain.list', 'domain.m', 'domain.s'] }, (ctx) => {
      kept.list = ctx.domain.list
      kept.m = ctx.domain.m
      kept.s = ctx.domain.s
    })
    keep.run()
    keep.run()
    const before = engine.state.value
    const attempts = [
      () => kept.list.push(3),
      () => {
        kept.list[0] = 9
      },
      () => kept.list.sort((a: number, b: number) => b - a),
      () => kept.m.set('a', 2),
      () => kept.m.delete('a'),
      () => kept.s.add(2),
      () => kept.s.clear(),
    ]
    for (const attempt of attempts) {
      try {
        attempt()
      } catch {}
    }
    expect(engine.state.value).toBe(before)
    expect(engine.state.value.domain.list).toEqual([1, 2])
    expect([...engine.state.value.domain.m]).toEqual([['a', 1]])
    expect([...engine.state.value.domain.s]).toEqual([1])
    keep.run()
    expect(engine.state.value.domain.list).toEqual([1, 2])
    expect([...engine.state.value.domain.m]).toEqual([['a', 1]])
    expect([...engine.state.value.domain.s]).toEqual([1])
  })

  it('copies an object the body assigns: mutating it afterwards changes nothing', () => {
    const engine = new TheusEngine(base())
    const mine = { x: 1 }
    const p = define(engine, { outputs: ['domain.config'] }, (ctx) => {
      ctx.domain.config = mine
    })
    p.run()
    mine.x = 2
    expect(engine.state.value.domain.config).toEqual({ x: 1 })
  })

  it('keeps args untouched by the run and state independent of args', () => {
    const engine = new TheusEngine(base())
    const args = { entry: { k: 1 } }
    const p = define(engine, { outputs: ['domain.config'] }, (ctx, a) => {
      ctx.domain.config = a.entry
    })
    p.run(args)
    args.entry.k = 2
    expect(engine.state.value.domain.config).toEqual({ k: 1 })
  })
})

describe('guard: messages after a reorder', () => {
  it('names the current path of an element after another process reordered the array', () => {
    const engine = new TheusEngine(base())
    const readOnly = define(engine, { inputs: ['domain.nested'] }, (ctx, a) => {
      ctx.domain.nested.arr[a.i].a = 9
    })
    const grow = define(engine, { outputs: ['domain.nested'] }, (ctx) => {
      ctx.domain.nested.arr.unshift({ a: 0 })
    })
    expect(caught(() => readOnly.run({ i: 0 })).message).toContain("'domain.nested.arr.0.a'")
    grow.run()
    const e = caught(() => readOnly.run({ i: 1 }))
    expect(e.code).toBe('IMMUTABLE_INPUT')
    expect(e.message).toContain("'domain.nested.arr.1.a'")
  })
})

describe('guard: read-your-writes and isolation', () => {
  it('reads its own writes inside the run', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.accounts', 'domain.list'] }, (ctx) => {
      ctx.domain.accounts.Alice = 5
      ctx.domain.accounts.Eve = 7
      delete ctx.domain.accounts.Bob
      ctx.domain.list.push(9)
      return {
        alice: ctx.domain.accounts.Alice,
        eve: ctx.domain.accounts.Eve,
        bob: 'Bob' in ctx.domain.accounts,
        keys: Object.keys(ctx.domain.accounts),
        len: ctx.domain.list.length,
        last: ctx.domain.list[3],
      }
    })
    expect(p.run()).toEqual({
      alice: 5,
      eve: 7,
      bob: false,
      keys: ['Alice', 'Eve'],
      len: 4,
      last: 9,
    })
  })

  it('reads its own writes of nested objects', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { outputs: ['domain.nested'] }, (ctx) => {
      ctx.domain.nested.inner = { deep: { v: 42 } }
      ctx.domain.nested.inner.deep.v += 1
      return ctx.domain.nested.inner.deep.v
    })
    expect(p.run()).toBe(43)
    expect(engine.state.value.domain.nested.inner.deep.v).toBe(43)
  })

  it('keeps uncommitted writes invisible outside the run', () => {
    const engine = new TheusEngine(base())
    const alice = engine.select('domain.accounts.Alice')
    const p = define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice = 1
      return [engine.state.value.domain.accounts.Alice, alice.value]
    })
    expect(p.run()).toEqual([100, 100])
    expect(alice.value).toBe(1)
  })
})

describe('guard: ctx', () => {
  it('offers ctx.domain_ctx and ctx.global_ctx as aliases', () => {
    const engine = new TheusEngine(base())
    const p = define(
      engine,
      { inputs: ['global.max_transfer'], outputs: ['domain.total'] },
      (ctx) => {
        ctx.domain_ctx.total = ctx.global_ctx.max_transfer
        return ctx.domain.total
      },
    )
    expect(p.run()).toBe(10_000)
    expect(engine.state.value.domain.total).toBe(10_000)
  })

  it('applies the contract to ctx.domain_ctx as to ctx.domain', () => {
    const e = violation(base, { inputs: ['domain.accounts'] }, (ctx) => ctx.domain_ctx.total)
    expect(e.code).toBe('ILLEGAL_READ')
  })

  it('gives each run a fresh, writable ctx.local that is never committed', () => {
    const engine = new TheusEngine(base())
    const seen: unknown[] = []
    const p = define(engine, {}, (ctx) => {
      seen.push(ctx.local.count)
      ctx.local.count = 1
      ctx.local.nested = { a: [1] }
      ctx.local.nested.a.push(2)
      return ctx.local.nested.a.length
    })
    expect(p.run()).toBe(2)
    expect(p.run()).toBe(2)
    expect(seen).toEqual([undefined, undefined])
    expect(engine.state.value).not.toHaveProperty('local')
    expect(engine.history).toHaveLength(0)
  })

  it('does not commit ctx.local when a run also writes state', () => {
    const engine = new TheusEngine(base())
    const patches: unknown[] = []
    engine.on('commit', (e) => patches.push(...e.patches))
    const p = define(engine, { outputs: ['domain.total'] }, (ctx) => {
      ctx.local.x = 1
      ctx.domain.total = 2
    })
    p.run()
    expect(patches).toEqual([{ op: 'replace', path: ['domain', 'total'], value: 2 }])
    expect(Object.keys(engine.state.value)).toEqual(['global', 'domain'])
  })

  it('appends ctx.log entries to engine.logs, tagged with the process', () => {
    const engine = new TheusEngine(base())
    engine.registerProcess(
      process({}, function logger(ctx) {
        ctx.log.info('hello', { a: 1 })
        ctx.log.warn('careful')
        ctx.log.error('bad', { code: 7 })
      }),
    )
    engine.runProcess('logger')
    expect(engine.logs).toHaveLength(3)
    const [i, w, e] = engine.logs
    expect(i).toMatchObject({
      process: 'logger',
      level: 'info',
      message: 'hello',
      fields: { a: 1 },
    })
    expect(w).toMatchObject({ process: 'logger', level: 'warn', message: 'careful' })
    expect(w!.fields).toBeUndefined()
    expect(e).toMatchObject({
      process: 'logger',
      level: 'error',
      message: 'bad',
      fields: { code: 7 },
    })
    expect(typeof i!.at).toBe('number')
    expect(Object.keys(i!).sort()).toEqual(['at', 'fields', 'level', 'message', 'process'])
  })

  it('keeps at most 1000 log entries, the latest ones', () => {
    const engine = new TheusEngine(base())
    engine.registerProcess(
      process({}, function chatty(ctx, args: { n: number }) {
        for (let i = 0; i < args.n; i++) ctx.log.info(`m${i}`)
      }),
    )
    engine.runProcess('chatty', { n: 1005 })
    expect(engine.logs).toHaveLength(1000)
    expect(engine.logs[0]!.message).toBe('m5')
    expect(engine.logs[999]!.message).toBe('m1004')
  })
})

describe('guard: the ctx object itself', () => {
  it('shows the body its own members only, never the engine behind it', () => {
    const engine = new TheusEngine(base())
    const p = define(engine, { inputs: ['domain.total'] }, (ctx) => {
      const own = Object.keys(ctx)
      // Anything of the engine reachable from ctx would be a way around the guard.
      const reachable = Object.values(ctx).filter((v) => v instanceof TheusEngine)
      return { own, reachable: reachable.length, json: JSON.parse(JSON.stringify(ctx)) }
    })
    const out = p.run() as { own: string[]; reachable: number; json: Record<string, unknown> }
    expect(out.own.filter((k) => k.startsWith('_'))).toEqual([])
    expect(out.reachable).toBe(0)
    expect(Object.keys(out.json).filter((k) => k.startsWith('_'))).toEqual([])
    expect(ctxKeysRun(engine)).toEqual([])
  })
})

/** The `_`-named properties a ctx answers to (a body probing for internals by name). */
function ctxKeysRun(engine: TheusEngine): string[] {
  const names = ['_engine', '_reg', '_run', '_root', '_rootRaw']
  const p = define(engine, {}, (ctx) => names.filter((n) => ctx[n] !== undefined))
  return p.run() as string[]
}
