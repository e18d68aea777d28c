import {
  type CheckPath,
  type ContractPath,
  createProcess,
  type ProcessDefinition,
  process,
  type StatePath,
  TheusEngine,
} from 'theus'
import { describe, expectTypeOf, it } from 'vitest'

const initial = {
  global: { max_transfer: 10_000, flags: { beta: false } },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    total_reserves: 1_000_000,
    sig_fraud_detected: false,
    meta_last_tx: '',
    heavy_chart: new Float64Array(365),
    config: { val: 1, other: { x: 'a' } },
    items: [] as { id: string; qty: number }[],
    tags: new Map<string, { n: number }>(),
    deep: {
      l1: { l2: { l3: { l4: { l5: { l6: { l7: { l8: { l9: { l10: { l11: 1 } } } } } } } } } },
    },
  },
}
type Ctx = typeof initial
const p = createProcess<Ctx>()

// Type-level only: the bodies below are never run.
describe('createProcess<Context>(): contract paths', () => {
  it('accepts every path of the context, records and arrays with any key or index', () => {
    p(
      {
        inputs: [
          'domain.accounts',
          'domain.accounts.Alice',
          'domain.accounts.anyone',
          'domain.items',
          'domain.items.0',
          'domain.items[3]',
          'domain.items.12.qty',
          'domain.items[1].id',
          'domain.tags.some.n',
          'domain.config.other.x',
          'global.flags.beta',
          'domain',
          'global',
        ],
        outputs: ['domain_ctx.total_reserves', 'global_ctx.max_transfer', 'local.scratch', 'local'],
      },
      function ok() {},
    )
  })

  it('rejects a path that does not exist, at any depth, in inputs and outputs', () => {
    // @ts-expect-error misspelled second segment
    p({ inputs: ['domain.acounts'] }, function a() {})
    // @ts-expect-error misspelled nested segment
    p({ outputs: ['domain.config.vall'] }, function b() {})
    // @ts-expect-error not a layer
    p({ inputs: ['domian.accounts'] }, function c() {})
    // @ts-expect-error an array has indexes, not keys
    p({ inputs: ['domain.items.first'] }, function d() {})
    // @ts-expect-error no key below a leaf
    p({ inputs: ['domain.total_reserves.x'] }, function e() {})
    // @ts-expect-error a misspelled alias path
    p({ outputs: ['global_ctx.max_transfr'] }, function f() {})
  })

  it('suggests the keys of the level being typed (what an editor completes and errors list)', () => {
    expectTypeOf<CheckPath<Ctx, 'domain.config.v'>>().toEqualTypeOf<
      'domain.config.val' | 'domain.config.other'
    >()
    expectTypeOf<CheckPath<Ctx, 'global.'>>().toEqualTypeOf<
      'global.max_transfer' | 'global.flags'
    >()
    expectTypeOf<
      CheckPath<Ctx, 'domain_ctx.config.other.x'>
    >().toEqualTypeOf<'domain_ctx.config.other.x'>()
    expectTypeOf<CheckPath<Ctx, 'domain.items.x'>>().toEqualTypeOf<`domain.items.${number}`>()
    expectTypeOf<
      CheckPath<Ctx, 'domain.total_reserves.x'>
    >().toEqualTypeOf<'domain.total_reserves'>()
    expectTypeOf<CheckPath<any, 'anything'>>().toEqualTypeOf<'anything'>()
  })

  it('completes paths: the accepted paths are a union of literals', () => {
    expectTypeOf<'domain.config.val'>().toExtend<StatePath<Ctx>>()
    expectTypeOf<'domain_ctx.config.val'>().toExtend<StatePath<Ctx>>()
    expectTypeOf<'local.x'>().toExtend<ContractPath<Ctx>>()
    expectTypeOf<'local.x'>().not.toExtend<StatePath<Ctx>>()
    expectTypeOf<'domain.config.vall'>().not.toExtend<StatePath<Ctx>>()
  })

  it('bounds the depth: segments past the 10th below the layer are accepted unchecked', () => {
    p(
      {
        inputs: [
          'domain.deep.l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11',
          'domain.deep.l1.l2.l3.l4.l5.l6.l7.l8.l9.anything.below',
        ],
      },
      function g() {},
    )
    // @ts-expect-error checked within the bound
    p({ inputs: ['domain.deep.l1.l2.l3.l4.l5.l6.l7.l8.nope'] }, function h() {})
    // @ts-expect-error checked within the bound
    p({ inputs: ['domain.deep.l1.x'] }, function i() {})
  })
})

describe('createProcess<Context>(): the ctx of a body', () => {
  it('types declared inputs deeply readonly and declared outputs writable', () => {
    p(
      {
        inputs: ['domain.accounts', 'domain.items', 'global.flags'],
        outputs: ['domain.total_reserves', 'domain.sig_fraud_detected'],
      },
      function body(ctx) {
        expectTypeOf(ctx.domain.accounts).toEqualTypeOf<{ readonly [x: string]: number }>()
        expectTypeOf(ctx.domain.accounts.Alice).toEqualTypeOf<number | undefined>()
        expectTypeOf(ctx.domain.items).toEqualTypeOf<
          readonly { readonly id: string; readonly qty: number }[]
        >()
        expectTypeOf(ctx.global.flags.beta).toEqualTypeOf<boolean>()
        expectTypeOf(ctx.domain.total_reserves).toEqualTypeOf<number>()
        ctx.domain.total_reserves = 1
        ctx.domain.sig_fraud_detected = true
        // @ts-expect-error an input is read-only
        ctx.domain.accounts.Alice = 1
        // @ts-expect-error an input is read-only, deeply
        ctx.domain.items[0]!.qty = 1
        // @ts-expect-error no mutators on an input array
        ctx.domain.items.push({ id: 'x', qty: 1 })
        // @ts-expect-error the layer's keys are the contract's, never reassigned
        ctx.domain.accounts = {}
        // @ts-expect-error an input never grants writes
        ctx.global.flags.beta = true
      },
    )
  })

  it('leaves undeclared paths out of ctx', () => {
    p({ inputs: ['domain.accounts'] }, function body(ctx) {
      expectTypeOf(ctx.domain).toEqualTypeOf<{
        readonly accounts: { readonly [x: string]: number }
      }>()
      // @ts-expect-error not declared
      ctx.domain.total_reserves
      // @ts-expect-error a typo is a compile error, not a run-time ILLEGAL_READ
      ctx.domain.acounts
      expectTypeOf(ctx.global).toEqualTypeOf<{}>()
      // @ts-expect-error nothing declared in global
      ctx.global.max_transfer
    })
  })

  it('shows an ancestor of a declared path with only the declared children', () => {
    p({ inputs: ['domain.config.val'], outputs: ['domain.config.other.x'] }, function body(ctx) {
      expectTypeOf(ctx.domain.config.val).toEqualTypeOf<number>()
      ctx.domain.config.other.x = 'b'
      // @ts-expect-error the input child is read-only
      ctx.domain.config.val = 2
      // @ts-expect-error an ancestor of an output is not itself writable
      ctx.domain.config.other = { x: 'c' }
      // @ts-expect-error config has only val and other
      ctx.domain.config.missing
    })
  })

  it('makes outputs under an input writable, the rest of the input read-only', () => {
    p({ inputs: ['domain.config'], outputs: ['domain.config.val'] }, function body(ctx) {
      ctx.domain.config.val = 2
      expectTypeOf(ctx.domain.config.other).toEqualTypeOf<{ readonly x: string }>()
      // @ts-expect-error input only
      ctx.domain.config.other.x = 'c'
    })
  })

  it('keeps null and undefined on an ancestor that may hold them, as the guard reads them', () => {
    const q = createProcess<{
      domain: { profile: { name: string } | null; opt: { user?: { name: string } } }
    }>()
    q({ inputs: ['domain.profile.name'], outputs: ['domain.opt.user.name'] }, function body(ctx) {
      expectTypeOf(ctx.domain.profile).toEqualTypeOf<{ readonly name: string } | null>()
      expectTypeOf(ctx.domain.opt.user).toEqualTypeOf<{ name: string } | undefined>()
      // @ts-expect-error the profile may be null
      ctx.domain.profile.name
    })
    q({ inputs: ['domain.profile'], outputs: ['domain.profile.name'] }, function body(ctx) {
      expectTypeOf(ctx.domain.profile).toEqualTypeOf<{ name: string } | null>()
    })
  })

  it('types a key that only some members of a union have as possibly undefined', () => {
    type Status = { kind: 'idle' } | { kind: 'busy'; since: number }
    const q = createProcess<{ domain: { status: Status } }>()
    q({ inputs: ['domain.status.since'] }, function body(ctx) {
      expectTypeOf(ctx.domain.status.since).toEqualTypeOf<number | undefined>()
    })
  })

  it('accepts any path below an unknown value, and types its ancestor unknown', () => {
    const q = createProcess<{ domain: { blob: unknown } }>()
    q({ inputs: ['domain.blob.x'], outputs: ['domain.blob.y.z'] }, function body(ctx) {
      expectTypeOf(ctx.domain.blob).toBeUnknown()
    })
  })

  it('types a record entry, an alias, local, log and signal', () => {
    p(
      { inputs: ['domain_ctx.accounts.Alice'], outputs: ['domain.meta_last_tx'] },
      function body(ctx) {
        expectTypeOf(ctx.domain.accounts.Alice).toEqualTypeOf<number | undefined>()
        expectTypeOf(ctx.domain_ctx).toEqualTypeOf(ctx.domain)
        ctx.domain_ctx.meta_last_tx = 'x'
        // @ts-expect-error only Alice is declared
        ctx.domain.accounts.Bob
        ctx.local.anything = 1
        ctx.log.info('hello', { n: 1 })
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal | undefined>()
      },
    )
  })

  it('hands heavy values over as they are, and outputs with their own mutable type', () => {
    p({ outputs: ['domain.heavy_chart', 'domain.items', 'domain.tags'] }, function body(ctx) {
      expectTypeOf(ctx.domain.heavy_chart).toEqualTypeOf<Float64Array<ArrayBuffer>>()
      ctx.domain.items.push({ id: 'a', qty: 1 })
      ctx.domain.tags.set('k', { n: 1 })
    })
  })

  it('types args and the result from the function, a promise for an async body', () => {
    const t = p(
      { inputs: ['domain.accounts'] },
      function t(_ctx, args: { from: string; amount: number }) {
        return args.amount > 0 ? ('ok' as const) : ('no' as const)
      },
    )
    expectTypeOf(t).toEqualTypeOf<
      ProcessDefinition<{ from: string; amount: number }, 'ok' | 'no'>
    >()
    const a = p({ outputs: ['domain.total_reserves'] }, async function a(ctx) {
      ctx.domain.total_reserves = 0
      return 1
    })
    expectTypeOf(a).toEqualTypeOf<ProcessDefinition<Record<string, unknown>, Promise<number>>>()
  })
})

describe('process() without a context type', () => {
  it('compiles the SPEC §2 sample as written, with an open ctx', () => {
    class ValueError extends Error {
      override name = 'ValueError'
    }
    const transfer = process(
      {
        inputs: ['domain.accounts'],
        outputs: ['domain.accounts', 'domain.total_reserves', 'domain.sig_fraud_detected'],
        errors: ['ValueError'],
        sideEffects: [],
      },
      function transfer(ctx, args: { from_user: string; to_user: string; amount: number }) {
        if (args.amount <= 0) throw new ValueError('Amount must be positive')
        const bal = ctx.domain.accounts[args.from_user] ?? 0
        if (bal < args.amount) {
          ctx.domain.sig_fraud_detected = true
          return 'Failed: Insufficient Funds'
        }
        ctx.domain.accounts[args.from_user] = bal - args.amount
        ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
        return 'Success'
      },
    )
    expectTypeOf(transfer.fn).parameter(1).toEqualTypeOf<{
      from_user: string
      to_user: string
      amount: number
    }>()
    expectTypeOf(transfer.fn).returns.toEqualTypeOf<'Failed: Insufficient Funds' | 'Success'>()
    process({ inputs: ['anything.goes'] }, function open(ctx) {
      expectTypeOf(ctx.domain).toBeAny()
    })
  })

  it('runs on an engine built from the same context', () => {
    const engine = new TheusEngine(initial)
    const inc = p({ outputs: ['domain.total_reserves'] }, function inc(ctx, args: { by: number }) {
      ctx.domain.total_reserves += args.by
    })
    engine.registerProcess(inc)
    expectTypeOf(engine.runProcess(inc, { by: 1 })).toEqualTypeOf<void>()
  })
})
