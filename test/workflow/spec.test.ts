// biome-ignore-all lint/suspicious/noThenProperty: `then:` is the key Flux pipelines use (SPEC §5.2).
/**
 * SPEC §5 (state machine, Flux, expression grammar) and the "State machine", "Flux" and
 * "Remaining edges" bullets of §9, one test per rule, through public names only.
 */
import {
  AuditInterlockError,
  process,
  StateMachine,
  TheusEngine,
  TheusError,
  WorkflowError,
  WorkflowManager,
} from 'theus'
import { evaluateExpression, parseExpression } from 'theus/workflow'
import { parseFlux, parseWorkflow } from 'theus/yaml'
import { afterEach, describe, expect, it, vi } from 'vitest'

afterEach(() => {
  vi.restoreAllMocks()
})

class ValueError extends Error {
  override name = 'ValueError'
}

const BANK = `initial: IDLE
name: bank
description: the bank of SPEC 5.1
states:
  IDLE:
    events: { CMD_TX: PROCESSING }
  PROCESSING:
    entry: transfer
    events: { EVT_SUCCESS: NOTIFY, EVT_FAIL: IDLE }
  NOTIFY:
    entry: [notify]
    events: { EVT_CHAIN_DONE: IDLE }
`

function engineWith(opts: { auditRecipe?: unknown; maxOps?: number } = {}) {
  const calls: string[] = []
  const engine = new TheusEngine(
    {
      global: { max_n: 3 },
      domain: {
        n: 0,
        items: [] as number[],
        accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
        notified: [] as string[],
        sig_flag: 0,
      },
    },
    opts as Record<string, unknown>,
  )
  const add = (
    name: string,
    contract: Record<string, unknown>,
    fn: (ctx: any, args: any) => unknown,
  ) =>
    engine.registerProcess(
      process({ name, ...contract }, (ctx: any, args: any) => {
        calls.push(name)
        return fn(ctx, args)
      }),
    )
  add(
    'transfer',
    { inputs: ['domain.accounts'], outputs: ['domain.accounts'], errors: ['ValueError'] },
    (ctx, args) => {
      if (args.amount <= 0) throw new ValueError('Amount must be positive')
      ctx.domain.accounts[args.from_user] -= args.amount
      ctx.domain.accounts[args.to_user] += args.amount
      return 'Success'
    },
  )
  add('notify', { outputs: ['domain.notified'] }, (ctx, args) => {
    ctx.domain.notified.push(args.to_user)
  })
  add('p_init', { outputs: ['domain.n', 'domain.items'] }, (ctx) => {
    ctx.domain.n = 0
    ctx.domain.items = []
  })
  add('p_inc', { inputs: ['domain.n'], outputs: ['domain.n', 'domain.items'] }, (ctx) => {
    ctx.domain.n += 1
    ctx.domain.items.push(ctx.domain.n)
  })
  add('p_noop', {}, () => undefined)
  add('p_args', { outputs: ['domain.notified'] }, (ctx, args) => {
    ctx.domain.notified.push(String(args.who))
  })
  add('p_flag', { outputs: ['domain.sig_flag'] }, (ctx, args) => {
    ctx.domain.sig_flag = args.flag ?? 7
  })
  add('p_fail', { errors: ['ValueError'] }, () => {
    throw new ValueError('boom')
  })
  return { engine, calls }
}

const args = { from_user: 'Alice', to_user: 'Bob', amount: 100 }

describe('SPEC §5.1 StateMachine', () => {
  it('is pure: trigger returns the entry names, [] and no move for an unhandled event', () => {
    const m = new StateMachine(parseWorkflow(BANK))
    expect(m.current).toBe('IDLE')
    expect(m.trigger('NOPE')).toEqual([])
    expect(m.current).toBe('IDLE')
    expect(m.trigger('CMD_TX')).toEqual(['transfer'])
    expect(m.current).toBe('PROCESSING')
    expect(m.trigger('EVT_SUCCESS')).toEqual(['notify'])
    expect(m.trigger('EVT_CHAIN_DONE')).toEqual([])
    expect(m.current).toBe('IDLE')
  })

  it('accepts the aliases on/transitions, process and start_state; initial defaults to IDLE', () => {
    const a = new StateMachine(
      parseWorkflow(
        'start_state: A\nstates:\n  A:\n    on: { GO: B }\n  B:\n    process: [x, y]\n    transitions: { BACK: A }\n',
      ),
    )
    expect(a.current).toBe('A')
    expect(a.trigger('GO')).toEqual(['x', 'y'])
    expect(a.trigger('BACK')).toEqual([])
    expect(a.current).toBe('A')
    const b = new StateMachine({ states: { IDLE: { on: { GO: 'IDLE' } } } })
    expect(b.current).toBe('IDLE')
  })

  it('keeps `on:` a string key (YAML 1.2 core schema)', () => {
    const def = parseWorkflow('states:\n  IDLE:\n    on:\n      GO: IDLE\n')
    expect(def.states.IDLE!.events).toEqual({ GO: 'IDLE' })
    expect(new StateMachine(def).trigger('GO')).toEqual([])
  })

  const bad: [string, string, number][] = [
    ['a transition to an undefined state', 'states:\n  IDLE:\n    on: { GO: NOWHERE }\n', 3],
    ['an unknown key', 'states:\n  IDLE:\n    entri: x\n', 3],
    ['an entry that is not a string or list', 'states:\n  IDLE:\n    entry: { a: 1 }\n', 3],
    ['a missing initial state', 'initial: START\nstates:\n  IDLE: {}\n', 1],
    ['malformed YAML', 'states:\n  IDLE: [\n', 3],
  ]
  it.each(bad)('%s is a WorkflowError with line and column', (_, text, line) => {
    let err: unknown
    try {
      parseWorkflow(text, { filename: 'workflow.yaml' })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(WorkflowError)
    const e = err as WorkflowError
    expect(e.code).toBe('WORKFLOW_INVALID')
    expect(e.details['line']).toBe(line)
    expect(typeof e.details['column']).toBe('number')
    expect(e.message).toContain(`workflow.yaml:${line}:`)
  })

  it('points at the offending value: an undefined target state, a bad entry', () => {
    const at = (text: string) => {
      try {
        parseWorkflow(text)
      } catch (e) {
        return [(e as WorkflowError).details['line'], (e as WorkflowError).details['column']]
      }
      return undefined
    }
    expect(at('states:\n  IDLE:\n    on: { GO: NOWHERE }\n')).toEqual([3, 15])
    expect(at('states:\n  IDLE:\n    entry: 5\n')).toEqual([3, 12])
  })

  it('names the offending key or value of a workflow written in code, as recipe errors do', () => {
    const message = (def: unknown) => {
      try {
        new StateMachine(def as never)
      } catch (e) {
        expect(e).toBeInstanceOf(WorkflowError)
        return (e as WorkflowError).message
      }
      return ''
    }
    expect(message({ states: { IDLE: { on: { GO: 'NOWHERE' } } } })).toMatch(
      /^Invalid workflow: states\.IDLE\.on\.GO: /,
    )
    expect(message({ states: { IDLE: { entry: ['a', 5] } } })).toContain('states.IDLE.entry[1]: ')
    expect(message({ states: { IDLE: { entri: 'x' } } })).toContain('states.IDLE.entri: ')
  })

  it('points an unknown key at the key itself', () => {
    try {
      parseWorkflow('states:\n  IDLE:\n    entri: x\n')
      expect.unreachable()
    } catch (e) {
      expect((e as WorkflowError).details).toMatchObject({ line: 3, column: 5 })
    }
  })
})

describe('SPEC §5.1 WorkflowManager', () => {
  it('runs the bank FSM through success; history entries are { from, event, to, at }', async () => {
    const { engine, calls } = engineWith()
    const wf = new WorkflowManager(engine, parseWorkflow(BANK))
    const p = wf.send('CMD_TX', args)
    // While the chain runs, state already shows the state being entered.
    expect(wf.state.value).toBe('PROCESSING')
    expect(wf.status.value).toBe('running')
    await p
    expect(calls).toEqual(['transfer', 'notify'])
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    expect(wf.lastError.value).toBeNull()
    expect(engine.state.value.domain.notified).toEqual(['Bob'])
    expect(wf.history.map((h) => [h.from, h.event, h.to])).toEqual([
      ['IDLE', 'CMD_TX', 'PROCESSING'],
      ['PROCESSING', 'EVT_SUCCESS', 'NOTIFY'],
      ['NOTIFY', 'EVT_CHAIN_DONE', 'IDLE'],
    ])
    for (const h of wf.history) {
      expect(Object.keys(h).sort()).toEqual(['at', 'event', 'from', 'to'])
      expect(typeof h.at).toBe('number')
    }
  })

  it('send() never rejects: a failed chain resolves after its cascade, lastError as thrown', async () => {
    const { engine, calls } = engineWith()
    const wf = new WorkflowManager(engine, parseWorkflow(BANK))
    await expect(wf.send('CMD_TX', { ...args, amount: -1 })).resolves.toBeUndefined()
    expect(calls).toEqual(['transfer'])
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    expect(wf.lastError.value).toBeInstanceOf(ValueError)
    expect(wf.history.map((h) => h.event)).toEqual(['CMD_TX', 'EVT_FAIL'])
  })

  it('lastError returns to null when the next chain starts', async () => {
    const { engine } = engineWith()
    const wf = new WorkflowManager(engine, parseWorkflow(BANK))
    await wf.send('CMD_TX', { ...args, amount: -1 })
    expect(wf.lastError.value).not.toBeNull()
    const p = wf.send('CMD_TX', args)
    expect(wf.lastError.value).toBeNull()
    await p
    expect(wf.lastError.value).toBeNull()
  })

  it('sends EVT_CHAIN_FAIL on failure; a failing entry process stops the rest of its chain', async () => {
    const { engine, calls } = engineWith()
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'WORK' } },
        WORK: { entry: ['p_fail', 'p_noop'], on: { EVT_CHAIN_FAIL: 'FAILED' } },
        FAILED: {},
      },
    })
    await wf.send('GO')
    expect(calls).toEqual(['p_fail'])
    expect(wf.state.value).toBe('FAILED')
    expect(wf.lastError.value).toBeInstanceOf(ValueError)
  })

  it('an event the state does not handle moves nothing and still resolves', async () => {
    const { engine, calls } = engineWith()
    const wf = new WorkflowManager(engine, parseWorkflow(BANK))
    await expect(wf.send('EVT_CHAIN_DONE')).resolves.toBeUndefined()
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    expect(wf.history).toHaveLength(0)
    expect(calls).toEqual([])
  })

  it('a level A interlock at the output gate aborts too', async () => {
    const { engine } = engineWith({
      auditRecipe: {
        process_recipes: {
          transfer: { outputs: [{ field: 'domain.accounts.Alice', min: 950, level: 'A' }] },
        },
      },
    })
    const wf = new WorkflowManager(engine, parseWorkflow(BANK))
    await wf.send('CMD_TX', args)
    expect(wf.status.value).toBe('aborted')
    expect(wf.state.value).toBe('PROCESSING')
    expect(engine.state.value.domain.accounts.Alice).toBe(1000)
  })

  it('runs each entry process with the event args', async () => {
    const { engine } = engineWith()
    const wf = new WorkflowManager(engine, {
      states: { IDLE: { on: { GO: 'W' } }, W: { entry: ['p_args', 'p_args'] } },
    })
    await wf.send('GO', { who: 'z' })
    expect(engine.state.value.domain.notified).toEqual(['z', 'z'])
  })

  it('a state without entry processes runs no chain and sends no chain event', async () => {
    const { engine, calls } = engineWith()
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'WAIT' } },
        WAIT: { on: { EVT_CHAIN_DONE: 'IDLE', EVT_CHAIN_FAIL: 'IDLE' } },
      },
    })
    await wf.send('GO')
    expect(calls).toEqual([])
    expect(wf.state.value).toBe('WAIT')
    expect(wf.status.value).toBe('idle')
    expect(wf.history).toHaveLength(1)
  })

  it('queues events in order; chain events go before events queued during the chain', async () => {
    const { engine } = engineWith()
    const order: string[] = []
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'A', OTHER: 'C' } },
        A: { entry: 'p_noop', on: { EVT_CHAIN_DONE: 'B', OTHER: 'C' } },
        B: { on: { OTHER: 'C' } },
        C: { on: { THIRD: 'IDLE' } },
      },
    })
    const first = wf.send('GO').then(() => order.push('GO'))
    const second = wf.send('OTHER').then(() => order.push('OTHER'))
    const third = wf.send('THIRD').then(() => order.push('THIRD'))
    await Promise.all([first, second, third])
    expect(order).toEqual(['GO', 'OTHER', 'THIRD'])
    // EVT_CHAIN_DONE (A -> B) is processed before the user's OTHER (which A also handles).
    expect(wf.history.map((h) => `${h.from}-${h.event}->${h.to}`)).toEqual([
      'IDLE-GO->A',
      'A-EVT_CHAIN_DONE->B',
      'B-OTHER->C',
      'C-THIRD->IDLE',
    ])
  })

  it('send() settles after the whole cascade, with async processes', async () => {
    const engine = new TheusEngine({ domain: { log: [] as string[] } })
    for (const name of ['a1', 'a2']) {
      engine.registerProcess(
        process({ name, outputs: ['domain.log'] }, async (ctx: any) => {
          await new Promise((r) => setTimeout(r, 1))
          ctx.domain.log.push(name)
        }),
      )
    }
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'S1' } },
        S1: { entry: 'a1', on: { EVT_CHAIN_DONE: 'S2' } },
        S2: { entry: 'a2', on: { EVT_CHAIN_DONE: 'IDLE' } },
      },
    })
    await wf.send('GO')
    expect(engine.state.value.domain.log).toEqual(['a1', 'a2'])
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
  })

  it('level A interlock: status aborted, EVT_CHAIN_FAIL not processed, sends ignored with one warning, reset()', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const { engine, calls } = engineWith({
      auditRecipe: {
        process_recipes: { transfer: { inputs: [{ field: 'amount', max: 10, level: 'A' }] } },
      },
    })
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { CMD_A_TX: 'PROCESSING' } },
        PROCESSING: { entry: 'transfer', on: { EVT_CHAIN_FAIL: 'IDLE', EVT_CHAIN_DONE: 'IDLE' } },
      },
    })
    await expect(wf.send('CMD_A_TX', args)).resolves.toBeUndefined()
    expect(wf.status.value).toBe('aborted')
    expect(wf.state.value).toBe('PROCESSING')
    expect(wf.lastError.value).toBeInstanceOf(AuditInterlockError)
    expect((wf.lastError.value as AuditInterlockError).level).toBe('A')
    expect(wf.history.map((h) => h.event)).toEqual(['CMD_A_TX'])
    expect(calls).toEqual([])

    const ignored = () => warn.mock.calls.filter((c) => String(c[0]).includes('was ignored'))
    await expect(wf.send('EVT_CHAIN_FAIL')).resolves.toBeUndefined()
    await expect(wf.send('EVT_CHAIN_FAIL')).resolves.toBeUndefined()
    await expect(wf.send('CMD_A_TX', args)).resolves.toBeUndefined()
    expect(wf.state.value).toBe('PROCESSING')
    expect(wf.status.value).toBe('aborted')
    expect(calls).toEqual([])
    // one warning for this abort, whatever the events ignored
    expect(ignored()).toHaveLength(1)
    expect(String(ignored()[0]![0]).startsWith('[theus]')).toBe(true)

    wf.reset()
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    expect(wf.lastError.value).toBeNull()
    await wf.send('CMD_A_TX', { ...args, amount: 5 })
    expect(calls).toEqual(['transfer'])
    expect(wf.state.value).toBe('IDLE')
    // a new abort is a new cause: its first ignored send warns again
    await wf.send('CMD_A_TX', args)
    expect(wf.status.value).toBe('aborted')
    await wf.send('EVT_CHAIN_FAIL')
    expect(ignored()).toHaveLength(2)
  })

  it('reset() clears the queue', async () => {
    const { engine, calls } = engineWith()
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'A' } },
        A: { entry: 'p_noop', on: { EVT_CHAIN_DONE: 'IDLE' } },
      },
    })
    const a = wf.send('GO')
    const b = wf.send('GO')
    wf.reset()
    await Promise.all([a, b])
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    expect(calls.length).toBeLessThanOrEqual(1)
  })
})

describe('SPEC §5.2 Flux', () => {
  it('runs the spec pipeline in order, resolving to the names run', async () => {
    const { engine } = engineWith()
    const def = parseFlux(`steps:
  - p_init
  - process: p_noop
  - flux: while
    condition: "domain.n < global.max_n"
    do: [p_inc]
  - flux: if
    condition: "domain.n == 3 && len(domain.items) > 0"
    then: [p_args]
    else: [p_fail]
  - flux: run
    steps: [p_noop]
`)
    await expect(engine.executeWorkflow(def, { who: 'x' })).resolves.toEqual([
      'p_init',
      'p_noop',
      'p_inc',
      'p_inc',
      'p_inc',
      'p_args',
      'p_noop',
    ])
    expect(engine.state.value.domain.notified).toEqual(['x'])
  })

  it('rejects with the failing step’s own error', async () => {
    const { engine } = engineWith()
    let thrown: unknown
    engine.on('rollback', (e) => {
      thrown = e.error
    })
    const err = await engine.executeWorkflow({ steps: ['p_noop', 'p_fail'] }).catch((e) => e)
    expect(err).toBeInstanceOf(ValueError)
    expect(err).toBe(thrown)
  })

  it('without atomic, committed steps stay; with atomic: true they are undone', async () => {
    const a = engineWith()
    await a.engine.executeWorkflow({ steps: ['p_inc', 'p_inc', 'p_fail'] }).catch(() => undefined)
    expect(a.engine.state.value.domain.n).toBe(2)
    const b = engineWith()
    await b.engine
      .executeWorkflow({ steps: ['p_inc', 'p_inc', 'p_fail'] }, {}, { atomic: true })
      .catch(() => undefined)
    expect(b.engine.state.value.domain.n).toBe(0)
    expect(b.engine.state.value.domain.items).toEqual([])
  })

  it('trips FLUX_SAFETY_TRIP past maxOps; every step and iteration counts', async () => {
    const { engine } = engineWith({ maxOps: 5 })
    // 2 steps + 3 iterations... while step (1) + 3 iterations + 3 p_inc = 7 > 5
    const err = await engine
      .executeWorkflow({ steps: [{ flux: 'while', condition: 'domain.n < 3', do: ['p_inc'] }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(TheusError)
    expect((err as TheusError).code).toBe('FLUX_SAFETY_TRIP')
    // exactly at the limit passes: while(1) + 2 iterations + 2 steps = 5
    const ok = engineWith({ maxOps: 5 })
    await expect(
      ok.engine.executeWorkflow({
        steps: [{ flux: 'while', condition: 'domain.n < 2', do: ['p_inc'] }],
      }),
    ).resolves.toEqual(['p_inc', 'p_inc'])
  })

  it('accepts do: [] and counts each iteration toward maxOps', async () => {
    const { engine } = engineWith({ maxOps: 50 })
    expect(() =>
      parseFlux('steps:\n  - flux: while\n    condition: "true"\n    do: []\n'),
    ).not.toThrow()
    const err = await engine
      .executeWorkflow({ steps: [{ flux: 'while', condition: 'true', do: [] }] })
      .catch((e) => e)
    expect((err as TheusError).code).toBe('FLUX_SAFETY_TRIP')
  })

  it('reads signal.<name> as what the last commit published; undefined otherwise', async () => {
    const { engine } = engineWith()
    const cond = {
      steps: [{ flux: 'if', condition: 'signal.sig_flag == 7', then: ['p_args'], else: [] }],
    }
    await engine.executeWorkflow({ steps: ['p_flag', ...cond.steps] }, { who: 'published' })
    expect(engine.state.value.domain.notified).toEqual(['published'])
    // The next commit does not write sig_flag: it is no longer published.
    await engine.executeWorkflow({ steps: ['p_inc', ...cond.steps] }, { who: 'again' })
    expect(engine.state.value.domain.notified).toEqual(['published'])
    await engine.executeWorkflow(
      {
        steps: [
          // Strict equality: an unpublished signal and a missing path are undefined, not null.
          { flux: 'if', condition: 'signal.sig_flag == 7', then: ['p_fail'], else: [] },
          { flux: 'if', condition: 'signal.sig_flag == null', then: ['p_fail'], else: [] },
          { flux: 'if', condition: '!domain.nope.deeper', then: [], else: ['p_fail'] },
        ],
      },
      {},
    )
  })

  it('signal.<name> is the field’s own key; events carry the field’s path, also for a write inside it', async () => {
    const engine = new TheusEngine({
      domain: { panel: { sig_open: { kind: '' } }, out: [] as string[] },
    })
    engine.registerProcess(
      process({ name: 'open', outputs: ['domain.panel.sig_open'] }, (ctx: any) => {
        ctx.domain.panel.sig_open.kind = 'big'
      }),
    )
    engine.registerProcess(
      process({ name: 'mark', outputs: ['domain.out'] }, (ctx: any) => {
        ctx.domain.out.push('seen')
      }),
    )
    const events: { path: string; value: unknown }[] = []
    engine.on('signal', (e) => events.push({ path: e.path, value: e.value }))
    const ran = await engine.executeWorkflow({
      steps: [
        'open',
        { flux: 'if', condition: "signal.sig_open.kind == 'big'", then: ['mark'], else: [] },
      ],
    })
    expect(ran).toEqual(['open', 'mark'])
    expect(events).toEqual([{ path: 'domain.panel.sig_open', value: { kind: 'big' } }])
  })

  it('a path that does not exist is undefined', () => {
    expect(
      evaluateExpression(parseExpression('domain.a.b'), { domain: () => ({}) }),
    ).toBeUndefined()
    expect(evaluateExpression(parseExpression('args.x'), { args: {} })).toBeUndefined()
  })

  it('validates the whole pipeline before running any step', async () => {
    const { engine, calls } = engineWith()
    const err = await engine
      .executeWorkflow({ steps: ['p_inc', { flux: 'if', condition: 'domain.n <', then: [] }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(WorkflowError)
    expect(calls).toEqual([])
  })

  it('points Flux errors at the offending value', () => {
    const at = (text: string) => {
      try {
        parseFlux(text)
      } catch (e) {
        return [(e as WorkflowError).details['line'], (e as WorkflowError).details['column']]
      }
      return undefined
    }
    expect(at('steps:\n  - flux: loop\n    do: [a]\n')).toEqual([2, 11])
    // inside a condition: the column of the offending character
    expect(at('steps:\n  - flux: if\n    condition: "domain.n < )"\n    then: [a]\n')).toEqual([
      3, 28,
    ])
    // also where the YAML scalar is not the condition character for character
    const cond = (scalar: string) =>
      at(`steps:\n  - flux: if\n    condition: ${scalar}\n    then: [a]\n`)
    expect(cond('"\\"a\\" == $"')).toEqual([3, 26])
    expect(cond("'domain.x == ''a'' #'")).toEqual([3, 35])
    expect(cond('>-\n      domain.n <\n      @')).toEqual([5, 7])
    expect(cond('|-\n      domain.n < 1 &&\n        $')).toEqual([5, 9])
    expect(cond('domain.n < 1 &&\n      $')).toEqual([4, 7])
  })

  it('names the offending step of a pipeline written in code, as recipe errors do', async () => {
    const engine = new TheusEngine({ domain: {} })
    engine.registerProcess(process({ name: 'a' }, () => undefined))
    const message = async (def: unknown) => {
      const e = await engine.executeWorkflow(def as never).catch((err: unknown) => err)
      expect(e).toBeInstanceOf(WorkflowError)
      return (e as WorkflowError).message
    }
    expect(await message({ steps: ['a', { flux: 'while', do: ['a'] }] })).toMatch(
      /^Invalid pipeline: steps\[1\]\.flux: 'flux: while' needs 'condition:'/,
    )
    expect(await message({ steps: [{ flux: 'run', steps: ['a', { flux: 'loop' }] }] })).toContain(
      'steps[0].steps[1].flux: ',
    )
    // inside a condition: the value's path and the column in it, not a position in a file
    expect(
      await message({ steps: ['a', { flux: 'if', condition: 'domain.n < )', then: ['a'] }] }),
    ).toMatch(/^Invalid pipeline: steps\[1\]\.condition, column 12: /)
  })

  const badPipelines: [string, string, number][] = [
    ['while without condition', 'steps:\n  - flux: while\n    do: [a]\n', 2],
    ['while without do', 'steps:\n  - flux: while\n    condition: "true"\n', 2],
    ['an unknown flux kind', 'steps:\n  - flux: loop\n    do: [a]\n', 2],
    [
      'bad expression syntax',
      'steps:\n  - flux: if\n    condition: "domain.n <"\n    then: [a]\n',
      3,
    ],
    [
      'a forbidden segment',
      'steps:\n  - flux: if\n    condition: "domain.constructor"\n    then: [a]\n',
      3,
    ],
  ]
  it.each(badPipelines)(
    '%s is a WorkflowError at parse time with line and column',
    (_, text, line) => {
      let err: unknown
      try {
        parseFlux(text, { filename: 'flux.yaml' })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(WorkflowError)
      expect((err as WorkflowError).message).toContain(`flux.yaml:${line}:`)
    },
  )
})

describe('SPEC §9 expression grammar', () => {
  const ev = (src: string, scope: Record<string, unknown> = {}) =>
    evaluateExpression(parseExpression(src), {
      domain: () => scope['domain'],
      global: () => scope['global'],
      args: scope['args'],
    })

  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['7 % 4 - 1', 2],
    ['10 / 4', 2.5],
    ['-2 * 3', -6],
    ['!false && false', false],
    ['true || false && false', true],
    ['1 < 2 == true', true],
    ['1 + 1 == 2', true],
    ['2 > 1 && 1 >= 1 && 1 <= 1', true],
    ['1 == "1"', false],
    ['null != 0', true],
    ['\'a\' == "a"', true],
    ['len("abc") + 1', 4],
    ['!!1', true],
    ['-2 + 3', 1],
    ['2 - 1 - 1', 0],
    ['8 / 2 / 2', 2],
    ['1 + 2 < 2 + 2', true],
    ['false && false || true', true],
  ])('%s evaluates to %s', (src, expected) => {
    expect(ev(src)).toBe(expected)
  })

  it("reads paths with [index] and ['key'] steps over domain, global and args", () => {
    const scope = { domain: { items: [5, 6], m: { 'a b': 1 } }, global: { g: 2 }, args: { x: 3 } }
    expect(ev("domain.items[1] + domain.m['a b'] + global.g + args.x", scope)).toBe(12)
    expect(ev('len(domain.items)', scope)).toBe(2)
  })

  it.each([
    'domain.__proto__',
    'domain.constructor',
    'args.prototype',
    "domain['__proto__']",
    "args['constructor'].name",
    'foo.bar',
    'window',
    'globalThis.x',
    'domain.n = 1',
    'max(1, 2)',
    'domain.f()',
    'domain.n ===  1',
    'new Foo',
  ])('refuses %s at parse time', (src) => {
    expect(() => parseExpression(src)).toThrow(WorkflowError)
  })
})
