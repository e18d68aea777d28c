import { cleanup, render } from '@testing-library/vue'
import { process, TheusEngine, type TheusError } from 'theus'
import { createTheusPlugin, type ProcessHandle, type RunOutcome, useProcess } from 'theus/vue'
import { afterEach, describe, expect, it } from 'vitest'
import { defineComponent, h, isReadonly, nextTick } from 'vue'
import { createBank, deferred, ValueError } from '../bank.js'

afterEach(cleanup)

function mount<T>(engine: TheusEngine<any>, use: () => T): { handle: T; text: () => string } {
  let handle!: T
  const View = defineComponent(() => {
    handle = use()
    return () => {
      const p = handle as ProcessHandle<unknown, unknown>
      return h(
        'p',
        { 'data-testid': 'v' },
        `${p.pending.value} ${String(p.result.value)} ${String(p.error.value)}`,
      )
    }
  })
  const { getByTestId } = render(View, { global: { plugins: [createTheusPlugin(engine)] } })
  return { handle, text: () => getByTestId('v').textContent ?? '' }
}

describe('useProcess (vue)', () => {
  it('runs a synchronous process once per run, resolving to its value, with readonly refs', async () => {
    const engine = createBank(3)
    let commits = 0
    engine.on('commit', () => commits++)
    const { handle, text } = mount(engine, () => useProcess('transfer'))
    expect(
      isReadonly(handle.pending) && isReadonly(handle.error) && isReadonly(handle.result),
    ).toBe(true)
    expect(text()).toBe('false null null')
    const out = await handle.run({ from_user: 'acc0', to_user: 'acc1', amount: 10 })
    expect(out).toEqual({ ok: true, value: 'Success' })
    expect(commits).toBe(1)
    await nextTick()
    expect(text()).toBe('false Success null')
  })

  it('returns errors as data, clears error on run, keeps the last result', async () => {
    const engine = createBank(3)
    const { handle } = mount(engine, () => useProcess('transfer'))
    let out = await handle.run({ from_user: 'acc0', to_user: 'acc1', amount: -1 })
    expect(!out.ok && out.error).toBeInstanceOf(ValueError)
    expect(handle.error.value).toBeInstanceOf(ValueError)
    out = await handle.run({ from_user: 'acc0', to_user: 'acc1', amount: 1 })
    expect(out.ok).toBe(true)
    expect(handle.error.value).toBeNull()
    await handle.run({ from_user: 'acc0', to_user: 'acc1', amount: 0 })
    expect(handle.result.value).toBe('Success')
    expect(handle.error.value).toBeInstanceOf(ValueError)
    const missing = mount(engine, () => useProcess('nope'))
    out = await missing.handle.run()
    expect(!out.ok && (out.error as TheusError).code).toBe('PROCESS_NOT_FOUND')
  })

  it('is pending while any async run is in flight', async () => {
    const gates: ReturnType<typeof deferred<void>>[] = []
    const engine = new TheusEngine({ domain: { n: 0, m: 0 } })
    engine.registerProcess(
      process({ outputs: ['domain.n'] }, async function slow(ctx, args: { by: number }) {
        const gate = deferred<void>()
        gates.push(gate)
        await gate.promise
        ctx.domain.n = args.by
        return args.by
      }),
    )
    const { handle, text } = mount(engine, () => useProcess<{ by: number }, number>('slow'))
    let first!: Promise<RunOutcome<number>>
    const second = (async () => {
      first = handle.run({ by: 1 })
      return handle.run({ by: 2 })
    })()
    await nextTick()
    expect(text()).toBe('true null null')
    gates[0]!.resolve()
    expect(await first).toEqual({ ok: true, value: 1 })
    await nextTick()
    expect(text()).toBe('true 1 null')
    gates[1]!.resolve()
    await second
    await nextTick()
    expect(handle.pending.value).toBe(false)
    expect(text()).toMatch(/^false /)
  })
})
