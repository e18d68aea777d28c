import { cleanup, render, screen } from '@testing-library/vue'
import { TheusEngine } from 'theus'
import { createTheusPlugin, useTheus } from 'theus/vue'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, ref } from 'vue'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

function bigBank(n = 100_000) {
  const accounts: Record<string, number> = {}
  for (let i = 0; i < n; i++) accounts[`u${i}`] = 1_000
  return new TheusEngine({
    domain: { accounts, items: [{ done: false }, { done: false }], other: 0 },
  })
}

function mount(engine: TheusEngine<any>, setup: () => () => unknown) {
  render(defineComponent(setup as any), { global: { plugins: [createTheusPlugin(engine)] } })
}

describe('useTheus(selector) tracks what it reads (vue)', () => {
  it('costs O(1) per commit for a selector of one leaf at 100 000 accounts', async () => {
    const engine = bigBank()
    const selector = vi.fn((s: any) => s.domain.accounts.u5 as number)
    let renders = 0
    mount(engine, () => {
      const v = useTheus(selector)
      return () => {
        renders++
        return h('p', { 'data-testid': 'v' }, String(v.value))
      }
    })
    const keys = Object.keys
    let big = 0
    vi.spyOn(Object, 'keys').mockImplementation((o: object) => {
      const out = keys(o)
      if (out.length > 1000) big++
      return out
    })
    const calls = selector.mock.calls.length
    renders = 0
    for (let i = 0; i < 20; i++) {
      engine.edit((s) => {
        s.domain.accounts[`u${7 + i}`] = i
        s.domain.other = i
      })
      await nextTick()
    }
    expect(selector.mock.calls.length).toBe(calls)
    expect(renders).toBe(0)
    expect(big).toBe(0)
    engine.edit((s) => {
      s.domain.accounts.u5 = 42
    })
    await nextTick()
    expect(screen.getByTestId('v').textContent).toBe('42')
    expect(selector.mock.calls.length).toBe(calls + 1)
    expect(renders).toBe(1)
    expect(big).toBe(0)
  })

  it('returns the snapshot for a whole record and follows it', async () => {
    const engine = bigBank(10)
    let accounts: any
    mount(engine, () => {
      accounts = useTheus((s: any) => s.domain.accounts)
      return () => h('p', String(accounts.value.u1))
    })
    expect(accounts.value).toBe(engine.state.value.domain.accounts)
    engine.edit((s) => {
      s.domain.accounts.u1 = 3
    })
    await nextTick()
    expect(accounts.value).toBe(engine.state.value.domain.accounts)
    expect(Object.isFrozen(accounts.value)).toBe(true)
  })

  it('follows the Vue refs the selector reads, and the paths it reads for them', async () => {
    const engine = bigBank(10)
    const id = ref('u1')
    mount(engine, () => {
      const v = useTheus((s: any) => s.domain.accounts[id.value] as number)
      return () => h('p', { 'data-testid': 'v' }, String(v.value))
    })
    id.value = 'u2'
    await nextTick()
    expect(screen.getByTestId('v').textContent).toBe('1000')
    engine.edit((s) => {
      s.domain.accounts.u2 = 7
    })
    await nextTick()
    expect(screen.getByTestId('v').textContent).toBe('7')
  })

  it('never re-runs the selector for a rolled-back run, and stops after unmount', async () => {
    const engine = bigBank(10)
    const selector = vi.fn((s: any) => s.domain.items[0].done as boolean)
    mount(engine, () => {
      const v = useTheus(selector)
      return () => h('p', String(v.value))
    })
    const calls = selector.mock.calls.length
    expect(() =>
      engine.edit((s) => {
        s.domain.items[0]!.done = true
        throw new Error('no')
      }),
    ).toThrow('no')
    await nextTick()
    expect(selector.mock.calls.length).toBe(calls)
    cleanup()
    engine.edit((s) => {
      s.domain.items[0]!.done = true
    })
    await nextTick()
    expect(selector.mock.calls.length).toBe(calls)
  })
})
