import { cleanup, render, screen } from '@testing-library/vue'
import { createTheusPlugin, provideTheus, useTheus } from 'theus/vue'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, isReadonly, isRef, nextTick, onErrorCaptured, ref } from 'vue'
import { createBank, shallowEqualArrays } from '../bank.js'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

function setup() {
  const engine = createBank()
  const counts = new Map<string, number>()
  let listRenders = 0
  const Row = defineComponent(
    (props: { name: string }) => {
      const balance = useTheus(`domain.accounts.${props.name}`)
      return () => {
        counts.set(props.name, (counts.get(props.name) ?? 0) + 1)
        return h('li', { 'data-testid': props.name }, String(balance.value))
      }
    },
    { props: ['name'] },
  )
  const List = defineComponent(() => {
    const keys = useTheus((s) => Object.keys(s.domain.accounts), shallowEqualArrays)
    return () => {
      listRenders++
      return h(
        'ul',
        keys.value.map((n) => h(Row, { key: n, name: n })),
      )
    }
  })
  render(List, { global: { plugins: [createTheusPlugin(engine)] } })
  counts.clear()
  listRenders = 0
  return { engine, counts, listRenders: () => listRenders }
}

describe('useTheus (vue)', () => {
  it('renders 1 000 rows and a transfer re-renders exactly the two rows involved', async () => {
    const { engine, counts, listRenders } = setup()
    expect(screen.getAllByRole('listitem')).toHaveLength(1000)
    engine.runProcess('transfer', { from_user: 'acc3', to_user: 'acc700', amount: 40 })
    await nextTick()
    expect(Object.fromEntries(counts)).toEqual({ acc3: 1, acc700: 1 })
    expect(listRenders()).toBe(0)
    expect(screen.getByTestId('acc3').textContent).toBe('60')
    expect(screen.getByTestId('acc700').textContent).toBe('140')
  })

  it('re-renders nothing for a rolled-back run, or a commit elsewhere', async () => {
    const { engine, counts, listRenders } = setup()
    expect(() =>
      engine.runProcess('transfer', { from_user: 'acc1', to_user: 'acc2', amount: -5 }),
    ).toThrow('Amount must be positive')
    engine.runProcess('transfer', { from_user: 'acc1', to_user: 'acc2', amount: 5000 })
    expect(engine.state.value.domain.sig_fraud_detected).toBe(true)
    await nextTick()
    expect(counts.size).toBe(0)
    expect(listRenders()).toBe(0)
  })

  it('returns a readonly shallow ref holding the snapshot itself', () => {
    const engine = createBank(3)
    let accounts: any
    const View = defineComponent(() => {
      accounts = useTheus('domain.accounts')
      return () => null
    })
    render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    expect(isRef(accounts)).toBe(true)
    expect(isReadonly(accounts)).toBe(true)
    expect(accounts.value).toBe(engine.state.value.domain.accounts)
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    expect(accounts.value).toBe(engine.state.value.domain.accounts)
  })

  it('calls a selector once per snapshot; a new object each time updates once per commit, never loops', async () => {
    const engine = createBank(3)
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    let renders = 0
    const selector = vi.fn((s: any) => ({ a: s.domain.accounts.acc0 as number }))
    const View = defineComponent(() => {
      const v = useTheus(selector)
      return () => {
        renders++
        return h('p', { 'data-testid': 'v' }, String(v.value.a))
      }
    })
    render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    const calls = selector.mock.calls.length
    renders = 0
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    await nextTick()
    expect(renders).toBe(1)
    expect(selector.mock.calls.length - calls).toBe(1)
    expect(screen.getByTestId('v').textContent).toBe('99')
  })

  it('calls a selector of a primitive once per snapshot, in development too', async () => {
    const engine = createBank(3)
    const selector = vi.fn((s: any) => s.domain.accounts.acc0 as number)
    const label = ref('a')
    const View = defineComponent(() => {
      const v = useTheus(selector)
      return () => h('p', { 'data-testid': 'v' }, `${label.value} ${v.value}`)
    })
    render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    expect(selector).toHaveBeenCalledTimes(1)
    // a render that is not a change of the state reuses the cached result
    label.value = 'b'
    await nextTick()
    expect(screen.getByTestId('v').textContent).toBe('b 100')
    expect(selector).toHaveBeenCalledTimes(1)
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    await nextTick()
    expect(screen.getByTestId('v').textContent).toBe('b 99')
    expect(selector).toHaveBeenCalledTimes(2)
  })

  it('does not update when isEqual says equal', async () => {
    const engine = createBank(3)
    let renders = 0
    const View = defineComponent(() => {
      const v = useTheus(
        (s) => ({ a: s.domain.accounts.acc2 as number }),
        (x, y) => x.a === y.a,
      )
      return () => {
        renders++
        return h('p', { 'data-testid': 'v' }, String(v.value.a))
      }
    })
    render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    renders = 0
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    await nextTick()
    expect(renders).toBe(0)
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc2', amount: 1 })
    await nextTick()
    expect(renders).toBe(1)
    expect(screen.getByTestId('v').textContent).toBe('101')
  })

  it('tracks Vue refs the selector reads', async () => {
    const engine = createBank(3)
    const who = ref('acc0')
    const View = defineComponent(() => {
      const v = useTheus((s) => s.domain.accounts[who.value] as number)
      return () => h('p', { 'data-testid': 'v' }, String(v.value))
    })
    render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 30 })
    await nextTick()
    expect(screen.getByTestId('v').textContent).toBe('70')
    who.value = 'acc1'
    await nextTick()
    expect(screen.getByTestId('v').textContent).toBe('130')
  })

  it('stops calling the selector and updating after unmount', async () => {
    const engine = createBank(3)
    const selector = vi.fn((s: any) => s.domain.accounts.acc0 as number)
    const isEqual = vi.fn((a: unknown, b: unknown) => a === b)
    const View = defineComponent(() => {
      const v = useTheus(selector)
      const w = useTheus('domain.accounts.acc1', isEqual)
      return () => h('p', `${v.value} ${String(w.value)}`)
    })
    const { unmount } = render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    await nextTick()
    expect(isEqual).toHaveBeenCalled()
    unmount()
    const s = selector.mock.calls.length
    const e = isEqual.mock.calls.length
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    await nextTick()
    expect(selector.mock.calls.length).toBe(s)
    expect(isEqual.mock.calls.length).toBe(e)
  })

  it('warns once in development when a selector returns a new object for the same snapshot', async () => {
    const engine = createBank(3)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const View = defineComponent(() => {
      const v = useTheus((s) => ({ vueWarnTestOnly: s.domain.accounts.acc1 as number }))
      return () => h('p', String(v.value.vueWarnTestOnly))
    })
    render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    await nextTick()
    const warned = warn.mock.calls.filter(([m]) => String(m).includes('vueWarnTestOnly'))
    expect(warned).toHaveLength(1)
    expect(String(warned[0]?.[0])).toMatch(/^\[theus\] useTheus\(selector\)/)
  })

  /** Renders a selector of acc0 that throws at `bad`, under a parent whose errorCaptured keeps the errors. */
  function renderThrowingAt(engine: ReturnType<typeof createBank>, bad: number, message: string) {
    const caught: unknown[] = []
    const Bad = defineComponent(() => {
      const v = useTheus((s) => {
        if (s.domain.accounts.acc0 === bad) throw new Error(message)
        return s.domain.accounts.acc0 as number
      })
      return () => h('p', { 'data-testid': 'v' }, String(v.value))
    })
    const Parent = defineComponent(() => {
      onErrorCaptured((e) => {
        caught.push(e)
        return false
      })
      return () => h('div', [h(Bad)])
    })
    render(Parent, { global: { plugins: [createTheusPlugin(engine)] } })
    return () => caught.map((e) => (e as Error).message)
  }

  it('hands a selector error after a commit to errorCaptured, and shows the value again once the selector stops throwing', async () => {
    const engine = createBank(3)
    const errors: unknown[] = []
    engine.on('error', (e) => errors.push(e))
    const caught = renderThrowingAt(engine, 99, 'overdrawn view')
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    await nextTick()
    expect(caught()).toEqual(['overdrawn view'])
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    await nextTick()
    // The selector still follows the state after its throw: the next commit shows again.
    expect(screen.getByTestId('v').textContent).toBe('98')
    expect(errors).toEqual([])
  })

  it('renders once a selector that threw on the first render stops throwing', async () => {
    const engine = createBank(3)
    const caught = renderThrowingAt(engine, 100, 'not yet')
    expect(caught()).toEqual(['not yet'])
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    await nextTick()
    expect(screen.getByTestId('v').textContent).toBe('99')
  })

  it('reads the engine given by provideTheus in an ancestor', () => {
    const engine = createBank(2)
    const Child = defineComponent(() => {
      const v = useTheus('domain.accounts.acc1')
      return () => h('p', { 'data-testid': 'v' }, String(v.value))
    })
    const Parent = defineComponent(() => {
      provideTheus(engine)
      return () => h(Child)
    })
    render(Parent)
    expect(screen.getByTestId('v').textContent).toBe('100')
  })
})
