/**
 * SPEC §7 (Vue adapter) and the adapter bullets of §9, one test per rule, through public
 * names only.
 */
import { cleanup, render } from '@testing-library/vue'
import { type AuditLogEntry, process, TheusEngine, TheusError, WorkflowManager } from 'theus'
import {
  createTheusPlugin,
  provideTheus,
  useAuditLog,
  useEngine,
  useProcess,
  useTheus,
  useWorkflow,
} from 'theus/vue'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, isReadonly, isRef, nextTick, onErrorCaptured } from 'vue'
import { createBank, deferred, shallowEqualArrays, ValueError } from '../bank.js'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

/** Calls `use` in a component's setup under the plugin and returns what it returned. */
function setup<T>(engine: TheusEngine<any>, use: () => T): { value: T; unmount: () => void } {
  let value!: T
  const View = defineComponent(() => {
    value = use()
    return () => null
  })
  const { unmount } = render(View, { global: { plugins: [createTheusPlugin(engine)] } })
  return { value, unmount }
}

describe('SPEC §7 Vue: providers', () => {
  it('provideTheus(engine) provides to descendants; createTheusPlugin to the app', () => {
    const engine = createBank(1)
    let seen: unknown
    const Child = defineComponent(() => {
      seen = useEngine()
      return () => null
    })
    const Parent = defineComponent(() => {
      provideTheus(engine)
      return () => h(Child)
    })
    render(Parent)
    expect(seen).toBe(engine)
    expect(setup(engine, () => useEngine()).value).toBe(engine)
  })

  it('useEngine without a provider throws NO_PROVIDER, saying to wrap the tree', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    let caught: unknown
    const Child = defineComponent(() => {
      useEngine()
      return () => null
    })
    const Parent = defineComponent(() => {
      onErrorCaptured((e) => {
        caught = e
        return false
      })
      return () => h(Child)
    })
    render(Parent)
    expect(caught).toBeInstanceOf(TheusError)
    expect((caught as TheusError).code).toBe('NO_PROVIDER')
    expect((caught as Error).message).toMatch(/wrap/i)
  })
})

describe('SPEC §7 Vue: composables return readonly refs', () => {
  it('useTheus(path) and useTheus(selector, isEqual) are readonly refs', async () => {
    const engine = createBank(3)
    const { value } = setup(engine, () => ({
      one: useTheus('domain.accounts.acc0'),
      keys: useTheus((s) => Object.keys(s.domain.accounts), shallowEqualArrays),
    }))
    expect(isRef(value.one) && isReadonly(value.one)).toBe(true)
    expect(isRef(value.keys) && isReadonly(value.keys)).toBe(true)
    expect(value.one.value).toBe(100)
    const keys = value.keys.value
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 10 })
    await nextTick()
    expect(value.one.value).toBe(90)
    expect(value.keys.value).toBe(keys)
  })

  it('useProcess: readonly refs; run never rejects; result is the value as returned', async () => {
    // Non-strict: the result is handed back as is, not frozen.
    const engine = new TheusEngine({ domain: { n: 0 } }, { strictMode: false })
    const returned = { total: 1 }
    engine.registerProcess(
      process(
        { outputs: ['domain.n'], errors: ['ValueError'] },
        function p(ctx, a: { bad?: boolean }) {
          if (a.bad) throw new ValueError('bad')
          ctx.domain.n++
          return returned
        },
      ),
    )
    const { value: handle } = setup(engine, () => useProcess('p'))
    expect(isRef(handle.pending) && isReadonly(handle.pending)).toBe(true)
    expect(isRef(handle.error) && isReadonly(handle.error)).toBe(true)
    expect(isRef(handle.result) && isReadonly(handle.result)).toBe(true)
    expect(handle.error.value).toBeNull()
    expect(handle.result.value).toBeNull()
    const ok = await handle.run({})
    expect(ok).toEqual({ ok: true, value: returned })
    const value = (ok as { value: unknown }).value
    // The value as the engine returned it, not a reactive or readonly proxy of it.
    expect(handle.result.value).toBe(value)
    const bad = await handle.run({ bad: true })
    expect(bad.ok).toBe(false)
    expect(handle.error.value).toBe((bad as { error: unknown }).error)
    expect(handle.result.value).toBe(value)
    const missing = await setup(engine, () => useProcess('nope')).value.run()
    expect(missing.ok).toBe(false)
    expect(((missing as { error: unknown }).error as TheusError).code).toBe('PROCESS_NOT_FOUND')
  })

  it('useProcess: pending while any run is in flight; run clears error', async () => {
    const gates: ReturnType<typeof deferred<void>>[] = []
    const engine = new TheusEngine({ domain: { n: 0 } })
    engine.registerProcess(
      process({ errors: ['ValueError'] }, async function slow(_ctx, a: { bad?: boolean }) {
        const g = deferred<void>()
        gates.push(g)
        await g.promise
        if (a.bad) throw new ValueError('bad')
        return 1
      }),
    )
    const { value: handle } = setup(engine, () => useProcess('slow'))
    const f = handle.run({ bad: true })
    expect(handle.pending.value).toBe(true)
    gates[0]!.resolve()
    await f
    expect(handle.pending.value).toBe(false)
    expect(handle.error.value).toBeInstanceOf(ValueError)
    const a = handle.run({})
    expect(handle.error.value).toBeNull()
    const b = handle.run({})
    gates[1]!.resolve()
    await a
    expect(handle.pending.value).toBe(true)
    gates[2]!.resolve()
    await b
    expect(handle.pending.value).toBe(false)
  })

  it('useWorkflow returns an object of readonly refs and send', async () => {
    const engine = createBank(3)
    const wf = new WorkflowManager(engine, {
      states: {
        IDLE: { on: { GO: 'RUN' } },
        RUN: { entry: 'transfer', on: { EVT_CHAIN_FAIL: 'IDLE', EVT_CHAIN_DONE: 'IDLE' } },
      },
    })
    const { value } = setup(engine, () => useWorkflow(wf))
    expect(Object.keys(value).sort()).toEqual(['lastError', 'send', 'state', 'status'])
    for (const k of ['state', 'status', 'lastError'] as const) {
      expect(isRef(value[k]) && isReadonly(value[k])).toBe(true)
    }
    expect(value.state.value).toBe('IDLE')
    expect(value.status.value).toBe('idle')
    await value.send('GO', { from_user: 'acc0', to_user: 'acc1', amount: -1 })
    expect(value.lastError.value).toBeInstanceOf(ValueError)
    expect(value.state.value).toBe('IDLE')
  })

  it('useAuditLog(limit = 50): a readonly ref of the latest entries, oldest first', () => {
    const engine = new TheusEngine(
      { domain: { n: 0 } },
      { auditRecipe: { process_recipes: { p: { inputs: [{ field: 'v', max: 0 }] } } } },
    )
    engine.registerProcess(process({ name: 'p' }, () => undefined))
    const { value } = setup(engine, () => ({ all: useAuditLog(), three: useAuditLog(3) }))
    expect(isRef(value.all) && isReadonly(value.all)).toBe(true)
    expect(value.all.value).toEqual([])
    engine.runProcess('p', { v: 1 })
    expect(value.all.value.map((e: AuditLogEntry) => e.value)).toEqual([1])
    for (let v = 2; v <= 60; v++) engine.runProcess('p', { v })
    const values = value.all.value.map((e: AuditLogEntry) => e.value)
    expect(values).toHaveLength(50)
    expect(values[0]).toBe(11)
    expect(values[49]).toBe(60)
    expect(value.three.value.map((e: AuditLogEntry) => e.value)).toEqual([58, 59, 60])
  })

  it('useAuditLog with a limit that is not a number shows none, as below 1 (it showed all)', () => {
    const engine = new TheusEngine(
      { domain: { n: 0 } },
      { auditRecipe: { process_recipes: { p: { inputs: [{ field: 'v', max: 0 }] } } } },
    )
    engine.registerProcess(process({ name: 'p' }, () => undefined))
    for (let v = 1; v <= 3; v++) engine.runProcess('p', { v })
    const { value } = setup(engine, () => ({ nan: useAuditLog(Number.NaN), neg: useAuditLog(-2) }))
    expect(value.nan.value).toEqual([])
    expect(value.neg.value).toEqual([])
  })

  it('useTheus(path) of a heavy path updates after each run that declares it (SPEC §3)', async () => {
    const engine = new TheusEngine({ domain: { heavy_buf: new Float64Array(2) } })
    engine.registerProcess(
      process({ outputs: ['domain.heavy_buf'] }, function fill(ctx, args: { v: number }) {
        ctx.domain.heavy_buf[0] = args.v
      }),
    )
    let renders = 0
    const View = defineComponent(() => {
      const buf = useTheus('domain.heavy_buf')
      return () => {
        renders++
        return h('p', String((buf.value as Float64Array)[0]))
      }
    })
    const { container } = render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    renders = 0
    engine.runProcess('fill', { v: 7 })
    await nextTick()
    expect(renders).toBe(1)
    expect(container.textContent).toBe('7')
  })

  it('unsubscribes when the component unmounts', async () => {
    const engine = createBank(3)
    const { value, unmount } = setup(engine, () => ({
      one: useTheus('domain.accounts.acc0'),
    }))
    unmount()
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 10 })
    await nextTick()
    expect(value.one.value).toBe(100)
  })
})
