/**
 * SPEC §6 and §10.1: the error classes keep their names, codes, own fields and instanceof
 * chains, and the plain-data checks keep their exact wording, however the code that builds
 * them is shared (errors.ts and context/plainData.ts are kept small for SPEC §10.5).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { checkContext, protoKeyIn, warnForeign } from '../../src/context/plainData.js'
import {
  AbortError,
  AuditBlockError,
  AuditInterlockError,
  ConflictError,
  ContractViolationError,
  EngineHaltedError,
  errors,
  RecipeError,
  SchemaViolationError,
  TheusError,
  WorkflowError,
} from '../../src/errors.js'

const thrown = (fn: () => unknown): TheusError => {
  try {
    fn()
  } catch (e) {
    return e as TheusError
  }
  throw new Error('did not throw')
}

describe('error classes (SPEC §6)', () => {
  const cases: [TheusError, string, string, abstract new (...a: never[]) => TheusError][] = [
    [new TheusError('DISPOSED', 'm'), 'TheusError', 'DISPOSED', TheusError],
    [
      new ContractViolationError('ILLEGAL_READ', 'm'),
      'ContractViolationError',
      'ILLEGAL_READ',
      ContractViolationError,
    ],
    [new AuditBlockError('m'), 'AuditBlockError', 'AUDIT_BLOCK', AuditBlockError],
    [
      new AuditInterlockError('S', 'm'),
      'AuditInterlockError',
      'AUDIT_INTERLOCK',
      AuditInterlockError,
    ],
    [new EngineHaltedError('m'), 'EngineHaltedError', 'ENGINE_HALTED', EngineHaltedError],
    [new ConflictError('m', ['domain.n']), 'ConflictError', 'CONFLICT', ConflictError],
    [
      new SchemaViolationError('m', []),
      'SchemaViolationError',
      'SCHEMA_VIOLATION',
      SchemaViolationError,
    ],
    [new RecipeError('m'), 'RecipeError', 'RECIPE_INVALID', RecipeError],
    [new WorkflowError('m'), 'WorkflowError', 'WORKFLOW_INVALID', WorkflowError],
    [new AbortError('m'), 'AbortError', 'ABORTED', AbortError],
  ]

  it.each(cases)('%s: name, code, class name, instanceof', (e, name, code, cls) => {
    expect(e.name).toBe(name)
    expect(e.code).toBe(code)
    expect(e.message).toBe('m')
    expect(e.details).toEqual({})
    expect(e).toBeInstanceOf(cls)
    expect(e).toBeInstanceOf(TheusError)
    expect(e).toBeInstanceOf(Error)
    // A contract's `errors` may name a class of the prototype chain (errorDeclared).
    expect(cls.name).toBe(name)
    expect(Object.hasOwn(e, 'cause')).toBe(false)
  })

  it('keeps code, details and the extra fields as own enumerable properties, in order', () => {
    expect(Object.keys(new TheusError('DISPOSED', 'm'))).toEqual(['name', 'code', 'details'])
    expect(Object.keys(new AuditInterlockError('A', 'm', { process: 'p' }))).toEqual([
      'name',
      'code',
      'details',
      'level',
    ])
    expect(Object.keys(new ConflictError('m', ['x']))).toEqual(['name', 'code', 'details', 'paths'])
    expect(Object.keys(new SchemaViolationError('m', []))).toEqual([
      'name',
      'code',
      'details',
      'issues',
    ])
    const r = new RecipeError('m', [{ code: 'C', message: 'x' }], {
      file: 'a.yaml',
      line: 2,
      column: 3,
    })
    expect(Object.keys(r)).toEqual(['name', 'code', 'details', 'issues', 'file', 'line', 'column'])
    expect([r.file, r.line, r.column]).toEqual(['a.yaml', 2, 3])
    const w = new WorkflowError('m')
    expect([w.issues, w.file, w.line, w.column]).toEqual([[], undefined, undefined, undefined])
  })

  it('sets cause only when one is given', () => {
    expect(new AbortError('m', { cause: 'why' }).cause).toBe('why')
    expect(Object.hasOwn(new EngineHaltedError('m', { details: { process: 'p' } }), 'cause')).toBe(
      false,
    )
    expect(new EngineHaltedError('m', { details: { process: 'p' } }).details).toEqual({
      process: 'p',
    })
  })
})

describe('message builders', () => {
  it('nestedRun: the same wording for an edit and for runProcess, which also names the process', () => {
    const tail =
      'was called while a run of this engine is in progress (its body, its audit gates and their listeners, or its schema check). Processes do not call each other: chain them with a workflow (WorkflowManager or executeWorkflow), or'
    const edit = errors.nestedRun('undo()')
    expect(edit.code).toBe('NESTED_RUN')
    expect(edit.message).toBe(
      `undo() ${tail} act from a 'commit' listener, which runs once the commit is applied.`,
    )
    expect(edit.details).toEqual({})
    const run = errors.nestedRun("runProcess('inc')", 'inc')
    expect(run.message).toBe(
      `runProcess('inc') ${tail} start the run from a 'commit' listener, which runs once the commit is applied.`,
    )
    expect(run.details).toEqual({ process: 'inc' })
  })

  it('deadView is an INVALID_CONTRACT naming the process and the path', () => {
    const e = errors.deadView('p', '')
    expect(e.code).toBe('INVALID_CONTRACT')
    expect(e.message).toBe(
      "Invalid contract for process 'p': the view of '(root)' was used after its run ended. A run's views live only while its body runs: do not keep ctx, or values read from it, beyond the run (copy plain values out instead).",
    )
    expect(e.details).toStrictEqual({ process: 'p', path: '' })
  })

  it('zonePolicyValue names a function or the class', () => {
    expect(errors.zonePolicyValue('p', 'domain.f', 'Function').message).toMatch(
      /^Zone policy: process 'p' wrote a function to 'domain\.f'\. /,
    )
    const e = errors.zonePolicyValue('p', 'domain.d', 'Account')
    expect(e.message).toMatch(/^Zone policy: process 'p' wrote an object of class Account to /)
    expect(e.details).toStrictEqual({ process: 'p', path: 'domain.d', class: 'Account' })
  })
})

describe('plain data checks (SPEC §10.1)', () => {
  afterEach(() => vi.restoreAllMocks())
  const ctxMessage = (fn: () => unknown) => {
    const e = thrown(fn)
    expect(e.code).toBe('INVALID_CONTEXT')
    return e.message
  }
  const TAIL =
    ". A context is a plain object with the layers 'global' and 'domain' ('local' exists only inside a running process)."

  it('refuses a __proto__ key of an object or a Map, at its path', () => {
    const proto =
      "is a '__proto__' key, which is never data (it would reach a prototype); rename it"
    expect(
      ctxMessage(() => checkContext({ domain: JSON.parse('{"a":{"__proto__":1}}') }, true)),
    ).toBe(`Invalid context: 'domain.a.__proto__' ${proto}${TAIL}`)
    const m = new Map<unknown, unknown>([['__proto__', 1]])
    expect(ctxMessage(() => checkContext({ global: { s: new Set([[m]]) } }, false))).toBe(
      `Invalid context: 'global.s.0.__proto__' ${proto}${TAIL}`,
    )
  })

  it('refuses a cycle, but not a value seen twice on different branches', () => {
    const shared = { n: 1 }
    expect(() => checkContext({ domain: { a: shared, b: [shared] } }, true)).not.toThrow()
    const loop: Record<string, unknown> = {}
    loop.self = [loop]
    expect(ctxMessage(() => checkContext({ domain: { loop } }, true))).toBe(
      `Invalid context: 'domain.loop.self.0' contains itself; the context is a tree of plain data (store an id instead of the object)${TAIL}`,
    )
  })

  it('skips heavy_ keys of objects and Maps, whatever they hold', () => {
    const heavy = { heavy_x: () => 1, m: new Map([['heavy_y', new (class Account {})()]]) }
    expect(() => checkContext({ domain: heavy }, true)).not.toThrow()
  })

  it('strict mode refuses a foreign value; non-strict warns once per path', () => {
    class Account {}
    expect(ctxMessage(() => checkContext({ domain: { a: [new Account()] } }, true))).toBe(
      `Invalid context: 'domain.a.0' holds an object of class Account, which is not plain data. The data, signal and meta zones hold plain objects, arrays, Map, Set, Date and primitives; keep other values under a 'heavy_' key (held by reference)${TAIL}`,
    )
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    checkContext({ domain: { fnOnce: () => 1 } }, false)
    checkContext({ domain: { fnOnce: () => 1 } }, false)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn).toHaveBeenCalledWith(
      "[theus] 'domain.fnOnce' holds a function, which is not plain data: it is kept by reference, never copied, frozen or rolled back. Put it under a 'heavy_' key to say so (non-strict mode; strict mode refuses it).",
    )
    warnForeign('domain.other', 'Account')
    expect(warn).toHaveBeenLastCalledWith(
      "[theus] 'domain.other' holds an object of class Account, which is not plain data: it is kept by reference, never copied, frozen or rolled back. Put it under a 'heavy_' key to say so (non-strict mode; strict mode refuses it).",
    )
  })

  it('protoKeyIn finds the first __proto__ key in objects, arrays, Maps and Sets', () => {
    expect(protoKeyIn({ a: 1, b: 'x' }, 'args')).toBeUndefined()
    expect(protoKeyIn(JSON.parse('{"__proto__":1}'), 'args')).toBe('args.__proto__')
    expect(protoKeyIn({ a: [{}, JSON.parse('{"b":{"__proto__":1}}')] }, 'args')).toBe(
      'args.a.1.b.__proto__',
    )
    expect(protoKeyIn({ m: new Map([['k', new Map([['__proto__', 1]])]]) }, 'args')).toBe(
      'args.m.k.__proto__',
    )
    expect(protoKeyIn({ s: new Set([JSON.parse('{"__proto__":1}')]) }, 'args')).toBe(
      'args.s.__proto__',
    )
    const loop: Record<string, unknown> = { n: 1 }
    loop.self = loop
    expect(protoKeyIn({ loop }, 'args')).toBeUndefined()
  })
})
