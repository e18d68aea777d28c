/**
 * Issue 14: a recipe entry for a process that is never registered, and a rule on a context path
 * that can never resolve, are RecipeErrors with "did you mean" once the engine knows its
 * processes and its context (`checkRecipeAgainst`, called by the engine); a workflow entry that
 * names an unknown process is a WorkflowError (`checkWorkflowProcesses`).
 */
import {
  checkRecipeAgainst,
  checkWorkflowProcesses,
  RecipeError,
  validateAuditRecipe,
  validateWorkflow,
  WorkflowError,
} from 'theus'
import { parseAuditRecipe, parseWorkflow } from 'theus/yaml'
import { describe, expect, it } from 'vitest'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}

const context = { global: { max_items: 10 }, domain: { cart: [], total: 0 } }

describe('checkRecipeAgainst', () => {
  const recipe = parseAuditRecipe(`process_recipes:
  base_rules:
    inputs:
      - { field: quantity, min: 1, level: B }
  set_quantty:
    inherits: base_rules
    outputs:
      - { field: len(domain.cart), max: 10 }
  checkout:
    outputs:
      - { field: domain.total, min: 0 }
`)

  it('passes when every entry is a process or inherited, and every path is in the context', () => {
    expect(() =>
      checkRecipeAgainst(validateAuditRecipe({ process_recipes: {} }), { processes: [], context }),
    ).not.toThrow()
    const good = parseAuditRecipe(
      'process_recipes:\n  base: { inputs: [{ field: qty, min: 1 }] }\n  set_quantity: { inherits: base }\n',
    )
    expect(() => checkRecipeAgainst(good, { processes: ['set_quantity'], context })).not.toThrow()
  })

  it('names an entry for no registered process, with did-you-mean', () => {
    const e = thrown(() =>
      checkRecipeAgainst(recipe, { processes: ['set_quantity', 'checkout'] }),
    ) as RecipeError
    expect(e).toBeInstanceOf(RecipeError)
    expect(e.code).toBe('RECIPE_INVALID')
    expect(e.message).toContain("'set_quantty', which is not a registered process")
    expect(e.message).toContain("Did you mean 'set_quantity'?")
    // base_rules is inherited: a rule set, not a process.
    expect(e.issues).toHaveLength(1)
  })

  it('names a rule whose context path can never resolve, with did-you-mean', () => {
    const typo = validateAuditRecipe({
      process_recipes: {
        checkout: {
          outputs: [
            { field: 'domain.totl', min: 0 },
            { field: 'sum(domain.cartt)', max: 5 },
            { field: 'global_ctx.max_itms', max: 5 },
            { field: 'amount', max: 5 },
          ],
        },
      },
    })
    const e = thrown(() => checkRecipeAgainst(typo, { context })) as RecipeError
    expect(e).toBeInstanceOf(RecipeError)
    expect(e.issues.map((i) => i.hint)).toEqual([
      "Did you mean 'domain.total'?",
      "Did you mean 'domain.cart'?",
      "Did you mean 'global.max_items'?",
    ])
  })

  it('keeps the inherited names of a recipe compiled by the Vite plugin', () => {
    expect(recipe.inherited).toEqual(['base_rules'])
  })
})

describe('checkWorkflowProcesses', () => {
  const def = parseWorkflow(
    'states:\n  IDLE:\n    on: { GO: BUSY }\n  BUSY:\n    entry: [transfer, notfy]\n    on: { EVT_CHAIN_DONE: IDLE }\n',
  )

  it('passes when every entry process is registered', () => {
    expect(() => checkWorkflowProcesses(def, ['transfer', 'notfy'])).not.toThrow()
  })

  it('names an unknown entry process with did-you-mean', () => {
    const e = thrown(() => checkWorkflowProcesses(def, ['transfer', 'notify'])) as WorkflowError
    expect(e).toBeInstanceOf(WorkflowError)
    expect(e.issues[0]).toMatchObject({ code: 'UNKNOWN_PROCESS', hint: "Did you mean 'notify'?" })
    expect(e.message).toContain("state 'BUSY' runs 'notfy', which is not a registered process")
  })

  it('gives line and column when given the locator of its file', () => {
    const e = thrown(() =>
      checkWorkflowProcesses(validateWorkflow({ states: { IDLE: { entry: 'x' } } }), [], {
        filename: 'wf.yaml',
        locate: () => ({ line: 3, column: 12 }),
      }),
    ) as WorkflowError
    expect([e.file, e.line, e.column]).toEqual(['wf.yaml', 3, 12])
  })

  it('places an unknown process of a parsed file at its line and column, whichever key or form', () => {
    const text =
      'states:\n  IDLE:\n    on: { GO: A, GO2: B }\n  A:\n    process: tranfser\n  B:\n    entry: [transfer, notfy]\n'
    const e = thrown(() =>
      checkWorkflowProcesses(parseWorkflow(text, { filename: 'wf.yaml' }), ['transfer', 'notify']),
    ) as WorkflowError
    expect(e).toBeInstanceOf(WorkflowError)
    expect(e.message).toMatch(
      /^Invalid workflow at wf\.yaml:5:14: .*'tranfser'.*Did you mean 'transfer'\?/,
    )
    expect(e.issues.map((i) => [i.line, i.column, i.hint])).toEqual([
      [5, 14, "Did you mean 'transfer'?"],
      [7, 23, "Did you mean 'notify'?"],
    ])
  })

  it('takes the workflow as written (aliases, one name, YAML text) and refuses bad input with a WorkflowError', () => {
    const unknown = (def: unknown, names: unknown = ['a']) =>
      thrown(() => checkWorkflowProcesses(def as never, names as never))
    expect(unknown({ states: { IDLE: { process: 'a' } } })).toBeUndefined()
    expect(unknown({ states: { IDLE: { process: 'b' } } })).toMatchObject({
      message: expect.stringMatching(
        /^Invalid workflow: states\.IDLE\.process: state 'IDLE' runs 'b'/,
      ),
    })
    expect(unknown({ states: { IDLE: { entry: 'b' } } })).toMatchObject({
      issues: [{ code: 'UNKNOWN_PROCESS' }],
    })
    expect(unknown('states:\n  IDLE:\n    entry: b\n')).toMatchObject({
      line: 3,
      issues: [{ code: 'UNKNOWN_PROCESS' }],
    })
    for (const [def, names] of [
      [null, ['a']],
      [5, ['a']],
      [{ states: { IDLE: { entry: 5 } } }, ['a']],
      [{ states: { IDLE: {} } }, null],
      [{ states: { IDLE: {} } }, 'a'],
      [{ states: { IDLE: {} } }, [5]],
    ])
      expect(unknown(def, names)).toBeInstanceOf(WorkflowError)
  })
})
