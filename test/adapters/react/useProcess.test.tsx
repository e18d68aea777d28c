// biome-ignore-all lint/correctness/noComponentHookFactories: each test defines its components once, over that test's engine and counters, and renders them once.
import { act, cleanup, fireEvent, screen } from '@testing-library/react'
import { process, TheusEngine, TheusError } from 'theus'
import { type RunOutcome, useProcess, useTheus } from 'theus/react'
import { afterEach, describe, expect, it } from 'vitest'
import { createBank, deferred, ValueError } from '../bank.js'
import { modes, renderWith } from './modes.js'

afterEach(cleanup)

function asyncEngine() {
  const gates: ReturnType<typeof deferred<void>>[] = []
  let bodies = 0
  const engine = new TheusEngine({ domain: { n: 0 } })
  engine.registerProcess(
    process(
      { inputs: ['domain.n'], outputs: ['domain.n'], errors: ['ValueError'] },
      async function bump(ctx, args: { by: number }) {
        bodies++
        const gate = deferred<void>()
        gates.push(gate)
        await gate.promise
        if (args.by < 0) throw new ValueError('negative')
        ctx.domain.n += args.by
        return ctx.domain.n
      },
    ),
  )
  return { engine, gates, bodies: () => bodies }
}

describe.each(modes)('useProcess ($mode)', ({ Wrapper }) => {
  it('runs a synchronous process once per run, resolving to its value', async () => {
    const engine = createBank(3)
    let bodies = 0
    engine.on('commit', () => bodies++)
    let outcome: RunOutcome<unknown> | undefined
    function Transfer() {
      const { run, pending, result, error } = useProcess('transfer')
      return (
        <button
          type="button"
          onClick={async () => {
            outcome = await run({ from_user: 'acc0', to_user: 'acc1', amount: 10 })
          }}
        >
          {`${pending} ${String(result)} ${String(error)}`}
        </button>
      )
    }
    renderWith(engine, Wrapper, <Transfer />)
    expect(screen.getByRole('button').textContent).toBe('false null null')
    await act(async () => {
      fireEvent.click(screen.getByRole('button'))
    })
    expect(bodies).toBe(1)
    expect(outcome).toEqual({ ok: true, value: 'Success' })
    expect(screen.getByRole('button').textContent).toBe('false Success null')
    expect(engine.state.value.domain.accounts.acc0).toBe(90)
  })

  it('returns errors as data: run resolves to { ok: false, error } and never rejects', async () => {
    const engine = createBank(3)
    let handle!: ReturnType<typeof useProcess>
    function View() {
      handle = useProcess('transfer')
      return <p>{handle.error instanceof Error ? handle.error.message : 'no error'}</p>
    }
    renderWith(engine, Wrapper, <View />)
    let out!: RunOutcome<unknown>
    await act(async () => {
      out = await handle.run({ from_user: 'acc0', to_user: 'acc1', amount: -1 })
    })
    expect(out.ok).toBe(false)
    expect(!out.ok && out.error).toBeInstanceOf(ValueError)
    expect(handle.error).toBe(!out.ok && out.error)
    expect(screen.getByText('Amount must be positive')).toBeTruthy()
    // run clears error; result keeps the last success.
    await act(async () => {
      out = await handle.run({ from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    expect(out).toEqual({ ok: true, value: 'Success' })
    expect(handle.error).toBeNull()
    expect(handle.result).toBe('Success')
    await act(async () => {
      await handle.run({ from_user: 'acc0', to_user: 'acc1', amount: 0 })
    })
    expect(handle.error).toBeInstanceOf(ValueError)
    expect(handle.result).toBe('Success')
  })

  it('looks the name up when run is called, not during render', async () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    let handle!: ReturnType<typeof useProcess>
    function View() {
      handle = useProcess('later')
      return null
    }
    renderWith(engine, Wrapper, <View />)
    let out!: RunOutcome<unknown>
    await act(async () => {
      out = await handle.run()
    })
    expect(!out.ok && out.error).toBeInstanceOf(TheusError)
    expect(!out.ok && (out.error as TheusError).code).toBe('PROCESS_NOT_FOUND')
    engine.registerProcess(
      process({ outputs: ['domain.n'] }, function later(ctx) {
        ctx.domain.n = 5
        return 'ok'
      }),
    )
    await act(async () => {
      out = await handle.run()
    })
    expect(out).toEqual({ ok: true, value: 'ok' })
    expect(handle.error).toBeNull()
  })

  it('is pending while an async run is in flight, and while any of several is', async () => {
    const { engine, gates, bodies } = asyncEngine()
    let handle!: ReturnType<typeof useProcess<{ by: number }, number>>
    let pendingRenders: boolean[] = []
    function View() {
      handle = useProcess<{ by: number }, number>('bump')
      const n = useTheus('domain.n') as number
      pendingRenders.push(handle.pending)
      return <p data-testid="v">{`${handle.pending} ${n} ${String(handle.result)}`}</p>
    }
    renderWith(engine, Wrapper, <View />)
    expect(screen.getByTestId('v').textContent).toBe('false 0 null')
    pendingRenders = []
    let first!: Promise<RunOutcome<number>>
    let second!: Promise<RunOutcome<number>>
    act(() => {
      first = handle.run({ by: 1 })
      second = handle.run({ by: 10 })
    })
    expect(bodies()).toBe(2)
    expect(screen.getByTestId('v').textContent).toBe('true 0 null')
    await act(async () => {
      gates[0]!.resolve(undefined)
      await first
    })
    expect(await first).toEqual({ ok: true, value: 1 })
    expect(screen.getByTestId('v').textContent).toBe('true 1 1')
    await act(async () => {
      gates[1]!.resolve(undefined)
      await second
    })
    // The second run touched the path the first one committed: a conflict, as data.
    const out = await second
    expect(out.ok).toBe(false)
    expect(!out.ok && (out.error as TheusError).code).toBe('CONFLICT')
    expect(screen.getByTestId('v').textContent).toBe('false 1 1')
    expect(handle.error).toBe(!out.ok && out.error)
    expect(pendingRenders.at(-1)).toBe(false)
  })

  it('reports an async failure as data and shows no partial state', async () => {
    const { engine, gates } = asyncEngine()
    let handle!: ReturnType<typeof useProcess>
    function View() {
      handle = useProcess('bump')
      return <p data-testid="v">{`${handle.pending} ${useTheus('domain.n') as number}`}</p>
    }
    renderWith(engine, Wrapper, <View />)
    let p!: Promise<RunOutcome<unknown>>
    act(() => {
      p = handle.run({ by: -1 })
    })
    expect(screen.getByTestId('v').textContent).toBe('true 0')
    await act(async () => {
      gates[0]!.resolve(undefined)
      await p
    })
    const out = await p
    expect(!out.ok && out.error).toBeInstanceOf(ValueError)
    expect(handle.error).toBeInstanceOf(ValueError)
    expect(screen.getByTestId('v').textContent).toBe('false 0')
  })
})
