import fc from 'fast-check'
import { createAuditor, isAuditRecipe, RecipeError, TheusError } from 'theus'
import { parseAuditRecipe } from 'theus/yaml'
import { describe, expect, it } from 'vitest'
import { caught } from '../support/caught.js'

const GOOD = `# the bank's rules
process_recipes:
  base_money_rules:
    inputs:
      - field: amount
        min: 0
        level: B
  transfer:
    inherits: base_money_rules
    inputs:
      - field: amount
        max: 10000
        level: B
        threshold: 3
        min_threshold: 2
        reset_on_success: false
    outputs:
      - field: domain.total_reserves
        min: 0
        level: S
        message: Reserves must never be negative
    side_effects: []
    errors: [ValueError]
  on_call:
    inputs:
      - { field: code, regex: '^[A-Z]{3}$', eq: ABC, neq: null }
      - { field: tags, min_len: 1, max_len: 5 }
`

function parseError(text: string): RecipeError {
  try {
    parseAuditRecipe(text, { filename: 'audit_recipe.yaml' })
  } catch (e) {
    if (e instanceof RecipeError) return e
    throw e
  }
  throw new Error('expected a RecipeError')
}

describe('parseAuditRecipe', () => {
  it('reads any YAML 1.2 line break: LF, CRLF and a lone CR (classic Mac line ends)', () => {
    // A lone CR failed as 'Nested mappings are not allowed in compact mappings' at 1:17.
    const want = parseAuditRecipe(GOOD)
    for (const eol of ['\r\n', '\r']) {
      expect(parseAuditRecipe(GOOD.replaceAll('\n', eol)), JSON.stringify(eol)).toEqual(want)
      const bad = 'process_recipes:\n  t:\n    inputs:\n      - field: a\n        maxx: 1\n'
      const e = parseError(bad.replaceAll('\n', eol))
      expect([e.line, e.column], JSON.stringify(eol)).toEqual([5, 9])
    }
  })

  it('parses and normalises a recipe: inheritance, split conditions, defaults', () => {
    const r = parseAuditRecipe(GOOD, { filename: 'audit_recipe.yaml' })
    expect(isAuditRecipe(r)).toBe(true)
    const t = r.process_recipes.transfer!
    expect(t.inputs).toEqual([
      {
        field: 'amount',
        condition: 'min',
        limit: 0,
        level: 'B',
        minThreshold: 0,
        maxThreshold: 1,
        resetOnSuccess: true,
      },
      {
        field: 'amount',
        condition: 'max',
        limit: 10000,
        level: 'B',
        minThreshold: 2,
        maxThreshold: 3,
        resetOnSuccess: false,
      },
    ])
    expect(t.outputs[0]).toMatchObject({ level: 'S', message: 'Reserves must never be negative' })
    expect(t.errors).toEqual(['ValueError'])
    expect(r.process_recipes.on_call!.inputs.map((x) => [x.condition, x.limit])).toEqual([
      ['regex', '^[A-Z]{3}$'],
      ['eq', 'ABC'],
      ['neq', null],
      ['min_len', 1],
      ['max_len', 5],
    ])
  })

  it('gives a recipe the auditor accepts as is', () => {
    const r = parseAuditRecipe(GOOD)
    expect(createAuditor(r, { emit() {} }).recipe).toBe(r)
  })

  it('accepts empty recipes and empty sections', () => {
    expect(parseAuditRecipe('process_recipes:\n').process_recipes).toEqual({})
    expect(
      parseAuditRecipe('process_recipes:\n  p:\n  q:\n    inputs:\n').process_recipes.q,
    ).toEqual({
      inputs: [],
      outputs: [],
      side_effects: [],
      errors: [],
    })
  })

  it('registers itself so that parseText-based callers accept YAML', async () => {
    const { parseText } = await import('../../src/textParsers.js')
    expect(isAuditRecipe(parseText('recipe', 'process_recipes: {}\n'))).toBe(true)
  })

  // [what, YAML, line, column, text the message must contain]
  const table: [string, string, number, number, string][] = [
    [
      'unknown rule key',
      'process_recipes:\n  t:\n    inputs:\n      - field: amount\n        maxx: 1\n',
      5,
      9,
      "Did you mean 'max'?",
    ],
    [
      'unknown process key',
      'process_recipes:\n  t:\n    input:\n      - field: a\n        max: 1\n',
      3,
      5,
      "Did you mean 'inputs'?",
    ],
    [
      'unknown top-level key',
      'process_recipe:\n  t: {}\n',
      1,
      1,
      "Did you mean 'process_recipes'?",
    ],
    [
      'rule without field',
      'process_recipes:\n  t:\n    inputs:\n      - max: 1\n',
      4,
      9,
      'needs a `field`',
    ],
    [
      'rule without condition',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        level: B\n',
      4,
      9,
      'no condition',
    ],
    [
      'bad level',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: 1\n        level: X\n',
      6,
      16,
      'S, A, B',
    ],
    [
      'lowercase level',
      'process_recipes:\n  t:\n    outputs:\n      - { field: a, max: 1, level: b }\n',
      4,
      36,
      'S, A, B',
    ],
    [
      'invalid regex',
      "process_recipes:\n  t:\n    inputs:\n      - field: a\n        regex: '[a-'\n",
      5,
      16,
      'regular expression',
    ],
    [
      'non-number max',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: 10k\n',
      5,
      14,
      'max must be a number',
    ],
    [
      'quoted number min',
      "process_recipes:\n  t:\n    inputs:\n      - field: a\n        min: '0'\n",
      5,
      14,
      'min must be a number',
    ],
    [
      'fractional min_len',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        min_len: 1.5\n',
      5,
      18,
      'whole number',
    ],
    [
      'negative max_len',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max_len: -1\n',
      5,
      18,
      'zero or more',
    ],
    [
      'zero threshold',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: 1\n        threshold: 0\n',
      6,
      20,
      'at least 1',
    ],
    [
      'negative min_threshold',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: 1\n        min_threshold: -2\n',
      6,
      24,
      'zero or more',
    ],
    [
      'both threshold keys',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: 1\n        threshold: 2\n        max_threshold: 2\n',
      6,
      9,
      'alias',
    ],
    [
      'non-boolean reset_on_success',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: 1\n        reset_on_success: sometimes\n',
      6,
      27,
      'true or false',
    ],
    [
      'object as eq',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        eq: { x: 1 }\n',
      5,
      13,
      '===',
    ],
    [
      'bad field path',
      'process_recipes:\n  t:\n    inputs:\n      - field: a..b\n        max: 1\n',
      4,
      16,
      'not a valid path',
    ],
    [
      'inherits naming nothing',
      'process_recipes:\n  base: {}\n  t:\n    inherits: bsae\n',
      4,
      15,
      "Did you mean 'base'?",
    ],
    [
      'inherits cycle',
      'process_recipes:\n  a:\n    inherits: b\n  b:\n    inherits: a\n',
      3,
      15,
      'inherits itself',
    ],
    ['inherits itself', 'process_recipes:\n  a:\n    inherits: a\n', 3, 15, 'inherits itself'],
    ['inputs not a list', 'process_recipes:\n  t:\n    inputs: amount\n', 3, 13, 'must be a list'],
    [
      '__proto__ process',
      'process_recipes:\n  __proto__:\n    inputs: []\n',
      2,
      3,
      'cannot be a process name',
    ],
    [
      '__proto__ rule key',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: 1\n        __proto__: { level: S }\n',
      6,
      9,
      "unknown key '__proto__'",
    ],
    [
      'duplicate key',
      'process_recipes:\n  t:\n    inputs: []\n  t:\n    outputs: []\n',
      4,
      3,
      'duplicate',
    ],
    ['malformed YAML', 'process_recipes:\n  t:\n    inputs: [\n', 4, 1, 'malformed YAML'],
    [
      'bad indentation',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n     max: 1\n',
      5,
      1,
      'malformed YAML',
    ],
    [
      'a backslash escape YAML does not know, in a double-quoted regex',
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        regex: "^\\d+$"\n',
      5,
      18,
      'write it in single quotes',
    ],
    [
      "a second document (yaml's message told to call YAML.parseAllDocuments())",
      'process_recipes: {}\n---\nx: 1\n',
      2,
      1,
      'more than one YAML document',
    ],
    ['not a mapping', '- a\n- b\n', 1, 1, 'process_recipes'],
    ['empty document', '', 1, 1, 'process_recipes'],
  ]
  for (const [what, text, line, column, contains] of table) {
    it(`rejects ${what} at ${line}:${column}`, () => {
      const e = parseError(text)
      expect(e).toBeInstanceOf(RecipeError)
      expect(e).toBeInstanceOf(TheusError)
      expect(e.code).toBe('RECIPE_INVALID')
      expect([e.file, e.line, e.column]).toEqual(['audit_recipe.yaml', line, column])
      expect(e.message).toContain(`audit_recipe.yaml:${line}:${column}`)
      expect(`${e.message} ${e.issues.map((i) => i.hint ?? '').join(' ')}`).toContain(contains)
      expect(e.issues[0]).toMatchObject({
        code: 'RECIPE_INVALID',
        file: 'audit_recipe.yaml',
        line,
        column,
      })
    })
  }

  it('counts columns after a byte order mark as an editor does', () => {
    const err = caught(() =>
      parseAuditRecipe('\uFEFFmaxx: 1\nprocess_recipes: {}\n', { filename: 'r.yaml' }),
    )
    expect(err).toBeInstanceOf(RecipeError)
    expect(err.message).toContain('r.yaml:1:1:')
  })

  it('lists every problem in issues, in source order', () => {
    const e = parseError(
      'process_recipes:\n  t:\n    inputs:\n      - field: a\n        max: x\n      - field: b\n        level: Q\n        min: 1\n',
    )
    expect(e.issues.map((i) => i.line)).toEqual([5, 7])
    expect(e.message).toContain('1 more problem')
  })

  it('never lets __proto__ keys reach a prototype', () => {
    const texts = [
      'process_recipes:\n  __proto__:\n    inputs: [{ field: a, max: 1 }]\n',
      '__proto__:\n  polluted: true\nprocess_recipes: {}\n',
      'process_recipes:\n  t:\n    __proto__: { polluted: true }\n',
    ]
    for (const t of texts) {
      expect(() => parseAuditRecipe(t)).toThrow(RecipeError)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(({} as Record<string, unknown>).inputs).toBeUndefined()
  })

  it('rejects text that is not a string with RecipeError', () => {
    expect(() => parseAuditRecipe(42 as unknown as string)).toThrow(RecipeError)
  })

  it('never throws anything but RecipeError on garbage text', () => {
    const fragments = fc.constantFrom(
      'process_recipes:',
      'inputs:',
      'outputs:',
      '- field: a',
      'max: 1',
      'min:',
      'level: B',
      'regex: "("',
      'inherits: x',
      '  ',
      '    ',
      '\n',
      '[',
      ']',
      '{',
      '}',
      ':',
      '- ',
      '&a',
      '*a',
      '!!str',
      '"',
      "'",
      '#',
      '__proto__:',
      '? ',
      '|',
      '>',
      '---',
      '...',
      '%YAML 1.2',
    )
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(fragments, { maxLength: 30 }).map((a) => a.join('')),
        ),
        (text) => {
          try {
            parseAuditRecipe(text, { filename: 'g.yaml' })
          } catch (e) {
            expect(e).toBeInstanceOf(RecipeError)
            const r = e as RecipeError
            if (r.line !== undefined) expect(r.line).toBeGreaterThanOrEqual(1)
          }
        },
      ),
      { numRuns: 400 },
    )
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
