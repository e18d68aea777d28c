import { effect } from '@preact/signals-core'
import {
  type CommitEvent,
  type Contract,
  process,
  type RollbackEvent,
  TheusEngine,
  TheusError,
} from 'theus'
import { describe, expect, it } from 'vitest'
import { caught } from '../support/caught.js'

const initial = () => ({
  global: { rate: 2 },
  domain: {
    n: 0,
    accounts: { Alice: 10 } as Record<string, number>,
    list: [1, 2],
    sig_flag: false,
    meta_info: '',
    other: { k: 1 },
  },
})

let seq = 0
function define(engine: TheusEngine, contract: Contract, body: (ctx: any, args: any) => unknown) {
  const name = `p${++seq}`
  engine.registerProcess(process({ ...contract, name }, body))
  return name
}

describe('TheusEngine.runProcess', () => {
  it("throws PROCESS_NOT_FOUND with the message Process 'x' not found in registry.", () => {
    const engine = new TheusEngine(initial())
    const e = caught(() => engine.runProcess('x'))
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('PROCESS_NOT_FOUND')
    expect(e.message.startsWith("Process 'x' not found in registry.")).toBe(true)
  })

  it('changes nothing and fires nothing for an unknown process', () => {
    const engine = new TheusEngine(initial())
    const before = engine.state.value
    const events: unknown[] = []
    engine.on('commit', (e) => events.push(e))
    engine.on('rollback', (e) => events.push(e))
    caught(() => engine.runProcess('nope'))
    expect(engine.state.value).toBe(before)
    expect(events).toEqual([])
    expect(engine.runLog).toHaveLength(0)
  })

  it('throws INVALID_ARGS for args that are not an object, and runs nothing', () => {
    const engine = new TheusEngine(initial())
    let ran = 0
    const p = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ran++
      ctx.domain.n = 1
    })
    const before = engine.state.value
    for (const bad of [[1, 2], 'str', 42, true, () => {}, new Map()]) {
      const e = caught(() => engine.runProcess(p, bad as any))
      expect(e).toBeInstanceOf(TheusError)
      expect(e.code).toBe('INVALID_ARGS')
      expect(e.message).toContain(p)
    }
    expect(ran).toBe(0)
    expect(engine.state.value).toBe(before)
    expect(engine.runLog).toHaveLength(0)
  })

  it('accepts undefined args, and the body gets an object', () => {
    const engine = new TheusEngine(initial())
    const p = define(engine, {}, (_ctx, args) => typeof args === 'object' && args !== null)
    expect(engine.runProcess(p)).toBe(true)
    expect(engine.runProcess(p, undefined)).toBe(true)
  })

  it('passes the args object to the body', () => {
    const engine = new TheusEngine(initial())
    const p = define(engine, {}, (_ctx, args) => args.a + args.b)
    expect(engine.runProcess(p, { a: 1, b: 2 })).toBe(3)
  })

  it('throws NESTED_RUN when a synchronous body calls runProcess, and rolls back', () => {
    const engine = new TheusEngine(initial())
    const inner = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 100
    })
    let innerError: any
    const outer = define(engine, { outputs: ['domain.accounts'] }, (ctx) => {
      ctx.domain.accounts.Alice = 0
      try {
        engine.runProcess(inner)
      } catch (e) {
        innerError = e
        throw e
      }
    })
    const before = engine.state.value
    const e = caught(() => engine.runProcess(outer))
    expect(innerError).toBeInstanceOf(TheusError)
    expect(innerError.code).toBe('NESTED_RUN')
    expect(e).toBe(innerError)
    expect(engine.state.value).toBe(before)
  })

  it('keeps working after a NESTED_RUN (never deadlocks)', () => {
    const engine = new TheusEngine(initial())
    const inner = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n += 1
    })
    const outer = define(engine, {}, () => {
      try {
        engine.runProcess(inner)
      } catch {}
      return 'swallowed'
    })
    expect(engine.runProcess(outer)).toBe('swallowed')
    engine.runProcess(inner)
    expect(engine.state.value.domain.n).toBe(1)
  })

  it('keeps working after a body threw', () => {
    const engine = new TheusEngine(initial())
    const bad = define(engine, {}, () => {
      throw new Error('x')
    })
    const good = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 5
    })
    caught(() => engine.runProcess(bad))
    engine.runProcess(good)
    expect(engine.state.value.domain.n).toBe(5)
  })

  it('enters runLog with { process, args } for each committed run', () => {
    const engine = new TheusEngine(initial())
    const p = define(engine, { outputs: ['domain.n'] }, (ctx, a) => {
      ctx.domain.n = a.v
    })
    engine.runProcess(p, { v: 1 })
    caught(() => engine.runProcess(p, 'bad' as any))
    engine.runProcess(p, { v: 2 })
    expect(engine.runLog).toEqual([
      { process: p, args: { v: 1 } },
      { process: p, args: { v: 2 } },
    ])
  })

  it('adds a history entry per committing run with patches and inverse patches', () => {
    const engine = new TheusEngine(initial())
    const p = define(engine, { outputs: ['domain.n'] }, (ctx, a) => {
      ctx.domain.n = a.v
    })
    engine.runProcess(p, { v: 1 })
    expect(engine.history).toHaveLength(1)
    expect(engine.history[0]).toMatchObject({
      process: p,
      args: { v: 1 },
      patches: [{ op: 'replace', path: ['domain', 'n'], value: 1 }],
      inversePatches: [{ op: 'replace', path: ['domain', 'n'], value: 0 }],
    })
  })
})

describe('TheusEngine.history and runLog', () => {
  it('cannot be changed from outside the engine', () => {
    const engine = new TheusEngine(initial())
    const p = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n += 1
    })
    engine.runProcess(p)
    for (const list of [engine.history, engine.runLog] as any[]) {
      try {
        list.length = 0
      } catch {}
      try {
        list.push({ process: 'forged', args: {} })
      } catch {}
    }
    expect(engine.history).toHaveLength(1)
    expect(engine.runLog).toEqual([{ process: p, args: {} }])
  })
})

describe('TheusEngine.edit', () => {
  it('runs synchronously and returns the value of fn', () => {
    const engine = new TheusEngine(initial())
    const out = engine.edit((s) => {
      s.domain.n = 7
      return 'done'
    })
    expect(out).toBe('done')
    expect(engine.state.value.domain.n).toBe(7)
  })

  it('gets a writable view of { global, domain } without a contract', () => {
    const engine = new TheusEngine(initial())
    engine.edit((s) => {
      s.global.rate = 3
      s.domain.accounts.Carol = 5
      s.domain.list.push(3)
      delete (s.domain as any).other
    })
    expect(engine.state.value.global.rate).toBe(3)
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 10, Carol: 5 })
    expect(engine.state.value.domain.list).toEqual([1, 2, 3])
    expect('other' in engine.state.value.domain).toBe(false)
  })

  it('rolls back and re-throws when fn throws', () => {
    const engine = new TheusEngine(initial())
    const before = engine.state.value
    const rollbacks: RollbackEvent[] = []
    engine.on('rollback', (e) => rollbacks.push(e))
    const err = new Error('edit failed')
    const e = caught(() =>
      engine.edit((s) => {
        s.domain.n = 99
        s.domain.list.push(3)
        throw err
      }),
    )
    expect(e).toBe(err)
    expect(engine.state.value).toBe(before)
    expect(engine.history).toHaveLength(0)
    expect(engine.runLog).toHaveLength(0)
    expect(rollbacks).toHaveLength(1)
    expect(rollbacks[0]!.process).toBe('edit')
  })

  it("enters history and runLog as process 'edit' with its patches", () => {
    const engine = new TheusEngine(initial())
    const commits: CommitEvent[] = []
    engine.on('commit', (e) => commits.push(e))
    engine.edit((s) => {
      s.domain.n = 4
    })
    const patch = { op: 'replace', path: ['domain', 'n'], value: 4 }
    expect(engine.history).toHaveLength(1)
    expect(engine.history[0]!.process).toBe('edit')
    expect(engine.history[0]!.patches).toEqual([patch])
    expect(engine.runLog).toHaveLength(1)
    expect(engine.runLog[0]!.process).toBe('edit')
    expect(engine.runLog[0]!.patches).toEqual([patch])
    expect(commits).toHaveLength(1)
    expect(commits[0]!.process).toBe('edit')
    expect(commits[0]!.patches).toEqual([patch])
  })

  it('notifies subscribers once', () => {
    const engine = new TheusEngine(initial())
    let n = 0
    const stop = effect(() => {
      engine.state.value
      n++
    })
    engine.edit((s) => {
      s.domain.n = 1
      s.domain.accounts.Alice = 1
    })
    stop()
    expect(n).toBe(2)
  })

  it('throws NESTED_RUN when called from inside a running process', () => {
    const engine = new TheusEngine(initial())
    const p = define(engine, {}, () => engine.edit(() => 1))
    const e = caught(() => engine.runProcess(p))
    expect(e.code).toBe('NESTED_RUN')
  })
})

describe('TheusEngine.dispose', () => {
  it('makes later calls throw DISPOSED', () => {
    const engine = new TheusEngine(initial())
    const p = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })
    engine.dispose()
    const calls: [string, () => unknown][] = [
      ['runProcess', () => engine.runProcess(p)],
      ['registerProcess', () => engine.registerProcess(process({}, function late() {}))],
      ['edit', () => engine.edit(() => 1)],
      ['select', () => engine.select('domain.n')],
      ['on', () => engine.on('commit', () => {})],
      ['toDict', () => engine.toDict()],
      ['scanAndRegister', () => engine.scanAndRegister({})],
      ['undo', () => engine.undo()],
    ]
    for (const [what, call] of calls) {
      const e = caught(call)
      expect(e, what).toBeInstanceOf(TheusError)
      expect(e.code, what).toBe('DISPOSED')
    }
  })

  it('ends subscriptions: listeners are not called after dispose', () => {
    const engine = new TheusEngine(initial())
    let n = 0
    engine.on('commit', () => n++)
    engine.dispose()
    caught(() => engine.runProcess('x'))
    expect(n).toBe(0)
  })
})

describe('TheusEngine non-strict mode', () => {
  it('has no guard: undeclared reads and writes work', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    const p = define(engine, { inputs: ['domain.n'] }, (ctx) => {
      ctx.domain.accounts.Bob = ctx.global.rate
      ctx.domain.n = 5
      ctx.global.rate = 3
      return ctx.domain.other.k
    })
    expect(engine.runProcess(p)).toBe(1)
    expect(engine.state.value.domain.accounts.Bob).toBe(2)
    expect(engine.state.value.domain.n).toBe(5)
    expect(engine.state.value.global.rate).toBe(3)
  })

  it('stays atomic: a throw rolls everything back', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    const before = engine.state.value
    const beforeCopy = structuredClone(before)
    const p = define(engine, {}, (ctx) => {
      ctx.domain.n = 9
      ctx.domain.list.push(3)
      ctx.domain.accounts.Alice = 0
      delete ctx.domain.other
      throw new Error('x')
    })
    const e = caught(() => engine.runProcess(p))
    expect(e.code).toBe('UNDECLARED_ERROR')
    expect(engine.state.value).toBe(before)
    expect(engine.state.value).toEqual(beforeCopy)
  })

  it('keeps uncommitted writes invisible outside the run', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    const sel = engine.select('domain.n')
    let notified = 0
    const stop = effect(() => {
      sel.value
      notified++
    })
    const p = define(engine, {}, (ctx) => {
      ctx.domain.n = 5
      ctx.domain.list.push(3)
      return [
        engine.state.value.domain.n,
        engine.state.value.domain.list.length,
        sel.value,
        notified,
      ]
    })
    expect(engine.runProcess(p)).toEqual([0, 2, 0, 1])
    expect(engine.state.value.domain.n).toBe(5)
    expect(notified).toBe(2)
    stop()
  })

  it('notifies no subscriber for a failed run', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    let notified = 0
    const stop = effect(() => {
      engine.state.value
      engine.select('domain.n').value
      engine.select('domain.accounts').value
      notified++
    })
    const p = define(engine, {}, (ctx) => {
      ctx.domain.n = 5
      ctx.domain.accounts.Bob = 1
      throw new Error('x')
    })
    caught(() => engine.runProcess(p))
    stop()
    expect(notified).toBe(1)
  })

  it('has no zone policy', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    engine.registerProcess(
      process({ inputs: ['domain.sig_flag', 'domain.meta_info'] }, function z() {}),
    )
    expect(engine.runProcess('z')).toBeUndefined()
  })

  it('freezes snapshots and results as strict mode does (SPEC §9, §10.1)', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    const p = define(engine, { outputs: ['domain.other'] }, (ctx) => ctx.domain.other)
    const out = engine.runProcess(p) as any
    expect(Object.isFrozen(out)).toBe(true)
    expect(Object.isFrozen(engine.state.value.domain)).toBe(true)
    expect(() => {
      out.k = 5
    }).toThrow(TypeError)
    expect(() => {
      ;(engine.state.value as any).domain.other.k = 99
    }).toThrow(TypeError)
    expect(engine.state.value.domain.other.k).toBe(1)
  })

  it('reports strictMode in options', () => {
    expect(new TheusEngine(initial()).options.strictMode).toBe(true)
    expect(new TheusEngine(initial(), { strictMode: false }).options.strictMode).toBe(false)
  })
})

describe('TheusEngine.halted and resume', () => {
  it('starts not halted, and resume() keeps it running', () => {
    const engine = new TheusEngine(initial())
    expect(engine.halted).toBe(false)
    engine.resume()
    expect(engine.halted).toBe(false)
    const p = define(engine, { outputs: ['domain.n'] }, (ctx) => {
      ctx.domain.n = 1
    })
    engine.runProcess(p)
    expect(engine.state.value.domain.n).toBe(1)
  })
})

describe('TheusEngine.on', () => {
  it('returns an unsubscribe function and rejects unknown events', () => {
    const engine = new TheusEngine(initial())
    expect(typeof engine.on('commit', () => {})).toBe('function')
    expect(caught(() => engine.on('nope' as any, () => {}))).toBeInstanceOf(TheusError)
  })

  it('refuses a handler that is not a function, so later commits cannot fail on it', () => {
    const engine = new TheusEngine(initial())
    const e = caught(() => engine.on('commit', null as any)) as TheusError
    expect(e.code).toBe('INVALID_ARGS')
    expect(e.message).toMatch(/on\('commit'\) takes a function, got object/)
    engine.edit((s) => {
      s.domain.n = 1
    })
    expect(engine.state.value.domain.n).toBe(1)
  })
})

describe('PROCESS_NOT_FOUND wording', () => {
  it('is exactly the contract sentence for an unknown name, with what to do in details.hint', () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    let caught: unknown
    try {
      engine.runProcess('x')
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(TheusError)
    expect((caught as TheusError).message).toBe("Process 'x' not found in registry.")
    expect((caught as TheusError).details.hint).toMatch(/registerProcess/)
  })

  it('offers no "did you mean" a name that differs in every letter (x is no typo of p1)', () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    engine.registerProcess(process({}, function p1() {}))
    engine.registerProcess(process({}, function transfer() {}))
    expect(caught(() => engine.runProcess('x')).message).toBe("Process 'x' not found in registry.")
    expect(caught(() => engine.runProcess('x')).details.hint).toMatch(/registerProcess/)
    // A typo's correction goes to details.hint: the message stays the contract's sentence.
    const typo = caught(() => engine.runProcess('tranfser'))
    expect(typo.message).toBe("Process 'tranfser' not found in registry.")
    expect(typo.details.hint).toBe("Did you mean 'transfer'?")
  })
})
