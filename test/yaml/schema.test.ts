/**
 * One source of truth: `auditRecipeSchema` (zod, in theus/yaml) is built from the rule table the
 * core's checker interprets, so both accept and refuse the same recipes.
 */
import fc from 'fast-check'
import { RecipeError, validateAuditRecipe } from 'theus'
import { auditRecipeSchema } from 'theus/yaml'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'

function coreAccepts(obj: unknown): boolean {
  try {
    validateAuditRecipe(obj)
    return true
  } catch (e) {
    expect(e).toBeInstanceOf(RecipeError)
    return false
  }
}

describe('auditRecipeSchema', () => {
  it('accepts a valid recipe and refuses the mistakes the core refuses', () => {
    const good = {
      process_recipes: {
        base: { inputs: [{ field: 'amount', min: 0, level: 'B' }] },
        transfer: {
          inherits: 'base',
          inputs: [{ field: 'amount', max: 10000, threshold: 2 }],
          outputs: null,
          errors: ['ValueError'],
        },
        empty: null,
      },
      name: 'bank',
    }
    expect(auditRecipeSchema.safeParse(good).success).toBe(true)
    expect(coreAccepts(good)).toBe(true)
    const bad = [
      { process_recipes: { t: { inputs: [{ field: 'a', maxx: 1 }] } } },
      { process_recipes: { t: { inputs: [{ field: 'a' }] } } },
      { process_recipes: { t: { inputs: [{ field: 'a', max: 1, level: 'X' }] } } },
      { process_recipes: { t: { inputs: [{ field: 'a', regex: '^(a+)+$' }] } } },
      { process_recipes: { t: { inputs: [{ field: 'a', min_len: 1.5 }] } } },
      { process_recipes: { t: { inherits: 'nope' } } },
      { process_recipes: { a: { inherits: 'b' }, b: { inherits: 'a' } } },
      { process_recipes: { t: { inputs: [{ field: 'a..b', max: 1 }] } } },
      {
        process_recipes: {
          t: { inputs: [{ field: 'a', max: 1, threshold: 1, max_threshold: 1 }] },
        },
      },
      { process_recipe: {} },
      [],
    ]
    for (const obj of bad) {
      expect(auditRecipeSchema.safeParse(obj).success, JSON.stringify(obj)).toBe(false)
      expect(coreAccepts(obj), JSON.stringify(obj)).toBe(false)
    }
  })

  it('agrees with validateAuditRecipe on random recipes', () => {
    const value = fc.oneof(
      fc.constantFrom('a', 'amount', 'domain.x', 'a..b', '', 'S', 'B', 'X', '^a+$', '^(a+)+$', '['),
      fc.integer({ min: -2, max: 3 }),
      fc.constantFrom(1.5, 0, true, false, null),
      fc.constant([1]),
      fc.constant({ x: 1 }),
    )
    const ruleKey = fc.constantFrom(
      'field',
      'level',
      'min',
      'max',
      'eq',
      'neq',
      'min_len',
      'max_len',
      'regex',
      'threshold',
      'max_threshold',
      'min_threshold',
      'reset_on_success',
      'message',
      'maxx',
    )
    const rule = fc.dictionary(ruleKey, value, { maxKeys: 4 })
    const proc = fc.oneof(
      fc.constant(null),
      fc.record(
        {
          inherits: fc.constantFrom('a', 'b', 'c', 'zz'),
          inputs: fc.oneof(fc.array(rule, { maxLength: 2 }), fc.constant(null), fc.constant('x')),
          outputs: fc.array(rule, { maxLength: 2 }),
          errors: fc.oneof(fc.array(fc.constantFrom('E', 1)), fc.constant(null)),
        },
        { requiredKeys: [] },
      ),
    )
    const recipe = fc.record(
      {
        process_recipes: fc.oneof(
          fc.dictionary(fc.constantFrom('a', 'b', 'c'), proc, { maxKeys: 3 }),
          fc.constant(null),
        ),
        name: fc.oneof(fc.constant('n'), fc.constant(1)),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(recipe, (obj) => {
        expect(auditRecipeSchema.safeParse(obj).success).toBe(coreAccepts(obj))
      }),
      { numRuns: 1000 },
    )
  })

  it('gives a JSON Schema for editors', () => {
    const json = z.toJSONSchema(auditRecipeSchema, { unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>
    }
    expect(Object.keys(json.properties ?? {})).toEqual(['process_recipes', 'name', 'description'])
  })
})
