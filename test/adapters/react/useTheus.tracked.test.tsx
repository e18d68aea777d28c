// biome-ignore-all lint/correctness/noComponentHookFactories: each test defines its components once, over that test's engine and counters, and renders them once.
import { act, cleanup, screen } from '@testing-library/react'
import { useState } from 'react'
import { TheusEngine } from 'theus'
import { useTheus } from 'theus/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { modes, renderWith } from './modes.js'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

const N = 100_000
const PROTO = '__proto__'

function bigBank() {
  const accounts: Record<string, number> = {}
  for (let i = 0; i < N; i++) accounts[`u${i}`] = 1_000
  return new TheusEngine({
    domain: {
      accounts,
      user: { name: 'Ada', tags: ['a', 'b'] },
      items: [{ done: false }, { done: false }],
      byId: new Map<string, { n: number }>([['x', { n: 1 }]]),
      other: 0,
    },
  })
}

/**
 * Counts the O(state) work a commit does in the adapter: enumerations of a container of more
 * than 1 000 keys (building the snapshot of the 100 000 accounts is one).
 */
function countBigEnumerations(): () => number {
  const keys = Object.keys
  let big = 0
  vi.spyOn(Object, 'keys').mockImplementation((o: object) => {
    const out = keys(o)
    if (out.length > 1000) big++
    return out
  })
  return () => big
}

describe.each(modes)('useTheus(selector) tracks what it reads ($mode)', ({ Wrapper, renders }) => {
  it('costs O(1) per commit for a selector of one leaf at 100 000 accounts', () => {
    const engine = bigBank()
    const selector = vi.fn((s: any) => s.domain.accounts.u5 as number)
    let bodies = 0
    function View() {
      bodies++
      return <p data-testid="v">{useTheus(selector)}</p>
    }
    renderWith(engine, Wrapper, <View />)
    const big = countBigEnumerations()
    const calls = selector.mock.calls.length
    bodies = 0
    for (let i = 0; i < 20; i++)
      act(() => {
        engine.edit((s) => {
          s.domain.accounts[`u${7 + i}`] = i
          s.domain.other = i
        })
      })
    // Twenty commits elsewhere: not one selector call, snapshot build or render.
    expect(selector.mock.calls.length).toBe(calls)
    expect(big()).toBe(0)
    expect(bodies).toBe(0)
    act(() => {
      engine.edit((s) => {
        s.domain.accounts.u5 = 42
      })
    })
    expect(screen.getByTestId('v').textContent).toBe('42')
    expect(selector.mock.calls.length).toBe(calls + 1)
    expect(bodies).toBe(renders)
    expect(big()).toBe(0)
  })

  it('returns the snapshot for a whole record, the object engine.state.value holds', () => {
    const engine = bigBank()
    let seen: unknown
    let bodies = 0
    function View() {
      bodies++
      seen = useTheus((s: any) => s.domain.accounts)
      return null
    }
    renderWith(engine, Wrapper, <View />)
    expect(seen).toBe(engine.state.value.domain.accounts)
    expect(Object.isFrozen(seen)).toBe(true)
    bodies = 0
    act(() => {
      engine.edit((s) => {
        s.domain.other = 1
      })
    })
    expect(bodies).toBe(0)
    act(() => {
      engine.edit((s) => {
        s.domain.accounts.u1 = 5
      })
    })
    expect(bodies).toBe(renders)
    expect(seen).toBe(engine.state.value.domain.accounts)
    expect((seen as Record<string, number>).u1).toBe(5)
  })

  it('reads nested objects, array elements and Map entries, each tracked by what it reads', () => {
    const engine = bigBank()
    const selector = vi.fn(
      (s: any) =>
        `${s.domain.user.name}:${s.domain.items[1].done}:${s.domain.byId.get('x').n}:${s.domain.user.tags.length}`,
    )
    function View() {
      return <p data-testid="v">{useTheus(selector)}</p>
    }
    renderWith(engine, Wrapper, <View />)
    expect(screen.getByTestId('v').textContent).toBe('Ada:false:1:2')
    const calls = selector.mock.calls.length
    act(() => {
      engine.edit((s) => {
        s.domain.items[0]!.done = true
        s.domain.accounts.u1 = 3
      })
    })
    expect(selector.mock.calls.length).toBe(calls)
    act(() => {
      engine.edit((s) => {
        s.domain.items[1]!.done = true
      })
    })
    expect(screen.getByTestId('v').textContent).toBe('Ada:true:1:2')
    act(() => {
      engine.edit((s) => {
        s.domain.byId.set('x', { n: 2 })
        s.domain.user.tags.push('c')
      })
    })
    expect(screen.getByTestId('v').textContent).toBe('Ada:true:2:3')
    act(() => {
      engine.edit((s) => {
        s.domain.user.name = 'Grace'
      })
    })
    expect(screen.getByTestId('v').textContent).toBe('Grace:true:2:3')
  })

  it('follows a selector that enumerates a record, and replaces views in its result by snapshots', () => {
    const engine = bigBank()
    let total = 0
    let picked: unknown
    function View() {
      total = useTheus((s: any) => s.domain.items.filter((i: any) => !i.done).length)
      picked = useTheus(
        (s: any) => [s.domain.user, s.domain.items[0]],
        (a, b) => a[0] === b[0] && a[1] === b[1],
      )
      return null
    }
    renderWith(engine, Wrapper, <View />)
    expect(total).toBe(2)
    const state = engine.state.value.domain
    expect(picked).toEqual([state.user, state.items[0]])
    expect((picked as unknown[])[0]).toBe(state.user)
    expect((picked as unknown[])[1]).toBe(state.items[0])
    act(() => {
      engine.edit((s) => {
        s.domain.items[0]!.done = true
      })
    })
    expect(total).toBe(1)
    expect((picked as unknown[])[1]).toBe(engine.state.value.domain.items[0])
    expect((picked as unknown[])[0]).toBe(state.user)
  })

  it('follows a selector whose identity changes with a prop', () => {
    const engine = bigBank()
    let setId: (id: string) => void = () => {}
    function View() {
      const [id, set] = useState('u1')
      setId = set
      return <p data-testid="v">{useTheus((s: any) => s.domain.accounts[id] as number)}</p>
    }
    renderWith(engine, Wrapper, <View />)
    act(() => setId('u2'))
    expect(screen.getByTestId('v').textContent).toBe('1000')
    act(() => {
      engine.edit((s) => {
        s.domain.accounts.u2 = 7
      })
    })
    expect(screen.getByTestId('v').textContent).toBe('7')
  })

  it('never calls the selector or renders for a rolled-back run', () => {
    const engine = bigBank()
    const selector = vi.fn((s: any) => s.domain.accounts.u5 as number)
    let bodies = 0
    function View() {
      bodies++
      return <p>{useTheus(selector)}</p>
    }
    renderWith(engine, Wrapper, <View />)
    const calls = selector.mock.calls.length
    bodies = 0
    act(() => {
      expect(() =>
        engine.edit((s) => {
          s.domain.accounts.u5 = 1
          throw new Error('no')
        }),
      ).toThrow('no')
    })
    expect(selector.mock.calls.length).toBe(calls)
    expect(bodies).toBe(0)
  })
})

describe('the tracked view', () => {
  function capture(engine: TheusEngine<any>, selector: (s: any) => unknown) {
    let out: unknown
    function View() {
      out = useTheus(selector)
      return null
    }
    renderWith(engine, ({ children }) => children, <View />)
    return out
  }

  it('is read-only: a selector that writes throws a TypeError and the state is unchanged', () => {
    const engine = bigBank()
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() =>
      capture(engine, (s) => {
        s.domain.other = 5
        return 1
      }),
    ).toThrow(TypeError)
    expect(() =>
      capture(engine, (s) => {
        delete s.domain.user.name
        return 1
      }),
    ).toThrow(TypeError)
    expect(engine.state.value.domain.other).toBe(0)
    expect(engine.state.value.domain.user.name).toBe('Ada')
  })

  it('exposes own data only: inherited members and __proto__ read as undefined', () => {
    const engine = bigBank()
    expect(
      capture(engine, (s) => [
        s.domain.accounts.constructor,
        s.domain.accounts[PROTO],
        'constructor' in s.domain.accounts,
        'u3' in s.domain.accounts,
        Object.keys(s.domain.user),
        JSON.stringify(s.domain.items),
        Array.isArray(s.domain.items),
        s.domain.byId instanceof Map,
        s.domain.byId.size,
      ]),
    ).toEqual([
      undefined,
      undefined,
      false,
      true,
      ['name', 'tags'],
      '[{"done":false},{"done":false}]',
      true,
      true,
      1,
    ])
  })
})
