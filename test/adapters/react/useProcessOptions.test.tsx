import { act, cleanup, renderHook } from '@testing-library/react'
import type { ReactNode } from 'react'
import { createTheusHooks, TheusProvider } from 'theus/react'
import { afterEach, describe, expect, it } from 'vitest'
import { conflictEngine } from '../conflictFixture.js'

afterEach(cleanup)

function setup(options?: { retries?: number; signal?: AbortSignal }) {
  const fx = conflictEngine()
  const { useProcess } = createTheusHooks<typeof fx.engine>()
  const wrapper = ({ children }: { children?: ReactNode }) => (
    <TheusProvider engine={fx.engine}>{children}</TheusProvider>
  )
  const hook = renderHook(() => useProcess('bump', options), { wrapper })
  return { ...fx, hook }
}

describe('useProcess(name, { retries, signal })', () => {
  it('fails with CONFLICT without retries when another commit changes what the run read', async () => {
    const { engine, hook } = setup()
    await act(async () => {
      const out = hook.result.current.run({ by: 1 })
      engine.edit((s) => {
        s.domain.n = 10
      })
      const o = await out
      expect(o.ok).toBe(false)
      expect(!o.ok && (o.error as { code?: string }).code).toBe('CONFLICT')
    })
    expect(engine.state.value.domain.n).toBe(10)
  })

  it('hands retries to runProcess: the run is re-run past the conflict', async () => {
    const { engine, hook, bodies } = setup({ retries: 1 })
    await act(async () => {
      const out = hook.result.current.run({ by: 1 })
      engine.edit((s) => {
        s.domain.n = 10
      })
      expect(await out).toEqual({ ok: true, value: 11 })
    })
    expect(bodies()).toBe(2)
    expect(hook.result.current.result).toBe(11)
  })

  it('hands the signal to runProcess: an aborted signal rolls the run back', async () => {
    const ctl = new AbortController()
    ctl.abort('stop')
    const { engine, hook, bodies } = setup({ signal: ctl.signal })
    await act(async () => {
      const o = await hook.result.current.run({ by: 1 })
      expect(!o.ok && (o.error as { code?: string }).code).toBe('ABORTED')
    })
    expect(bodies()).toBe(0)
    expect(engine.state.value.domain.n).toBe(0)
    expect((hook.result.current.error as Error).name).toBe('AbortError')
  })

  it('runs a process given as its definition', async () => {
    const fx = conflictEngine()
    const { useProcess } = createTheusHooks<typeof fx.engine>()
    const wrapper = ({ children }: { children?: ReactNode }) => (
      <TheusProvider engine={fx.engine}>{children}</TheusProvider>
    )
    const hook = renderHook(() => useProcess(fx.bump), { wrapper })
    await act(async () => {
      expect(await hook.result.current.run({ by: 3 })).toEqual({ ok: true, value: 3 })
    })
  })
})
