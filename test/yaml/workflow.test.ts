import { StateMachine, WorkflowError } from 'theus'
import { parseWorkflow } from 'theus/yaml'
import { describe, expect, it } from 'vitest'

const bankYaml = `initial: IDLE            # optional; start_state is an alias; default IDLE
states:
  IDLE:
    events: { CMD_TX: PROCESSING }          # on: and transitions: are aliases
  PROCESSING:
    entry: transfer                          # or a list; process: is an alias
    events: { EVT_SUCCESS: NOTIFY, EVT_FAIL: IDLE }
  NOTIFY:
    entry: [notify]
    events: { EVT_CHAIN_DONE: IDLE }
`

describe('parseWorkflow', () => {
  it('parses the bank workflow of SPEC §5.1', () => {
    const def = parseWorkflow(bankYaml, { filename: 'workflow.yaml' })
    expect(def.initial).toBe('IDLE')
    expect(def.states['PROCESSING']).toEqual({
      entry: ['transfer'],
      events: { EVT_SUCCESS: 'NOTIFY', EVT_FAIL: 'IDLE' },
    })
    const m = new StateMachine(def)
    expect(m.trigger('CMD_TX')).toEqual(['transfer'])
  })

  it('keeps on: a string key (YAML 1.2 core schema)', () => {
    const def = parseWorkflow(
      'states:\n  IDLE:\n    on:\n      GO: BUSY\n  BUSY:\n    process: [a, b]\n',
    )
    expect(def.states['IDLE']?.events).toEqual({ GO: 'BUSY' })
    expect(def.states['BUSY']?.entry).toEqual(['a', 'b'])
  })

  it('accepts name, description, start_state and signals', () => {
    const def = parseWorkflow(
      'name: bank\ndescription: demo\nstart_state: A\nstates:\n  A:\n    transitions: { EVT_FRAUD: B }\n  B: {}\nsignals:\n  sig_fraud_detected: EVT_FRAUD\n',
    )
    expect(def).toMatchObject({
      name: 'bank',
      description: 'demo',
      initial: 'A',
      signals: { sig_fraud_detected: 'EVT_FRAUD' },
    })
  })

  it.each<[string, string, string, number, number]>([
    [
      'an undefined target state',
      'states:\n  IDLE:\n    on: { GO: BUSSY }\n  BUSY: {}\n',
      'UNDEFINED_STATE',
      3,
      15,
    ],
    ['an unknown top-level key', 'states:\n  IDLE: {}\ninital: IDLE\n', 'UNKNOWN_KEY', 3, 1],
    ['an unknown state key', 'states:\n  IDLE:\n    entri: x\n', 'UNKNOWN_KEY', 3, 5],
    ['an entry that is a mapping', 'states:\n  IDLE:\n    entry: { a: 1 }\n', 'BAD_ENTRY', 3, 12],
    // SPEC §5.1: an entry that is not a string or list. Left empty, it has no text: its key.
    ['an empty entry', 'states:\n  IDLE:\n    entry:\n', 'BAD_ENTRY', 3, 5],
    ['a null process', 'states:\n  IDLE:\n    process: ~\n', 'BAD_ENTRY', 3, 5],
    [
      'a bad item in an entry list',
      'states:\n  IDLE:\n    process:\n      - ok\n      - 12\n',
      'BAD_ENTRY',
      5,
      9,
    ],
    ['a missing initial state', 'initial: START\nstates:\n  IDLE: {}\n', 'MISSING_INITIAL', 1, 10],
    ['a missing default IDLE', 'states:\n  READY: {}\n', 'MISSING_INITIAL', 1, 1],
    // No initial state and no states at all: still a position, the document's start.
    ['an empty document', '', 'NOT_A_MAPPING', 1, 1],
    ['a document of comments only', '# the bank\n\n# to do\n', 'NOT_A_MAPPING', 1, 1],
    ['malformed YAML', 'states:\n  IDLE: [a, b\n', 'YAML_SYNTAX', 3, 1],
    ['bad indentation', 'states:\n  IDLE:\n    on: {GO: IDLE}\n   entry: x\n', 'YAML_SYNTAX', 4, 1],
    ['a duplicate key', 'states:\n  IDLE: {}\n  IDLE: {}\n', 'YAML_SYNTAX', 3, 3],
    [
      'a signal without a prefix',
      'states:\n  IDLE:\n    on: { E: IDLE }\nsignals:\n  fraud: E\n',
      'BAD_SIGNAL',
      5,
      3,
    ],
    [
      'a transition without target',
      'states:\n  IDLE:\n    on:\n      GO:\n',
      'BAD_TRANSITION',
      4,
      7,
    ],
  ])('rejects %s with its line and column', (_what, text, code, line, column) => {
    try {
      parseWorkflow(text, { filename: 'wf.yaml' })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError)
      const err = e as WorkflowError
      expect(err.issues[0]?.code).toBe(code)
      expect({ file: err.file, line: err.line, column: err.column }).toEqual({
        file: 'wf.yaml',
        line,
        column,
      })
      expect(err.issues[0]).toMatchObject({ file: 'wf.yaml', line, column })
      expect(err.message).toContain(`wf.yaml:${line}:${column}`)
    }
  })

  it('hints at the likely fix', () => {
    expect(() => parseWorkflow('states:\n  IDLE:\n    on: { GO: IDEL }\n')).toThrow(
      /Did you mean 'IDLE'\?/,
    )
  })

  it('never throws anything but WorkflowError on garbage', () => {
    for (const text of [
      '',
      ':',
      '- a\n- b',
      '42',
      'states: 3',
      'states:\n  IDLE: 3',
      '{',
      '\t\t',
      'null',
    ]) {
      expect(() => parseWorkflow(text)).toThrow(WorkflowError)
    }
  })
})
