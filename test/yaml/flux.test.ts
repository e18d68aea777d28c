import { WorkflowError } from 'theus'
import { parseFlux } from 'theus/yaml'
import { describe, expect, it } from 'vitest'

const specYaml = `steps:
  - p_init
  - process: p_load
  - flux: while
    condition: "domain.n < global.max_n"
    do: [p_inc]
  - flux: if
    condition: "domain.n == 3 && len(domain.items) > 0"
    then: [p_done]
    else: [p_other]
  - flux: run
    steps: [p_final]
`

describe('parseFlux', () => {
  it('parses the pipeline of SPEC §5.2', () => {
    const def = parseFlux(specYaml, { filename: 'flow.yaml' })
    expect(def.steps.map((s) => ('process' in s ? s.process : s.flux))).toEqual([
      'p_init',
      'p_load',
      'while',
      'if',
      'run',
    ])
    expect(def.steps[2]).toEqual({
      flux: 'while',
      condition: 'domain.n < global.max_n',
      do: [{ process: 'p_inc' }],
    })
  })

  it('accepts name, description and do: []', () => {
    const def = parseFlux(
      'name: tick\ndescription: d\nsteps:\n  - flux: while\n    condition: false\n    do: []\n',
    )
    expect(def).toMatchObject({
      name: 'tick',
      description: 'd',
      steps: [{ flux: 'while', condition: 'false', do: [] }],
    })
  })

  it.each<[string, string, string, number, number]>([
    ['while without condition', 'steps:\n  - flux: while\n    do: [p]\n', 'MISSING_KEY', 2, 5],
    [
      'while without do',
      'steps:\n  - p\n  - flux: while\n    condition: "true"\n',
      'MISSING_KEY',
      3,
      5,
    ],
    ['an unknown flux kind', 'steps:\n  - flux: loop\n    do: [p]\n', 'UNKNOWN_FLUX', 2, 11],
    ['an unknown key', 'steps:\n  - flux: run\n    step: [p]\n', 'UNKNOWN_KEY', 3, 5],
    ['a bad step', 'steps:\n  - p\n  - [a, b]\n', 'BAD_STEP', 3, 5],
    ['an empty document', '', 'NOT_A_MAPPING', 1, 1],
    ['a document of comments only', '# steps to come\n', 'NOT_A_MAPPING', 1, 1],
    // inside a double-quoted condition: the column of the offending character
    [
      'an operator typo in quotes',
      'steps:\n  - flux: if\n    condition: "domain.n =< 3"\n    then: [p]\n',
      'EXPRESSION_SYNTAX',
      3,
      26,
    ],
    [
      'a forbidden segment in single quotes',
      "steps:\n  - flux: if\n    condition: 'args.__proto__.x'\n    then: [p]\n",
      'EXPRESSION_SYNTAX',
      3,
      22,
    ],
    [
      'a plain (unquoted) condition',
      'steps:\n  - flux: while\n    condition: domain.n < < 3\n    do: []\n',
      'EXPRESSION_SYNTAX',
      3,
      27,
    ],
    [
      'a block scalar condition',
      'steps:\n  - flux: if\n    condition: |\n      globl.n == 1\n    then: [p]\n',
      'EXPRESSION_SYNTAX',
      4,
      7,
    ],
    [
      'a nested condition',
      'steps:\n  - flux: run\n    steps:\n      - flux: if\n        condition: "len(domain.x"\n        then: []\n',
      'EXPRESSION_SYNTAX',
      5,
      33,
    ],
    ['malformed YAML', 'steps:\n  - flux: if\n    condition: "open\n', 'YAML_SYNTAX', 4, 1],
    ['a duplicate key', 'steps:\n  - flux: if\n    flux: while\n', 'YAML_SYNTAX', 3, 5],
  ])('rejects %s with its line and column', (_what, text, code, line, column) => {
    try {
      parseFlux(text, { filename: 'flow.yaml' })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError)
      const err = e as WorkflowError
      expect(err.issues[0]?.code).toBe(code)
      expect({ file: err.file, line: err.line, column: err.column }).toEqual({
        file: 'flow.yaml',
        line,
        column,
      })
      expect(err.message).toContain(`flow.yaml:${line}:${column}`)
    }
  })

  it('never throws anything but WorkflowError on garbage', () => {
    for (const text of [
      '',
      '- ',
      'steps: 3',
      'steps:\n  - {}',
      'steps:\n  - flux: [1]',
      '{',
      'steps: [[[]]]',
    ]) {
      expect(() => parseFlux(text)).toThrow(WorkflowError)
    }
  })
})
