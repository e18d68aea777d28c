import { effect } from '@preact/signals-core'
import {
  type Contract,
  ContractViolationError,
  process,
  type RollbackEvent,
  TheusEngine,
  TheusError,
} from 'theus'
import { describe, expect, it } from 'vitest'
import { caught } from '../support/caught.js'

const initial = () => ({
  global: { limit: 5 },
  domain: {
    n: 1,
    name: 'x',
    flag: true,
    obj: { a: { b: { c: 1 } }, keep: { k: 1 } } as Record<string, any>,
    arr: [3, 1, 2] as number[],
    rows: [{ id: 1 }, { id: 2 }] as { id: number }[],
    m: new Map<string, any>([
      ['a', 1],
      ['o', { z: 1 }],
    ]),
    s: new Set<number>([1, 2, 3]),
    d: new Date(0),
    sig_done: false,
  },
})

let seq = 0
function define(engine: TheusEngine, contract: Contract, body: (ctx: any, args: any) => unknown) {
  const name = `p${++seq}`
  engine.registerProcess(process({ ...contract, name }, body))
  return name
}

class ValueError extends Error {
  override name = 'ValueError'
}
class BaseProblem extends Error {}
class SpecificProblem extends BaseProblem {
  override name = 'Specific'
}

describe('runProcess: the error contract', () => {
  it('re-throws a TheusError as is', () => {
    const engine = new TheusEngine(initial())
    const err = new TheusError('CUSTOM', 'custom failure')
    const p = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 9
      throw err
    })
    const before = engine.state.value
    expect(caught(() => engine.runProcess(p))).toBe(err)
    expect(engine.state.value).toBe(before)
  })

  it('re-throws an error whose name is declared, as is', () => {
    const engine = new TheusEngine(initial())
    const err = new ValueError('bad value')
    const p = define(engine, { outputs: ['domain.n'], errors: ['ValueError'] }, (ctx) => {
      ctx.domain.n = 9
      throw err
    })
    const before = engine.state.value
    expect(caught(() => engine.runProcess(p))).toBe(err)
    expect(engine.state.value).toBe(before)
  })

  it('re-throws an error whose e.name is declared even when its class is plain Error', () => {
    const engine = new TheusEngine(initial())
    const err = Object.assign(new Error('x'), { name: 'QuotaError' })
    const p = define(engine, { errors: ['QuotaError'] }, () => {
      throw err
    })
    expect(caught(() => engine.runProcess(p))).toBe(err)
  })

  it('re-throws an error when a class in its prototype chain is declared', () => {
    const engine = new TheusEngine(initial())
    const err = new SpecificProblem('deep')
    expect(err.name).toBe('Specific')
    const p = define(engine, { outputs: ['domain.n'], errors: ['BaseProblem'] }, (ctx) => {
      ctx.domain.n = 2
      throw err
    })
    const before = engine.state.value
    expect(caught(() => engine.runProcess(p))).toBe(err)
    expect(engine.state.value).toBe(before)
  })

  it('re-throws a built-in error whose class is declared', () => {
    const engine = new TheusEngine(initial())
    const err = new RangeError('out of range')
    const p = define(engine, { errors: ['RangeError'] }, () => {
      throw err
    })
    expect(caught(() => engine.runProcess(p))).toBe(err)
  })

  it('turns an undeclared error into UNDECLARED_ERROR with the error as cause', () => {
    const engine = new TheusEngine(initial())
    const err = new TypeError('oops')
    engine.registerProcess(
      process({ outputs: ['domain.n'], errors: ['ValueError'] }, function careless(ctx) {
        ctx.domain.n = 5
        throw err
      }),
    )
    const before = engine.state.value
    const e = caught(() => engine.runProcess('careless'))
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('UNDECLARED_ERROR')
    expect(e.cause).toBe(err)
    expect(e.message).toMatch(/^Undeclared Error Violation/)
    expect(e.message).toContain('careless')
    expect(engine.state.value).toBe(before)
  })

  it('turns an error into UNDECLARED_ERROR when the contract declares no errors', () => {
    const engine = new TheusEngine(initial())
    const err = new ValueError('v')
    const p = define(engine, {}, () => {
      throw err
    })
    const e = caught(() => engine.runProcess(p))
    expect(e.code).toBe('UNDECLARED_ERROR')
    expect(e.cause).toBe(err)
  })

  it('does not treat a subclass name as declaring its base class', () => {
    const engine = new TheusEngine(initial())
    const p = define(engine, { errors: ['Specific'] }, () => {
      throw new BaseProblem('base')
    })
    expect(caught(() => engine.runProcess(p)).code).toBe('UNDECLARED_ERROR')
  })

  it('turns a thrown non-error value into UNDECLARED_ERROR with it as cause', () => {
    const engine = new TheusEngine(initial())
    const p = define(engine, {}, () => {
      throw 'a string'
    })
    const e = caught(() => engine.runProcess(p))
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e.code).toBe('UNDECLARED_ERROR')
    expect(e.cause).toBe('a string')
  })

  it('applies the error contract in non-strict mode too', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    const err = new TypeError('t')
    const p = define(engine, { outputs: ['domain.n'], errors: ['ValueError'] }, (ctx) => {
      ctx.domain.n = 3
      throw err
    })
    const before = engine.state.value
    const e = caught(() => engine.runProcess(p))
    expect(e.code).toBe('UNDECLARED_ERROR')
    expect(e.cause).toBe(err)
    expect(engine.state.value).toBe(before)
    const v = new ValueError('v')
    const q = define(engine, { errors: ['ValueError'] }, () => {
      throw v
    })
    expect(caught(() => engine.runProcess(q))).toBe(v)
  })
})

describe('runProcess: rollback', () => {
  const writers: [string, Contract, (ctx: any) => void][] = [
    [
      'scalars',
      { outputs: ['domain.n', 'domain.name', 'domain.flag'] },
      (ctx) => {
        ctx.domain.n = 2
        ctx.domain.name = 'y'
        ctx.domain.flag = false
      },
    ],
    [
      'nested objects',
      { outputs: ['domain.obj'] },
      (ctx) => {
        ctx.domain.obj.a.b.c = 2
        ctx.domain.obj.a.b = { c: 3 }
        ctx.domain.obj.a.b.c = 4
      },
    ],
    [
      'added keys',
      { outputs: ['domain.obj'] },
      (ctx) => {
        ctx.domain.obj.added = { x: 1 }
        ctx.domain.obj.a.extra = 1
      },
    ],
    [
      'deleted keys',
      { outputs: ['domain.obj'] },
      (ctx) => {
        delete ctx.domain.obj.keep
        delete ctx.domain.obj.a.b
      },
    ],
    [
      'array push',
      { outputs: ['domain.arr'] },
      (ctx) => {
        ctx.domain.arr.push(4, 5)
      },
    ],
    [
      'array splice',
      { outputs: ['domain.arr'] },
      (ctx) => {
        ctx.domain.arr.splice(1, 1, 9, 9)
      },
    ],
    [
      'array sort',
      { outputs: ['domain.arr'] },
      (ctx) => {
        ctx.domain.arr.sort()
      },
    ],
    [
      'array index',
      { outputs: ['domain.arr'] },
      (ctx) => {
        ctx.domain.arr[0] = 100
        ctx.domain.arr[5] = 1
      },
    ],
    [
      'array length',
      { outputs: ['domain.arr'] },
      (ctx) => {
        ctx.domain.arr.length = 1
      },
    ],
    [
      'array of objects',
      { outputs: ['domain.rows'] },
      (ctx) => {
        ctx.domain.rows[0].id = 10
        ctx.domain.rows.reverse()
        ctx.domain.rows.push({ id: 3 })
      },
    ],
    [
      'Map entries',
      { outputs: ['domain.m'] },
      (ctx) => {
        ctx.domain.m.set('a', 2)
        ctx.domain.m.set('b', 3)
        ctx.domain.m.get('o').z = 5
      },
    ],
    [
      'Map delete and clear',
      { outputs: ['domain.m'] },
      (ctx) => {
        ctx.domain.m.delete('a')
        ctx.domain.m.clear()
      },
    ],
    [
      'Set add, delete and clear',
      { outputs: ['domain.s'] },
      (ctx) => {
        ctx.domain.s.add(4)
        ctx.domain.s.delete(1)
        ctx.domain.s.clear()
      },
    ],
    [
      'whole-layer replacement of a key',
      { outputs: ['domain'] },
      (ctx) => {
        ctx.domain.n = 10
        ctx.domain.arr = []
        ctx.domain.m = new Map()
        ctx.domain.d = new Date(5)
      },
    ],
    [
      'signal fields',
      { outputs: ['domain.sig_done'] },
      (ctx) => {
        ctx.domain.sig_done = true
      },
    ],
  ]

  for (const [what, contract, write] of writers) {
    it(`restores exactly after writes to ${what}`, () => {
      const engine = new TheusEngine(initial())
      const paths = [
        'domain.n',
        'domain.name',
        'domain.flag',
        'domain.obj',
        'domain.obj.a.b.c',
        'domain.arr',
        'domain.rows',
        'domain.m',
        'domain.s',
        'domain.d',
        'domain.sig_done',
      ] as const
      const sels = paths.map((p) => engine.select(p))
      const values = sels.map((s) => s.value)
      let notified = 0
      const stops = [
        effect(() => {
          engine.state.value
          notified++
        }),
        ...sels.map((s) =>
          effect(() => {
            s.value
            notified++
          }),
        ),
      ]
      const start = notified
      const before = engine.state.value
      const p = define(engine, contract, (ctx) => {
        write(ctx)
        throw new Error('fail after writing')
      })
      expect(caught(() => engine.runProcess(p)).code).toBe('UNDECLARED_ERROR')
      expect(engine.state.value).toBe(before)
      expect(sels.map((s) => s.value)).toEqual(values)
      for (const [i, s] of sels.entries()) expect(s.value).toBe(values[i])
      expect(notified).toBe(start)
      expect(engine.history).toHaveLength(0)
      expect(engine.runLog).toHaveLength(0)
      for (const stop of stops) stop()
    })
  }

  it('rolls back a write inside an object the same process assigned in an earlier run', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(
      process({ outputs: ['domain.obj'] }, function step(ctx, args: { n: number }) {
        if (args.n === 1) {
          ctx.domain.obj.fresh = { v: -1, list: [0] }
          ctx.domain.obj.fresh.v = 0
        } else {
          ctx.domain.obj.fresh.v = args.n
          ctx.domain.obj.fresh.list.push(args.n)
          throw new Error('fail')
        }
      }),
    )
    engine.runProcess('step', { n: 1 })
    const before = engine.state.value
    expect(caught(() => engine.runProcess('step', { n: 2 })).code).toBe('UNDECLARED_ERROR')
    expect(engine.state.value).toBe(before)
    expect(engine.toDict().domain.obj.fresh).toEqual({ v: 0, list: [0] })
    expect(engine.select('domain.obj.fresh.v').value).toBe(0)
  })

  it('restores exactly when the error is declared and re-thrown', () => {
    const engine = new TheusEngine(initial())
    const before = engine.state.value
    const p = define(engine, { outputs: ['domain.obj'], errors: ['ValueError'] }, (ctx) => {
      ctx.domain.obj.a.b.c = 99
      throw new ValueError('v')
    })
    expect(caught(() => engine.runProcess(p))).toBeInstanceOf(ValueError)
    expect(engine.state.value).toBe(before)
    expect(engine.state.value.domain.obj.a.b.c).toBe(1)
  })

  it('leaves later runs unaffected by a rolled-back one', () => {
    const engine = new TheusEngine(initial())
    const bad = define(engine, { outputs: ['domain.arr', 'domain.obj'] }, (ctx) => {
      ctx.domain.arr.push(1)
      ctx.domain.obj.a.b.c = 7
      throw new Error('x')
    })
    const good = define(engine, { outputs: ['domain.arr', 'domain.obj'] }, (ctx) => {
      return [ctx.domain.arr.length, ctx.domain.obj.a.b.c]
    })
    caught(() => engine.runProcess(bad))
    expect(engine.runProcess(good)).toEqual([3, 1])
  })

  it('fires rollback with { process, args, error }', () => {
    const engine = new TheusEngine(initial())
    const events: RollbackEvent[] = []
    engine.on('rollback', (e) => events.push(e))
    const commits: unknown[] = []
    engine.on('commit', (e) => commits.push(e))
    const p = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 5
      throw new Error('boom')
    })
    const args = { k: 1 }
    const e = caught(() => engine.runProcess(p, args))
    expect(events).toHaveLength(1)
    expect(events[0]!.process).toBe(p)
    expect(events[0]!.args).toEqual(args)
    expect(events[0]!.error).toBe(e)
    expect(commits).toHaveLength(0)
  })

  it('fires rollback for a contract violation, with the violation as error', () => {
    const engine = new TheusEngine(initial())
    const events: RollbackEvent[] = []
    engine.on('rollback', (e) => events.push(e))
    const p = define(engine, { inputs: ['domain.obj'] }, (ctx) => {
      ctx.domain.obj.a = 5
    })
    const e = caught(() => engine.runProcess(p))
    expect(events).toHaveLength(1)
    expect(events[0]!.error).toBe(e)
    expect((events[0]!.error as TheusError).code).toBe('IMMUTABLE_INPUT')
  })

  it('fires rollback with the declared error itself', () => {
    const engine = new TheusEngine(initial())
    const events: RollbackEvent[] = []
    engine.on('rollback', (e) => events.push(e))
    const err = new ValueError('v')
    const p = define(engine, { errors: ['ValueError'] }, () => {
      throw err
    })
    caught(() => engine.runProcess(p))
    expect(events[0]!.error).toBe(err)
  })

  it('stops calling a rollback handler after its unsubscribe', () => {
    const engine = new TheusEngine(initial())
    let calls = 0
    const off = engine.on('rollback', () => calls++)
    const p = define(engine, {}, () => {
      throw new Error('x')
    })
    caught(() => engine.runProcess(p))
    off()
    caught(() => engine.runProcess(p))
    expect(calls).toBe(1)
  })
})
