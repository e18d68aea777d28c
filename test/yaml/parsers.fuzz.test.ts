/**
 * The parser fuzz of issue 11 (SPEC §10.4): random and mutated YAML documents, random object
 * forms and random conditions and patterns. Every parser and validator returns a value or
 * throws its typed error (RecipeError, WorkflowError), never anything else, never hangs, and
 * Object.prototype is unchanged after every case.
 */
import fc from 'fast-check'
import { RecipeError, validateAuditRecipe, validateWorkflow, WorkflowError } from 'theus'
import { compileTheusYaml } from 'theus/vite'
import { evaluateExpression, parseExpression, validateFlux } from 'theus/workflow'
import { parseAuditRecipe, parseFlux, parseWorkflow } from 'theus/yaml'
import { afterAll, describe, expect, it } from 'vitest'

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort().join(',')
const ARRAY_NAMES = Object.getOwnPropertyNames(Array.prototype).sort().join(',')
let cases = 0

function prototypesIntact(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort().join(',')).toBe(PROTO_NAMES)
  expect(Object.getOwnPropertyNames(Array.prototype).sort().join(',')).toBe(ARRAY_NAMES)
  expect(Object.getPrototypeOf({})).toBe(Object.prototype)
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
}

/** Runs `fn`; it may return or throw `typed`, nothing else. */
function onlyTyped(typed: typeof RecipeError | typeof WorkflowError, fn: () => unknown): void {
  cases++
  try {
    fn()
  } catch (e) {
    if (!(e instanceof typed)) throw e
    expect(e.code).toBe(typed === RecipeError ? 'RECIPE_INVALID' : 'WORKFLOW_INVALID')
  }
  prototypesIntact()
}

const KEYS = [
  'process_recipes',
  'inputs',
  'outputs',
  'inherits',
  'field',
  'max',
  'min',
  'regex',
  'level',
  'threshold',
  'states',
  'initial',
  'on',
  'events',
  'entry',
  'signals',
  'steps',
  'flux',
  'condition',
  'then',
  'else',
  'do',
  'process',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'prototype',
  'polluted',
  'sig_x',
  'IDLE',
]
const SCALARS = [
  '1',
  '-2.5',
  'B',
  'S',
  'x',
  'true',
  'null',
  '~',
  "'^(a+)+$'",
  '"domain.n < 3"',
  '"len(args.items) > 0 && !signal.sig_x"',
  'if',
  'while',
  'run',
  '[p, q]',
  '{ GO: IDLE }',
  '&a [x]',
  '*a',
  '!!str 3',
  '.inf',
  '"\\u0000"',
  "'('",
]
const PUNCT = [
  '\n',
  '  ',
  '- ',
  ': ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '#',
  '"',
  "'",
  '&a ',
  '*a',
  '|',
  '>',
  '? ',
  '---\n',
  '\t',
]

const line = fc
  .tuple(
    fc.integer({ min: 0, max: 4 }),
    fc.constantFrom(...KEYS),
    fc.oneof(fc.constantFrom(...SCALARS), fc.constant(''), fc.string({ maxLength: 8 })),
    fc.boolean(),
  )
  .map(([indent, key, value, dash]) => `${'  '.repeat(indent)}${dash ? '- ' : ''}${key}: ${value}`)
const document = fc
  .array(fc.oneof(line, fc.constantFrom(...PUNCT)), { maxLength: 25 })
  .map((parts) => parts.join('\n'))

const VALID = [
  'process_recipes:\n  base:\n    inputs:\n      - field: amount\n        min: 0\n        level: B\n  transfer:\n    inherits: base\n    inputs:\n      - { field: amount, max: 10000, level: B, threshold: 2 }\n    outputs:\n      - field: domain.total\n        regex: "^[a-z]+$"\n',
  'initial: IDLE\nstates:\n  IDLE:\n    on: { CMD_TX: PROCESSING }\n  PROCESSING:\n    entry: [transfer, audit]\n    events: { EVT_SUCCESS: NOTIFY, EVT_FAIL: IDLE }\n  NOTIFY:\n    process: notify\n    on: { EVT_CHAIN_DONE: IDLE }\nsignals:\n  sig_fraud: EVT_FAIL\n',
  'steps:\n  - p_init\n  - process: p_load\n  - flux: while\n    condition: "domain.n < global.max_n"\n    do: [p_inc]\n  - flux: if\n    condition: "domain.n == 3 && len(domain.items) > 0 || args[\'who\'] != \'x\'"\n    then: [p_done]\n    else: [p_other]\n  - flux: run\n    steps: [p_final]\n',
]

/** A valid document with one to four random edits: deletions, insertions, swapped lines. */
const mutated = fc
  .tuple(
    fc.constantFrom(...VALID),
    fc.array(
      fc.tuple(
        fc.constantFrom('delete', 'insert', 'swap', 'duplicate'),
        fc.nat(),
        fc.nat({ max: 12 }),
        fc.oneof(fc.constantFrom(...PUNCT, ...KEYS, ...SCALARS), fc.string({ maxLength: 6 })),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([text, edits]) => {
    let t = text
    for (const [kind, at, len, piece] of edits) {
      const i = at % (t.length + 1)
      if (kind === 'delete') t = t.slice(0, i) + t.slice(i + len)
      else if (kind === 'insert') t = t.slice(0, i) + piece + t.slice(i)
      else {
        const lines = t.split('\n')
        const a = at % lines.length
        const b = (at + len) % lines.length
        if (kind === 'swap') [lines[a], lines[b]] = [lines[b]!, lines[a]!]
        else lines.splice(b, 0, lines[a]!)
        t = lines.join('\n')
      }
    }
    return t
  })

const PARSERS = [
  ['parseAuditRecipe', parseAuditRecipe, RecipeError],
  ['parseWorkflow', parseWorkflow, WorkflowError],
  ['parseFlux', parseFlux, WorkflowError],
  // The Vite plugin compiles with the same parsers: the same errors, nothing else.
  ['vite: recipe', (t: string) => compileTheusYaml('recipe', t, 'r.yaml'), RecipeError],
  ['vite: workflow', (t: string) => compileTheusYaml('workflow', t, 'w.yaml'), WorkflowError],
] as const

afterAll(() => {
  console.log(`[parser fuzz] ${cases} cases, only typed errors, Object.prototype unchanged`)
})

describe('parser fuzz: YAML text', () => {
  it('random documents give only typed errors', () => {
    fc.assert(
      fc.property(document, (text) => {
        for (const [, parse, typed] of PARSERS)
          onlyTyped(typed, () => parse(text, { filename: 'f.yaml' }))
      }),
      { numRuns: 800 },
    )
  }, 60_000)

  it('mutated valid documents give only typed errors', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        for (const [, parse, typed] of PARSERS) onlyTyped(typed, () => parse(text))
      }),
      { numRuns: 1000 },
    )
  }, 60_000)

  it('valid documents still parse', () => {
    expect(() => parseAuditRecipe(VALID[0]!)).not.toThrow()
    expect(() => parseWorkflow(VALID[1]!)).not.toThrow()
    expect(() => parseFlux(VALID[2]!)).not.toThrow()
  })
})

describe('parser fuzz: object forms', () => {
  const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 }))
  const leaf = fc.oneof(
    fc.constantFrom(
      'p',
      'IDLE',
      'GO',
      'domain.n < 1',
      '^(a|a)*$',
      'B',
      'if',
      'while',
      'run',
      'amount',
    ),
    fc.anything({ maxDepth: 1 }),
  )
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.dictionary(key, tie('tree'), { maxKeys: 5 }),
    ),
  }))
  // Keys such as __proto__ as own data, as JSON.parse and the YAML loader make them.
  const asJson = tree.map((v) => {
    try {
      return JSON.parse(JSON.stringify(v) ?? 'null') as unknown
    } catch {
      return v
    }
  })

  it('validateAuditRecipe, validateWorkflow and validateFlux give only typed errors', () => {
    fc.assert(
      fc.property(fc.oneof(tree, asJson), (obj) => {
        onlyTyped(RecipeError, () => validateAuditRecipe(obj))
        onlyTyped(RecipeError, () => validateAuditRecipe({ process_recipes: obj }))
        onlyTyped(WorkflowError, () => validateWorkflow(obj))
        onlyTyped(WorkflowError, () => validateWorkflow({ states: obj, signals: obj }))
        onlyTyped(WorkflowError, () => validateFlux(obj))
        onlyTyped(WorkflowError, () => validateFlux({ steps: [obj] }))
      }),
      { numRuns: 1000 },
    )
  }, 60_000)
})

describe('parser fuzz: conditions and patterns', () => {
  const TOKENS = [
    'domain',
    'global',
    'args',
    'signal',
    '.n',
    '.items',
    '[0]',
    "['k']",
    '.__proto__',
    '.constructor',
    'len(',
    '(',
    ')',
    '&&',
    '||',
    '!',
    '==',
    '!=',
    '<',
    '>=',
    '+',
    '-',
    '*',
    '/',
    '%',
    '1',
    '2.5e3',
    "'s'",
    '"t',
    'true',
    'null',
    'x',
    ' ',
    '=',
    '&',
    ',',
  ]
  const expression = fc.oneof(
    fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }).map((t) => t.join('')),
    fc.string({ maxLength: 40 }),
  )
  const scope = {
    domain: () => ({ n: 2, items: [1, 2], k: { n: 1 } }),
    global: () => ({ max: 3 }),
    args: { k: 'v', items: new Map([['0', 1]]) },
    signal: () => true,
  }

  it('parseExpression gives only WorkflowError, and what parses evaluates without throwing', () => {
    fc.assert(
      fc.property(expression, (src) => {
        cases++
        let parsed: ReturnType<typeof parseExpression> | undefined
        try {
          parsed = parseExpression(src)
        } catch (e) {
          if (!(e instanceof WorkflowError)) throw e
        }
        if (parsed) evaluateExpression(parsed, scope)
        prototypesIntact()
      }),
      { numRuns: 3000 },
    )
  }, 60_000)

  it('regex rules built from random patterns give only RecipeError', () => {
    const pattern = fc.oneof(
      fc
        .array(
          fc.constantFrom(
            'a',
            'b',
            '(',
            ')',
            '(?:',
            '(?=',
            '(?<n>',
            '\\k<n>',
            '|',
            '*',
            '+',
            '?',
            '{2,}',
            '{1,3}',
            '[a-z]',
            '[^',
            ']',
            '\\d',
            '\\w',
            '\\1',
            '.',
            '^',
            '$',
            '\\',
          ),
          { maxLength: 20 },
        )
        .map((t) => t.join('')),
      fc.string({ maxLength: 20 }),
    )
    fc.assert(
      fc.property(pattern, (regex) => {
        onlyTyped(RecipeError, () =>
          validateAuditRecipe({ process_recipes: { t: { inputs: [{ field: 'v', regex }] } } }),
        )
      }),
      { numRuns: 2000 },
    )
  }, 60_000)
})
