import { act, render, screen } from '@testing-library/react'
import { StrictMode } from 'react'
import { TheusDevtools } from 'theus/devtools/react'
import { TheusProvider } from 'theus/react'
import { describe, expect, it, vi } from 'vitest'
import { makeBank, tx } from './bank'

const shadowOf = (container: HTMLElement) => {
  const hosts = container.querySelectorAll('[data-theus-devtools]')
  expect(hosts).toHaveLength(1)
  return hosts[0]!.shadowRoot!
}

describe('<TheusDevtools>', () => {
  it('inspects the engine of the nearest provider', async () => {
    const { engine } = makeBank()
    const { container } = render(
      <TheusProvider engine={engine}>
        <TheusDevtools tab="runs" />
      </TheusProvider>,
    )
    await act(async () => {
      engine.runProcess('transfer', tx(300))
    })
    const shadow = shadowOf(container)
    expect(shadow.querySelector('[data-testid="devtools-runs"]')?.textContent).toContain(
      '~ domain.accounts.Alice: 1000 → 700',
    )
  })

  it('works outside any provider with an engine prop, once under StrictMode', async () => {
    const { engine, machine } = makeBank()
    const { container, unmount } = render(
      <StrictMode>
        <TheusDevtools engine={engine} workflows={{ bank: machine }} tab="workflows" />
      </StrictMode>,
    )
    await act(async () => {})
    // StrictMode mounts, unmounts and mounts again: one panel remains.
    const shadow = shadowOf(container)
    expect(shadow.textContent).toContain('bank: IDLE (idle)')
    unmount()
    expect(container.querySelector('[data-theus-devtools]')).toBeNull()
  })

  it('does not remount when re-rendered with an equal inline workflows object', async () => {
    const { engine, machine } = makeBank()
    const { container, rerender } = render(
      <TheusDevtools engine={engine} workflows={{ bank: machine }} />,
    )
    const host = container.querySelector('[data-theus-devtools]')
    rerender(<TheusDevtools engine={engine} workflows={{ bank: machine }} />)
    expect(container.querySelector('[data-theus-devtools]')).toBe(host)
  })

  it('throws NO_PROVIDER without a provider or an engine prop', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => render(<TheusDevtools />)).toThrow(
      expect.objectContaining({ code: 'NO_PROVIDER' }),
    )
    error.mockRestore()
    expect(screen.queryByText('Theus devtools')).toBeNull()
  })
})
