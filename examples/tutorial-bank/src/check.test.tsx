import { validateAuditRecipe } from 'theus'
import { expect, it } from 'vitest'
import recipe from '../specs/audit_recipe.yaml'
import { createBank, processes } from './engine'

it('names every process in its contract, so minifiers cannot rename it', () => {
  for (const [key, definition] of Object.entries(processes)) {
    expect(definition.contract.name).toBe(key)
    expect(definition.name).toBe(key)
  }
})

it('ships the recipe as checked data', () => {
  const normalised = validateAuditRecipe(recipe)
  expect(Object.keys(normalised.process_recipes)).toContain('transfer')
})

it('reports every rolled-back run, with its code', () => {
  const { engine } = createBank()
  const reported: string[] = []
  engine.on('rollback', (e) => {
    const code = (e.error as { code?: string }).code ?? (e.error as Error).name
    reported.push(`${e.process}: ${code}`)
  })
  expect(() =>
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 20_000 }),
  ).toThrow()
  expect(reported).toEqual(['transfer: AUDIT_BLOCK'])
})
