import { process, TheusEngine } from 'theus'
import { createTheusHooks, useProcess, useTheus, useWorkflow } from 'theus/vue'
import { describe, expectTypeOf, it } from 'vitest'
import type { Ref, ShallowRef } from 'vue'

const engine = new TheusEngine({
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    items: [] as { id: string; qty: number }[],
  },
})
const load = process(
  { outputs: ['domain.items'] },
  async function load(_ctx, _args: { page: number }) {
    return 3
  },
)
const hooks = createTheusHooks<typeof engine>()

// Composables are only type-checked here, never called.
describe('theus/vue types', () => {
  it('infers a path from the engine context, as a readonly shallow ref', () => {
    const accounts = hooks.useTheus('domain.accounts')
    expectTypeOf(accounts).toEqualTypeOf<Readonly<ShallowRef<Readonly<Record<string, number>>>>>()
    expectTypeOf(hooks.useTheus('domain.total_reserves').value).toEqualTypeOf<number>()
    expectTypeOf(hooks.useTheus('domain.accounts.Alice').value).toEqualTypeOf(
      engine.select('domain.accounts.Alice').value,
    )
    // @ts-expect-error the ref is readonly
    hooks.useTheus('domain.total_reserves').value = 1
  })

  it('infers a selector from the engine context', () => {
    expectTypeOf(hooks.useTheus((s) => s.domain.items.length).value).toEqualTypeOf<number>()
    // @ts-expect-error no such key in the context
    hooks.useTheus((s) => s.domain.nope)
  })

  it('types process handles and workflow refs', () => {
    const h = useProcess(load)
    expectTypeOf(h.result).toEqualTypeOf<Readonly<Ref<number | null>>>()
    expectTypeOf(h.pending.value).toEqualTypeOf<boolean>()
    // @ts-expect-error wrong args
    void h.run({ page: 'one' })
    const wf = useWorkflow(null!)
    expectTypeOf(wf.status.value).toEqualTypeOf<'idle' | 'running' | 'aborted'>()
  })

  it('gives any for a path of an untyped engine', () => {
    expectTypeOf(useTheus('domain.n').value).toEqualTypeOf<any>()
  })
})
