// biome-ignore-all lint/correctness/noComponentHookFactories: each test defines its components once, over that test's engine and counters, and renders them once.
import { act, cleanup, fireEvent, screen } from '@testing-library/react'
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
