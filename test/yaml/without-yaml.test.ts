/**
 * The core never imports `yaml`: without `theus/yaml`, YAML text is refused with an error that
 * says how to get a parser. (This file must not import `theus/yaml`.)
 */
import { RecipeError, TheusEngine, WorkflowError, WorkflowManager } from 'theus'
import { describe, expect, it } from 'vitest'

describe('YAML text without theus/yaml', () => {
  it('is a RecipeError for a recipe and a WorkflowError for a workflow, naming theus/yaml', async () => {
    expect(() => new TheusEngine({ domain: {} }, { auditRecipe: 'process_recipes: {}\n' })).toThrow(
      RecipeError,
    )
    expect(() => new TheusEngine({ domain: {} }, { auditRecipe: 'process_recipes: {}\n' })).toThrow(
      /theus\/yaml/,
    )
    const engine = new TheusEngine({ domain: {} })
    expect(() => new WorkflowManager(engine, 'states:\n  IDLE: {}\n')).toThrow(WorkflowError)
    await expect(engine.executeWorkflow('steps: []\n')).rejects.toThrow(/theus\/yaml/)
  })
})
