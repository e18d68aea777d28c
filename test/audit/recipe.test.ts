import fc from 'fast-check'
import { isAuditRecipe, RecipeError, validateAuditRecipe } from 'theus'
import { describe, expect, it } from 'vitest'

function errorOf(obj: unknown, options?: Parameters<typeof validateAuditRecipe>[1]): RecipeError {
  try {
    validateAuditRecipe(obj, options)
  } catch (e) {
    if (e instanceof RecipeError) return e
    throw e
  }
  throw new Error('expected a RecipeError')
}

describe('validateAuditRecipe', () => {
  it('normalises an object recipe and brands it', () => {
    const r = validateAuditRecipe({
      process_recipes: {
        base: { outputs: [{ field: 'domain.x', min: 0 }], side_effects: ['log'] },
        t: {
          inherits: 'base',
          outputs: [{ field: 'domain.y', max: 1, level: 'A' }],
          side_effects: ['log', 'mail'],
        },
      },
    })
    expect(isAuditRecipe(r)).toBe(true)
    expect(validateAuditRecipe(r)).toBe(r)
    expect(r.process_recipes.t!.outputs.map((x) => x.field)).toEqual(['domain.x', 'domain.y'])
    expect(r.process_recipes.t!.side_effects).toEqual(['log', 'mail'])
    expect(Object.isFrozen(r.process_recipes.t!.outputs)).toBe(true)
  })

  it('resolves multi-level inheritance, grandparent rules first', () => {
    const r = validateAuditRecipe({
      process_recipes: {
        c: { inherits: 'b', inputs: [{ field: 'c', min: 0 }] },
        b: { inherits: 'a', inputs: [{ field: 'b', min: 0 }] },
        a: { inputs: [{ field: 'a', min: 0 }] },
      },
    })
    expect(r.process_recipes.c!.inputs.map((x) => x.field)).toEqual(['a', 'b', 'c'])
  })

  it('accepts a min_threshold above max_threshold: every count below the threshold is a count (§9)', () => {
    // SPEC §9: "a violation whose count is below min_threshold (and below max_threshold) is
    // logged with action 'count'": the rule's semantics cover min_threshold > max_threshold.
    const rule = (more: object) => ({
      process_recipes: { t: { inputs: [{ field: 'a', max: 1, ...more }] } },
    })
    for (const more of [{ min_threshold: 5, max_threshold: 3 }, { min_threshold: 2 }])
      expect(validateAuditRecipe(rule(more)).process_recipes.t!.inputs[0]).toMatchObject({
        minThreshold: more.min_threshold,
        maxThreshold: 'max_threshold' in more ? more.max_threshold : 1,
      })
    // A min_threshold that is not a number is still refused.
    expect(errorOf(rule({ min_threshold: '5', max_threshold: 3 })).issues).toHaveLength(1)
  })

  it('names the path and the hint without a locator, and positions with one', () => {
    const obj = { process_recipes: { t: { inputs: [{ field: 'a', mx: 1 }] } } }
    const plain = errorOf(obj)
    expect(plain.code).toBe('RECIPE_INVALID')
    expect(plain.line).toBeUndefined()
    expect(plain.message).toContain("unknown key 'mx' in process_recipes.t.inputs[0]")
    expect(plain.message).toContain("Did you mean 'max'?")
    const seen: unknown[] = []
    const located = errorOf(obj, {
      filename: 'r.json',
      locate: (path, at) => {
        seen.push([path, at])
        return { line: 7, column: 3 }
      },
    })
    expect([located.file, located.line, located.column]).toEqual(['r.json', 7, 3])
    expect(seen).toContainEqual([['process_recipes', 't', 'inputs', 0, 'mx'], 'key'])
  })

  it('reads a key set to undefined as absent, as the optional properties of its type allow', () => {
    const plain = validateAuditRecipe({
      process_recipes: { base: {}, p: { inherits: 'base', inputs: [{ field: 'v', max: 1 }] } },
    })
    const withUndefined = validateAuditRecipe({
      name: undefined,
      process_recipes: {
        base: { inputs: undefined, outputs: undefined, side_effects: undefined, errors: undefined },
        p: {
          inherits: 'base',
          inputs: [
            {
              field: 'v',
              max: 1,
              min: undefined,
              eq: undefined,
              regex: undefined,
              level: undefined,
              threshold: undefined,
              max_threshold: undefined,
              min_threshold: undefined,
              reset_on_success: undefined,
              message: undefined,
            },
          ],
        },
      },
    })
    expect(withUndefined.process_recipes).toEqual(plain.process_recipes)
    expect(
      errorOf({ process_recipes: { p: { inputs: [{ field: 'v', max: undefined }] } } }).message,
    ).toContain('has no condition')
    expect(
      errorOf({ process_recipes: { p: { inputs: [{ field: undefined, max: 1 }] } } }).message,
    ).toContain('it is missing')
    expect(errorOf({ process_recipes: undefined }).message).toContain('missing')
  })

  it('rejects non-finite numbers', () => {
    expect(() =>
      validateAuditRecipe({
        process_recipes: { t: { inputs: [{ field: 'a', max: Number.NaN }] } },
      }),
    ).toThrow(RecipeError)
    expect(() =>
      validateAuditRecipe({
        process_recipes: { t: { inputs: [{ field: 'a', min: Number.POSITIVE_INFINITY }] } },
      }),
    ).toThrow(RecipeError)
  })

  it('keeps a __proto__ key from JSON as data and refuses it as a process name', () => {
    const obj = JSON.parse('{"process_recipes":{"__proto__":{"inputs":[{"field":"a","max":1}]}}}')
    expect(errorOf(obj).message).toContain("'__proto__' cannot be a process name")
    expect(({} as Record<string, unknown>).inputs).toBeUndefined()
  })

  it('turns hostile objects into RecipeError', () => {
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('boom')
        },
        ownKeys() {
          throw new Error('boom')
        },
      },
    )
    expect(() => validateAuditRecipe(throwing)).toThrow(RecipeError)
    expect(() => validateAuditRecipe({ process_recipes: throwing })).toThrow(RecipeError)
  })

  it('never throws anything but RecipeError on arbitrary values', () => {
    const rule = fc.record(
      {
        field: fc.oneof(fc.string(), fc.constant('amount'), fc.anything()),
        level: fc.oneof(fc.constantFrom('S', 'A', 'B', 'C', 'D'), fc.anything()),
        max: fc.oneof(fc.double(), fc.anything()),
        regex: fc.oneof(fc.string(), fc.constant('(')),
        min_len: fc.oneof(fc.integer(), fc.double()),
        threshold: fc.integer(),
      },
      { requiredKeys: [] },
    )
    const recipe = fc.oneof(
      fc.anything(),
      fc.record({
        process_recipes: fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'a', 'b')),
          fc.oneof(
            fc.anything(),
            fc.record(
              {
                inherits: fc.constantFrom('a', 'b', 'x'),
                inputs: fc.array(rule),
                outputs: fc.anything(),
              },
              { requiredKeys: [] },
            ),
          ),
        ),
      }),
    )
    fc.assert(
      fc.property(recipe, (obj) => {
        try {
          const r = validateAuditRecipe(obj)
          expect(isAuditRecipe(r)).toBe(true)
        } catch (e) {
          expect(e).toBeInstanceOf(RecipeError)
        }
      }),
      { numRuns: 500 },
    )
  })
})
