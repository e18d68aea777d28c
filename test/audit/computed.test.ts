/**
 * Audit rules on computed values (issue 14): a rule's field may be `len`, `sum`, `min`, `max`,
 * `mean` or `abs` of a path, as Python Theus recipes read `tensor.mean()`.
 */
import {
  AuditBlockError,
  type AuditLogEntry,
  createAuditor,
  process,
  RecipeError,
  TheusEngine,
  validateAuditRecipe,
} from 'theus'
import { parseAuditRecipe } from 'theus/yaml'
import { describe, expect, it } from 'vitest'

function gate(field: string, rule: Record<string, unknown>) {
  const entries: AuditLogEntry[] = []
  const auditor = createAuditor(
    { process_recipes: { p: { inputs: [{ field, level: 'B', ...rule }] } } },
    { emit: (e) => entries.push(e) },
  )
  return {
    entries,
    passes(args: Record<string, unknown>, context: Record<string, unknown> = {}): boolean {
      try {
        auditor.checkInput('p', args, (segs) =>
          segs.reduce<unknown>((v, s) => (v as Record<string, unknown> | undefined)?.[s], context),
        )
        return true
      } catch (e) {
        expect(e).toBeInstanceOf(AuditBlockError)
        return false
      }
    },
  }
}

describe('audit rules on computed values', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, boolean][] = [
    ['len(items)', { max: 2 }, { items: [1, 2] }, true],
    ['len(items)', { max: 2 }, { items: [1, 2, 3] }, false],
    ['len(tags)', { min: 1 }, { tags: new Set(['a']) }, true],
    ['sum(items)', { max: 10 }, { items: [4, 5] }, true],
    ['sum(items)', { max: 10 }, { items: [4, 7] }, false],
    ['sum(items)', { eq: 0 }, { items: [] }, true],
    ['min(items)', { min: 0 }, { items: [3, -1, 2] }, false],
    ['max(items)', { max: 5 }, { items: [3, 1, 5] }, true],
    ['mean(items)', { max: 2 }, { items: [1, 2, 3] }, true],
    ['mean(items)', { max: 2 }, { items: [1, 2, 6] }, false],
    ['abs(delta)', { max: 3 }, { delta: -2 }, true],
    ['abs(delta)', { max: 3 }, { delta: -4 }, false],
    ['abs(sum(deltas))', { max: 3 }, { deltas: [5, -4] }, true],
    ['abs( sum( deltas ) )', { max: 3 }, { deltas: [-5, 1] }, false],
    // Fail closed: a value of the wrong kind computes to undefined, a violation.
    ['sum(items)', { max: 10 }, { items: [1, 'x'] }, false],
    ['mean(items)', { max: 10 }, { items: [] }, false],
    ['len(n)', { max: 10 }, { n: 5 }, false],
    ['abs(items)', { max: 10 }, { items: [1] }, false],
    ['max(missing)', { max: 10 }, {}, false],
  ]
  for (const [field, rule, args, ok] of cases) {
    it(`${field} ${JSON.stringify(rule)} on ${JSON.stringify(args, (_, v) => (v instanceof Set ? [...v] : v))} ${ok ? 'passes' : 'is a violation'}`, () => {
      expect(gate(field, rule).passes(args)).toBe(ok)
    })
  }

  it('reads a context path, a typed array in the heavy zone included (tensor.mean())', () => {
    const g = gate('mean(domain.heavy_samples)', { max: 0.5 })
    expect(g.passes({}, { domain: { heavy_samples: new Float64Array([0.1, 0.2, 0.3]) } })).toBe(
      true,
    )
    expect(g.passes({}, { domain: { heavy_samples: new Float64Array([0.9, 0.8]) } })).toBe(false)
    expect(g.entries[0]).toMatchObject({
      field: 'mean(domain.heavy_samples)',
      condition: 'max',
      value: 0.8500000000000001,
    })
  })

  it('checks the draft at the output gate of a real run', () => {
    const add = process(
      { inputs: ['domain.cart'], outputs: ['domain.cart'] },
      function add_item(ctx, args: { item: string }) {
        ctx.domain.cart.push(args.item)
      },
    )
    const engine = new TheusEngine(
      { domain: { cart: [] as string[] } },
      {
        auditRecipe: parseAuditRecipe(
          'process_recipes:\n  add_item:\n    outputs:\n      - field: len(domain.cart)\n        max: 2\n        level: B\n        message: At most two items\n',
        ),
      },
    )
    engine.registerProcess(add)
    engine.runProcess('add_item', { item: 'a' })
    engine.runProcess('add_item', { item: 'b' })
    expect(() => engine.runProcess('add_item', { item: 'c' })).toThrow(/At most two items/)
    expect(engine.state.value.domain.cart).toEqual(['a', 'b'])
    expect(engine.auditLog[0]).toMatchObject({ field: 'len(domain.cart)', value: 3, limit: 2 })
  })

  it('refuses what is neither a path nor a computed value, with the list of functions', () => {
    for (const field of [
      'foo(domain.x)',
      'len(domain.x) + 1',
      'len()',
      'len(domain.x',
      'len(domain..x)',
      'sum(len(domain.x), 1)',
      // Two arguments to one function: it was read as the path to a key 'x, 2' (always missing).
      'sum(domain.x, 2)',
      'max(args.a,args.b)',
    ]) {
      let e: unknown
      try {
        validateAuditRecipe({ process_recipes: { t: { inputs: [{ field, max: 1 }] } } })
      } catch (err) {
        e = err
      }
      expect(e, field).toBeInstanceOf(RecipeError)
      expect((e as RecipeError).message).toContain(
        'len, sum, min, max, mean, abs, of one path each',
      )
    }
    // A plain path may still hold a comma: a record key can be any string.
    expect(() =>
      validateAuditRecipe({
        process_recipes: { t: { inputs: [{ field: 'domain.pairs.a,b', max: 1 }] } },
      }),
    ).not.toThrow()
  })
})
