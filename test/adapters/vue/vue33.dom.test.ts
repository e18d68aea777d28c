/**
 * The Vue peer range starts at 3.3, whose `computed` passes no previous value to its getter
 * (3.4 added it): `useTheus(selector, isEqual)` must not rely on it.
 */
import { render } from '@testing-library/vue'
import { createTheusPlugin, useTheus } from 'theus/vue'
import { expect, it, vi } from 'vitest'
import { defineComponent, nextTick } from 'vue'
import { createBank, shallowEqualArrays } from '../bank.js'

vi.mock('vue', async (importOriginal) => {
  const vue = await importOriginal<typeof import('vue')>()
  // As Vue 3.3 calls a getter: without the previous value.
  const computed = (getter: () => unknown) => vue.computed(() => getter())
  return { ...vue, computed }
})

it('useTheus(selector, isEqual) compares with the previous result where Vue passes none (3.3)', async () => {
  const engine = createBank(3)
  let renders = 0
  const seen: unknown[] = []
  const View = defineComponent(() => {
    const names = useTheus((s: any) => Object.keys(s.domain.accounts), shallowEqualArrays)
    return () => {
      renders++
      seen.push(names.value)
      return null
    }
  })
  render(View, { global: { plugins: [createTheusPlugin(engine)] } })
  engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
  await nextTick()
  expect(seen[seen.length - 1]).toBe(seen[0])
  engine.runProcess('transfer', { from_user: 'acc0', to_user: 'new', amount: 1 })
  await nextTick()
  expect(seen[seen.length - 1]).toEqual(['acc0', 'acc1', 'acc2', 'new'])
  expect(renders).toBeGreaterThan(1)
})
