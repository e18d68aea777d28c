/**
 * SPEC §10.4, `regex` rules: a pattern that can backtrack catastrophically is refused when the
 * recipe is checked (with line and column in YAML, with its path in object form), and a value
 * longer than 10 000 characters fails the rule without running the pattern.
 */
import { type AuditLogEntry, createAuditor, RecipeError, validateAuditRecipe } from 'theus'
import { parseAuditRecipe } from 'theus/yaml'
import { afterEach, describe, expect, it, vi } from 'vitest'

function refusal(pattern: string): RecipeError | undefined {
  try {
    validateAuditRecipe({ process_recipes: { t: { inputs: [{ field: 'v', regex: pattern }] } } })
    return undefined
  } catch (e) {
    if (e instanceof RecipeError) return e
    throw e
  }
}

describe('regex rules: catastrophic backtracking', () => {
  const refused: [string, RegExp][] = [
    ['^(a+)+$', /nests unbounded quantifiers/],
    ['(a*)*b', /nests unbounded quantifiers/],
    ['^([a-z]+)*$', /nests unbounded quantifiers/],
    ['(x+x+)+y', /nests unbounded quantifiers/],
    ['^(\\d+){2,}$', /nests unbounded quantifiers/],
    ['(?:a+|b)+c', /nests unbounded quantifiers/],
    ['((ab)*c)*', /nests unbounded quantifiers/],
    ['(?<word>\\w+\\s?)*$', /nests unbounded quantifiers/],
    ['^(a|a)*$', /alternation whose branches/],
    ['^(a|ab)*c', /alternation whose branches/],
    ['(\\w|\\d)+!', /alternation whose branches/],
    ['(.|\\s)*x', /alternation whose branches/],
    ['([a-f]|[0-9a-c])+g', /alternation whose branches/],
    ['(a)\\1+', /backreference under a quantifier/],
    ['^(a)(\\1b)*$', /backreference under a quantifier/],
    ['(?<q>["\'])(\\k<q>x){2}', /backreference under a quantifier/],
    [`${'('.repeat(250)}a${')'.repeat(250)}`, /nested more than 200 levels/],
    // A bounded repetition of a variable-length part splits the input n^count ways.
    ['(.*a){20}', /variable length 10 times or more/],
    ['(.*){1,32000}[bc]', /variable length 10 times or more/],
    ['^(a?){25}a{25}$', /variable length 10 times or more/],
    ['^(\\w{1,3}-){10}$', /variable length 10 times or more/],
    // An unbounded repetition of a part whose optional end can start it again (or whose optional
    // start can end it) splits a run of the same character between repetitions 2^n ways.
    ['^(a?a?)*$', /several ways/],
    ['^(aa?)+$', /several ways/],
    ['^(a?a)+$', /several ways/],
    ['^(a{1,3})+$', /several ways/],
    ['^(\\d{1,3},?)+$', /several ways/],
    ['((ab){1,3})+', /several ways/],
    // Long repetitions in a row that can take the same characters: k of them split a run n^k
    // ways, times n start positions when the pattern is not anchored. Each of these ran for
    // more than 10 s on a value of 10 000 characters (the longest a rule tests) and was accepted.
    ['.*.*=.*', /repetitions in a row that can take the same characters/],
    ['[a-z]{1,}[a-z]*x$', /repetitions in a row that can take the same characters/],
    ['a+b?a+c', /repetitions in a row that can take the same characters/],
    ['(?:a*)b*a*c', /repetitions in a row that can take the same characters/],
    ['(\\w+)(\\w+)x', /repetitions in a row that can take the same characters/],
    ['\\d*\\d*\\d*x', /repetitions in a row that can take the same characters/],
    ['^.*.*.*$x', /repetitions in a row that can take the same characters/],
    ['a{0,5000}a{0,5000}b', /repetitions in a row that can take the same characters/],
  ]
  for (const [pattern, why] of refused) {
    it(`refuses ${pattern.length > 30 ? `${pattern.slice(0, 30)}…` : pattern}`, () => {
      const e = refusal(pattern)
      expect(e, pattern).toBeInstanceOf(RecipeError)
      expect(e!.message).toContain('process_recipes.t.inputs[0].regex')
      expect(e!.message).toContain('can backtrack catastrophically')
      expect(e!.message).toMatch(why)
    })
  }

  const accepted = [
    '^[a-z]+$',
    '^\\d{3}-\\d{4}$',
    '^(\\d{1,3}\\.){3}\\d{1,3}$',
    '^(ab|cd)*$',
    '[^@]+@[^@]+\\.[a-z]{2,}',
    '^.*$',
    '(?:abc)+',
    '^[A-Z]{2}\\d{2}( ?\\d{4}){4}$',
    '^(a)\\1$',
    '^\\w+(?=\\d)',
    'a{2,}b+c*',
    '^(?:[a-z]|\\d)$',
    '\\(a+\\)+',
    '[(]a+[)]+',
    '^.{10,100}$',
    '^(ab){10,20}$',
    '^(a?b){9}$',
    '^([a-z0-9-]{1,63}\\.)+[a-z]{2,6}$',
    '^(\\.[a-z]{2,6})+$',
    '^(ab?)*$',
    '(-[a-z]{1,20})*',
    '^(a|bc)+$',
    // Two in a row, anchored: one start position, n^2 at most (0.1 s at 10 000 characters).
    '^a*a*b',
    '^\\d+\\.?\\d*$',
    '^(\\d+)(\\d*)$',
    // Apart: a character that must match between them, or sets that share none.
    '.*\\.pdf$',
    '^\\S+@\\S+\\.\\S+$',
    '\\s*\\S+\\s*x',
    '\\d{1,3}\\d{1,3}x',
  ]
  for (const pattern of accepted) {
    it(`accepts ${pattern}`, () => {
      expect(refusal(pattern)).toBeUndefined()
    })
  }

  it('points at the pattern in YAML, with line and column', () => {
    const text =
      "process_recipes:\n  signup:\n    inputs:\n      - field: email\n        regex: '^([a-z]+)*@x$'\n        level: B\n"
    let e: unknown
    try {
      parseAuditRecipe(text, { filename: 'audit_recipe.yaml' })
    } catch (err) {
      e = err
    }
    expect(e).toBeInstanceOf(RecipeError)
    const r = e as RecipeError
    expect([r.file, r.line, r.column]).toEqual(['audit_recipe.yaml', 5, 16])
    expect(r.message).toContain('audit_recipe.yaml:5:16')
    expect(r.issues[0]?.hint).toContain('bound its repetitions')
  })

  it('is refused by the engine too, before any run', async () => {
    const { TheusEngine } = await import('theus')
    expect(
      () =>
        new TheusEngine(
          { domain: { name: '' } },
          {
            auditRecipe: {
              process_recipes: { t: { outputs: [{ field: 'domain.name', regex: '^(a+)+$' }] } },
            },
          },
        ),
    ).toThrow(RecipeError)
  })
})

describe('regex rules: how the hazard is found', () => {
  const cases: [string, RegExp | undefined][] = [
    // The outermost hazard is the one reported, then the leftmost.
    ['((a|a)*)*', /nests unbounded quantifiers/],
    ['((x|x)*\\1){2}', /alternation whose branches/],
    ['(\\1(x|x)*){2}', /backreference under a quantifier/],
    // `.` is any character here, newline included, and a class counts the characters it names.
    ['(.|\\n)*', /alternation whose branches/],
    ['([é-ë]|ê)+x', /alternation whose branches/],
    ['(?:[ab]|b)*', /alternation whose branches/],
    // A lookaround's own alternation is not repeated by the quantifier outside it.
    ['(a(?=b|b))*', undefined],
    ['(a|\\d)*', undefined],
    ['(a?|b)*', undefined],
  ]
  for (const [pattern, why] of cases) {
    it(`${why ? 'refuses' : 'accepts'} ${pattern}`, () => {
      const e = refusal(pattern)
      if (why === undefined) expect(e).toBeUndefined()
      else expect(e?.message).toMatch(why)
    })
  }
})

describe('regex rules: what an accepted pattern costs', () => {
  it('runs the accepted patterns of repetitions in a row quickly on 10 000 characters', () => {
    // Not a timing assertion: each pattern is run once on its worst inputs; a hang fails the
    // test by its timeout, which is what the refused ones did.
    for (const pattern of ['^a*a*b', '^(\\d+)(\\d*)$', '.*\\.pdf$', '\\s*\\S+\\s*x']) {
      expect(refusal(pattern), pattern).toBeUndefined()
      const re = new RegExp(pattern)
      for (const ch of ['a', '1', ' ', '.'])
        expect(typeof re.test(`${ch.repeat(9_999)}!`)).toBe('boolean')
    }
  })
})

describe('regex rules: long values', () => {
  afterEach(() => vi.restoreAllMocks())

  function gate() {
    const entries: AuditLogEntry[] = []
    const auditor = createAuditor(
      { process_recipes: { p: { inputs: [{ field: 'v', regex: '^a+$', level: 'B' }] } } },
      { emit: (e) => entries.push(e) },
    )
    const check = (v: unknown) => {
      try {
        auditor.checkInput('p', { v }, () => undefined)
        return true
      } catch {
        return false
      }
    }
    return { check, entries }
  }

  it('tests a value of 10 000 characters', () => {
    expect(gate().check('a'.repeat(10_000))).toBe(true)
  })

  it('fails a value over 10 000 characters without running the pattern', () => {
    const { check, entries } = gate()
    expect(check('a')).toBe(true) // compiles the rules, which uses regexes of its own
    const test = vi.spyOn(RegExp.prototype, 'test')
    expect(check('a'.repeat(10_001))).toBe(false)
    expect(test).not.toHaveBeenCalled()
    expect(entries[0]).toMatchObject({ condition: 'regex', action: 'block' })
  })
})
