// biome-ignore-all lint/correctness/noComponentHookFactories: each test defines its components once, over that test's engine and counters, and renders them once.
import { act, cleanup, fireEvent, screen } from '@testing-library/react'
import { StrictMode, useEffect } from 'react'
import { process, TheusEngine, WorkflowManager } from 'theus'
import { useWorkflow } from 'theus/react'
import { afterEach, describe, expect, it } from 'vitest'
import { deferred } from '../bank.js'
import { modes, renderWith } from './modes.js'

afterEach(cleanup)

function setup() {
  const gate = { current: deferred() }
  const engine = new TheusEngine({ domain: { n: 0 } })
  engine.registerProcess(
    process(
      { inputs: ['domain.n'], outputs: ['domain.n'], errors: ['RangeError'] },
      async function step(ctx, args: { by: number }) {
        await gate.current.promise
        if (args.by < 0) throw new RangeError('negative step')
        ctx.domain.n += args.by
      },
    ),
  )
  const manager = new WorkflowManager(engine, {
    initial: 'IDLE',
    states: {
      IDLE: { events: { GO: 'STEPPING' } },
      STEPPING: { entry: 'step', events: { EVT_CHAIN_DONE: 'DONE', EVT_CHAIN_FAIL: 'IDLE' } },
      DONE: { events: { AGAIN: 'IDLE' } },
    },
  })
  return { engine, manager, gate }
}

describe.each(modes)('useWorkflow ($mode)', ({ Wrapper }) => {
  it('follows state and status through a chain, and sends events', async () => {
    const { engine, manager, gate } = setup()
    let handle!: ReturnType<typeof useWorkflow>
    function Machine() {
      handle = useWorkflow(manager)
      return (
        <button type="button" onClick={() => void handle.send('GO', { by: 2 })}>
          {`${handle.state} ${handle.status} ${String(handle.lastError)}`}
        </button>
      )
    }
    renderWith(engine, Wrapper, <Machine />)
    expect(screen.getByRole('button').textContent).toBe('IDLE idle null')
    act(() => {
      fireEvent.click(screen.getByRole('button'))
    })
    await act(async () => {})
    expect(screen.getByRole('button').textContent).toBe('STEPPING running null')
    await act(async () => {
      gate.current.resolve()
      await manager.send('NOOP')
    })
    expect(screen.getByRole('button').textContent).toBe('DONE idle null')
    expect(engine.state.value.domain.n).toBe(2)
  })

  it('shows the chain error as lastError', async () => {
    const { engine, manager, gate } = setup()
    gate.current.resolve()
    let handle!: ReturnType<typeof useWorkflow>
    function Machine() {
      handle = useWorkflow(manager)
      return null
    }
    renderWith(engine, Wrapper, <Machine />)
    await act(async () => {
      await handle.send('GO', { by: -1 })
    })
    expect(handle.state).toBe('IDLE')
    expect(handle.status).toBe('idle')
    expect(handle.lastError).toBeInstanceOf(RangeError)
    expect(handle.lastError).toBe(manager.lastError.value)
  })
})

describe.each(modes)('useWorkflow send from a mount effect ($mode)', ({ Wrapper }) => {
  // SPEC §7: the adapters run each process once under StrictMode, whose replayed mount calls
  // the effect again.
  it.each(['sync', 'async'])('runs the chain once (%s entry process)', async (kind) => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    engine.registerProcess(
      process(
        { outputs: ['domain.n'] },
        kind === 'sync'
          ? function inc(ctx) {
              ctx.domain.n++
            }
          : async function inc(ctx) {
              await Promise.resolve()
              ctx.domain.n++
            },
      ),
    )
    const manager = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'RUN' } },
        RUN: { entry: 'inc', on: { EVT_CHAIN_DONE: 'IDLE', EVT_CHAIN_FAIL: 'IDLE' } },
      },
    })
    const sent: Promise<void>[] = []
    let send!: ReturnType<typeof useWorkflow>['send']
    function Start() {
      const handle = useWorkflow(manager)
      send = handle.send
      useEffect(() => {
        sent.push(handle.send('GO'))
      }, [handle.send])
      return <p>{handle.state}</p>
    }
    renderWith(engine, Wrapper, <Start />)
    await act(async () => {
      await Promise.all(sent)
    })
    expect(engine.state.value.domain.n).toBe(1)
    expect(engine.runLog).toHaveLength(1)
    expect(sent).toHaveLength(Wrapper === StrictMode ? 2 : 1)
    // Outside the mount, the same event sent twice is two chains.
    await act(async () => {
      await send('GO')
      await send('GO')
    })
    expect(engine.state.value.domain.n).toBe(3)
  })
})
