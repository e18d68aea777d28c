// biome-ignore-all lint/correctness/noComponentHookFactories: each test defines its components once, over that test's engine and counters, and renders them once.
import { act, cleanup, screen } from '@testing-library/react'
import { Component, type ReactNode, StrictMode, useEffect, useState } from 'react'
import { renderToString } from 'react-dom/server'
import { TheusEngine } from 'theus'
import { TheusProvider, useTheus } from 'theus/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBank, shallowEqualArrays } from '../bank.js'
import { modes, renderWith } from './modes.js'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

// Each test renders 1 000 rows through jsdom: half a second on an idle machine, many seconds on a
// loaded one. What these tests check is counts, never speed, so no test here may fail on a
// deadline: the timeout only catches a hang.
describe.each(modes)('useTheus ($mode)', { timeout: 120_000 }, ({ Wrapper, renders }) => {
  function setup() {
    const engine = createBank()
    const counts = new Map<string, number>()
    let listRenders = 0
    function Row({ name }: { name: string }) {
      counts.set(name, (counts.get(name) ?? 0) + 1)
      const balance = useTheus(`domain.accounts.${name}`) as number
      return <li data-testid={name}>{balance}</li>
    }
    function List() {
      listRenders++
      const keys = useTheus((s) => Object.keys(s.domain.accounts), shallowEqualArrays)
      return (
        <ul>
          {keys.map((n) => (
            <Row key={n} name={n} />
          ))}
        </ul>
      )
    }
    renderWith(engine, Wrapper, <List />)
    const reset = () => {
      counts.clear()
      listRenders = 0
    }
    reset()
    return { engine, counts, reset, listRenders: () => listRenders }
  }

  it('renders 1 000 rows and a transfer re-renders exactly the two rows involved', () => {
    const { engine, counts, listRenders } = setup()
    expect(screen.getAllByRole('listitem')).toHaveLength(1000)
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc3', to_user: 'acc700', amount: 40 })
    })
    expect(Object.fromEntries(counts)).toEqual({ acc3: renders, acc700: renders })
    expect(listRenders()).toBe(0)
    expect(screen.getByTestId('acc3').textContent).toBe('60')
    expect(screen.getByTestId('acc700').textContent).toBe('140')
  })

  it('re-renders nothing for a rolled-back run', () => {
    const { engine, counts, listRenders } = setup()
    act(() => {
      expect(() =>
        engine.runProcess('transfer', { from_user: 'acc1', to_user: 'acc2', amount: -5 }),
      ).toThrow('Amount must be positive')
    })
    expect(counts.size).toBe(0)
    expect(listRenders()).toBe(0)
    expect(screen.getByTestId('acc1').textContent).toBe('100')
  })

  it('re-renders nothing for a commit that does not touch what a row reads', () => {
    const { engine, counts } = setup()
    act(() => {
      // Insufficient funds: the run commits sig_fraud_detected only.
      expect(
        engine.runProcess('transfer', { from_user: 'acc1', to_user: 'acc2', amount: 5000 }),
      ).toBe('Failed: Insufficient Funds')
    })
    expect(engine.state.value.domain.sig_fraud_detected).toBe(true)
    expect(counts.size).toBe(0)
  })

  it('re-renders a list that selects the keys when an account is added', () => {
    const { engine, counts, listRenders } = setup()
    act(() => {
      engine.edit((s) => {
        s.domain.accounts.zed = 7
      })
    })
    expect(listRenders()).toBe(renders)
    expect(screen.getByTestId('zed').textContent).toBe('7')
    // The other rows are not memoised, so the list re-render renders them all once.
    expect(counts.get('acc0')).toBe(renders)
  })

  it('calls a selector once per change of what it reads, and re-renders once per commit when it builds a new object', () => {
    const engine = createBank(3)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    let bodies = 0
    const selector = vi.fn((s: any) => ({ a: s.domain.accounts.acc0 as number }))
    function View() {
      bodies++
      const v = useTheus(selector)
      return <p data-testid="v">{v.a}</p>
    }
    renderWith(engine, Wrapper, <View />)
    const callsAfterMount = selector.mock.calls.length
    // Without a cache per snapshot, useSyncExternalStore would loop ("getSnapshot should be cached").
    expect(bodies).toBe(renders)
    bodies = 0
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    expect(screen.getByTestId('v').textContent).toBe('99')
    expect(bodies).toBe(renders)
    expect(selector.mock.calls.length - callsAfterMount).toBe(1)
    // SPEC §7: the selector sees a read-only tracked view equal to the snapshot.
    for (const [s] of selector.mock.calls.slice(callsAfterMount))
      expect(s).toEqual(engine.state.value)
    // Development warns once per selector (the other mode's run may have warned already).
    expect(
      warn.mock.calls.filter(([m]) => String(m).includes('useTheus(selector)')).length,
    ).toBeLessThanOrEqual(1)
  })

  it('caches an inline selector that builds a new object per snapshot: the same object on a re-render, no effect loop', () => {
    const engine = createBank(3)
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const seen: unknown[] = []
    let bump!: () => void
    let effects = 0
    function View({ id }: { id: string }) {
      const [, set] = useState(0)
      bump = () => set((x) => x + 1)
      // A new selector (and a new object) on every render, as an inline selector has.
      const v = useTheus((s) => ({ a: s.domain.accounts[id] as number }))
      seen.push(v)
      // SPEC §7: "cached per snapshot, so a selector that builds a new object does not loop".
      // biome-ignore lint/correctness/useExhaustiveDependencies: the effect runs when v changes, as an app's would.
      useEffect(() => {
        if (++effects < 50) set((x) => x + 1)
      }, [v])
      return <p data-testid="v">{v.a}</p>
    }
    const view = renderWith(engine, Wrapper, <View id="acc0" />)
    const settled = effects
    expect(settled).toBeLessThanOrEqual(2)
    act(() => bump())
    expect(seen.at(-1)).toBe(seen[0])
    expect(effects).toBe(settled)
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    expect(seen.at(-1)).toEqual({ a: 99 })
    expect(effects).toBe(settled + 1)
    // A selector over a prop still follows the prop.
    view.rerender(
      <Wrapper>
        <TheusProvider engine={engine}>
          <View id="acc1" />
        </TheusProvider>
      </Wrapper>,
    )
    expect(screen.getByTestId('v').textContent).toBe('101')
  })

  it('gives a selector over a prop the snapshot of the new prop, even when its data equals the previous one', () => {
    const engine = new TheusEngine({ domain: { accounts: { a: { bal: 1 }, b: { bal: 1 } } } })
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const seen: unknown[] = []
    function View({ id }: { id: 'a' | 'b' }) {
      seen.push(useTheus((s) => s.domain.accounts[id]))
      seen.push(useTheus((s) => [s.domain.accounts[id]]))
      return null
    }
    const ui = (id: 'a' | 'b') => (
      <Wrapper>
        <TheusProvider engine={engine}>
          <View id={id} />
        </TheusProvider>
      </Wrapper>
    )
    const view = renderWith(engine, Wrapper, <View id="a" />)
    view.rerender(ui('b'))
    const { b } = engine.state.value.domain.accounts
    expect(seen.at(-2)).toBe(b)
    expect((seen.at(-1) as unknown[])[0]).toBe(b)
  })

  it('does not re-render when isEqual says the selection is equal', () => {
    const engine = createBank(3)
    let bodies = 0
    function View() {
      bodies++
      const v = useTheus(
        (s) => ({ a: s.domain.accounts.acc2 as number }),
        (x, y) => x.a === y.a,
      )
      return <p data-testid="v">{v.a}</p>
    }
    renderWith(engine, Wrapper, <View />)
    bodies = 0
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    expect(bodies).toBe(0)
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc2', amount: 1 })
    })
    expect(bodies).toBe(renders)
    expect(screen.getByTestId('v').textContent).toBe('101')
  })

  it('re-renders once for a commit that changes several selected paths (batched)', () => {
    const engine = createBank(3)
    let bodies = 0
    function View() {
      bodies++
      const a = useTheus('domain.accounts.acc0') as number
      const b = useTheus('domain.accounts.acc1') as number
      const total = useTheus(
        (s) => (s.domain.accounts.acc0 as number) + (s.domain.accounts.acc1 as number),
      )
      return <p data-testid="v">{`${a} ${b} ${total}`}</p>
    }
    renderWith(engine, Wrapper, <View />)
    bodies = 0
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 10 })
    })
    expect(bodies).toBe(renders)
    expect(screen.getByTestId('v').textContent).toBe('90 110 200')
  })

  it('stops calling the selector and rendering after unmount', () => {
    const engine = createBank(3)
    const selector = vi.fn((s: any) => s.domain.accounts.acc0 as number)
    const isEqual = vi.fn((a: unknown, b: unknown) => a === b)
    function View() {
      const v = useTheus(selector)
      const w = useTheus('domain.accounts.acc1', isEqual)
      return <p>{`${v} ${String(w)}`}</p>
    }
    const { unmount } = renderWith(engine, Wrapper, <View />)
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    expect(isEqual).toHaveBeenCalled()
    unmount()
    const s = selector.mock.calls.length
    const e = isEqual.mock.calls.length
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    expect(selector.mock.calls.length).toBe(s)
    expect(isEqual.mock.calls.length).toBe(e)
  })

  it('reads a container path as its snapshot, the same object as engine.state shows', () => {
    const engine = createBank(3)
    let seen: unknown
    function View() {
      seen = useTheus('domain.accounts')
      return null
    }
    renderWith(engine, Wrapper, <View />)
    expect(seen).toBe(engine.state.value.domain.accounts)
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    expect(seen).toBe(engine.state.value.domain.accounts)
    expect(Object.isFrozen(seen)).toBe(true)
  })
})

describe('useTheus selector warning', () => {
  it('warns once in development when a selector returns a new object for the same snapshot', () => {
    const engine = createBank(3)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    function View() {
      const v = useTheus((s) => ({ warnTestOnly: s.domain.accounts.acc1 as number }))
      return <p>{v.warnTestOnly}</p>
    }
    const { unmount } = renderWith(engine, StrictMode, <View />)
    renderWith(engine, StrictMode, <View />)
    act(() => {
      engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    })
    unmount()
    const warned = warn.mock.calls.filter(([m]) => String(m).includes('warnTestOnly'))
    expect(warned).toHaveLength(1)
    expect(String(warned[0]?.[0])).toMatch(
      /^\[theus\] useTheus\(selector\): the selector returned a new value/,
    )
    expect(String(warned[0]?.[0])).toContain('isEqual')
  })

  it('does not warn for a selector of a primitive or one with an isEqual that holds', () => {
    const engine = createBank(3)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    function View() {
      const a = useTheus((s) => s.domain.accounts.acc1 as number)
      const b = useTheus(
        (s) => [s.domain.accounts.acc2 as number],
        (x, y) => shallowEqualArrays(x, y),
      )
      return <p>{`${a} ${b[0]}`}</p>
    }
    renderWith(engine, StrictMode, <View />)
    expect(warn).not.toHaveBeenCalled()
  })
})

describe('useTheus selector calls', () => {
  it.each(modes)(
    'calls a selector of a primitive once per snapshot, in development too ($mode)',
    ({ Wrapper }) => {
      const engine = createBank(3)
      const selector = vi.fn((s: any) => s.domain.accounts.acc0 as number)
      function View({ label }: { label: string }) {
        return <p data-testid="v">{`${label} ${useTheus(selector)}`}</p>
      }
      const view = renderWith(engine, Wrapper, <View label="a" />)
      expect(selector).toHaveBeenCalledTimes(1)
      // a render that is not a change of the state reuses the cached result
      view.rerender(
        <Wrapper>
          <TheusProvider engine={engine}>
            <View label="b" />
          </TheusProvider>
        </Wrapper>,
      )
      expect(screen.getByTestId('v').textContent).toBe('b 100')
      expect(selector).toHaveBeenCalledTimes(1)
      act(() => {
        engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
      })
      expect(screen.getByTestId('v').textContent).toBe('b 99')
      expect(selector).toHaveBeenCalledTimes(2)
    },
  )
})

class Boundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state = { error: null as unknown }
  static getDerivedStateFromError(error: unknown) {
    return { error }
  }
  override render() {
    return this.state.error ? (
      <p data-testid="caught">{(this.state.error as Error).message}</p>
    ) : (
      this.props.children
    )
  }
}

describe('useTheus with a selector that throws', () => {
  it.each(modes)(
    'hands an error thrown after a commit to the error boundary; the run commits and other views update ($mode)',
    ({ Wrapper }) => {
      const engine = createBank(3)
      vi.spyOn(console, 'error').mockImplementation(() => {})
      const errors: unknown[] = []
      engine.on('error', (e) => errors.push(e))
      function Bad() {
        const v = useTheus((s) => {
          if (s.domain.accounts.acc0 < 100) throw new Error('overdrawn view')
          return s.domain.accounts.acc0 as number
        })
        return <i>{v}</i>
      }
      function Good() {
        return <b data-testid="good">{useTheus('domain.accounts.acc0') as number}</b>
      }
      renderWith(
        engine,
        Wrapper,
        <>
          <Boundary>
            <Bad />
          </Boundary>
          <Good />
        </>,
      )
      let result: unknown
      act(() => {
        result = engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
      })
      expect(result).toBe('Success')
      // It stayed at the stale '100', the error swallowed by the subscription's effect.
      expect(screen.getByTestId('caught').textContent).toBe('overdrawn view')
      expect(screen.getByTestId('good').textContent).toBe('99')
      expect(errors).toEqual([])
    },
  )
})

describe('useTheus on the server', () => {
  it('renders the current snapshot with renderToString, without warnings', () => {
    const engine = createBank(3)
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 25 })
    const warn = vi.spyOn(console, 'warn')
    const error = vi.spyOn(console, 'error')
    function View() {
      const a = useTheus('domain.accounts.acc0') as number
      const n = useTheus((s) => Object.keys(s.domain.accounts).length)
      return <p>{`${a}/${n}`}</p>
    }
    const html = renderToString(
      <TheusProvider engine={engine}>
        <View />
      </TheusProvider>,
    )
    expect(html).toBe('<p>75/3</p>')
    expect(warn).not.toHaveBeenCalled()
    expect(error).not.toHaveBeenCalled()
  })

  it('gives no development warning there for a selector that builds a new object', () => {
    const engine = createBank(3)
    const warn = vi.spyOn(console, 'warn')
    function View() {
      const o = useTheus((s) => ({ names: Object.keys(s.domain.accounts) }))
      return <p>{o.names.join()}</p>
    }
    const html = renderToString(
      <TheusProvider engine={engine}>
        <View />
      </TheusProvider>,
    )
    expect(html).toBe('<p>acc0,acc1,acc2</p>')
    expect(warn).not.toHaveBeenCalled()
  })

  it('renders an engine of any context type', () => {
    const engine = new TheusEngine({ domain: { n: 1 } })
    const html = renderToString(
      <TheusProvider engine={engine}>
        <N />
      </TheusProvider>,
    )
    function N() {
      return <b>{useTheus('domain.n') as number}</b>
    }
    expect(html).toBe('<b>1</b>')
  })
})
