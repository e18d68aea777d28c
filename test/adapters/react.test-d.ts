import { createProcess, process, TheusEngine } from 'theus'
import { createTheusHooks, type RunParams, useProcess, useTheus } from 'theus/react'
import { describe, expectTypeOf, it } from 'vitest'

const initial = {
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    sig_fraud_detected: false,
    items: [] as { id: string; qty: number }[],
  },
}
const typed = createProcess<typeof initial>()
const transfer = typed(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function transfer(_ctx, args: { from_user: string; to_user: string; amount: number }) {
    return args.amount > 0 ? 'Success' : 'Failed'
  },
)
const load = process(
  { outputs: ['domain.items'] },
  async function load(_ctx, _args: { page: number }) {
    return 3
  },
)

const reset = typed({ outputs: ['domain.total_reserves'] }, function reset(ctx) {
  ctx.domain.total_reserves = 0
})
const engine = new TheusEngine(initial, { processes: { transfer, load, reset } })
const hooks = createTheusHooks<typeof engine>()
const openEngine = new TheusEngine(initial)
const openHooks = createTheusHooks<typeof openEngine>()

// Hooks are only type-checked here, never called.
describe('theus/react types', () => {
  it('infers a path from the engine context', () => {
    expectTypeOf(hooks.useTheus('domain.accounts')).toEqualTypeOf<
      Readonly<Record<string, number>>
    >()
    expectTypeOf(hooks.useTheus('domain.accounts.Alice')).toEqualTypeOf(
      engine.select('domain.accounts.Alice').value,
    )
    expectTypeOf(hooks.useTheus('domain.total_reserves')).toEqualTypeOf<number>()
    expectTypeOf(hooks.useTheus('global.max_transfer')).toEqualTypeOf<number>()
    expectTypeOf(hooks.useTheus('domain_ctx.sig_fraud_detected')).toEqualTypeOf<boolean>()
    expectTypeOf(hooks.useTheus('domain.items.0')).toEqualTypeOf<
      { readonly id: string; readonly qty: number } | undefined
    >()
  })

  it('infers a selector from the engine context', () => {
    expectTypeOf(hooks.useTheus((s) => s.domain.total_reserves)).toEqualTypeOf<number>()
    expectTypeOf(hooks.useTheus((s) => Object.keys(s.domain.accounts))).toEqualTypeOf<string[]>()
    hooks.useTheus(
      (s) => s.domain.items,
      (a, b) => {
        expectTypeOf(a).toEqualTypeOf<readonly { readonly id: string; readonly qty: number }[]>()
        return a.length === b.length
      },
    )
    // @ts-expect-error the snapshot is read-only
    hooks.useTheus((s) => (s.domain.total_reserves = 0))
    // @ts-expect-error no such key in the context
    hooks.useTheus((s) => s.domain.nope)
  })

  it('rejects a misspelled path', () => {
    // @ts-expect-error misspelled
    hooks.useTheus('domain.acounts')
    // @ts-expect-error misspelled, on an engine without processes too
    openHooks.useTheus('domain.total_reserve')
    const user: string = 'Bob'
    expectTypeOf(hooks.useTheus(`domain.accounts.${user}`)).toEqualTypeOf<number | undefined>()
  })

  it('checks process names, args and results of an engine with processes', () => {
    const t = hooks.useProcess('transfer')
    expectTypeOf(t.result).toEqualTypeOf<string | null>()
    void t.run({ from_user: 'Alice', to_user: 'Bob', amount: 1 }).then((o) => {
      if (o.ok) expectTypeOf(o.value).toEqualTypeOf<string>()
    })
    // @ts-expect-error the args are required
    void t.run()
    // @ts-expect-error wrong args
    void t.run({ from_user: 'Alice', to_user: 'Bob' })
    expectTypeOf(hooks.useProcess('load').result).toEqualTypeOf<number | null>()
    void hooks.useProcess('reset').run()
    // @ts-expect-error unknown process name
    hooks.useProcess('transfr')
    hooks.useProcess('load', { retries: 2, signal: new AbortController().signal })
    // @ts-expect-error unknown run option
    hooks.useProcess('load', { retry: 2 })
  })

  it('takes any name on an engine without processes', () => {
    expectTypeOf(openHooks.useProcess('anything').result).toEqualTypeOf<unknown>()
    expectTypeOf(openHooks.useProcess<{ n: number }, number>('x').result).toEqualTypeOf<
      number | null
    >()
    expectTypeOf(openHooks.useProcess(transfer).result).toEqualTypeOf<string | null>()
  })

  it('types isEqual by the selected value', () => {
    hooks.useTheus('domain.total_reserves', (a, b) => {
      expectTypeOf(a).toEqualTypeOf<number>()
      return a === b
    })
  })

  it('types a process handle from its definition', () => {
    const h = hooks.useProcess(transfer)
    expectTypeOf(h.run)
      .parameter(0)
      .toEqualTypeOf<{ from_user: string; to_user: string; amount: number }>()
    expectTypeOf(h.result).toEqualTypeOf<string | null>()
    const a = useProcess(load)
    expectTypeOf(a.result).toEqualTypeOf<number | null>()
    void a.run({ page: 1 }).then((o) => {
      if (o.ok) expectTypeOf(o.value).toEqualTypeOf<number>()
      else expectTypeOf(o.error).toEqualTypeOf<unknown>()
    })
    // @ts-expect-error wrong args
    void a.run({ page: 'one' })
    // RunParams, exported with ProcessHandle (docs/types.md): the parameters of `run`.
    expectTypeOf(h.run).parameters.toEqualTypeOf<
      RunParams<{ from_user: string; to_user: string; amount: number }>
    >()
  })

  it('lets the untyped hooks take the engine type as a type argument', () => {
    expectTypeOf(
      useTheus<'domain.total_reserves', typeof engine>('domain.total_reserves'),
    ).toEqualTypeOf<number>()
    expectTypeOf(useTheus((s: { domain: { n: number } }) => s.domain.n)).toEqualTypeOf<number>()
  })
})

describe('theus/react untyped hooks', () => {
  it('gives any for a path, and any layers to a selector, of an untyped engine', () => {
    expectTypeOf(useTheus('domain.n')).toEqualTypeOf<any>()
    expectTypeOf(useTheus((s) => s.domain)).toEqualTypeOf<any>()
    expectTypeOf(useProcess('anything').run)
      .parameter(0)
      .toEqualTypeOf<Record<string, unknown> | undefined>()
    useProcess('anything', { retries: 1 })
  })
})
