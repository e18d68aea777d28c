/**
 * SPEC: the `theus/yaml` entry. Loading it lets everything that takes a recipe, a workflow or
 * a pipeline take YAML text too; its parsers use the YAML 1.2 core schema and refuse
 * duplicate keys.
 */
import {
  process,
  RecipeError,
  StateMachine,
  TheusEngine,
  WorkflowError,
  WorkflowManager,
} from 'theus'
import { parseAuditRecipe, parseFlux, parseWorkflow } from 'theus/yaml'
import { describe, expect, it } from 'vitest'

function engineWith(auditRecipe?: string) {
  const engine = new TheusEngine(
    { domain: { n: 0 } },
    auditRecipe === undefined ? {} : { auditRecipe },
  )
  engine.registerProcess(
    process({ inputs: ['domain.n'], outputs: ['domain.n'] }, function inc(ctx) {
      ctx.domain.n++
    }),
  )
  return engine
}

describe('theus/yaml', () => {
  it('exports parseAuditRecipe, parseWorkflow and parseFlux', () => {
    expect(typeof parseAuditRecipe).toBe('function')
    expect(typeof parseWorkflow).toBe('function')
    expect(typeof parseFlux).toBe('function')
  })

  it('lets the engine take a recipe as YAML text', () => {
    const engine = engineWith(
      'process_recipes:\n  inc:\n    inputs:\n      - field: domain.n\n        max: 0\n        level: B\n',
    )
    engine.runProcess('inc')
    expect(() => engine.runProcess('inc')).toThrow(/\[LEVEL B BLOCK\]/)
    expect(() => engineWith('process_recipes:\n  inc:\n    inputs:\n      - fild: x\n')).toThrow(
      RecipeError,
    )
  })

  it('lets WorkflowManager, StateMachine and executeWorkflow take YAML text', async () => {
    const engine = engineWith()
    const wf = new WorkflowManager(
      engine,
      'states:\n  IDLE:\n    on: { GO: W }\n  W:\n    entry: inc\n    on: { EVT_CHAIN_DONE: IDLE }\n',
    )
    await wf.send('GO')
    expect(engine.state.value.domain.n).toBe(1)
    expect(wf.state.value).toBe('IDLE')
    expect(new StateMachine('states:\n  IDLE: {}\n').current).toBe('IDLE')
    await expect(
      engine.executeWorkflow(
        'steps:\n  - flux: while\n    condition: "domain.n < 3"\n    do: [inc]\n',
      ),
    ).resolves.toEqual(['inc', 'inc'])
  })

  it('refuses duplicate keys, with line and column', () => {
    expect(() => parseAuditRecipe('process_recipes: {}\nprocess_recipes: {}\n')).toThrow(
      RecipeError,
    )
    expect(() => parseWorkflow('states:\n  IDLE: {}\n  IDLE: {}\n')).toThrow(WorkflowError)
    try {
      parseFlux('steps: []\nsteps: []\n', { filename: 'f.yaml' })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError)
      expect((e as WorkflowError).message).toMatch(/f\.yaml:\d+:\d+/)
    }
  })

  it('uses the YAML 1.2 core schema: on, yes, no stay strings', () => {
    const def = parseWorkflow('states:\n  IDLE:\n    on: { yes: A, no: A, on: A }\n  A: {}\n')
    expect(Object.keys(def.states.IDLE!.events).sort()).toEqual(['no', 'on', 'yes'])
  })
})
