/**
 * SPEC §7 (React adapter) and the adapter bullets of §9, one test per rule, through public
 * names only, in and out of StrictMode.
 */
import { act, cleanup, renderHook } from '@testing-library/react'
import { type ReactNode, StrictMode, useEffect, useLayoutEffect, useRef } from 'react'
import { type AuditLogEntry, process, TheusEngine, TheusError, WorkflowManager } from 'theus'
import {
  TheusProvider,
  useAuditLog,
  useEngine,
  useProcess,
  useTheus,
  useWorkflow,
} from 'theus/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBank, deferred, shallowEqualArrays, ValueError } from '../bank.js'
import { modes, renderWith } from './modes.js'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

function wrap(engine: TheusEngine<any>, Outer: (p: { children?: ReactNode }) => ReactNode) {
  return ({ children }: { children?: ReactNode }) => (
    <Outer>
      <TheusProvider engine={engine}>{children}</TheusProvider>
    </Outer>
  )
}

function asyncEngine() {
  const gates: ReturnType<typeof deferred<void>>[] = []
  const engine = new TheusEngine({ domain: { n: 0 } })
  engine.registerProcess(
    process(
      { inputs: ['domain.n'], outputs: ['domain.n'], errors: ['ValueError'] },
      async function bump(ctx, args: { by: number }) {
        const gate = deferred<void>()
        gates.push(gate)
        await gate.promise
        if (args.by < 0) throw new ValueError('negative')
        ctx.domain.n += args.by
        return ctx.domain.n
      },
    ),
  )
  return { engine, gates }
}

describe.each(modes)('SPEC §7 React ($mode)', ({ Wrapper }) => {
  it('useProcess: error and result start null; run resolves { ok, value } / { ok, error }, never rejects', async () => {
    const engine = createBank(3)
    const { result } = renderHook(() => useProcess('transfer'), { wrapper: wrap(engine, Wrapper) })
    expect(result.current.error).toBeNull()
    expect(result.current.result).toBeNull()
    expect(result.current.pending).toBe(false)
    let ok: unknown
    await act(async () => {
      ok = await result.current.run({ from_user: 'acc0', to_user: 'acc1', amount: 10 })
    })
    expect(ok).toEqual({ ok: true, value: 'Success' })
    expect(result.current.result).toBe('Success')
    let bad: any
    await act(async () => {
      bad = await result.current.run({ from_user: 'acc0', to_user: 'acc1', amount: -1 })
    })
    expect(bad.ok).toBe(false)
    expect(bad.error).toBeInstanceOf(ValueError)
    expect(Object.keys(bad).sort()).toEqual(['error', 'ok'])
    expect(result.current.error).toBe(bad.error)
    // result keeps the last success
    expect(result.current.result).toBe('Success')
    // run clears error
    await act(async () => {
      await result.current.run({ from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    expect(result.current.error).toBeNull()
  })

  it('useProcess: an unknown name resolves { ok: false } with PROCESS_NOT_FOUND; the name is looked up at run time', async () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    const { result } = renderHook(() => useProcess('late'), { wrapper: wrap(engine, Wrapper) })
    let out: any
    await act(async () => {
      out = await result.current.run()
    })
    expect(out.ok).toBe(false)
    expect((out.error as TheusError).code).toBe('PROCESS_NOT_FOUND')
    engine.registerProcess(
      process({ outputs: ['domain.n'] }, function late(ctx) {
        ctx.domain.n = 5
        return 'done'
      }),
    )
    await act(async () => {
      out = await result.current.run()
    })
    expect(out).toEqual({ ok: true, value: 'done' })
    expect(result.current.error).toBeNull()
  })

  it('useProcess: pending while any run of this hook is in flight; run clears error at once', async () => {
    const { engine, gates } = asyncEngine()
    const { result } = renderHook(() => useProcess<{ by: number }, number>('bump'), {
      wrapper: wrap(engine, Wrapper),
    })
    let first!: Promise<unknown>
    await act(async () => {
      first = result.current.run({ by: -1 })
    })
    expect(result.current.pending).toBe(true)
    await act(async () => {
      gates[0]!.resolve()
      await first
    })
    expect(result.current.pending).toBe(false)
    expect(result.current.error).toBeInstanceOf(ValueError)
    let a!: Promise<unknown>
    let b!: Promise<unknown>
    await act(async () => {
      a = result.current.run({ by: 1 })
      b = result.current.run({ by: 2 })
    })
    expect(result.current.error).toBeNull()
    expect(result.current.pending).toBe(true)
    await act(async () => {
      gates[1]!.resolve()
      await a
    })
    // the second run is still in flight
    expect(result.current.pending).toBe(true)
    await act(async () => {
      gates[2]!.resolve()
      await b
    })
    expect(result.current.pending).toBe(false)
    // (the second run read `n` after the first committed: it may end in a ConflictError)
    expect(result.current.result).toBe(1)
  })

  it('useAuditLog(limit = 50): the latest entries, oldest first, updated on every audit event', () => {
    const engine = new TheusEngine(
      { domain: { n: 0 } },
      { auditRecipe: { process_recipes: { p: { inputs: [{ field: 'v', max: 0 }] } } } },
    )
    engine.registerProcess(process({ name: 'p' }, () => undefined))
    const def = renderHook(() => useAuditLog(), { wrapper: wrap(engine, Wrapper) })
    const three = renderHook(() => useAuditLog(3), { wrapper: wrap(engine, Wrapper) })
    expect(def.result.current).toEqual([])
    act(() => {
      engine.runProcess('p', { v: 1 })
    })
    expect(def.result.current.map((e: AuditLogEntry) => e.value)).toEqual([1])
    act(() => {
      for (let v = 2; v <= 60; v++) engine.runProcess('p', { v })
    })
    const values = def.result.current.map((e: AuditLogEntry) => e.value)
    expect(values).toHaveLength(50)
    expect(values[0]).toBe(11)
    expect(values[49]).toBe(60)
    expect(three.result.current.map((e: AuditLogEntry) => e.value)).toEqual([58, 59, 60])
  })

  it('useTheus(selector, isEqual): no re-render while isEqual says equal', () => {
    const engine = createBank(3)
    let renders = 0
    const { result } = renderHook(
      () => {
        renders++
        return useTheus((s) => Object.keys(s.domain.accounts), shallowEqualArrays)
      },
      { wrapper: wrap(engine, Wrapper) },
    )
    const first = result.current
    renders = 0
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    expect(renders).toBe(0)
    expect(result.current).toBe(first)
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'new', amount: 1 })
    })
    expect(renders).toBeGreaterThan(0)
    expect(result.current).toEqual(['acc0', 'acc1', 'acc2', 'new'])
  })

  it('useTheus(path) re-renders on change only, never for a rolled-back run', () => {
    const engine = createBank(3)
    let renders = 0
    const { result } = renderHook(
      () => {
        renders++
        return useTheus('domain.accounts.acc0')
      },
      { wrapper: wrap(engine, Wrapper) },
    )
    renders = 0
    act(() => {
      try {
        engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: -1 })
      } catch {}
    })
    expect(renders).toBe(0)
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 5 })
    })
    expect(result.current).toBe(95)
    expect(renders).toBeGreaterThan(0)
  })

  it('useTheus(path) of a heavy path re-renders after each run that declares it (SPEC §3)', () => {
    const engine = new TheusEngine({ domain: { heavy_buf: new Float64Array(2) } })
    engine.registerProcess(
      process({ outputs: ['domain.heavy_buf'] }, function fill(ctx, args: { v: number }) {
        ctx.domain.heavy_buf[0] = args.v
      }),
    )
    let renders = 0
    const { result } = renderHook(
      () => {
        renders++
        return (useTheus('domain.heavy_buf') as Float64Array)[0]
      },
      { wrapper: wrap(engine, Wrapper) },
    )
    renders = 0
    act(() => {
      engine.runProcess('fill', { v: 7 })
    })
    expect(result.current).toBe(7)
    expect(renders).toBeGreaterThan(0)
  })

  it('useWorkflow returns { state, status, send, lastError } as values', async () => {
    const engine = createBank(3)
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'RUN' } },
        RUN: { entry: 'transfer', on: { EVT_CHAIN_FAIL: 'IDLE', EVT_CHAIN_DONE: 'IDLE' } },
      },
    })
    const { result } = renderHook(() => useWorkflow(wf), { wrapper: wrap(engine, Wrapper) })
    expect(Object.keys(result.current).sort()).toEqual(['lastError', 'send', 'state', 'status'])
    expect(result.current.state).toBe('IDLE')
    expect(result.current.status).toBe('idle')
    expect(result.current.lastError).toBeNull()
    await act(async () => {
      await result.current.send('GO', { from_user: 'acc0', to_user: 'acc1', amount: -1 })
    })
    expect(result.current.state).toBe('IDLE')
    expect(result.current.lastError).toBeInstanceOf(ValueError)
  })
})

describe('SPEC §7 React: provider and warnings', () => {
  it('useEngine outside a provider throws NO_PROVIDER, saying to wrap the tree', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    let err: unknown
    try {
      renderHook(() => useEngine())
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(TheusError)
    expect((err as TheusError).code).toBe('NO_PROVIDER')
    expect((err as Error).message).toMatch(/wrap/i)
    expect((err as Error).message).toContain('TheusProvider')
  })

  it('a selector that builds a new object warns once with [theus] and does not loop', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const engine = createBank(3)
    let renders = 0
    const selectSpecNew = (s: any) => ({ spec_new: s.domain.accounts.acc0 })
    const { result } = renderHook(
      () => {
        renders++
        return useTheus(selectSpecNew)
      },
      { wrapper: wrap(engine, StrictMode) },
    )
    renderHook(() => useTheus(selectSpecNew), { wrapper: wrap(engine, StrictMode) })
    expect(result.current).toEqual({ spec_new: 100 })
    renders = 0
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc1', to_user: 'acc2', amount: 1 })
    })
    // once per commit (twice under StrictMode), not a loop
    expect(renders).toBeLessThanOrEqual(2)
    const ours = warn.mock.calls.filter((c) => String(c[0]).includes('spec_new'))
    expect(ours).toHaveLength(1)
    expect(String(ours[0]![0]).startsWith('[theus]')).toBe(true)
  })
})

/** A component whose mount effect calls `run(args(mount number))` and reports each outcome. */
function RunOnMount(props: {
  name: string
  args: (mount: number) => Record<string, unknown> | undefined
  onOutcome: (o: unknown) => void
  onHandle?: (h: { run: () => Promise<unknown> }) => void
}) {
  const handle = useProcess(props.name)
  const mounts = useRef(0)
  const { run } = handle
  props.onHandle?.(handle)
  const { args, onOutcome } = props
  useEffect(() => {
    mounts.current++
    void run(args(mounts.current)).then(onOutcome)
  }, [run, args, onOutcome])
  return <span>{String(handle.result)}</span>
}

// The child's effects run before the parent's (and layout effects before any passive one):
// the hook has not seen its own mount when the first call comes.
function ChildRunsOnMount({ run }: { run: (a: { by: number }) => Promise<unknown> }) {
  useEffect(() => void run({ by: 1 }), [run])
  return null
}
function ParentRunsInLayoutEffect() {
  const { run } = useProcess('inc')
  useLayoutEffect(() => void run({ by: 100 }), [run])
  return <ChildRunsOnMount run={run} />
}

// A mount effect whose cleanup runs the process too (a save on unmount).
function SaveOnUnmount() {
  const { run } = useProcess('inc')
  useEffect(() => {
    void run({ by: 1 })
    return () => void run({ by: 100 })
  }, [run])
  return null
}

describe('SPEC §7 React: each process runs once under StrictMode', () => {
  const counter = () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    engine.registerProcess(
      process({ outputs: ['domain.n'] }, function inc(ctx, args: { by?: number }) {
        ctx.domain.n += args.by ?? 1
        return ctx.domain.n
      }),
    )
    engine.registerProcess(
      process({ outputs: ['domain.n'] }, async function incLater(ctx) {
        await Promise.resolve()
        ctx.domain.n += 1
        return ctx.domain.n
      }),
    )
    return engine
  }
  const by5 = () => ({ by: 5 })
  const none = () => undefined
  const byMount = (mount: number) => ({ by: mount * 10 })

  it.each(modes)(
    'a mount effect that calls run runs the process once ($mode)',
    async ({ Wrapper }) => {
      const engine = counter()
      const outcomes: unknown[] = []
      const view = renderWith(
        engine,
        Wrapper,
        <RunOnMount name="inc" args={by5} onOutcome={(o) => outcomes.push(o)} />,
      )
      await act(async () => {})
      expect(engine.state.value.domain.n).toBe(5)
      expect(engine.runLog).toHaveLength(1)
      // Each effect call gets an outcome: StrictMode's replayed call the first one's.
      const once = { ok: true, value: 5 }
      expect(outcomes).toEqual(Wrapper === StrictMode ? [once, once] : [once])
      expect(view.container.textContent).toBe('5')
    },
  )

  it.each(modes)(
    'an async run from a mount effect runs once; later calls each run ($mode)',
    async ({ Wrapper }) => {
      const engine = counter()
      let handle: { run: () => Promise<unknown> } | undefined
      renderWith(
        engine,
        Wrapper,
        <RunOnMount
          name="incLater"
          args={none}
          onOutcome={() => {}}
          onHandle={(h) => (handle = h)}
        />,
      )
      await act(async () => {
        await new Promise((r) => setTimeout(r, 0))
      })
      expect(engine.state.value.domain.n).toBe(1)
      // Outside the mount, two calls with the same args are two runs.
      await act(async () => {
        await handle!.run()
        await handle!.run()
      })
      expect(engine.state.value.domain.n).toBe(3)
    },
  )

  it.each(modes)(
    "a child's mount effect or a layout effect that calls run runs it once ($mode)",
    async ({ Wrapper }) => {
      const engine = counter()
      renderWith(engine, Wrapper, <ParentRunsInLayoutEffect />)
      await act(async () => {})
      expect(engine.state.value.domain.n).toBe(101)
      expect(engine.runLog).toHaveLength(2)
    },
  )

  it('a replayed mount that calls run with other args (a mount counter, a fresh id) runs once', async () => {
    const engine = counter()
    const outcomes: unknown[] = []
    renderWith(
      engine,
      StrictMode,
      <RunOnMount name="inc" args={byMount} onOutcome={(o) => outcomes.push(o)} />,
    )
    await act(async () => {})
    // It ran both (n 30): a mount effect that builds its args afresh ran twice.
    expect(engine.state.value.domain.n).toBe(10)
    expect(outcomes).toEqual([
      { ok: true, value: 10 },
      { ok: true, value: 10 },
    ])
    const ids: unknown[] = []
    const logged = new TheusEngine({ domain: { ids: [] as string[] } })
    logged.registerProcess(
      process({ outputs: ['domain.ids'] }, function log(ctx, args: { id: string }) {
        ctx.domain.ids.push(args.id)
      }),
    )
    const fresh = () => ({ id: crypto.randomUUID() })
    renderWith(
      logged,
      StrictMode,
      <RunOnMount name="log" args={fresh} onOutcome={(o) => ids.push(o)} />,
    )
    await act(async () => {})
    expect(logged.state.value.domain.ids).toHaveLength(1)
    expect(ids).toHaveLength(2)
  })

  it('an unmount that calls run with other args runs it', async () => {
    const engine = counter()
    const view = renderWith(engine, StrictMode, <SaveOnUnmount />)
    await act(async () => {})
    // StrictMode's simulated unmount runs the cleanup's call; the replayed mount's is the first.
    expect(engine.state.value.domain.n).toBe(101)
    view.unmount()
    expect(engine.state.value.domain.n).toBe(201)
  })
})
