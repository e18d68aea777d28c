import { cleanup, render } from '@testing-library/vue'
import { TheusError } from 'theus'
import { createTheusPlugin, useAuditLog, useEngine, useProcess, useTheus } from 'theus/vue'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, defineComponent, h, onErrorCaptured } from 'vue'
import { createBank } from '../bank.js'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

describe('createTheusPlugin, provideTheus and useEngine (vue)', () => {
  it('gives the engine installed with app.use', () => {
    const engine = createBank(1)
    let seen: unknown
    const View = defineComponent(() => {
      seen = useEngine()
      return () => null
    })
    render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    expect(seen).toBe(engine)
    const app = createApp(View).use(createTheusPlugin(engine))
    expect(app.runWithContext(() => useEngine())).toBe(engine)
  })

  it.each([
    ['useEngine', () => useEngine()],
    ['useTheus', () => useTheus('domain.n')],
    ['useProcess', () => useProcess('transfer')],
    ['useAuditLog', () => useAuditLog()],
  ])('%s without a provider throws TheusError NO_PROVIDER', (_, use) => {
    // Vue warns about the component whose setup threw.
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    let caught: unknown
    const Child = defineComponent(() => {
      use()
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
    expect((caught as TheusError).message).toContain('createTheusPlugin(engine)')
  })

  it('a plugin given no engine (not yet created, a circular import) throws NO_PROVIDER too', () => {
    const app = createApp(defineComponent(() => () => null)).use(
      createTheusPlugin(undefined as never),
    )
    expect(() => app.runWithContext(() => useTheus('domain.n'))).toThrow(
      expect.objectContaining({
        code: 'NO_PROVIDER',
        message: expect.stringContaining('given none'),
      }),
    )
  })

  it('useEngine outside setup throws NO_PROVIDER too', () => {
    expect(() => useEngine()).toThrow(expect.objectContaining({ code: 'NO_PROVIDER' }))
  })
})
