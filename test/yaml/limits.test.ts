/**
 * SPEC §10.4, parsers and validators: only typed errors for any input, nesting bounded at 200
 * levels, keys named like Object.prototype members are ordinary keys or typed errors, parse
 * time linear (duplicate keys found in one pass), documents over 5 MB refused.
 */
import {
  process,
  RecipeError,
  StateMachine,
  TheusEngine,
  validateAuditRecipe,
  validateWorkflow,
  WorkflowError,
} from 'theus'
import { validateFlux } from 'theus/workflow'
import { parseAuditRecipe, parseFlux, parseWorkflow } from 'theus/yaml'
import { describe, expect, it, vi } from 'vitest'
import { Alias } from 'yaml'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}

const PROTO_KEYS = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']

describe('keys named like Object.prototype members', () => {
  it('are refused as signal keys with a WorkflowError, in YAML and in object form', () => {
    for (const key of PROTO_KEYS) {
      const yaml = `states:\n  IDLE:\n    on: { GO: IDLE }\nsignals:\n  ${key}: GO\n`
      const e = thrown(() => parseWorkflow(yaml, { filename: 'wf.yaml' }))
      expect(e, key).toBeInstanceOf(WorkflowError)
      expect((e as WorkflowError).message).toContain(`'${key}' under signals is not a signal field`)
      expect([(e as WorkflowError).line, (e as WorkflowError).column]).toEqual([5, 3])
      const obj = JSON.parse(
        `{"states":{"IDLE":{"on":{"GO":"IDLE"}}},"signals":{${JSON.stringify(key)}:"GO"}}`,
      )
      expect(
        thrown(() => validateWorkflow(obj)),
        key,
      ).toBeInstanceOf(WorkflowError)
    }
    expect(Object.hasOwn(Object.prototype, 'GO')).toBe(false)
  })

  it('are ordinary names for states and events', () => {
    const m = new StateMachine(
      parseWorkflow(
        'initial: constructor\nstates:\n  constructor:\n    on: { toString: __proto__ }\n  __proto__:\n    entry: hasOwnProperty\n    on: { valueOf: constructor }\n',
      ),
    )
    expect(m.current).toBe('constructor')
    expect(m.trigger('hasOwnProperty')).toEqual([])
    expect(m.trigger('toString')).toEqual(['hasOwnProperty'])
    expect(m.current).toBe('__proto__')
    expect(m.trigger('valueOf')).toEqual([])
    expect(m.current).toBe('constructor')
  })

  it('are a RecipeError as process names that shadow every object, and plain names otherwise', () => {
    for (const name of ['constructor', '__proto__', 'prototype']) {
      const e = thrown(() =>
        parseAuditRecipe(`process_recipes:\n  ${name}:\n    inputs: [{ field: a, max: 1 }]\n`),
      )
      expect(e, name).toBeInstanceOf(RecipeError)
    }
    const r = parseAuditRecipe(
      'process_recipes:\n  toString:\n    inputs: [{ field: constructor, max: 1 }]\n',
    )
    const [name, rec] = Object.entries(r.process_recipes)[0]!
    expect([name, rec.inputs[0]?.field]).toEqual(['toString', 'constructor'])
  })

  it('lets a rule read an args key named constructor without reaching the prototype', () => {
    const p = process({ inputs: ['domain.n'] }, function p() {})
    const engine = new TheusEngine(
      { domain: { n: 0 } },
      {
        auditRecipe: {
          process_recipes: { p: { inputs: [{ field: 'constructor', max: 1, level: 'B' }] } },
        },
      },
    )
    engine.registerProcess(p)
    expect(() => engine.runProcess('p', {})).toThrow(/LEVEL B BLOCK/)
    expect(engine.runProcess('p', { constructor: 1 })).toBeUndefined()
  })
})

describe('nesting deeper than 200 levels', () => {
  const nestedRun = (depth: number) => {
    let steps: unknown = ['p']
    for (let i = 0; i < depth; i++) steps = [{ flux: 'run', steps }]
    return { steps }
  }

  it('is a WorkflowError for 10 000 nested run blocks in object form (was a RangeError)', () => {
    const e = thrown(() => validateFlux(nestedRun(10_000)))
    expect(e).toBeInstanceOf(WorkflowError)
    expect((e as WorkflowError).message).toContain('more than 200 levels deep')
  })

  it('accepts 200 nested run blocks and refuses 201, as the other parsers count levels', () => {
    expect(validateFlux(nestedRun(200)).steps).toHaveLength(1)
    const e = thrown(() => validateFlux(nestedRun(201)))
    expect(e).toBeInstanceOf(WorkflowError)
    expect((e as WorkflowError).message).toContain('more than 200 levels deep')
  })

  it('accepts and runs 150 nested run blocks', async () => {
    const def = validateFlux(nestedRun(150))
    const engine = new TheusEngine({ domain: { n: 0 } })
    engine.registerProcess(
      process({ outputs: ['domain.n'] }, function p(ctx) {
        ctx.domain.n += 1
      }),
    )
    expect(await engine.executeWorkflow(def)).toEqual(['p'])
  })

  it('is a typed error for deep YAML, in every parser', () => {
    const deep = `${'['.repeat(300)}${']'.repeat(300)}`
    expect(thrown(() => parseFlux(`steps: ${deep}\n`))).toBeInstanceOf(WorkflowError)
    expect(thrown(() => parseWorkflow(`states: ${deep}\n`))).toBeInstanceOf(WorkflowError)
    const e = thrown(() =>
      parseAuditRecipe(`process_recipes:\n  t:\n    inputs: [{ field: a, eq: ${deep} }]\n`),
    )
    expect(e).toBeInstanceOf(RecipeError)
    expect((e as RecipeError).message).toContain('more than 200 levels deep')
    let block = 'states:\n'
    for (let i = 0; i < 2_000; i++) block += `${' '.repeat(i + 2)}k${i}:\n`
    expect(thrown(() => parseWorkflow(block))).toBeInstanceOf(WorkflowError)
  })

  it('refuses a megabyte of nesting before yaml parses it, at the 201st level', () => {
    // yaml took seconds and hundreds of MB on these before its stack gave out (out of memory
    // for `{`), and then pointed wherever its stack ended.
    const cases: [string, number][] = [
      ['['.repeat(1_000_000), 201],
      ['{'.repeat(1_000_000), 201],
      ['{a: '.repeat(250_000), 801],
      ['- '.repeat(500_000), 401],
    ]
    for (const [text, column] of cases) {
      const e = thrown(() => parseWorkflow(text, { filename: 'deep.yaml' }))
      expect(e, text.slice(0, 4)).toBeInstanceOf(WorkflowError)
      expect((e as WorkflowError).message).toContain('deep.yaml:1:')
      expect((e as WorkflowError).message).toContain('more than 200 levels deep')
      expect([(e as WorkflowError).line, (e as WorkflowError).column]).toEqual([1, column])
    }
  })

  it('does not count brackets in quoted scalars, comments or plain words', () => {
    // An anchor keeps the document off the fast path, so yaml and the pre-scan see it.
    const many = '['.repeat(500)
    const text = `name: &n "${many}"\ndescription: '${many}''s'\n# ${many}\nsteps:\n  - flux: if\n    condition: "'${many}' != args.x"\n    then: [p]\n`
    const def = parseFlux(text)
    expect(def.name).toBe(many)
    expect(def.description).toBe(`${many}'s`)
    expect(def.steps).toHaveLength(1)
  })

  it('is a RecipeError for an inheritance chain longer than 200', () => {
    const procs: Record<string, unknown> = { p0: {} }
    for (let i = 1; i <= 300; i++) procs[`p${i}`] = { inherits: `p${i - 1}` }
    const e = thrown(() => validateAuditRecipe({ process_recipes: procs }))
    expect(e).toBeInstanceOf(RecipeError)
    expect((e as RecipeError).message).toContain('more than 200 levels')
  })

  it('is a WorkflowError for deeply nested conditions', () => {
    const e = thrown(() =>
      parseFlux(`steps:\n  - flux: if\n    condition: "${'!'.repeat(500)}true"\n    then: [p]\n`),
    )
    expect(e).toBeInstanceOf(WorkflowError)
    expect((e as WorkflowError).message).toContain('nested too deeply')
  })
})

describe('size and time', () => {
  it('refuses a document over 5 MB before parsing it', () => {
    const big = `process_recipes:\n${'  a: {}\n'.repeat(800_000)}`
    expect(big.length).toBeGreaterThan(5_000_000)
    for (const parse of [parseAuditRecipe, parseWorkflow, parseFlux] as const) {
      const e = thrown(() => parse(big, { filename: 'big.yaml' }))
      expect(e).toBeInstanceOf(parse === parseAuditRecipe ? RecipeError : WorkflowError)
      expect((e as Error).message).toContain('over the 5 MB limit')
      expect((e as Error).message).toContain('big.yaml:1:1')
    }
  })

  it('parses a 1 MB workflow, and finds a duplicate key at its end with its position', () => {
    const n = 31_000
    let text = 'initial: S0\nstates:\n'
    for (let i = 0; i < n; i++) text += `  S${i}:\n    on: { GO: S${(i + 1) % n} }\n`
    expect(text.length).toBeGreaterThan(1_000_000)
    const def = parseWorkflow(text)
    expect(Object.keys(def.states)).toHaveLength(n)
    const dup = `${text}  S7:\n    on: { GO: S0 }\n`
    const e = thrown(() => parseWorkflow(dup, { filename: 'wf.yaml' })) as WorkflowError
    expect(e).toBeInstanceOf(WorkflowError)
    expect(e.message).toContain("'S7' is repeated")
    expect([e.line, e.column]).toEqual([2 + 2 * n + 1, 3])
  }, 60_000)

  it('lists at most 100 problems of a huge broken document and counts the rest', () => {
    let text = 'states:\n  IDLE:\n    on:\n'
    for (let i = 0; i < 5_000; i++) text += `      E${i}: NOWHERE${i}\n`
    const e = thrown(() => parseWorkflow(text)) as WorkflowError
    expect(e).toBeInstanceOf(WorkflowError)
    expect(e.issues).toHaveLength(100)
    expect(e.message).toContain('(and 4999 more problems)')
  })

  it('resolves 100 000 aliases in one pass, each to the last anchor before it', () => {
    // yaml's Alias#resolve walks the whole document for every alias: quadratic, minutes for
    // this document (a hang, SPEC §10.4). The parser resolves them itself in one walk.
    const resolve = vi.spyOn(Alias.prototype, 'resolve')
    const many = Array.from({ length: 100_000 }, () => '*p').join(', ')
    const def = parseFlux(`name: &p p_step\nsteps: [${many}]\n`)
    expect(def.steps).toHaveLength(100_000)
    expect(def.steps[99_999]).toEqual({ process: 'p_step' })
    expect(resolve).not.toHaveBeenCalled()
    resolve.mockRestore()
    const redefined = parseFlux('name: &p a\nsteps: [*p, {process: &p b}, *p]\n')
    expect(redefined.steps).toEqual([{ process: 'a' }, { process: 'b' }, { process: 'b' }])
    expect(thrown(() => parseFlux('steps: [*p]\nname: &p a\n'))).toBeInstanceOf(WorkflowError)
  })

  it('refuses aliases that expand past the size of the document', () => {
    const bomb = `a: &a [x,x,x,x,x,x,x,x,x]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
states: { IDLE: {} }
`
    const e = thrown(() => parseWorkflow(bomb)) as WorkflowError
    expect(e).toBeInstanceOf(WorkflowError)
    expect(e.message).toContain('aliases expand')
  })
})

describe("the loader's limits say what to do", () => {
  // Each used to end with the syntax advice ("check the indentation and quoting"), which fixes
  // none of them, and a second document quoted yaml's own "please use YAML.parseAllDocuments()".
  const bomb = `a: &a [x,x,x,x,x,x,x,x,x]\n${'bcdefg'
    .split('')
    .map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdef'[i]}`).join(',')}]`)
    .join('\n')}\nprocess_recipes: {}\n`
  const cases: [string, string, RegExp, RegExp][] = [
    ['over 5 MB', `#${'x'.repeat(5_000_001)}`, /over the 5 MB limit/, /Keep the file under 5 MB/],
    [
      'too deep',
      `process_recipes: ${'['.repeat(300)}${']'.repeat(300)}`,
      /nested more than 200/,
      /Flatten it/,
    ],
    [
      'too deep (blocks)',
      `x:\n${Array.from({ length: 210 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}1\n`,
      /nested more than 200/,
      /Flatten it/,
    ],
    ['an alias bomb', bomb, /aliases expand/, /Write the repeated part out/],
    [
      'two documents',
      'process_recipes: {}\n---\nprocess_recipes: {}\n',
      /more than one YAML document/,
      /Keep one document per file/,
    ],
    ['an unknown alias', 'process_recipes: *nowhere\n', /nowhere/, /Define the anchor/],
  ]
  it.each(cases)(
    '%s: recipe, workflow and pipeline errors carry the hint',
    (_, text, what, hint) => {
      for (const parse of [parseAuditRecipe, parseWorkflow, parseFlux] as const) {
        const e = thrown(() => parse(text, { filename: 'f.yaml' })) as RecipeError | WorkflowError
        expect(e).toBeInstanceOf(parse === parseAuditRecipe ? RecipeError : WorkflowError)
        expect(e.message).toMatch(what)
        expect(e.message).toMatch(hint)
        expect(e.message).not.toMatch(/indentation|parseAllDocuments|Fix the YAML syntax/)
        expect(e.issues[0]?.hint).toMatch(hint)
        expect(e.file).toBe('f.yaml')
      }
    },
  )
})

describe('inputs that are not documents', () => {
  const hostile = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('boom')
      },
      get() {
        throw new Error('boom')
      },
      getPrototypeOf() {
        throw new Error('boom')
      },
    },
  )

  it('are typed errors for the text parsers', () => {
    for (const v of [42, null, undefined, {}, hostile]) {
      expect(thrown(() => parseWorkflow(v as string))).toBeInstanceOf(WorkflowError)
      expect(thrown(() => parseFlux(v as string))).toBeInstanceOf(WorkflowError)
      expect(thrown(() => parseAuditRecipe(v as string))).toBeInstanceOf(RecipeError)
    }
  })

  it('are typed errors, saying what to pass, for parser options other than { filename? }', () => {
    const bad = [5, null, 'a.yaml', [], { filename: 5 }, { filename: Symbol('f') }, { file: 'a' }]
    for (const o of [...bad, hostile]) {
      const errors = [
        thrown(() => parseAuditRecipe('process_recipes: {}\n', o as {})),
        thrown(() => parseWorkflow('states: { IDLE: {} }\n', o as {})),
        thrown(() => parseFlux('steps: []\n', o as {})),
      ]
      expect(errors.map((e) => e?.constructor)).toEqual([RecipeError, WorkflowError, WorkflowError])
      for (const e of errors)
        expect((e as Error).message).toContain("Pass { filename: 'name.yaml' }")
    }
    // Checked before the text, whose own error names the file.
    expect((thrown(() => parseWorkflow(42 as never, null as never)) as Error).message).toContain(
      'options must be an object, got null',
    )
    for (const o of [undefined, {}, { filename: 'a.yaml' }, { filename: undefined }] as {}[])
      expect(parseFlux('steps: []\n', o)).toEqual({ steps: [] })
  })

  it('are typed errors for a validator filename that is not a string; other options are none', () => {
    // The validators take options from code (the parsers pass a locator); in the core's size
    // budget (SPEC §10.5) they take options that are not an object as none, and refuse a
    // filename that is not a string instead of a TypeError (SPEC §10.4).
    for (const f of [5, Symbol('f')]) {
      const bad = { filename: f } as {}
      expect(thrown(() => validateWorkflow({ states: { IDLE: {} } }, bad))).toBeInstanceOf(
        WorkflowError,
      )
      expect(thrown(() => validateFlux({ steps: [] }, bad))).toBeInstanceOf(WorkflowError)
      const e = thrown(() => validateAuditRecipe({ process_recipes: { t: 1 } }, bad))
      expect(e).toBeInstanceOf(RecipeError)
      expect((e as Error).message).toContain('filename must be a string, got')
    }
    for (const o of [5, null, 'a.yaml'] as {}[]) {
      expect(validateWorkflow({ states: { IDLE: {} } }, o).initial).toBe('IDLE')
      expect(validateFlux({ steps: [] }, o)).toEqual({ steps: [] })
      expect(validateAuditRecipe({ process_recipes: {} }, o).process_recipes).toEqual({})
    }
  })

  it('are typed errors for the object validators, hostile objects included', () => {
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    for (const v of [hostile, revoked.proxy, { states: hostile }, { steps: [hostile] }]) {
      expect(thrown(() => validateWorkflow(v))).toBeInstanceOf(WorkflowError)
      expect(thrown(() => validateFlux(v))).toBeInstanceOf(WorkflowError)
      expect(thrown(() => validateAuditRecipe(v))).toBeInstanceOf(RecipeError)
    }
  })
})
