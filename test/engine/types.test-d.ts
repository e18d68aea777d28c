import type { ReadonlySignal } from '@preact/signals-core'
import {
  type CommitEvent,
  defineProcess,
  type Patch,
  type ProcessDefinition,
  process,
  type RollbackEvent,
  resolveZone,
  type SignalEvent,
  TheusEngine,
  type Zone,
} from 'theus'
import { describe, expectTypeOf, it } from 'vitest'

const engine = new TheusEngine({
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    rows: [] as { id: number }[],
    m: new Map<string, number>(),
  },
})

describe('engine types', () => {
  it('types process() and defineProcess as the same ProcessDefinition factory', () => {
    const p = process(
      { outputs: ['domain.total_reserves'] },
      function p(_ctx, args: { n: number }) {
        return args.n
      },
    )
    expectTypeOf(p).toEqualTypeOf<ProcessDefinition<{ n: number }, number>>()
    expectTypeOf(defineProcess).toEqualTypeOf(process)
  })

  it('types state as a ReadonlySignal of deeply readonly layers', () => {
    expectTypeOf(engine.state).toMatchTypeOf<ReadonlySignal<unknown>>()
    expectTypeOf(engine.state.value.domain.total_reserves).toEqualTypeOf<number>()
    // @ts-expect-error snapshots are read-only
    engine.state.value.domain.total_reserves = 1
  })

  it('types select(path) by the path, records and arrays as possibly missing', () => {
    expectTypeOf(engine.select('domain.total_reserves').value).toEqualTypeOf<number>()
    expectTypeOf(engine.select('domain.accounts.Alice').value).toEqualTypeOf<number | undefined>()
    expectTypeOf(engine.select('global_ctx.max_transfer').value).toEqualTypeOf<number>()
  })

  it('types event payloads', () => {
    engine.on('commit', (e) => {
      expectTypeOf(e).toEqualTypeOf<CommitEvent>()
      expectTypeOf(e.patches).toEqualTypeOf<Patch[]>()
    })
    engine.on('rollback', (e) => expectTypeOf(e).toEqualTypeOf<RollbackEvent>())
    engine.on('signal', (e) => expectTypeOf(e).toEqualTypeOf<SignalEvent>())
    expectTypeOf<Patch['op']>().toEqualTypeOf<'add' | 'replace' | 'remove'>()
    expectTypeOf<Patch['path']>().toEqualTypeOf<(string | number)[]>()
  })

  it('types resolveZone as a Zone', () => {
    expectTypeOf(resolveZone('domain.x')).toEqualTypeOf<Zone>()
    expectTypeOf<Zone>().toEqualTypeOf<'data' | 'signal' | 'meta' | 'heavy'>()
  })
})

describe('scanAndRegister types', () => {
  it('returns names for an eager module map and a promise of names for a lazy one', () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    const eager: Record<string, unknown> = { './a.ts': {} }
    const lazy: Record<string, () => Promise<unknown>> = { './a.ts': async () => ({}) }
    expectTypeOf(engine.scanAndRegister(eager)).toEqualTypeOf<string[]>()
    expectTypeOf(engine.scanAndRegister(lazy)).toEqualTypeOf<Promise<string[]>>()
  })
})

describe('state and select types', () => {
  it('infer from the initial context, records giving possibly-undefined entries', () => {
    const chart = new Float64Array(3)
    const e = new TheusEngine({
      global: { max_transfer: 10_000 },
      domain: {
        accounts: { Alice: 1000 } as Record<string, number>,
        n: 1,
        items: [1, 2],
        heavy_chart: chart,
      },
    })
    expectTypeOf(e.select('domain.accounts.Alice').value).toEqualTypeOf<number | undefined>()
    expectTypeOf(e.select('domain.n').value).toEqualTypeOf<number>()
    expectTypeOf(e.select('global.max_transfer').value).toEqualTypeOf<number>()
    expectTypeOf(e.select('domain.items.0').value).toEqualTypeOf<number | undefined>()
    expectTypeOf(e.select('domain.heavy_chart').value).toEqualTypeOf<typeof chart>()
    expectTypeOf(e.state.value.domain.n).toEqualTypeOf<number>()
  })

  it('accepts any path below an unknown value, whose shape the compiler cannot know', () => {
    const e = new TheusEngine({ domain: { blob: null as unknown, n: 1 } })
    expectTypeOf(e.select('domain.blob.x.y').value).toEqualTypeOf<unknown>()
    // @ts-expect-error a number has nothing below it
    e.select('domain.n.x')
  })

  it('types a key that only some members of a union have as possibly undefined', () => {
    type Status = { kind: 'idle' } | { kind: 'busy'; since: number }
    const e = new TheusEngine({ domain: { status: { kind: 'idle' } as Status } })
    expectTypeOf(e.select('domain.status.since').value).toEqualTypeOf<number | undefined>()
    expectTypeOf(e.select('domain.status.kind').value).toEqualTypeOf<'idle' | 'busy'>()
  })

  it('gives any layers to an untyped engine', () => {
    const engine = new TheusEngine({ domain: { n: 1 } }) as TheusEngine
    expectTypeOf(engine.state.value.domain).toBeAny()
    expectTypeOf(engine.select('domain.whatever.deep').value).toBeAny()
  })
})
