// biome-ignore-all lint/correctness/noComponentHookFactories: each test defines its components once, over that test's engine and counters, and renders them once.
import { cleanup, render } from '@testing-library/react'
import { Component, type ReactNode } from 'react'
import { TheusError } from 'theus'
import { TheusProvider, useAuditLog, useEngine, useProcess, useTheus } from 'theus/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBank } from '../bank.js'
import { modes } from './modes.js'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

class Catch extends Component<
  { children: ReactNode; onError: (e: unknown) => void },
  { failed: boolean }
> {
  override state = { failed: false }
  static getDerivedStateFromError() {
    return { failed: true }
  }
  override componentDidCatch(e: unknown) {
    this.props.onError(e)
  }
  override render() {
    return this.state.failed ? null : this.props.children
  }
}

describe.each(modes)('TheusProvider and useEngine ($mode)', ({ Wrapper }) => {
  it('gives the engine of the nearest provider', () => {
    const outer = createBank(1)
    const inner = createBank(2)
    const seen: unknown[] = []
    function Probe() {
      seen.push(useEngine())
      return null
    }
    render(
      <Wrapper>
        <TheusProvider engine={outer}>
          <Probe />
          <TheusProvider engine={inner}>
            <Probe />
          </TheusProvider>
        </TheusProvider>
      </Wrapper>,
    )
    expect(seen).toContain(outer)
    expect(seen).toContain(inner)
    expect(seen.at(-1)).toBe(inner)
  })

  it.each([
    ['useEngine', () => useEngine()],
    ['useTheus', () => useTheus('domain.n')],
    ['useProcess', () => useProcess('transfer')],
    ['useAuditLog', () => useAuditLog()],
  ])('%s outside a provider throws TheusError NO_PROVIDER, saying to wrap the tree', (_, hook) => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    let caught: unknown
    function Probe() {
      hook()
      return null
    }
    render(
      <Wrapper>
        <Catch onError={(e) => (caught = e)}>
          <Probe />
        </Catch>
      </Wrapper>,
    )
    expect(caught).toBeInstanceOf(TheusError)
    expect((caught as TheusError).code).toBe('NO_PROVIDER')
    expect((caught as TheusError).message).toContain('<TheusProvider engine={engine}>')
  })

  it('a provider given no engine (not yet created, a circular import) throws NO_PROVIDER too', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    let caught: unknown
    function Probe() {
      useTheus('domain.n')
      return null
    }
    render(
      <Wrapper>
        <Catch onError={(e) => (caught = e)}>
          <TheusProvider engine={undefined as never}>
            <Probe />
          </TheusProvider>
        </Catch>
      </Wrapper>,
    )
    expect(caught).toBeInstanceOf(TheusError)
    expect((caught as TheusError).code).toBe('NO_PROVIDER')
    expect((caught as TheusError).message).toContain('given none')
  })
})
