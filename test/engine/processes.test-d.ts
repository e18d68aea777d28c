import {
  connectReduxDevTools,
  createProcess,
  type ProcessesOf,
  persist,
  process,
  TheusEngine,
  WorkflowManager,
} from 'theus'
import { describe, expectTypeOf, it } from 'vitest'

const initial = {
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    items: [] as { id: string; qty: number }[],
  },
}
const p = createProcess<typeof initial>()
const transfer = p(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function transfer(_ctx, args: { from_user: string; to_user: string; amount: number }) {
    return args.amount > 0 ? 'Success' : 'Failed'
  },
)
const deposit = p(
  { outputs: ['domain.accounts'] },
  async function deposit(_ctx, args: { user: string; amount: number }) {
    return args.amount
  },
)
const reset = p({ outputs: ['domain.total_reserves'] }, function reset(ctx) {
  ctx.domain.total_reserves = 0
})
const page = p({ outputs: ['domain.items'] }, function page(_ctx, args: { size?: number }) {
  return args.size ?? 10
})
const engine = new TheusEngine(initial, { processes: { transfer, deposit, reset, page } })

// Type-level only: nothing below runs.
describe('new TheusEngine(initial, { processes })', () => {
  it('infers the context from initial and the processes from the option', () => {
    expectTypeOf(engine.state.value.domain.total_reserves).toEqualTypeOf<number>()
    expectTypeOf<keyof ProcessesOf<typeof engine>>().toEqualTypeOf<
      'transfer' | 'deposit' | 'reset' | 'page'
    >()
  })

  it('checks the name, the args and the result of runProcess', () => {
    expectTypeOf(
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 5 }),
    ).toEqualTypeOf<string>()
    expectTypeOf(engine.runProcess('deposit', { user: 'Bob', amount: 5 })).toEqualTypeOf<
      Promise<number>
    >()
    expectTypeOf(engine.runProcess('reset')).toEqualTypeOf<void>()
    expectTypeOf(engine.runProcess('page')).toEqualTypeOf<number>()
    engine.runProcess('deposit', { user: 'Bob', amount: 5 }, { retries: 2 })
    // @ts-expect-error unknown process name
    engine.runProcess('transfr', { from_user: 'Alice', to_user: 'Bob', amount: 5 })
    // @ts-expect-error wrong args
    engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: '5' })
    // @ts-expect-error missing args
    engine.runProcess('transfer')
    // @ts-expect-error unknown option
    engine.runProcess('reset', {}, { retry: 1 })
  })

  it('accepts a definition in place of its name, typed from it', () => {
    expectTypeOf(
      engine.runProcess(transfer, { from_user: 'Alice', to_user: 'Bob', amount: 5 }),
    ).toEqualTypeOf<string>()
    expectTypeOf(engine.runProcess(deposit, { user: 'Bob', amount: 1 })).toEqualTypeOf<
      Promise<number>
    >()
    // @ts-expect-error wrong args for this definition
    engine.runProcess(deposit, { user: 'Bob' })
  })

  it('infers select(path) and rejects a misspelled path', () => {
    expectTypeOf(engine.select('domain.total_reserves').value).toEqualTypeOf<number>()
    expectTypeOf(engine.select('domain.accounts.Alice').value).toEqualTypeOf<number | undefined>()
    expectTypeOf(engine.select('domain.items[0].qty').value).toEqualTypeOf<number | undefined>()
    const name: string = 'Bob'
    expectTypeOf(engine.select(`domain.accounts.${name}`).value).toEqualTypeOf<number | undefined>()
    // @ts-expect-error misspelled
    engine.select('domain.total_reserve')
    // @ts-expect-error not a layer select accepts
    engine.select('local.x')
  })

  it('stays an engine everything else takes', () => {
    new WorkflowManager(engine, { states: { IDLE: {} } })
    void engine.executeWorkflow({ steps: ['reset'] })
    persist(engine, { storage: localStorage, key: 'k' })
    connectReduxDevTools(engine)
    const any: TheusEngine = engine
    void any
  })
})

describe('an engine without processes', () => {
  it('takes any name and open args, as before', () => {
    const open = new TheusEngine(initial)
    expectTypeOf(open.runProcess('whatever', { x: 1 })).toEqualTypeOf<unknown>()
    expectTypeOf(open.runProcess<number>('whatever')).toEqualTypeOf<number>()
    expectTypeOf(open.runProcess(reset)).toEqualTypeOf<void>()
    const untyped = new TheusEngine({ domain: {} }) as TheusEngine
    untyped.runProcess('x', { a: 1 })
    const loose = process({ outputs: ['domain.n'] }, function loose() {
      return 1
    })
    expectTypeOf(untyped.runProcess(loose)).toEqualTypeOf<number>()
  })
})
