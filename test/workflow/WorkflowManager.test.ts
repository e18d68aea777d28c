import { effect } from '@preact/signals-core'
import {
  AuditInterlockError,
  process,
  TheusEngine,
  TheusError,
  WorkflowManager,
  type WorkflowStatus,
} from 'theus'
import { parseWorkflow } from 'theus/yaml'
import { afterEach, describe, expect, it, vi } from 'vitest'

class ValueError extends Error {
  override name = 'ValueError'
}

const bankYaml = `initial: IDLE
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

function bankEngine(auditRecipe?: unknown) {
  const engine = new TheusEngine(
    {
      domain: {
        accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
        notified: [] as string[],
        sig_fraud_detected: false,
      },
    },
    auditRecipe === undefined ? {} : { auditRecipe },
  )
  engine.registerProcess(
    process(
      {
        inputs: ['domain.accounts'],
        outputs: ['domain.accounts', 'domain.sig_fraud_detected'],
        errors: ['ValueError'],
      },
      function transfer(ctx, args: { from_user: string; to_user: string; amount: number }) {
        if (args.amount <= 0) throw new ValueError('Amount must be positive')
        const bal = ctx.domain.accounts[args.from_user] ?? 0
        if (bal < args.amount) {
          ctx.domain.sig_fraud_detected = true
          return 'Failed: Insufficient Funds'
        }
        ctx.domain.accounts[args.from_user] = bal - args.amount
        ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
        return 'Success'
      },
    ),
  )
  engine.registerProcess(
    process({ outputs: ['domain.notified'] }, function notify(ctx, args: { to_user: string }) {
      ctx.domain.notified.push(args.to_user)
    }),
  )
  return engine
}

const path = (wf: WorkflowManager) => wf.history.map((h) => `${h.from}-${h.event}->${h.to}`)

afterEach(() => {
  vi.restoreAllMocks()
})

describe('WorkflowManager: the bank FSM of SPEC §5.1', () => {
  it('runs the chain with the event args, sends EVT_SUCCESS, then EVT_CHAIN_DONE back to IDLE', async () => {
    const engine = bankEngine()
    const wf = new WorkflowManager(engine, parseWorkflow(bankYaml))
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 500 })
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 500, Bob: 500 })
    expect(engine.state.value.domain.notified).toEqual(['Bob'])
    expect(path(wf)).toEqual([
      'IDLE-CMD_TX->PROCESSING',
      'PROCESSING-EVT_SUCCESS->NOTIFY',
      'NOTIFY-EVT_CHAIN_DONE->IDLE',
    ])
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    expect(wf.lastError.value).toBeNull()
    for (const h of wf.history) expect(typeof h.at).toBe('number')
  })

  it('sends EVT_FAIL on failure, keeps the error in lastError and never rejects', async () => {
    const engine = bankEngine()
    // YAML text works once theus/yaml is imported (this file imports it).
    const wf = new WorkflowManager(engine, bankYaml)
    await expect(
      wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: -1 }),
    ).resolves.toBeUndefined()
    expect(path(wf)).toEqual(['IDLE-CMD_TX->PROCESSING', 'PROCESSING-EVT_FAIL->IDLE'])
    expect(wf.lastError.value).toBeInstanceOf(ValueError)
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 1000, Bob: 0 })
    expect(engine.state.value.domain.notified).toEqual([])
  })

  it('keeps state, status and lastError read-only: a write throws and changes nothing', async () => {
    const engine = bankEngine()
    const wf = new WorkflowManager(engine, parseWorkflow(bankYaml))
    const signals = wf as unknown as Record<'state' | 'status' | 'lastError', { value: unknown }>
    for (const key of ['state', 'status', 'lastError'] as const)
      expect(() => {
        signals[key].value = 'NOTIFY'
      }).toThrow(TypeError)
    expect([wf.state.value, wf.status.value, wf.lastError.value]).toEqual(['IDLE', 'idle', null])
    await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 5 })
    expect(path(wf)).toContain('NOTIFY-EVT_CHAIN_DONE->IDLE')
  })

  it('clears lastError when the next chain starts', async () => {
    const wf = new WorkflowManager(bankEngine(), parseWorkflow(bankYaml))
    await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: -1 })
    expect(wf.lastError.value).not.toBeNull()
    await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    expect(wf.lastError.value).toBeNull()
  })

  it('ignores an event the current state does not handle', async () => {
    const wf = new WorkflowManager(bankEngine(), parseWorkflow(bankYaml))
    await wf.send('EVT_SUCCESS')
    expect(wf.history).toEqual([])
    expect(wf.state.value).toBe('IDLE')
  })

  it('shows the state being entered and status running while the chain runs', async () => {
    const engine = bankEngine()
    const seen: string[] = []
    engine.registerProcess(
      process({ outputs: ['domain.notified'] }, async function slow(ctx) {
        await new Promise((r) => setTimeout(r, 1))
        ctx.domain.notified.push('slow')
      }),
    )
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'WORK' } },
        WORK: { entry: 'slow', on: { EVT_CHAIN_DONE: 'IDLE' } },
      },
    })
    const stop = effect(() => {
      seen.push(`${wf.state.value}/${wf.status.value}`)
    })
    const p = wf.send('GO')
    expect(wf.state.value).toBe('WORK')
    expect(wf.status.value).toBe('running')
    await p
    stop()
    expect(seen).toEqual(['IDLE/idle', 'WORK/running', 'IDLE/idle'])
  })

  it('runs no chain and sends no chain event for a state without entry processes', async () => {
    const engine = bankEngine()
    const runs = vi.spyOn(engine, 'runProcess')
    const wf = new WorkflowManager(engine, {
      states: { IDLE: { on: { GO: 'READY' } }, READY: { on: { EVT_CHAIN_DONE: 'IDLE' } } },
    })
    await wf.send('GO')
    expect(runs).not.toHaveBeenCalled()
    expect(wf.state.value).toBe('READY')
    expect(path(wf)).toEqual(['IDLE-GO->READY'])
  })

  it('stops a chain at its first failing process', async () => {
    const engine = bankEngine()
    const runs = vi.spyOn(engine, 'runProcess')
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'WORK' } },
        WORK: {
          entry: ['transfer', 'notify'],
          on: { EVT_CHAIN_FAIL: 'IDLE', EVT_CHAIN_DONE: 'IDLE' },
        },
      },
    })
    await wf.send('GO', { from_user: 'Alice', to_user: 'Bob', amount: 0 })
    expect(runs.mock.calls.map((c) => c[0])).toEqual(['transfer'])
    expect(path(wf)).toEqual(['IDLE-GO->WORK', 'WORK-EVT_CHAIN_FAIL->IDLE'])
  })

  it('accepts the aliases on/transitions/process/start_state', async () => {
    const engine = bankEngine()
    const wf = new WorkflowManager(engine, {
      start_state: 'READY',
      states: {
        READY: { on: { CMD_TX: 'PAY' } },
        PAY: { process: 'transfer', transitions: { EVT_CHAIN_DONE: 'READY' } },
      },
    })
    expect(wf.state.value).toBe('READY')
    await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    expect(engine.state.value.domain.accounts['Bob']).toBe(1)
    expect(wf.state.value).toBe('READY')
  })

  it('queues events sent during a chain, after the chain events, in order', async () => {
    const engine = bankEngine()
    const wf = new WorkflowManager(engine, parseWorkflow(bankYaml))
    const a = wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 100 })
    const b = wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Carol', amount: 200 })
    await Promise.all([a, b])
    expect(path(wf)).toEqual([
      'IDLE-CMD_TX->PROCESSING',
      'PROCESSING-EVT_SUCCESS->NOTIFY',
      'NOTIFY-EVT_CHAIN_DONE->IDLE',
      'IDLE-CMD_TX->PROCESSING',
      'PROCESSING-EVT_SUCCESS->NOTIFY',
      'NOTIFY-EVT_CHAIN_DONE->IDLE',
    ])
    expect(engine.state.value.domain.notified).toEqual(['Bob', 'Carol'])
  })

  it('queues an event sent from inside a chain behind the chain event', async () => {
    const engine = bankEngine()
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'A', NEXT: 'C' } },
        A: { entry: 'kick', on: { EVT_CHAIN_DONE: 'IDLE', NEXT: 'B' } },
        B: {},
        C: {},
      },
    })
    engine.registerProcess(
      process({ outputs: ['domain.notified'] }, function kick(ctx) {
        void wf.send('NEXT')
        ctx.domain.notified.push('kick')
      }),
    )
    await wf.send('GO')
    await Promise.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(path(wf)).toEqual(['IDLE-GO->A', 'A-EVT_CHAIN_DONE->IDLE', 'IDLE-NEXT->C'])
  })

  it("starts a chain sent from an 'audit' listener or a body once the run is over (no NESTED_RUN)", async () => {
    const recipe = { process_recipes: { kick: { inputs: [{ field: 'v', max: 0, level: 'C' }] } } }
    for (const from of ['audit', 'body'] as const) {
      const engine = bankEngine(recipe)
      const wf = new WorkflowManager(engine, {
        states: {
          IDLE: { on: { ALERT: 'ALERTING' } },
          ALERTING: { entry: 'notify', on: { EVT_CHAIN_DONE: 'IDLE', EVT_CHAIN_FAIL: 'FAILED' } },
          FAILED: {},
        },
      })
      let sent: Promise<void> | undefined
      engine.registerProcess(
        process({ outputs: ['domain.notified'] }, function kick(ctx, _args: { v: number }) {
          if (from === 'body') sent = wf.send('ALERT', { to_user: 'ops', amount: 0 })
          ctx.domain.notified.push('kick')
        }),
      )
      if (from === 'audit')
        engine.on('audit', () => {
          sent = wf.send('ALERT', { to_user: 'ops', amount: 0 })
        })
      engine.runProcess('kick', { v: 1 })
      await sent
      expect(wf.lastError.value).toBeNull()
      expect(path(wf)).toEqual(['IDLE-ALERT->ALERTING', 'ALERTING-EVT_CHAIN_DONE->IDLE'])
      expect(engine.state.value.domain.notified).toHaveLength(2)
    }
  })

  it('resets to the initial state, clears lastError and the queue, and sets idle', async () => {
    const wf = new WorkflowManager(bankEngine(), parseWorkflow(bankYaml))
    await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: -5 })
    expect(wf.lastError.value).not.toBeNull()
    wf.reset()
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    expect(wf.lastError.value).toBeNull()
  })
})

it("keeps running a cascade whose state, status or lastError subscriber throws: the error goes to 'error' (SPEC §10.2)", async () => {
  const engine = bankEngine()
  const errors: unknown[] = []
  engine.on('error', (e) => errors.push(e.error))
  const wf = new WorkflowManager(engine, parseWorkflow(bankYaml))
  const stops = [
    effect(() => {
      if (wf.state.value === 'PROCESSING') throw new Error('state view broke')
    }),
    effect(() => {
      if (wf.lastError.value !== null) throw new Error('error view broke')
    }),
  ]
  await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 10 })
  expect(path(wf)).toEqual([
    'IDLE-CMD_TX->PROCESSING',
    'PROCESSING-EVT_SUCCESS->NOTIFY',
    'NOTIFY-EVT_CHAIN_DONE->IDLE',
  ])
  expect(engine.state.value.domain.notified).toEqual(['Bob'])
  expect(wf.status.value).toBe('idle')
  expect(wf.lastError.value).toBeNull()
  await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: -1 })
  expect(wf.state.value).toBe('IDLE')
  expect(wf.lastError.value).toBeInstanceOf(ValueError)
  wf.reset()
  for (const stop of stops) stop()
  expect((errors as Error[]).map((e) => e.message)).toEqual([
    'state view broke',
    'state view broke',
    'error view broke',
  ])
})

it('runs a queued event with its args as they were when it was sent', async () => {
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const engine = new TheusEngine({ domain: { got: [] as number[] } })
  engine.registerProcess(
    process({}, async function slow() {
      await gate
    }),
  )
  engine.registerProcess(
    process({ outputs: ['domain.got'] }, function rec(ctx: any, args: any) {
      ctx.domain.got = [...ctx.domain.got, args.amount]
    }),
  )
  const wf = new WorkflowManager(engine, {
    states: {
      IDLE: { on: { SLOW: 'S', GO: 'R' } },
      S: { entry: 'slow', on: { EVT_CHAIN_DONE: 'IDLE' } },
      R: { entry: 'rec', on: { EVT_CHAIN_DONE: 'R2' } },
      R2: { entry: 'rec' },
    },
  })
  void wf.send('SLOW')
  const args = { amount: 1 }
  const sent = wf.send('GO', args) // queued behind the running chain
  args.amount = 999 // the caller reuses its object
  release()
  await sent
  expect(engine.state.value.domain.got).toEqual([1, 1])
})

describe('WorkflowManager: level A interlock', () => {
  const recipe = {
    process_recipes: {
      transfer: { inputs: [{ field: 'amount', max: 1000, level: 'A' }] },
    },
  }

  it("sets 'aborted', keeps the state entered, skips the fail event, and ignores sends until reset()", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const engine = bankEngine(recipe)
    const wf = new WorkflowManager(engine, parseWorkflow(bankYaml))
    const statuses: WorkflowStatus[] = []
    const stop = effect(() => {
      statuses.push(wf.status.value)
    })
    await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 5000 })
    stop()
    expect(wf.status.value).toBe('aborted')
    expect(statuses).toEqual(['idle', 'running', 'aborted'])
    expect(wf.state.value).toBe('PROCESSING')
    expect(wf.lastError.value).toBeInstanceOf(AuditInterlockError)
    expect((wf.lastError.value as AuditInterlockError).level).toBe('A')
    expect(path(wf)).toEqual(['IDLE-CMD_TX->PROCESSING'])

    await expect(wf.send('EVT_FAIL')).resolves.toBeUndefined()
    expect(wf.state.value).toBe('PROCESSING')
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^\[theus\] .*aborted.*reset\(\)/))

    wf.reset()
    expect(wf.status.value).toBe('idle')
    expect(wf.state.value).toBe('IDLE')
    expect(wf.lastError.value).toBeNull()
    await wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 10 })
    expect(engine.state.value.domain.accounts['Bob']).toBe(10)
    expect(wf.status.value).toBe('idle')
  })

  it('drops the events queued behind the aborted chain', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const engine = bankEngine(recipe)
    const wf = new WorkflowManager(engine, parseWorkflow(bankYaml))
    const a = wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 5000 })
    const b = wf.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 1 })
    await Promise.all([a, b])
    expect(wf.status.value).toBe('aborted')
    expect(engine.state.value.domain.accounts['Bob']).toBe(0)
  })
})

describe('WorkflowManager: signal bridge', () => {
  it('sends the mapped event when a commit publishes a truthy signal', async () => {
    const engine = bankEngine()
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { CMD_TX: 'PROCESSING', EVT_FRAUD: 'FRAUD' } },
        PROCESSING: { entry: 'transfer', on: { EVT_SUCCESS: 'IDLE', EVT_FAIL: 'IDLE' } },
        FRAUD: {},
      },
      signals: { sig_fraud_detected: 'EVT_FRAUD' },
    })
    await wf.send('CMD_TX', { from_user: 'Bob', to_user: 'Alice', amount: 50 })
    await new Promise((r) => setTimeout(r, 0))
    expect(path(wf)).toEqual([
      'IDLE-CMD_TX->PROCESSING',
      'PROCESSING-EVT_SUCCESS->IDLE',
      'IDLE-EVT_FRAUD->FRAUD',
    ])
    expect(wf.state.value).toBe('FRAUD')
  })

  it('does nothing for a falsy value, and nothing after dispose()', async () => {
    const engine = bankEngine()
    engine.registerProcess(
      process(
        { outputs: ['domain.sig_fraud_detected'] },
        function raise(ctx, args: { v: boolean }) {
          ctx.domain.sig_fraud_detected = args.v
        },
      ),
    )
    const wf = new WorkflowManager(engine, {
      states: { IDLE: { on: { EVT_FRAUD: 'FRAUD' } }, FRAUD: {} },
      signals: { 'domain.sig_fraud_detected': 'EVT_FRAUD' },
    })
    engine.runProcess('raise', { v: false })
    await new Promise((r) => setTimeout(r, 0))
    expect(wf.state.value).toBe('IDLE')
    wf.dispose()
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    engine.runProcess('raise', { v: true })
    await new Promise((r) => setTimeout(r, 0))
    expect(wf.state.value).toBe('IDLE')
  })
})

describe('WorkflowManager: safety', () => {
  it('stops a cascade that loops through chains forever with FLUX_SAFETY_TRIP in lastError', async () => {
    const engine = new TheusEngine({ domain: { n: 0 } }, { maxOps: 20 })
    engine.registerProcess(
      process({ outputs: ['domain.n'] }, function inc(ctx) {
        ctx.domain.n += 1
      }),
    )
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'LOOP' } },
        LOOP: { entry: 'inc', on: { EVT_CHAIN_DONE: 'LOOP' } },
      },
    })
    await wf.send('GO')
    expect(wf.lastError.value).toBeInstanceOf(TheusError)
    expect((wf.lastError.value as TheusError).code).toBe('FLUX_SAFETY_TRIP')
    expect(wf.status.value).toBe('idle')
    expect(engine.state.value.domain.n).toBe(20)
  })

  it('stops a signal bridge that feeds its own event back, instead of hanging the page', async () => {
    const engine = new TheusEngine({ domain: { n: 0, sig_x: false } }, { maxOps: 20 })
    engine.registerProcess(
      process({ outputs: ['domain.n', 'domain.sig_x'] }, function raise(ctx) {
        ctx.domain.n += 1
        ctx.domain.sig_x = true
      }),
    )
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { EVT_X: 'A' } },
        A: { entry: 'raise', on: { EVT_CHAIN_DONE: 'IDLE' } },
      },
      signals: { sig_x: 'EVT_X' },
    })
    await wf.send('EVT_X')
    // Every bridged event runs in microtasks: without the bound, this timer never fires.
    await new Promise((r) => setTimeout(r, 0))
    expect((wf.lastError.value as TheusError).code).toBe('FLUX_SAFETY_TRIP')
    expect(engine.state.value.domain.n).toBeLessThanOrEqual(20)
    // A user's own send starts a new count.
    await wf.send('EVT_X')
    expect(engine.state.value.domain.n).toBeGreaterThan(1)
  })

  it('stops an entry process or a commit listener that sends its own event back, instead of hanging the page', async () => {
    for (const from of ['body', 'listener'] as const) {
      let wf!: WorkflowManager
      let sent = 0
      const engine = new TheusEngine({ domain: { n: 0 } }, { maxOps: 20 })
      engine.registerProcess(
        process({ outputs: ['domain.n'] }, function again(ctx) {
          ctx.domain.n += 1
          if (from === 'body' && ++sent < 200) void wf.send('AGAIN')
        }),
      )
      // (The test's own bound, 200 sends, keeps a regression from hanging the test run.)
      if (from === 'listener') engine.on('commit', () => void (++sent < 200 && wf.send('AGAIN')))
      wf = new WorkflowManager(engine, {
        states: {
          IDLE: { on: { AGAIN: 'LOOP' } },
          LOOP: { entry: 'again', on: { AGAIN: 'LOOP' } },
        },
      })
      await wf.send('AGAIN')
      // Each event is a cascade of its own, run in microtasks: unbounded, no timer ever fires.
      await new Promise((r) => setTimeout(r, 0))
      expect((wf.lastError.value as TheusError).code).toBe('FLUX_SAFETY_TRIP')
      expect(engine.state.value.domain.n).toBe(20)
      expect(wf.status.value).toBe('idle')
      // A send after the manager went idle starts a new count.
      wf.reset()
      await wf.send('AGAIN')
      await new Promise((r) => setTimeout(r, 0))
      expect(engine.state.value.domain.n).toBe(40)
    }
  })

  it('refuses a missing engine and options other than { historyLimit? } with INVALID_ARGS', () => {
    const def = { states: { IDLE: {} } }
    const code = (fn: () => unknown) => {
      try {
        fn()
      } catch (e) {
        return (e as TheusError).code
      }
    }
    for (const engine of [null, undefined, {}, 'engine'])
      expect(code(() => new WorkflowManager(engine as never, def))).toBe('INVALID_ARGS')
    for (const options of [null, 5, [], { historylimit: 3 }])
      expect(code(() => new WorkflowManager(bankEngine(), def, options as never))).toBe(
        'INVALID_ARGS',
      )
    expect(new WorkflowManager(bankEngine(), def, { historyLimit: 3 }).state.value).toBe('IDLE')
  })

  it('reports an unknown process as a failed chain', async () => {
    const wf = new WorkflowManager(bankEngine(), {
      states: { IDLE: { on: { GO: 'X' } }, X: { entry: 'nope', on: { EVT_CHAIN_FAIL: 'IDLE' } } },
    })
    await wf.send('GO')
    expect((wf.lastError.value as TheusError).code).toBe('PROCESS_NOT_FOUND')
    expect(wf.state.value).toBe('IDLE')
  })
})
