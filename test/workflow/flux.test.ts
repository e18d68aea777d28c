// biome-ignore-all lint/suspicious/noThenProperty: `then:` is the key Flux pipelines use (SPEC §5.2).
import { process, TheusEngine, TheusError, WorkflowError } from 'theus'
import { executeFlux, validateFlux } from 'theus/workflow'
import 'theus/yaml'
import { describe, expect, it } from 'vitest'

class StepError extends Error {
  override name = 'StepError'
}

function makeEngine(options: { maxOps?: number } = {}) {
  const engine = new TheusEngine(
    {
      global: { max_n: 3 },
      domain: { n: 0, items: [] as string[], log: [] as string[], sig_ping: false },
    },
    options,
  )
  const logStep = (name: string, body?: (ctx: any, args: any) => void) =>
    process(
      {
        inputs: ['domain.n'],
        outputs: ['domain.log', 'domain.items', 'domain.n', 'domain.sig_ping'],
        errors: ['StepError'],
      },
      Object.defineProperty(
        (ctx: any, args: any) => {
          ctx.domain.log.push(name)
          body?.(ctx, args)
        },
        'name',
        { value: name },
      ),
    )
  engine.registerProcess(logStep('p_init', (ctx) => (ctx.domain.n = 0)))
  engine.registerProcess(logStep('p_load', (ctx) => ctx.domain.items.push('x')))
  engine.registerProcess(logStep('p_inc', (ctx) => (ctx.domain.n += 1)))
  engine.registerProcess(logStep('p_done'))
  engine.registerProcess(logStep('p_other'))
  engine.registerProcess(logStep('p_final'))
  engine.registerProcess(logStep('p_ping', (ctx) => (ctx.domain.sig_ping = true)))
  engine.registerProcess(
    logStep('p_args', (ctx, args) => ctx.domain.items.push(`${args?.user ?? 'none'}`)),
  )
  engine.registerProcess(
    logStep('p_fail', () => {
      throw new StepError('boom')
    }),
  )
  engine.registerProcess(
    process({ outputs: ['domain.n'] }, async function p_async(ctx) {
      await Promise.resolve()
      ctx.domain.n += 10
    }),
  )
  return engine
}

const specPipeline = {
  steps: [
    'p_init',
    { process: 'p_load' },
    { flux: 'while', condition: 'domain.n < global.max_n', do: ['p_inc'] },
    {
      flux: 'if',
      condition: 'domain.n == 3 && len(domain.items) > 0',
      then: ['p_done'],
      else: ['p_other'],
    },
    { flux: 'run', steps: ['p_final'] },
  ],
}

describe('validateFlux', () => {
  it('normalises plain names, process:, if, while and run', () => {
    expect(validateFlux(specPipeline)).toEqual({
      steps: [
        { process: 'p_init' },
        { process: 'p_load' },
        { flux: 'while', condition: 'domain.n < global.max_n', do: [{ process: 'p_inc' }] },
        {
          flux: 'if',
          condition: 'domain.n == 3 && len(domain.items) > 0',
          then: [{ process: 'p_done' }],
          else: [{ process: 'p_other' }],
        },
        { flux: 'run', steps: [{ process: 'p_final' }] },
      ],
    })
  })

  it('accepts a bare list, do: [], a missing else, and its own output as JSON', () => {
    const def = validateFlux([
      'a',
      { flux: 'while', condition: 'false', do: [] },
      { flux: 'if', condition: 'true', then: 'b' },
    ])
    expect(def.steps[1]).toEqual({ flux: 'while', condition: 'false', do: [] })
    expect(def.steps[2]).toEqual({
      flux: 'if',
      condition: 'true',
      then: [{ process: 'b' }],
      else: [],
    })
    expect(validateFlux(JSON.parse(JSON.stringify(def)))).toEqual(def)
    expect(validateFlux(def)).toBe(def)
  })

  it('names a missing pipeline or value plainly, and cuts a long string short', async () => {
    const engine = makeEngine()
    // Was "got undefined undefined", and a whole document pasted into the message.
    await expect(engine.executeWorkflow(undefined as never)).rejects.toThrow(/, got undefined\.$/)
    expect(() => validateFlux({ steps: [{ flux: 'x'.repeat(5_000) }] })).toThrow(
      /unknown flux kind: the string 'x{40}…'/,
    )
    expect(() => validateFlux({ steps: [{ process: new Map() }] })).toThrow(
      /'process' must be a process name, got an object of class Map/,
    )
  })

  it.each<[string, unknown, string, string]>([
    [
      'while without condition',
      { steps: [{ flux: 'while', do: ['a'] }] },
      'MISSING_KEY',
      "needs 'condition:'",
    ],
    [
      'while without do',
      { steps: [{ flux: 'while', condition: 'true' }] },
      'MISSING_KEY',
      "needs 'do:'",
    ],
    [
      'if without then',
      { steps: [{ flux: 'if', condition: 'true' }] },
      'MISSING_KEY',
      "needs 'then:'",
    ],
    ['run without steps', { steps: [{ flux: 'run' }] }, 'MISSING_KEY', "needs 'steps:'"],
    ['an unknown flux kind', { steps: [{ flux: 'loop' }] }, 'UNKNOWN_FLUX', 'Use if, while or run'],
    [
      'an unknown flux kind, named in a sentence',
      { steps: [{ flux: 'loop' }] },
      'UNKNOWN_FLUX',
      "unknown flux kind: the string 'loop'",
    ],
    [
      'a misspelt flux kind',
      { steps: [{ flux: 'whiel', condition: 'true', do: [] }] },
      'UNKNOWN_FLUX',
      "Did you mean 'while'?",
    ],
    [
      'bad condition syntax',
      { steps: [{ flux: 'if', condition: 'domain.n <', then: [] }] },
      'EXPRESSION_SYNTAX',
      'ends too early',
    ],
    [
      'a prototype path',
      { steps: [{ flux: 'if', condition: 'domain.constructor', then: [] }] },
      'EXPRESSION_SYNTAX',
      'not allowed',
    ],
    [
      'a condition that is a list',
      { steps: [{ flux: 'if', condition: ['x'], then: [] }] },
      'BAD_CONDITION',
      'must be text',
    ],
    [
      'an unknown key in a step',
      { steps: [{ flux: 'while', condition: 'true', do: [], then: [] }] },
      'UNKNOWN_KEY',
      "'then'",
    ],
    ['an unknown top-level key', { step: [] }, 'UNKNOWN_KEY', "Did you mean 'steps'?"],
    ['a step that is a number', { steps: [1] }, 'BAD_STEP', 'process name or a mapping'],
    [
      'a mapping without process or flux',
      { steps: [{ proces: 'a' }] },
      'BAD_STEP',
      "Did you mean 'process'?",
    ],
    ['steps that are not a list', { steps: { a: 1 } }, 'BAD_VALUE', 'must be a list'],
    ['no steps', {}, 'NO_STEPS', "no 'steps:'"],
    [
      'a nested problem',
      { steps: [{ flux: 'run', steps: [{ flux: 'if', condition: '1 +', then: [] }] }] },
      'EXPRESSION_SYNTAX',
      'ends too early',
    ],
  ])('rejects %s', (_what, input, code, text) => {
    try {
      validateFlux(input)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError)
      expect((e as WorkflowError).issues[0]?.code).toBe(code)
      expect((e as Error).message).toContain(text)
    }
  })
})

describe('executeFlux / engine.executeWorkflow', () => {
  it('runs the SPEC §5.2 pipeline in order: nested while, if and run', async () => {
    const engine = makeEngine()
    const ran = await engine.executeWorkflow(specPipeline)
    expect(ran).toEqual(['p_init', 'p_load', 'p_inc', 'p_inc', 'p_inc', 'p_done', 'p_final'])
    expect(engine.state.value.domain.log).toEqual(ran)
    expect(engine.state.value.domain.n).toBe(3)
  })

  it('takes the else branch and nests blocks inside blocks', async () => {
    const engine = makeEngine()
    const ran = await executeFlux(engine, {
      steps: [
        {
          flux: 'while',
          condition: 'domain.n < 2',
          do: [
            'p_inc',
            {
              flux: 'if',
              condition: 'domain.n == 1',
              then: [{ flux: 'run', steps: ['p_done'] }],
              else: ['p_other'],
            },
          ],
        },
        { flux: 'if', condition: 'domain.n > 5', then: ['p_done'] },
      ],
    })
    expect(ran).toEqual(['p_inc', 'p_done', 'p_inc', 'p_other'])
  })

  it('freezes a validated pipeline: a change after validation throws, a new object is checked again', async () => {
    const engine = makeEngine()
    const def = validateFlux({
      steps: ['p_init', { flux: 'if', condition: 'domain.n > 100', then: ['p_done'] }],
    })
    const step = def.steps[1] as { condition: string }
    // Before, the step ran its old parsed condition, and a pushed name crashed with a TypeError.
    expect(() => (step.condition = 'true')).toThrow(TypeError)
    expect(() => def.steps.push({ process: 'p_done' })).toThrow(TypeError)
    expect(await engine.executeWorkflow(def)).toEqual(['p_init'])
    const more = { ...def, steps: [...def.steps, 'p_final'] }
    expect(await engine.executeWorkflow(more)).toEqual(['p_init', 'p_final'])
    const bad = { ...def, steps: [...def.steps, { flux: 'whle', condition: 'true', do: [] }] }
    await expect(engine.executeWorkflow(bad)).rejects.toBeInstanceOf(WorkflowError)
    expect(Object.isFrozen(validateFlux(['a']).steps[0])).toBe(true)
  })

  it('takes YAML text once theus/yaml is loaded', async () => {
    const engine = makeEngine()
    const ran = await engine.executeWorkflow(
      'steps:\n  - p_init\n  - flux: if\n    condition: "args.go"\n    then: [p_done]\n',
      { go: true },
    )
    expect(ran).toEqual(['p_init', 'p_done'])
  })

  it('hands every process the pipeline args, and conditions read args', async () => {
    const engine = makeEngine()
    const ran = await engine.executeWorkflow(
      { steps: ['p_args', { flux: 'if', condition: "args.user == 'Alice'", then: ['p_args'] }] },
      { user: 'Alice' },
    )
    expect(ran).toEqual(['p_args', 'p_args'])
    expect(engine.state.value.domain.items).toEqual(['Alice', 'Alice'])
  })

  it('reads signal.<name> as what the last commit published', async () => {
    const engine = makeEngine()
    const ran = await engine.executeWorkflow({
      steps: [
        'p_ping',
        { flux: 'if', condition: 'signal.sig_ping == true', then: ['p_done'], else: ['p_other'] },
        'p_init',
        { flux: 'if', condition: 'signal.sig_ping', then: ['p_done'], else: ['p_other'] },
      ],
    })
    expect(ran).toEqual(['p_ping', 'p_done', 'p_init', 'p_other'])
  })

  it('awaits async processes in order', async () => {
    const engine = makeEngine()
    const ran = await engine.executeWorkflow({ steps: ['p_async', 'p_inc', 'p_async'] })
    expect(ran).toEqual(['p_async', 'p_inc', 'p_async'])
    expect(engine.state.value.domain.n).toBe(21)
  })

  it('cannot reach a prototype through the engine state', async () => {
    const engine = makeEngine()
    const ran = await engine.executeWorkflow({
      steps: [
        {
          flux: 'if',
          condition:
            'domain.toString || domain.hasOwnProperty || domain.items.map || global.valueOf || len(domain.toString) >= 0',
          then: ['p_done'],
          else: ['p_other'],
        },
        { flux: 'if', condition: 'domain.items.length == 0 && len(domain) == 4', then: ['p_done'] },
      ],
    })
    expect(ran).toEqual(['p_other', 'p_done'])
  })

  it('treats a missing path as undefined', async () => {
    const engine = makeEngine()
    const ran = await engine.executeWorkflow({
      steps: [
        {
          flux: 'if',
          condition: 'domain.nope.deeper == null || domain.nope < 1',
          then: ['p_done'],
          else: ['p_other'],
        },
      ],
    })
    expect(ran).toEqual(['p_other'])
  })
})

describe('the args of a pipeline', () => {
  it('are those of the call: a caller reusing its object while a step awaits changes nothing', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const engine = new TheusEngine({ domain: { got: [] as number[] } })
    engine.registerProcess(
      process({}, async function wait() {
        await gate
      }),
    )
    engine.registerProcess(
      process({ outputs: ['domain.got'] }, function rec(ctx: any, args: any) {
        ctx.domain.got = [...ctx.domain.got, args.n]
      }),
    )
    const args = { n: 1 }
    const done = engine.executeWorkflow(
      ['rec', 'wait', { flux: 'if', condition: 'args.n == 1', then: ['rec'] }],
      args,
    )
    await new Promise((r) => setTimeout(r, 0))
    args.n = 999
    release()
    expect(await done).toEqual(['rec', 'wait', 'rec'])
    expect(engine.state.value.domain.got).toEqual([1, 1])
  })

  it('that cannot be copied (a cycle) fail the first step with INVALID_ARGS, not a RangeError', async () => {
    const engine = makeEngine()
    const args: Record<string, unknown> = {}
    args.self = args
    await expect(engine.executeWorkflow(['p_inc'], args)).rejects.toMatchObject({
      code: 'INVALID_ARGS',
    })
  })
})

describe('the maxOps safety trip', () => {
  it('throws FLUX_SAFETY_TRIP for a loop that never ends, even with do: []', async () => {
    const engine = makeEngine({ maxOps: 50 })
    const err = await engine
      .executeWorkflow({ steps: [{ flux: 'while', condition: 'true', do: [] }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(TheusError)
    expect(err.code).toBe('FLUX_SAFETY_TRIP')
    expect(err.message).toMatch(/maxOps = 50/)
  })

  it('counts every step and every iteration: exactly maxOps passes, one more trips', async () => {
    // while (1 op) + 3 iterations (3) + 3 p_inc (3) = 7 operations.
    const def = { steps: [{ flux: 'while', condition: 'domain.n < 3', do: ['p_inc'] }] }
    await expect(makeEngine({ maxOps: 7 }).executeWorkflow(def)).resolves.toEqual([
      'p_inc',
      'p_inc',
      'p_inc',
    ])
    const engine = makeEngine({ maxOps: 6 })
    await expect(engine.executeWorkflow(def)).rejects.toMatchObject({ code: 'FLUX_SAFETY_TRIP' })
    // the trip comes before the step that would pass the limit: two increments stayed
    expect(engine.state.value.domain.n).toBe(2)
  })

  it('counts plain steps and blocks too', async () => {
    const def = {
      steps: [
        'p_done',
        { flux: 'run', steps: ['p_done'] },
        { flux: 'if', condition: 'true', then: [] },
      ],
    }
    await expect(makeEngine({ maxOps: 4 }).executeWorkflow(def)).resolves.toEqual([
      'p_done',
      'p_done',
    ])
    await expect(makeEngine({ maxOps: 3 }).executeWorkflow(def)).rejects.toMatchObject({
      code: 'FLUX_SAFETY_TRIP',
    })
  })
})

describe('failures: atomic and not', () => {
  const failing = { steps: ['p_init', 'p_inc', 'p_load', 'p_fail', 'p_done'] }

  it("rejects with the failing step's own error and keeps earlier commits without atomic", async () => {
    const engine = makeEngine()
    const err = await engine.executeWorkflow(failing).catch((e) => e)
    expect(err).toBeInstanceOf(StepError)
    expect(err.message).toBe('boom')
    expect(engine.state.value.domain.n).toBe(1)
    expect(engine.state.value.domain.items).toEqual(['x'])
    expect(engine.state.value.domain.log).toEqual(['p_init', 'p_inc', 'p_load'])
  })

  it('undoes every committed step with atomic: true', async () => {
    const engine = makeEngine()
    engine.runProcess('p_inc')
    const before = engine.state.value
    const err = await engine.executeWorkflow(failing, undefined, { atomic: true }).catch((e) => e)
    expect(err).toBeInstanceOf(StepError)
    expect(engine.state.value.domain).toEqual(before.domain)
    expect(engine.state.value.domain.n).toBe(1)
    expect(engine.state.value.domain.log).toEqual(['p_inc'])
  })

  it('undoes the loop iterations of an atomic pipeline that trips maxOps', async () => {
    const engine = makeEngine({ maxOps: 30 })
    const err = await engine
      .executeWorkflow(
        { steps: ['p_load', { flux: 'while', condition: 'domain.n >= 0', do: ['p_inc'] }] },
        undefined,
        {
          atomic: true,
        },
      )
      .catch((e) => e)
    expect(err.code).toBe('FLUX_SAFETY_TRIP')
    expect(engine.state.value.domain.n).toBe(0)
    expect(engine.state.value.domain.items).toEqual([])
    expect(engine.state.value.domain.log).toEqual([])
  })

  it('undoes the committed steps when a level S interlock halts the engine mid-pipeline', async () => {
    const engine = makeEngine()
    engine.replaceAuditRecipe({
      process_recipes: { p_inc: { outputs: [{ field: 'domain.n', max: 1, level: 'S' }] } },
    })
    const err = await engine
      .executeWorkflow(['p_load', 'p_inc', 'p_inc'], undefined, { atomic: true })
      .catch((e) => e)
    expect([err.code, err.level]).toEqual(['AUDIT_INTERLOCK', 'S'])
    // The undo of the pipeline's own commits is no new change: it passes the halt.
    expect(engine.state.value.domain).toMatchObject({ n: 0, items: [], log: [] })
    expect(engine.halted).toBe(true)
    expect(() => engine.runProcess('p_inc')).toThrow(
      expect.objectContaining({ code: 'ENGINE_HALTED' }),
    )
  })

  it('leaves nothing to undo and changes nothing when the first step fails', async () => {
    const engine = makeEngine()
    const before = engine.state.value
    await expect(
      engine.executeWorkflow(['p_fail'], undefined, { atomic: true }),
    ).rejects.toBeInstanceOf(StepError)
    expect(engine.state.value).toBe(before)
  })

  it("undoes only its own steps' commits, not a run of the same process that committed meanwhile", async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const engine = new TheusEngine({ domain: { acc: {} as Record<string, number> } })
    engine.registerProcess(
      process({ outputs: ['domain.acc'] }, async function put(ctx: any, args: any) {
        if (args.wait) await gate
        ctx.domain.acc[args.k] = 1
      }),
    )
    engine.registerProcess(
      process({}, function fail() {
        throw new StepError('no')
      }),
    )
    // The pipeline's `put` is in flight while another `put` (the user's, then a second
    // pipeline's) commits: those are not the failing pipeline's to undo.
    const failing = engine
      .executeWorkflow(['put', 'fail'], { k: 'a', wait: true }, { atomic: true })
      .catch((e) => e)
    await engine.runProcess('put', { k: 'b' })
    await engine.executeWorkflow(['put'], { k: 'c' }, { atomic: true })
    release()
    expect((await failing).code).toBe('UNDECLARED_ERROR')
    expect(engine.state.value.domain.acc).toEqual({ b: 1, c: 1 })
  })

  it('refuses options other than { atomic?: boolean } before running anything', async () => {
    const engine = makeEngine()
    for (const bad of [null, 5, { atomc: true }, { atomic: 'yes' }]) {
      await expect(
        engine.executeWorkflow(['p_inc'], undefined, bad as never),
      ).rejects.toMatchObject({ code: 'INVALID_ARGS' })
    }
    expect(engine.state.value.domain.n).toBe(0)
    await expect(engine.executeWorkflow(['p_inc'], undefined, { atomic: false })).resolves.toEqual([
      'p_inc',
    ])
  })

  it('rejects an unknown process with PROCESS_NOT_FOUND', async () => {
    await expect(makeEngine().executeWorkflow(['p_nope'])).rejects.toMatchObject({
      code: 'PROCESS_NOT_FOUND',
    })
  })

  it('rejects a malformed pipeline before running anything', async () => {
    const engine = makeEngine()
    await expect(
      engine.executeWorkflow({ steps: ['p_inc', { flux: 'while', do: [] }] }),
    ).rejects.toBeInstanceOf(WorkflowError)
    expect(engine.state.value.domain.n).toBe(0)
  })
})

describe('keys set to undefined in the object form', () => {
  it('are absent, as the optional properties of the types allow (YAML has no undefined)', () => {
    const plain = validateFlux({
      steps: ['p', { process: 'p' }, { flux: 'if', condition: 'true', then: ['p'] }],
    })
    const withUndefined = validateFlux({
      name: undefined,
      description: undefined,
      steps: [
        'p',
        { process: 'p', flux: undefined },
        { flux: 'if', condition: 'true', then: ['p'], else: undefined },
      ],
    } as never)
    expect(withUndefined).toEqual(plain)
    expect(() =>
      validateFlux({ steps: [{ flux: 'while', condition: 'true', do: undefined }] } as never),
    ).toThrow(WorkflowError)
  })
})
