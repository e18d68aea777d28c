import { cleanup, render } from '@testing-library/vue'
import { createTheusHooks, createTheusPlugin } from 'theus/vue'
import { afterEach, describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { conflictEngine } from '../conflictFixture.js'

afterEach(cleanup)

function setup(options?: { retries?: number; signal?: AbortSignal }, byDefinition = false) {
  const fx = conflictEngine()
  const { useProcess } = createTheusHooks<typeof fx.engine>()
  let handle!: ReturnType<typeof useProcess<'bump'>>
  const View = defineComponent(() => {
    // biome-ignore lint/correctness/useHookAtTopLevel: a Vue composable: setup runs once.
    handle = byDefinition ? useProcess(fx.bump, options) : useProcess('bump', options)
    return () => h('p', String(handle.result.value))
  })
  render(View, { global: { plugins: [createTheusPlugin(fx.engine)] } })
  return { ...fx, handle }
}

describe('useProcess(name, { retries, signal }) (vue)', () => {
  it('fails with CONFLICT without retries when another commit changes what the run read', async () => {
    const { engine, handle } = setup()
    const out = handle.run({ by: 1 })
    engine.edit((s) => {
      s.domain.n = 10
    })
    const o = await out
    expect(!o.ok && (o.error as { code?: string }).code).toBe('CONFLICT')
  })

  it('hands retries to runProcess: the run is re-run past the conflict', async () => {
    const { engine, handle, bodies } = setup({ retries: 1 })
    const out = handle.run({ by: 1 })
    engine.edit((s) => {
      s.domain.n = 10
    })
    expect(await out).toEqual({ ok: true, value: 11 })
    expect(bodies()).toBe(2)
    expect(handle.result.value).toBe(11)
  })

  it('hands the signal to runProcess: an aborted signal rolls the run back', async () => {
    const ctl = new AbortController()
    ctl.abort('stop')
    const { engine, handle, bodies } = setup({ signal: ctl.signal })
    const o = await handle.run({ by: 1 })
    expect(!o.ok && (o.error as { code?: string }).code).toBe('ABORTED')
    expect(bodies()).toBe(0)
    expect(engine.state.value.domain.n).toBe(0)
  })

  it('runs a process given as its definition', async () => {
    const { handle } = setup(undefined, true)
    expect(await handle.run({ by: 3 })).toEqual({ ok: true, value: 3 })
  })
})
