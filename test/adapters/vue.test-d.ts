import { createProcess, TheusEngine } from 'theus'
import { createTheusHooks, type RunParams, useProcess, useTheus, useWorkflow } from 'theus/vue'
import { describe, expectTypeOf, it } from 'vitest'
import type { Ref, ShallowRef } from 'vue'

const initial = {
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    items: [] as { id: string; qty: number }[],
  },
}
const typed = createProcess<typeof initial>()
const load = typed(
  { outputs: ['domain.items'] },
  async function load(_ctx, _args: { page: number }) {
    return 3
  },
)
const transfer = typed(
  { outputs: ['domain.accounts'] },
  function transfer(_ctx, args: { from_user: string; to_user: string; amount: number }) {
    return args.amount > 0 ? 'Success' : 'Failed'
  },
)
const engine = new TheusEngine(initial, { processes: { load, transfer } })
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
    // RunParams, exported with ProcessHandle (docs/types.md): the parameters of `run`.
    expectTypeOf(h.run).parameters.toEqualTypeOf<RunParams<{ page: number }>>()
    const wf = useWorkflow(null!)
    expectTypeOf(wf.status.value).toEqualTypeOf<'idle' | 'running' | 'aborted'>()
  })

  it('rejects a misspelled path', () => {
    // @ts-expect-error misspelled
    hooks.useTheus('domain.total_reserve')
  })

  it('checks process names, args and results of an engine with processes', () => {
    const t = hooks.useProcess('transfer', { retries: 1 })
    expectTypeOf(t.result.value).toEqualTypeOf<string | null>()
    void t.run({ from_user: 'Alice', to_user: 'Bob', amount: 1 })
    // @ts-expect-error wrong args
    void t.run({ from_user: 'Alice' })
    expectTypeOf(hooks.useProcess('load').result.value).toEqualTypeOf<number | null>()
    // @ts-expect-error unknown process name
    hooks.useProcess('lod')
    expectTypeOf(hooks.useProcess(transfer).result.value).toEqualTypeOf<string | null>()
  })

  it('gives any for a path of an untyped engine', () => {
    expectTypeOf(useTheus('domain.n').value).toEqualTypeOf<any>()
    expectTypeOf(useProcess('anything', { retries: 1 }).result.value).toEqualTypeOf<unknown>()
  })
})
