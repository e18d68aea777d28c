import { StateMachine, validateWorkflow, WorkflowError } from 'theus'
import { describe, expect, it } from 'vitest'

const bank = {
  initial: 'IDLE',
  states: {
    IDLE: { events: { CMD_TX: 'PROCESSING' } },
    PROCESSING: { entry: 'transfer', events: { EVT_SUCCESS: 'NOTIFY', EVT_FAIL: 'IDLE' } },
    NOTIFY: { entry: ['notify'], events: { EVT_CHAIN_DONE: 'IDLE' } },
  },
}

describe('validateWorkflow', () => {
  it('normalises the aliases into one shape', () => {
    const def = validateWorkflow({
      start_state: 'A',
      states: {
        A: { on: { GO: 'B' } },
        B: { process: 'p1', transitions: { BACK: 'A' } },
        C: { entry: ['x', 'y'], events: {} },
        D: null,
      },
    })
    expect(def).toEqual({
      initial: 'A',
      states: {
        A: { entry: [], events: { GO: 'B' } },
        B: { entry: ['p1'], events: { BACK: 'A' } },
        C: { entry: ['x', 'y'], events: {} },
        D: { entry: [], events: {} },
      },
      signals: {},
    })
  })

  it('defaults the initial state to IDLE and keeps name and description', () => {
    const def = validateWorkflow({ name: 'bank', description: 'd', states: { IDLE: {} } })
    expect(def.initial).toBe('IDLE')
    expect(def.name).toBe('bank')
    expect(def.description).toBe('d')
  })

  it('freezes its output: a change after validation throws instead of bypassing the checks', () => {
    const def = validateWorkflow(bank)
    // Before, a target changed to an undefined state was entered, and a string entry ran
    // one process per letter.
    expect(() => (def.states['IDLE']!.events['CMD_TX'] = 'NOWHERE')).toThrow(TypeError)
    expect(() => ((def.states['NOTIFY'] as { entry: unknown }).entry = 'notify')).toThrow(TypeError)
    expect(() => (def.signals['sig_x'] = 'CMD_TX')).toThrow(TypeError)
    const m = new StateMachine(def)
    expect(m.trigger('CMD_TX')).toEqual(['transfer'])
    expect(Object.isFrozen(m.definition)).toBe(true)
    // A new object built from it is checked again.
    const edited = { ...def, states: { ...def.states, IDLE: { events: { CMD_TX: 'NOWHERE' } } } }
    expect(() => new StateMachine(edited)).toThrow(WorkflowError)
  })

  it('accepts its own output again (the Vite plugin ships it as JSON)', () => {
    const def = validateWorkflow(bank)
    expect(validateWorkflow(JSON.parse(JSON.stringify(def)))).toEqual(def)
    expect(validateWorkflow(def)).toBe(def)
  })

  it('reads the signal bridge keyed by the signal field', () => {
    const def = validateWorkflow({
      states: { IDLE: { on: { EVT_FRAUD: 'FRAUD' } }, FRAUD: {} },
      signals: { sig_fraud_detected: 'EVT_FRAUD', 'domain.cmd_stop': 'EVT_FRAUD' },
    })
    expect(def.signals).toEqual({ sig_fraud_detected: 'EVT_FRAUD', cmd_stop: 'EVT_FRAUD' })
  })

  it('keeps state names such as __proto__ and constructor as data', () => {
    const def = validateWorkflow(
      JSON.parse(
        '{"initial":"__proto__","states":{"__proto__":{"on":{"GO":"constructor"}},"constructor":{}}}',
      ),
    )
    const m = new StateMachine(def)
    expect(m.trigger('GO')).toEqual([])
    expect(m.current).toBe('constructor')
    expect(({} as Record<string, unknown>)['on']).toBeUndefined()
  })

  it.each<[string, unknown, string, string]>([
    [
      'a transition to an undefined state',
      { states: { IDLE: { on: { GO: 'BUSSY' } }, BUSY: {} } },
      'UNDEFINED_STATE',
      "Did you mean 'BUSY'?",
    ],
    [
      'an unknown top-level key',
      { state: {}, states: { IDLE: {} } },
      'UNKNOWN_KEY',
      "Did you mean 'states'?",
    ],
    [
      'an unknown state key',
      { states: { IDLE: { entyr: 'x' } } },
      'UNKNOWN_KEY',
      "Did you mean 'entry'?",
    ],
    ['an entry that is a number', { states: { IDLE: { entry: 3 } } }, 'BAD_ENTRY', 'process name'],
    ['an entry that is null', { states: { IDLE: { entry: null } } }, 'BAD_ENTRY', 'got null'],
    [
      'an entry list with a mapping',
      { states: { IDLE: { entry: ['a', { b: 1 }] } } },
      'BAD_ENTRY',
      'item 1',
    ],
    [
      'a missing default initial state',
      { states: { START: {} } },
      'MISSING_INITIAL',
      "defaults to 'IDLE'",
    ],
    [
      'a missing named initial state',
      { initial: 'STRAT', states: { START: {} } },
      'MISSING_INITIAL',
      "Did you mean 'START'?",
    ],
    ['no states', { initial: 'IDLE' }, 'NO_STATES', 'states'],
    [
      'two aliases at once',
      { states: { IDLE: { on: {}, events: {} } } },
      'DUPLICATE_ALIAS',
      'aliases',
    ],
    ['events that are a list', { states: { IDLE: { on: ['GO'] } } }, 'BAD_VALUE', 'EVENT: STATE'],
    [
      'a signal without prefix',
      { states: { IDLE: { on: { E: 'IDLE' } } }, signals: { fraud: 'E' } },
      'BAD_SIGNAL',
      'sig_',
    ],
    [
      'a signal to an unhandled event',
      { states: { IDLE: { on: { EVT_A: 'IDLE' } } }, signals: { sig_a: 'EVT_B' } },
      'BAD_SIGNAL',
      'no state handles',
    ],
    ['not an object', 'states', 'NOT_A_MAPPING', 'mapping'],
  ])('rejects %s', (_what, input, code, text) => {
    try {
      validateWorkflow(input)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError)
      expect((e as WorkflowError).code).toBe('WORKFLOW_INVALID')
      expect((e as WorkflowError).issues[0]?.code).toBe(code)
      expect((e as WorkflowError).message).toContain(text)
    }
  })

  it('reports every problem, not only the first', () => {
    try {
      validateWorkflow({ states: { IDLE: { on: { A: 'X', B: 'Y' }, bad: 1 } } })
      expect.unreachable()
    } catch (e) {
      expect((e as WorkflowError).issues.map((i) => i.code).sort()).toEqual([
        'UNDEFINED_STATE',
        'UNDEFINED_STATE',
        'UNKNOWN_KEY',
      ])
      expect((e as Error).message).toContain('(and 2 more problems)')
    }
  })
})

describe('StateMachine', () => {
  it('starts in the initial state and returns the entry processes of the state entered', () => {
    const m = new StateMachine(bank)
    expect(m.current).toBe('IDLE')
    expect(m.trigger('CMD_TX')).toEqual(['transfer'])
    expect(m.current).toBe('PROCESSING')
    expect(m.trigger('EVT_SUCCESS')).toEqual(['notify'])
    expect(m.trigger('EVT_CHAIN_DONE')).toEqual([])
    expect(m.current).toBe('IDLE')
  })

  it('ignores an event the state does not handle: [] and no move', () => {
    const m = new StateMachine(bank)
    expect(m.trigger('EVT_SUCCESS')).toEqual([])
    expect(m.current).toBe('IDLE')
    expect(m.can('CMD_TX')).toBe(true)
    expect(m.can('toString')).toBe(false)
    expect(m.trigger('toString')).toEqual([])
    expect(m.current).toBe('IDLE')
  })

  it('re-enters a state on a self-transition', () => {
    const m = new StateMachine({ states: { IDLE: { entry: 'tick', on: { AGAIN: 'IDLE' } } } })
    expect(m.trigger('AGAIN')).toEqual(['tick'])
  })

  it('picks the chain event a state maps: EVT_CHAIN_* by default, EVT_SUCCESS/EVT_FAIL instead', () => {
    const m = new StateMachine(bank)
    expect(m.chainEvent('PROCESSING', true)).toBe('EVT_SUCCESS')
    expect(m.chainEvent('PROCESSING', false)).toBe('EVT_FAIL')
    expect(m.chainEvent('NOTIFY', true)).toBe('EVT_CHAIN_DONE')
    expect(m.chainEvent('NOTIFY', false)).toBe('EVT_CHAIN_FAIL')
    const both = new StateMachine({
      states: { IDLE: { on: { EVT_CHAIN_DONE: 'IDLE', EVT_SUCCESS: 'IDLE' } } },
    })
    expect(both.chainEvent('IDLE', true)).toBe('EVT_CHAIN_DONE')
  })

  it('resets to the initial state and never mutates its definition', () => {
    const def = validateWorkflow(bank)
    const before = JSON.stringify(def)
    const m = new StateMachine(def)
    m.trigger('CMD_TX')
    m.entryOf('PROCESSING').push('x')
    m.reset()
    expect(m.current).toBe('IDLE')
    expect(JSON.stringify(def)).toBe(before)
  })

  it('takes YAML text once theus/yaml is loaded', async () => {
    await import('theus/yaml')
    const m = new StateMachine('states:\n  IDLE:\n    on: { GO: IDLE }\n')
    expect(m.trigger('GO')).toEqual([])
    expect(m.current).toBe('IDLE')
  })
})

describe('keys set to undefined in the object form', () => {
  it('are absent, as the optional properties of the types allow (YAML has no undefined)', () => {
    const plain = validateWorkflow({
      states: { IDLE: { on: { GO: 'B' } }, B: { entry: 'p' } },
      signals: { sig_go: 'GO' },
    })
    const withUndefined = validateWorkflow({
      name: undefined,
      description: undefined,
      initial: undefined,
      start_state: undefined,
      states: {
        IDLE: { on: { GO: 'B', STOP: undefined }, entry: undefined, description: undefined },
        B: { entry: 'p', process: undefined, events: undefined },
      },
      signals: { sig_go: 'GO', sig_stop: undefined },
    } as never)
    expect(withUndefined).toEqual(plain)
    // Still refused: a key that is not undefined, and a missing `states`.
    expect(() => validateWorkflow({ states: undefined } as never)).toThrow(WorkflowError)
  })
})
