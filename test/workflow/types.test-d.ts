// biome-ignore-all lint/suspicious/noThenProperty: `then:` is the key Flux pipelines use (SPEC §5.2).
import {
  createProcess,
  type FluxDefinition,
  TheusEngine,
  validateWorkflow,
  type WorkflowDefinition,
  WorkflowManager,
} from 'theus'
import { useWorkflow } from 'theus/react'
import { validateFlux } from 'theus/workflow'
import { parseFlux, parseWorkflow } from 'theus/yaml'
import { describe, expectTypeOf, it } from 'vitest'

const initial = { domain: { n: 0, items: [] as number[] } }
const p = createProcess<typeof initial>()
const p_init = p({ outputs: ['domain.n'] }, function p_init(ctx) {
  ctx.domain.n = 0
})
const p_inc = p({ outputs: ['domain.n'] }, function p_inc(ctx) {
  ctx.domain.n += 1
})
const engine = new TheusEngine(initial, { processes: { p_init, p_inc } })
const open = new TheusEngine(initial)

// Type-level only: nothing below runs.
describe('WorkflowManager process names', () => {
  it('accepts a workflow written in code whose entries are the engine processes', () => {
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'BUSY' } },
        BUSY: { entry: ['p_init', 'p_inc'], events: { EVT_CHAIN_DONE: 'IDLE' } },
        MORE: { process: 'p_inc' },
      },
    })
    expectTypeOf(wf.state.value).toEqualTypeOf<string>()
    useWorkflow(wf)
  })

  it('rejects an unknown entry process', () => {
    new WorkflowManager(engine, {
      // @ts-expect-error 'p_incc' is not a process of this engine
      states: { IDLE: { on: { GO: 'BUSY' } }, BUSY: { entry: 'p_incc' } },
    })
    new WorkflowManager(engine, {
      // @ts-expect-error one unknown name in a list
      states: { BUSY: { process: ['p_init', 'nope'] } },
    })
  })

  it('takes YAML text, loosely typed documents and engines without processes as before', () => {
    new WorkflowManager(engine, 'states: { IDLE: { entry: anything } }')
    const parsed: Record<string, unknown> = {}
    new WorkflowManager(engine, parsed)
    new WorkflowManager(open, { states: { IDLE: { entry: 'anything' } } })
  })

  it('takes a parsed or validated document (names typed string: nothing to check)', () => {
    new WorkflowManager(engine, parseWorkflow('states: { IDLE: { entry: p_inc } }'))
    new WorkflowManager(engine, validateWorkflow({ states: { IDLE: {} } }))
    const def: WorkflowDefinition = validateWorkflow({ states: { IDLE: {} } })
    new WorkflowManager(engine, def)
    const loose: { states: Record<string, { entry: string[] }> } = {
      states: { IDLE: { entry: [] } },
    }
    new WorkflowManager(engine, loose)
    // Declared apart from the call, a literal widens its names to string.
    const declared = { states: { IDLE: { on: { GO: 'A' } }, A: { entry: 'p_inc' } } }
    new WorkflowManager(engine, declared)
  })
})

describe('executeWorkflow process names', () => {
  it('accepts a pipeline of the engine processes, at any depth', () => {
    void engine.executeWorkflow({
      steps: [
        'p_init',
        { process: 'p_inc' },
        { flux: 'while', condition: 'domain.n < 3', do: ['p_inc'] },
        { flux: 'if', condition: 'domain.n == 3', then: ['p_init'], else: [{ process: 'p_inc' }] },
        { flux: 'run', steps: ['p_inc'] },
      ],
    })
    void engine.executeWorkflow(['p_init', 'p_inc'])
  })

  it('rejects an unknown process name, at any depth', () => {
    // @ts-expect-error unknown top-level step
    void engine.executeWorkflow({ steps: ['p_int'] })
    void engine.executeWorkflow({
      // @ts-expect-error unknown nested step
      steps: [{ flux: 'while', condition: 'domain.n < 3', do: ['p_incc'] }],
    })
    // @ts-expect-error unknown step in a list
    void engine.executeWorkflow([{ process: 'x' }])
  })

  it('takes YAML text and any names on an engine without processes', () => {
    void engine.executeWorkflow('steps: [anything]')
    void open.executeWorkflow({ steps: ['anything'] })
  })

  it('takes a parsed or validated pipeline (names typed string: nothing to check)', () => {
    void engine.executeWorkflow(parseFlux('steps: [p_inc]'))
    void engine.executeWorkflow(validateFlux({ steps: ['p_inc'] }))
    const def: FluxDefinition = validateFlux(['p_inc'])
    void engine.executeWorkflow(def)
    const names: string[] = ['p_inc']
    void engine.executeWorkflow(names)
    void engine.executeWorkflow({ steps: names })
    const declared = {
      steps: ['p_inc', { flux: 'while', condition: 'domain.n < 3', do: ['p_inc'] }],
    }
    void engine.executeWorkflow(declared)
  })
})
