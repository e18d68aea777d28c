import fc from 'fast-check'
import { WorkflowError } from 'theus'
import { evaluateExpression, parseExpression, testCondition } from 'theus/workflow'
import { describe, expect, it } from 'vitest'

const state = {
  domain: {
    n: 3,
    name: 'Alice',
    items: [10, 20, 30],
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    byId: new Map<string, unknown>([['a', { v: 1 }]]),
    tags: new Set(['x', 'y']),
    flag: false,
    nothing: null,
    'odd key': 7,
  },
  global: { max_n: 5, limits: { max: 100 } },
}

const scope = {
  domain: () => state.domain,
  global: () => state.global,
  args: { amount: 50, who: 'Bob', list: [1, 2] },
  signal: (name: string) => (name === 'sig_alarm' ? true : undefined),
}

const ev = (src: string, s: Parameters<typeof evaluateExpression>[1] = scope) =>
  evaluateExpression(parseExpression(src), s)

describe('evaluateExpression', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['20 / 2 / 5', 2],
    ['7 % 4', 3],
    ['-2 * 3', -6],
    ['- -2', 2],
    ['2 + 3 == 5', true],
    ['1 < 2 == true', true],
    ['1 + 1 < 3 && 2 > 1', true],
    ['true || false && false', true],
    ['(true || false) && false', false],
    ['!false && !(1 > 2)', true],
    ['!1 == false', true],
    ['1.5e2', 150],
    ["'a' + 'b'", 'ab'],
    ['"n=" + 3', 'n=3'],
    ["'it\\'s'", "it's"],
    ["'a\\tb\\nc\\rd'", 'a\tb\nc\rd'],
    ["'\\\\' + \"\\\"\" + '\\/'", '\\"/'],
  ])('computes %s with the SPEC precedence', (src, expected) => {
    expect(ev(src)).toBe(expected)
  })

  it('reads paths over domain, global, args and signal', () => {
    expect(ev('domain.n')).toBe(3)
    expect(ev('global.limits.max')).toBe(100)
    expect(ev('args.who')).toBe('Bob')
    expect(ev('signal.sig_alarm')).toBe(true)
    expect(ev('signal.sig_other')).toBeUndefined()
    expect(ev('domain.items[1]')).toBe(20)
    expect(ev('domain.items.2')).toBe(30)
    expect(ev("domain.accounts['Alice']")).toBe(1000)
    expect(ev('domain["odd key"]')).toBe(7)
    expect(ev('domain.byId.a.v')).toBe(1)
    expect(ev('domain_ctx.n')).toBe(3)
    expect(ev('global_ctx.max_n')).toBe(5)
  })

  it('takes the layers and the signals as plain values too (never a TypeError)', () => {
    const plain = { ...state, args: scope.args, signal: { sig_alarm: true } }
    expect(ev('domain.n == 3 && global.limits.max > args.amount', plain)).toBe(true)
    expect(ev('signal.sig_alarm', plain)).toBe(true)
    expect(ev('signal.sig_other', plain)).toBeUndefined()
    expect(ev('domain.n', null as never)).toBeUndefined()
    for (const bad of [null, undefined, 5, {}, { ast: null }])
      expect(() => evaluateExpression(bad as never)).toThrow(WorkflowError)
  })

  it('returns undefined for a path that does not exist', () => {
    expect(ev('domain.missing')).toBeUndefined()
    expect(ev('domain.missing.deeper.still')).toBeUndefined()
    expect(ev('domain.items[9]')).toBeUndefined()
    expect(ev('domain.nothing.x')).toBeUndefined()
    expect(ev('args.x', {})).toBeUndefined()
    expect(ev('domain.n', {})).toBeUndefined()
  })

  it('compares strictly with == and !=', () => {
    expect(ev("domain.n == '3'")).toBe(false)
    expect(ev('domain.n == 3')).toBe(true)
    expect(ev('domain.n != 3')).toBe(false)
    expect(ev('domain.nothing == null')).toBe(true)
    expect(ev('domain.missing == null')).toBe(false)
    expect(ev('domain.flag == 0')).toBe(false)
    expect(ev("domain.name == 'Alice'")).toBe(true)
  })

  it('orders only numbers with numbers and strings with strings', () => {
    expect(ev('domain.n < global.max_n')).toBe(true)
    expect(ev("'abc' < 'abd'")).toBe(true)
    expect(ev("domain.n < '10'")).toBe(false)
    expect(ev('domain.missing < 3')).toBe(false)
    expect(ev('domain.nothing < 3')).toBe(false)
    expect(ev('domain.missing >= 0')).toBe(false)
  })

  it('does arithmetic only on numbers (NaN otherwise) and joins strings with +', () => {
    expect(ev('domain.missing + 1')).toBeNaN()
    expect(ev("'a' * 2")).toBeNaN()
    expect(ev('-domain.name')).toBeNaN()
    expect(ev('true + 1')).toBeNaN()
    expect(ev("domain.name + '!'")).toBe('Alice!')
    expect(ev('domain.items + 1')).toBeNaN()
  })

  it('measures strings, arrays, Maps, Sets and objects with len()', () => {
    expect(ev('len(domain.name)')).toBe(5)
    expect(ev('len(domain.items)')).toBe(3)
    expect(ev('len(domain.byId)')).toBe(1)
    expect(ev('len(domain.tags)')).toBe(2)
    expect(ev('len(domain.accounts)')).toBe(2)
    expect(ev("len('')")).toBe(0)
    expect(ev('len(domain.n)')).toBeUndefined()
    expect(ev('len(domain.missing)')).toBeUndefined()
    expect(ev('len(domain.items) > 2 && len(args.list) == 2')).toBe(true)
  })

  it('short-circuits && and || and returns an operand', () => {
    expect(ev('domain.flag && domain.missing.x')).toBe(false)
    expect(ev("domain.missing || 'fallback'")).toBe('fallback')
    expect(testCondition(parseExpression('domain.items'), scope)).toBe(true)
    expect(testCondition(parseExpression('domain.missing'), scope)).toBe(false)
  })
})

describe('evaluateExpression: long conditions', () => {
  it('evaluates a chain of 5 000 operators without growing the stack (no RangeError on a small one)', () => {
    Error.stackTraceLimit = Number.POSITIVE_INFINITY
    const depthAtLeaf = (source: string): number => {
      let depth = 0
      const domain = () => {
        depth = new Error().stack!.split('\n').length
        return { a: 1 }
      }
      evaluateExpression(parseExpression(source), { domain })
      return depth
    }
    try {
      for (const op of ['+', '==', '||', '&&', '<']) {
        const long = `domain.a${` ${op} 1`.repeat(1_900)}`
        expect(long.length).toBeLessThanOrEqual(10_000)
        expect(depthAtLeaf(long), op).toBe(depthAtLeaf(`domain.a ${op} 1`))
      }
    } finally {
      Error.stackTraceLimit = 10
    }
    expect(evaluateExpression(parseExpression(`1${'+1'.repeat(4_999)}`))).toBe(5_000)
    expect(evaluateExpression(parseExpression(`0${' || 0'.repeat(1_000)} || 'x' && 2`))).toBe(2)
    expect(evaluateExpression(parseExpression(`1 && 0 && args.missing.x`), { args: {} })).toBe(0)
  })
})

describe('parseExpression: options', () => {
  it('takes options that are not an object as none; a bad location is still a WorkflowError, never a TypeError', () => {
    for (const o of [null, 5, 'x', []])
      expect(() => parseExpression('1 +', o as never)).toThrow(
        /^Invalid condition at <condition>:1:4:/,
      )
    for (const o of [{ filename: 5 }, { line: 'x' }, { column: null }, { at: 1 }])
      expect(() => parseExpression('1 +', o as never)).toThrow(WorkflowError)
    expect(() => parseExpression('1 +', { filename: 'a.yaml', line: 3, column: 9 })).toThrow(
      /^Invalid condition at a\.yaml:3:12:/,
    )
  })
})

describe('parseExpression: safety', () => {
  it.each([
    'domain.constructor',
    'domain.__proto__',
    'domain.x.prototype',
    "domain['constructor']",
    'args["__proto__"].polluted',
    'constructor',
    '__proto__',
    'domain.items.constructor.constructor',
  ])('rejects %s at parse time with a WorkflowError', (src) => {
    expect(() => parseExpression(src)).toThrow(WorkflowError)
    expect(() => parseExpression(src)).toThrow(/not allowed/)
  })

  it.each([
    'globalThis',
    'window.alert',
    'process.exit',
    'Object',
    'this',
    'eval("1")',
    'Function("return 1")',
    'len.call',
    'domain.items.map(1)',
    'domain.n = 5',
    'domain.n += 1',
    'args.x === 1',
    'x => x',
    '`template`',
    'new Map()',
    'domain.n; 1',
    'domain[args.key]',
  ])('rejects %s: no globals, calls, assignment or dynamic keys', (src) => {
    expect(() => parseExpression(src)).toThrow(WorkflowError)
  })

  it('never reaches a prototype, a getter or a class instance at run time', () => {
    let called = 0
    const args = Object.create(null) as Record<string, unknown>
    Object.defineProperty(args, 'secret', {
      enumerable: true,
      get() {
        called++
        return 42
      },
    })
    args['inst'] = new (class Foo {
      v = 1
    })()
    args['obj'] = {
      toString() {
        called++
        return 'x'
      },
      valueOf() {
        called++
        return 1
      },
    }
    const s = { args }
    expect(ev('args.secret', s)).toBeUndefined()
    expect(ev('args.inst.v', s)).toBeUndefined()
    expect(ev('args.toString', { args: {} })).toBeUndefined()
    expect(ev('args.hasOwnProperty', { args: {} })).toBeUndefined()
    expect(ev('args.items.length', { args: { items: [1, 2] } })).toBe(2)
    expect(ev("args.obj + 'a'", s)).toBeNaN()
    expect(ev('args.obj < 2', s)).toBe(false)
    expect(ev('args.obj == 1', s)).toBe(false)
    expect(ev('-args.obj', s)).toBeNaN()
    expect(ev('len(args.obj)', s)).toBe(2)
    expect(called).toBe(0)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it('does not read through Map prototypes either', () => {
    const m = new Map<string, unknown>([['k', 1]])
    expect(ev('args.m.k', { args: { m } })).toBe(1)
    expect(ev('args.m.get', { args: { m } })).toBeUndefined()
    expect(ev('args.m.size', { args: { m } })).toBeUndefined()
  })
})

describe('parseExpression: syntax errors', () => {
  it.each([
    ['domain.n <', 10, 'ends too early'],
    ['domain.n < = 3', 11, "'='"],
    ['(domain.n < 3', 13, "expected ')'"],
    ['domain.n > 3)', 12, "unexpected ')'"],
    ['domian.n > 3', 0, "Did you mean 'domain'"],
    ["'abc", 0, 'unterminated string'],
    ['domain.n & 1', 9, "Write '&&'"],
    ['domain.', 7, "expected a name after '.'"],
    ['foo(1)', 0, 'not a function'],
    ['', 0, 'empty'],
    ['domain.items[-1]', 13, 'expected an index'],
    ['3abc', 1, "unexpected 'a'"],
    ['1 # 2', 2, "unexpected character '#'"],
    ['len(1, 2)', 5, 'one argument'],
    // A JavaScript escape the lexer does not decode would be read as its letter ('u0041').
    ["'\\u0041'", 1, "unknown escape '\\u'"],
    ['"a\\x41"', 2, "unknown escape '\\x'"],
    ["domain['__pro\\u0074o__']", 13, "unknown escape '\\u'"],
  ])('%j fails at column %i', (src, offset, message) => {
    try {
      parseExpression(src)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError)
      const err = e as WorkflowError
      expect(err.line).toBe(1)
      expect(err.column).toBe(offset + 1)
      expect(err.message).toContain(message)
      expect(err.issues[0]).toMatchObject({
        code: 'EXPRESSION_SYNTAX',
        line: 1,
        column: offset + 1,
      })
    }
  })

  it('offsets positions by where the condition stands in its file', () => {
    try {
      parseExpression('a < 1', { filename: 'flow.yaml', line: 4, column: 17 })
      expect.unreachable()
    } catch (e) {
      expect(e).toMatchObject({ line: 4, column: 17, file: 'flow.yaml' })
      expect((e as Error).message).toContain('flow.yaml:4:17')
    }
  })

  it('keeps the AST as plain data that survives JSON', () => {
    const e = parseExpression('len(domain.items) > 0 && !signal.sig_x')
    expect(JSON.parse(JSON.stringify(e))).toEqual(e)
  })

  it('never throws anything but WorkflowError on garbage (property)', () => {
    const alphabet = fc.constantFrom(
      ...'domain global args signal len true false null constructor __proto__ ( ) [ ] . , \' " = ! & | < > + - * / % 0 1 9 . e x _ $ \\ \n'.split(
        ' ',
      ),
      ' ',
    )
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')),
        ),
        (src) => {
          try {
            const e = parseExpression(src)
            evaluateExpression(e, scope)
          } catch (err) {
            if (!(err instanceof WorkflowError)) throw err
            expect(err.column).toBeGreaterThanOrEqual(1)
          }
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('rejects pathological nesting without a stack overflow', () => {
    expect(() => parseExpression(`${'('.repeat(5000)}1${')'.repeat(5000)}`)).toThrow(WorkflowError)
    expect(() => parseExpression(`${'!'.repeat(5000)}1`)).toThrow(WorkflowError)
  })
})

describe('calls in a condition (SPEC §9: no calls but len)', () => {
  const scope = { domain: () => ({ xs: [3, 1, 2], s: 'abc', m: new Map([[1, 2]]) }) }
  const ev = (src: string) => evaluateExpression(parseExpression(src), scope)
  it.each([
    ['len(domain.xs)', 3],
    ['len(domain.s)', 3],
    ['len(domain.m)', 1],
    ['len(domain.missing)', undefined],
    ['len(domain.xs) == 3 && len(domain.s) > 2', true],
  ])('%s is %s', (src, value) => {
    expect(ev(src)).toBe(value)
  })

  // The audit rules' functions on computed values are not part of the condition language.
  it.each(['sum', 'min', 'max', 'mean', 'abs', 'avg'])('refuses %s(...) as a call', (fn) => {
    expect(() => parseExpression(`${fn}(domain.xs)`)).toThrow(
      expect.objectContaining({
        code: 'WORKFLOW_INVALID',
        message: expect.stringContaining(`'${fn}()' is not a function`),
      }),
    )
  })

  it.each(['len(1, 2)', 'len domain.xs', 'len()'])('refuses %s', (src) => {
    expect(() => parseExpression(src)).toThrow(WorkflowError)
  })
})
