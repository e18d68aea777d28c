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
