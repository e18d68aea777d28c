import fc from 'fast-check'
import {
  type PersistEvent,
  type PersistStorage,
  persist,
  process,
  SchemaViolationError,
  TheusEngine,
  TheusError,
} from 'theus'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { MemoryStorage } from './memoryStorage'

//#region fakes and fixtures

/** An IndexedDB-like store: every method answers with a promise, a few ticks later. */
class AsyncStorage implements PersistStorage {
  readonly inner: MemoryStorage
  constructor(seed: Record<string, string> = {}) {
    this.inner = new MemoryStorage(seed)
  }
  private later<T>(fn: () => T): Promise<T> {
    return new Promise((resolve) => setTimeout(() => resolve(fn()), 0))
  }
  getItem(key: string): Promise<string | null> {
    return this.later(() => this.inner.getItem(key))
  }
  setItem(key: string, value: string): Promise<void> {
    return this.later(() => this.inner.setItem(key, value))
  }
  removeItem(key: string): Promise<void> {
    return this.later(() => this.inner.removeItem(key))
  }
}

class ValueError extends Error {
  override name = 'ValueError'
}

const deposit = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.meta_last_tx'],
    errors: ['ValueError'],
  },
  function deposit(ctx, args: { user: string; amount: number }) {
    if (args.amount <= 0) throw new ValueError('Amount must be positive')
    ctx.domain.accounts[args.user] = (ctx.domain.accounts[args.user] ?? 0) + args.amount
    ctx.domain.meta_last_tx = `${args.user}+${args.amount}`
  },
)

const touchMeta = process({ outputs: ['domain.meta_last_tx'] }, function touchMeta(ctx) {
  ctx.domain.meta_last_tx = 'looked'
})

const initial = () => ({
  global: { currency: 'EUR' },
  domain: {
    accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
    profile: { name: 'bank', meta_seen: 3 },
    meta_last_tx: '',
    sig_done: false,
    heavy_chart: new Float64Array(3),
  },
})

const schema = z.object({
  global: z.object({ currency: z.string() }),
  domain: z.object({
    accounts: z.record(z.string(), z.number().nonnegative()),
    profile: z.object({ name: z.string(), meta_seen: z.number() }),
    meta_last_tx: z.string(),
    sig_done: z.boolean(),
    heavy_chart: z.instanceof(Float64Array),
  }),
})

function makeEngine(options: { schema?: typeof schema } = {}) {
  const engine = new TheusEngine(initial(), options)
  engine.registerProcess(deposit)
  engine.registerProcess(touchMeta)
  return engine
}

function payload(state: unknown, version = 0): string {
  return JSON.stringify({ version, state })
}

function stored(storage: MemoryStorage, key: string): { version: number; state: any } {
  const text = storage.data.get(key)
  if (text === undefined) throw new Error(`nothing stored under ${key}`)
  return JSON.parse(text)
}

function recorder() {
  const events: PersistEvent[] = []
  return { events, onEvent: (e: PersistEvent) => events.push(e) }
}

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

//#endregion

describe('persist: hydration', () => {
  it('applies a stored payload at start, in one edit commit, replacing only data-zone keys', () => {
    const storage = new MemoryStorage({
      bank: payload({
        global: { currency: 'USD' },
        domain: { accounts: { Alice: 5 }, profile: { name: 'saved' } },
      }),
    })
    const engine = makeEngine()
    const { events, onEvent } = recorder()
    const handle = persist(engine, { storage, key: 'bank', onEvent })
    const s = engine.state.value
    expect(s.global.currency).toBe('USD')
    expect(s.domain.accounts).toEqual({ Alice: 5 })
    // A key of a zone that is not persisted keeps its value inside a replaced object.
    expect(s.domain.profile).toEqual({ name: 'saved', meta_seen: 3 })
    expect(s.domain.meta_last_tx).toBe('')
    expect(s.domain.sig_done).toBe(false)
    expect(s.domain.heavy_chart).toBeInstanceOf(Float64Array)
    expect(engine.history.map((h) => h.process)).toEqual(['edit'])
    expect(events).toEqual([
      { type: 'hydrated', key: 'bank', empty: false, migratedFrom: undefined, droppedKeys: [] },
    ])
    return expect(handle.ready).resolves.toBeUndefined()
  })

  it('starts from the initial state and reports an empty store when nothing is stored', () => {
    const storage = new MemoryStorage()
    const engine = makeEngine()
    const before = engine.state.value
    const { events, onEvent } = recorder()
    persist(engine, { storage, key: 'bank', onEvent })
    expect(engine.state.value).toBe(before)
    expect(engine.history).toHaveLength(0)
    expect(events).toEqual([
      { type: 'hydrated', key: 'bank', empty: true, migratedFrom: undefined, droppedKeys: [] },
    ])
  })

  it('keeps initial values for keys the payload lacks and drops payload keys the context lacks', () => {
    const storage = new MemoryStorage({
      bank: payload({ domain: { accounts: { Bob: 7 }, removed_field: 1 } }),
    })
    const engine = makeEngine()
    const { events, onEvent } = recorder()
    persist(engine, { storage, key: 'bank', onEvent })
    expect(engine.state.value.domain.accounts).toEqual({ Bob: 7 })
    expect(engine.state.value.global.currency).toBe('EUR')
    expect(engine.state.value.domain.profile.name).toBe('bank')
    expect('removed_field' in engine.state.value.domain).toBe(false)
    expect(events[0]).toMatchObject({ type: 'hydrated', droppedKeys: ['domain.removed_field'] })
  })

  it('ignores stored keys of zones it does not persist', () => {
    const storage = new MemoryStorage({
      bank: payload({
        domain: { meta_last_tx: 'forged', sig_done: true, profile: { name: 'x', meta_seen: 99 } },
      }),
    })
    const engine = makeEngine()
    persist(engine, { storage, key: 'bank' })
    expect(engine.state.value.domain.meta_last_tx).toBe('')
    expect(engine.state.value.domain.sig_done).toBe(false)
    expect(engine.state.value.domain.profile).toEqual({ name: 'x', meta_seen: 3 })
  })
})

describe('persist: bad stored data', () => {
  function hydrateBad(text: string, options: { schema?: typeof schema; version?: number } = {}) {
    const storage = new MemoryStorage({ bank: text })
    const engine = makeEngine(options.schema ? { schema: options.schema } : {})
    const initialSnapshot = engine.state.value
    const { events, onEvent } = recorder()
    const handle = persist(engine, {
      storage,
      key: 'bank',
      onEvent,
      ...(options.version === undefined ? {} : { version: options.version }),
    })
    return { storage, engine, initialSnapshot, events, handle }
  }

  function expectKept(
    run: ReturnType<typeof hydrateBad>,
    text: string,
    reason: string,
  ): Extract<PersistEvent, { type: 'hydrate-failed' }> {
    const { storage, engine, initialSnapshot, events } = run
    expect(engine.state.value).toBe(initialSnapshot)
    expect(engine.history).toHaveLength(0)
    expect(events).toHaveLength(1)
    const event = events[0]!
    if (event.type !== 'hydrate-failed')
      throw new Error(`expected hydrate-failed, got ${event.type}`)
    expect(event.reason).toBe(reason)
    expect(event.backupKey).toMatch(/^bank:backup:\d+$/)
    expect(storage.data.get(event.backupKey!)).toBe(text)
    expect(storage.data.has('bank')).toBe(false)
    expect(event.error).toBeInstanceOf(TheusError)
    expect(event.error.code).toBe('PERSIST_INVALID')
    expect(event.error.message).toContain(event.backupKey!)
    return event
  }

  it('keeps text that is not JSON under a backup key and starts from the initial state', () => {
    const text = '{"version":0,"state":{"domain":{"accounts":'
    const event = expectKept(hydrateBad(text), text, 'parse')
    expect(event.error.cause).toBeInstanceOf(SyntaxError)
  })

  it.each([
    ['an array', '[]'],
    ['a bare number', '42'],
    ['no state', '{"version":0}'],
    ['a string version', '{"version":"0","state":{}}'],
    ['an unknown layer', '{"version":0,"state":{"local":{}}}'],
    ['a layer that is not an object', '{"version":0,"state":{"domain":[1,2]}}'],
    ['an unknown tag', '{"version":0,"state":{"domain":{"accounts":{"$t":"Nope","v":1}}}}'],
    ['a malformed Map tag', '{"version":0,"state":{"domain":{"accounts":{"$t":"Map","v":3}}}}'],
  ])('keeps a payload of the wrong shape (%s) under a backup key', (_label, text) => {
    expectKept(hydrateBad(text), text, 'shape')
  })

  it('keeps a payload of another version when there is no migrate', () => {
    const text = payload({ domain: { accounts: { Alice: 1 } } }, 1)
    const event = expectKept(hydrateBad(text, { version: 2 }), text, 'version')
    expect(event.error.message).toContain('version 1')
    expect(event.error.message).toContain('migrate')
  })

  it('keeps a payload that fails the engine schema', () => {
    const text = payload({ domain: { accounts: { Alice: 'lots' } } })
    const event = expectKept(hydrateBad(text, { schema }), text, 'schema')
    expect(event.error.cause).toBeInstanceOf(SchemaViolationError)
  })

  it('keeps a payload whose migrate throws', () => {
    const text = payload({ domain: { balances: { Alice: 1 } } }, 1)
    const storage = new MemoryStorage({ bank: text })
    const engine = makeEngine()
    const before = engine.state.value
    const { events, onEvent } = recorder()
    const boom = new Error('cannot upgrade')
    persist(engine, {
      storage,
      key: 'bank',
      version: 2,
      onEvent,
      migrate: () => {
        throw boom
      },
    })
    expect(engine.state.value).toBe(before)
    const event = events[0]
    if (event?.type !== 'hydrate-failed') throw new Error('expected hydrate-failed')
    expect(event.reason).toBe('migrate')
    expect(event.error.cause).toBe(boom)
    expect(storage.data.get(event.backupKey!)).toBe(text)
  })

  it('gives each failure its own backup key, so earlier backups are never overwritten', () => {
    const storage = new MemoryStorage({ bank: 'first bad' })
    const { events, onEvent } = recorder()
    persist(makeEngine(), { storage, key: 'bank', onEvent })
    storage.setItem('bank', 'second bad')
    persist(makeEngine(), { storage, key: 'bank', onEvent })
    const keys = events.map((e) => (e.type === 'hydrate-failed' ? e.backupKey : undefined))
    expect(keys[0]).not.toBe(keys[1])
    expect(storage.data.get(keys[0]!)).toBe('first bad')
    expect(storage.data.get(keys[1]!)).toBe('second bad')
  })

  it('never writes over the stored value when the backup cannot be written', async () => {
    const storage = new MemoryStorage({ bank: 'not json' })
    const setItem = vi.spyOn(storage, 'setItem').mockImplementation(() => {
      throw new DOMException('quota', 'QuotaExceededError')
    })
    const engine = makeEngine()
    const { events, onEvent } = recorder()
    const handle = persist(engine, { storage, key: 'bank', onEvent })
    expect(events[0]).toMatchObject({
      type: 'hydrate-failed',
      reason: 'parse',
      backupKey: undefined,
    })
    const calls = setItem.mock.calls.length
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    await handle.flush()
    expect(setItem.mock.calls.length).toBe(calls)
    expect(storage.data.get('bank')).toBe('not json')
  })

  it('reports a storage that cannot be read, and then does not save over it', async () => {
    const storage = new MemoryStorage({ bank: payload({}) })
    vi.spyOn(storage, 'getItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError')
    })
    const engine = makeEngine()
    const { events, onEvent } = recorder()
    const handle = persist(engine, { storage, key: 'bank', onEvent })
    expect(events[0]).toMatchObject({
      type: 'hydrate-failed',
      reason: 'read',
      backupKey: undefined,
    })
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    await handle.flush()
    expect(storage.writes).toEqual([])
  })

  it('warns once with the [theus] prefix when no onEvent is given', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const storage = new MemoryStorage({ 'warn-key': 'oops' })
    expect(() => persist(makeEngine(), { storage, key: 'warn-key' })).not.toThrow()
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/^\[theus\] persist\(\): .*'warn-key'.*backup/)
  })
})

describe('persist: migrate', () => {
  it('upgrades an old payload, applies it, and stores it under the new version', async () => {
    const storage = new MemoryStorage({ bank: payload({ domain: { balances: { Alice: 3 } } }, 1) })
    const engine = makeEngine()
    const migrate = vi.fn((old: any, oldVersion: number) => {
      expect(oldVersion).toBe(1)
      return { domain: { accounts: old.domain.balances } }
    })
    const { events, onEvent } = recorder()
    const handle = persist(engine, { storage, key: 'bank', version: 2, migrate, onEvent })
    expect(migrate).toHaveBeenCalledTimes(1)
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 3 })
    expect(events[0]).toMatchObject({ type: 'hydrated', migratedFrom: 1 })
    await handle.flush()
    expect(stored(storage, 'bank')).toMatchObject({
      version: 2,
      state: { domain: { accounts: { Alice: 3 } } },
    })
  })

  it('stores the upgraded payload at once, before any debounce window ends', () => {
    const storage = new MemoryStorage({ bank: payload({ domain: { balances: { Alice: 3 } } }, 1) })
    persist(makeEngine(), {
      storage,
      key: 'bank',
      version: 2,
      migrate: (old: any) => ({ domain: { accounts: old.domain.balances } }),
    })
    // Written during persist() (a sync storage): it waited 100 ms, lost if the page closed.
    expect(stored(storage, 'bank')).toMatchObject({
      version: 2,
      state: { domain: { accounts: { Alice: 3 } } },
    })
  })

  it('does not call migrate when the stored version matches', () => {
    const storage = new MemoryStorage({ bank: payload({ domain: { accounts: { Alice: 3 } } }, 2) })
    const migrate = vi.fn((s: any) => s)
    persist(makeEngine(), { storage, key: 'bank', version: 2, migrate })
    expect(migrate).not.toHaveBeenCalled()
  })

  it('treats a migrate result of the wrong shape as a failed migration', () => {
    const text = payload({ domain: {} }, 1)
    const storage = new MemoryStorage({ bank: text })
    const { events, onEvent } = recorder()
    persist(makeEngine(), {
      storage,
      key: 'bank',
      version: 2,
      migrate: () => ({ nope: {} }) as any,
      onEvent,
    })
    expect(events[0]).toMatchObject({ type: 'hydrate-failed', reason: 'migrate' })
  })
})

describe('persist: saving', () => {
  it('keeps the saved text equal to the state through per-index array patches (property)', async () => {
    type Op =
      | { t: 'push'; v: number }
      | { t: 'pop' }
      | { t: 'splice'; at: number; n: number }
      | { t: 'sort' }
      | { t: 'set'; at: number; v: number }
      | { t: 'row'; v: number }
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ t: fc.constant('push' as const), v: fc.integer({ min: -9, max: 9 }) }),
      fc.record({ t: fc.constant('pop' as const) }),
      fc.record({
        t: fc.constant('splice' as const),
        at: fc.nat({ max: 4 }),
        n: fc.nat({ max: 2 }),
      }),
      fc.record({ t: fc.constant('sort' as const) }),
      fc.record({
        t: fc.constant('set' as const),
        at: fc.nat({ max: 4 }),
        v: fc.integer({ min: -9, max: 9 }),
      }),
      fc.record({ t: fc.constant('row' as const), v: fc.integer({ min: -9, max: 9 }) }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { maxLength: 6 }),
        async (batches) => {
          const storage = new MemoryStorage()
          const engine = new TheusEngine({
            domain: { list: [3, 1, 2] as number[], rows: [{ v: [1] }] as { v: number[] }[] },
          })
          const handle = persist(engine, { storage, key: 'k', debounceMs: 0 })
          for (const ops of batches) {
            engine.edit((s) => {
              const { list, rows } = s.domain
              for (const o of ops) {
                if (o.t === 'push') list.push(o.v)
                else if (o.t === 'pop') list.pop()
                else if (o.t === 'splice') list.splice(o.at, o.n)
                else if (o.t === 'sort') list.sort((x, y) => x - y)
                else if (o.t === 'set') list[Math.min(o.at, list.length)] = o.v
                else rows.unshift({ v: [o.v, ...(rows[0]?.v ?? [])] })
              }
            })
            await handle.flush()
            expect(stored(storage, 'k').state.domain).toEqual(engine.state.value.domain)
          }
          handle.dispose()
        },
      ),
      { numRuns: 60 },
    )
  })

  it('saves the data zone after a commit, as { version, state: { global, domain } }', async () => {
    const storage = new MemoryStorage()
    const engine = makeEngine()
    const handle = persist(engine, { storage, key: 'bank', version: 3 })
    engine.runProcess('deposit', { user: 'Bob', amount: 50 })
    await handle.flush()
    expect(stored(storage, 'bank')).toEqual({
      version: 3,
      state: {
        global: { currency: 'EUR' },
        domain: { accounts: { Alice: 1000, Bob: 50 }, profile: { name: 'bank' } },
      },
    })
  })

  it('writes once per 100 ms by default, however many commits', async () => {
    vi.useFakeTimers()
    const storage = new MemoryStorage()
    const engine = makeEngine()
    const saved = recorder()
    persist(engine, { storage, key: 'bank', onEvent: saved.onEvent })
    for (let i = 0; i < 5; i++) engine.runProcess('deposit', { user: 'Bob', amount: 1 })
    await vi.advanceTimersByTimeAsync(99)
    expect(storage.writes).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(storage.writes).toEqual(['bank'])
    expect(stored(storage, 'bank').state.domain.accounts.Bob).toBe(5)
    expect(saved.events.filter((e) => e.type === 'saved')).toHaveLength(1)
  })

  it('writes once per microtask with debounceMs: 0', async () => {
    const storage = new MemoryStorage()
    const engine = makeEngine()
    persist(engine, { storage, key: 'bank', debounceMs: 0 })
    for (let i = 0; i < 5; i++) engine.runProcess('deposit', { user: 'Bob', amount: 1 })
    expect(storage.writes).toEqual([])
    await Promise.resolve()
    expect(storage.writes).toEqual(['bank'])
    expect(stored(storage, 'bank').state.domain.accounts.Bob).toBe(5)
  })

  it('waits debounceMs after the last commit when given', async () => {
    vi.useFakeTimers()
    const storage = new MemoryStorage()
    const engine = makeEngine()
    persist(engine, { storage, key: 'bank', debounceMs: 200 })
    engine.runProcess('deposit', { user: 'Bob', amount: 1 })
    await vi.advanceTimersByTimeAsync(100)
    engine.runProcess('deposit', { user: 'Bob', amount: 1 })
    await vi.advanceTimersByTimeAsync(99)
    expect(storage.writes).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(storage.writes).toEqual(['bank'])
    expect(stored(storage, 'bank').state.domain.accounts.Bob).toBe(2)
  })

  it('does not save after a rollback, nor after commits that touch only unpersisted zones', async () => {
    const storage = new MemoryStorage()
    const engine = makeEngine()
    const handle = persist(engine, { storage, key: 'bank' })
    expect(() => engine.runProcess('deposit', { user: 'Bob', amount: -1 })).toThrow(
      'Amount must be positive',
    )
    engine.runProcess('touchMeta')
    await handle.flush()
    expect(storage.writes).toEqual([])
  })

  it('never throws a failed save into the commit and reports it', async () => {
    const storage = new MemoryStorage()
    vi.spyOn(storage, 'setItem').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError')
    })
    const engine = makeEngine()
    const { events, onEvent } = recorder()
    const handle = persist(engine, { storage, key: 'bank', onEvent })
    expect(() => engine.runProcess('deposit', { user: 'Bob', amount: 1 })).not.toThrow()
    await handle.flush()
    expect(engine.state.value.domain.accounts.Bob).toBe(1)
    const failed = events.find((e) => e.type === 'save-failed')
    expect(failed).toMatchObject({ type: 'save-failed', key: 'bank' })
    expect((failed as { error: DOMException }).error.name).toBe('QuotaExceededError')
  })

  it('saves other zones when asked, and restores them', async () => {
    const storage = new MemoryStorage()
    const engine = makeEngine()
    const handle = persist(engine, { storage, key: 'bank', zones: ['data', 'meta'] })
    engine.runProcess('deposit', { user: 'Bob', amount: 2 })
    await handle.flush()
    const saved = stored(storage, 'bank')
    expect(saved.state.domain.meta_last_tx).toBe('Bob+2')
    expect(saved.state.domain.profile).toEqual({ name: 'bank', meta_seen: 3 })
    expect('sig_done' in saved.state.domain).toBe(false)
    expect('heavy_chart' in saved.state.domain).toBe(false)
    const next = makeEngine()
    persist(next, { storage, key: 'bank', zones: ['data', 'meta'] })
    expect(next.state.value.domain.meta_last_tx).toBe('Bob+2')
    expect(next.state.value.domain.accounts.Bob).toBe(2)
  })

  it('without the data zone, saves and restores only the zones given', async () => {
    const storage = new MemoryStorage()
    const engine = makeEngine()
    const handle = persist(engine, { storage, key: 'bank', zones: ['meta'], debounceMs: 0 })
    engine.runProcess('deposit', { user: 'Bob', amount: 2 })
    await handle.flush()
    // The data zone was saved as well (the text mirror kept whole data values).
    expect(stored(storage, 'bank').state).toEqual({
      global: {},
      domain: { profile: { meta_seen: 3 }, meta_last_tx: 'Bob+2' },
    })
    // A data-zone object replaced as a whole may hold meta keys: it is saved.
    engine.edit((s) => {
      s.domain.profile = { name: 'x', meta_seen: 4 }
    })
    await handle.flush()
    expect(stored(storage, 'bank').state.domain.profile).toEqual({ meta_seen: 4 })
    storage.data.set(
      'bank',
      payload({
        domain: {
          accounts: { Eve: 1 },
          profile: { name: 'forged', meta_seen: 9 },
          meta_last_tx: 'm',
        },
      }),
    )
    const next = makeEngine()
    persist(next, { storage, key: 'bank', zones: ['meta'] })
    // Hydration applied the data keys too: only the persisted zones may change.
    expect(next.state.value.domain.accounts).toEqual({ Alice: 1000, Bob: 0 })
    expect(next.state.value.domain.profile).toEqual({ name: 'bank', meta_seen: 9 })
    expect(next.state.value.domain.meta_last_tx).toBe('m')
  })

  it('round-trips Map, Set, Date, typed arrays, bigint, undefined, NaN and objects with a $t key', async () => {
    const make = () =>
      new TheusEngine({
        domain: {
          byId: new Map<unknown, unknown>([[1, { n: 1 }]]),
          tags: new Set(['a']),
          when: new Date(0),
          bad_date: new Date(Number.NaN),
          weird: { $t: 'Map', v: 'not a tag' } as Record<string, unknown>,
          big: 1n,
          nothing: [undefined, 1] as unknown[],
          nan: 0,
          heavy_bytes: new Uint8Array(2),
        },
      })
    const storage = new MemoryStorage()
    const first = make()
    const handle = persist(first, { storage, key: 'types', zones: ['data', 'heavy'] })
    first.edit((s) => {
      s.domain.byId.set('k', new Map([['deep', new Set([new Date(5)])]]))
      s.domain.tags.add('b')
      s.domain.when = new Date('2024-02-29T12:00:00.000Z')
      s.domain.weird = { $t: 'Set', v: [1] }
      s.domain.big = 2n ** 70n
      s.domain.nan = Number.NaN
      s.domain.heavy_bytes = new Uint8Array([7, 255])
    })
    await handle.flush()
    const second = make()
    const events = recorder()
    persist(second, { storage, key: 'types', zones: ['data', 'heavy'], onEvent: events.onEvent })
    expect(events.events[0]).toMatchObject({ type: 'hydrated', empty: false })
    const d = second.toDict({ excludeZones: [] }).domain
    expect(d).toEqual(first.toDict({ excludeZones: [] }).domain)
    expect(d.byId).toBeInstanceOf(Map)
    expect((d.byId.get('k') as Map<string, Set<Date>>).get('deep')).toEqual(new Set([new Date(5)]))
    expect(d.tags).toEqual(new Set(['a', 'b']))
    expect(d.when).toBeInstanceOf(Date)
    expect(d.when.toISOString()).toBe('2024-02-29T12:00:00.000Z')
    expect(Number.isNaN(d.bad_date.getTime())).toBe(true)
    expect(d.weird).toEqual({ $t: 'Set', v: [1] })
    expect(d.big).toBe(2n ** 70n)
    expect(d.nothing).toEqual([undefined, 1])
    expect(Number.isNaN(d.nan)).toBe(true)
    expect(d.heavy_bytes).toEqual(new Uint8Array([7, 255]))
  })

  it('reports a value JSON cannot hold as a failed save', async () => {
    // Non-strict: strict mode refuses a class instance outside heavy_ (SPEC §10.1).
    const engine = new TheusEngine(
      { domain: { when: new Date(0) as unknown } },
      { strictMode: false },
    )
    const storage = new MemoryStorage()
    const { events, onEvent } = recorder()
    const handle = persist(engine, { storage, key: 'fn', onEvent })
    engine.edit((s) => {
      s.domain.when = new (class Point {
        x = 1
      })()
    })
    await handle.flush()
    expect(events.at(-1)).toMatchObject({ type: 'save-failed', key: 'fn' })
    expect(storage.writes).toEqual([])
  })
})

describe('persist: async storage', () => {
  it('hydrates asynchronously: ready resolves once the stored state is applied', async () => {
    const storage = new AsyncStorage({ bank: payload({ domain: { accounts: { Alice: 9 } } }) })
    const engine = makeEngine()
    const handle = persist(engine, { storage, key: 'bank' })
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 1000, Bob: 0 })
    await handle.ready
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 9 })
  })

  it('saves through promises, and flush waits for the write', async () => {
    const storage = new AsyncStorage()
    const engine = makeEngine()
    const handle = persist(engine, { storage, key: 'bank' })
    await handle.ready
    engine.runProcess('deposit', { user: 'Bob', amount: 4 })
    await handle.flush()
    expect(stored(storage.inner, 'bank').state.domain.accounts.Bob).toBe(4)
  })

  it('does not save before hydration is over, then saves commits made meanwhile', async () => {
    const storage = new AsyncStorage({ bank: payload({ domain: { accounts: { Alice: 9 } } }) })
    const engine = makeEngine()
    const handle = persist(engine, { storage, key: 'bank' })
    engine.edit((s) => {
      s.domain.profile.name = 'early'
    })
    await Promise.resolve()
    expect(storage.inner.writes).toEqual([])
    await handle.ready
    await handle.flush()
    expect(stored(storage.inner, 'bank').state.domain).toEqual({
      accounts: { Alice: 9 },
      profile: { name: 'early' },
    })
  })

  it('keeps corrupt stored text under a backup key', async () => {
    const storage = new AsyncStorage({ bank: '{oops' })
    const engine = makeEngine()
    const before = engine.state.value
    const { events, onEvent } = recorder()
    const handle = persist(engine, { storage, key: 'bank', onEvent })
    await handle.ready
    expect(engine.state.value).toBe(before)
    const event = events[0]
    if (event?.type !== 'hydrate-failed') throw new Error('expected hydrate-failed')
    expect(storage.inner.data.get(event.backupKey!)).toBe('{oops')
    expect(storage.inner.data.has('bank')).toBe(false)
  })

  it('applies nothing and moves nothing when disposed before the stored state arrives', async () => {
    const text = '{oops'
    const storage = new AsyncStorage({ bank: text })
    const engine = makeEngine()
    const before = engine.state.value
    const { events, onEvent } = recorder()
    const handle = persist(engine, { storage, key: 'bank', onEvent })
    handle.dispose()
    await handle.ready
    expect(engine.state.value).toBe(before)
    expect(events).toEqual([])
    expect(storage.inner.data.get('bank')).toBe(text)
  })

  it('reports a rejected read and resolves ready anyway', async () => {
    const storage = new AsyncStorage()
    vi.spyOn(storage, 'getItem').mockRejectedValue(new Error('blocked'))
    const { events, onEvent } = recorder()
    const handle = persist(makeEngine(), { storage, key: 'bank', onEvent })
    await expect(handle.ready).resolves.toBeUndefined()
    expect(events[0]).toMatchObject({ type: 'hydrate-failed', reason: 'read' })
  })
})

describe('persist: handle', () => {
  it('stops saving after dispose', async () => {
    const storage = new MemoryStorage()
    const engine = makeEngine()
    const handle = persist(engine, { storage, key: 'bank' })
    handle.dispose()
    engine.runProcess('deposit', { user: 'Bob', amount: 1 })
    await handle.flush()
    expect(storage.writes).toEqual([])
  })

  it('writes a pending save at dispose', () => {
    const storage = new MemoryStorage()
    const engine = makeEngine()
    const handle = persist(engine, { storage, key: 'bank', debounceMs: 10_000 })
    engine.runProcess('deposit', { user: 'Bob', amount: 1 })
    handle.dispose()
    expect(stored(storage, 'bank').state.domain.accounts.Bob).toBe(1)
  })

  it.each([
    ['no storage', { key: 'k' }],
    ['a storage without removeItem', { key: 'k', storage: { getItem() {}, setItem() {} } }],
    ['an empty key', { key: '', storage: new MemoryStorage() }],
    ['a fractional version', { key: 'k', storage: new MemoryStorage(), version: 1.5 }],
    ['the signal zone', { key: 'k', storage: new MemoryStorage(), zones: ['signal'] }],
    ['an unknown zone', { key: 'k', storage: new MemoryStorage(), zones: ['dta'] }],
    ['a negative debounce', { key: 'k', storage: new MemoryStorage(), debounceMs: -1 }],
    ['an unknown option', { key: 'k', storage: new MemoryStorage(), zone: ['meta'] }],
    ['an array for options', []],
  ])('refuses bad options (%s) with PERSIST_INVALID', (_label, options) => {
    expect(() => persist(makeEngine(), options as any)).toThrow(
      expect.objectContaining({
        code: 'PERSIST_INVALID',
        message: expect.stringMatching(/^persist\(\): /),
      }),
    )
  })
})

describe('persist() misuse', () => {
  it('names a typo in its options and the close one, instead of saving other zones silently', () => {
    const e = (() => {
      try {
        persist(makeEngine(), { key: 'k', storage: new MemoryStorage(), zone: ['meta'] } as never)
      } catch (err) {
        return err as TheusError
      }
    })()
    expect(e?.message).toBe(
      "persist(): unknown option 'zone'. Did you mean 'zones'? Options: storage, key, version, migrate, zones, debounceMs, onEvent.",
    )
  })

  it('says that zones must be an array when given one zone as a string', () => {
    expect(() =>
      persist(makeEngine(), { key: 'k', storage: new MemoryStorage(), zones: 'meta' as never }),
    ).toThrow(
      // It read the string letter by letter: "unknown zone the string 'm'".
      expect.objectContaining({
        code: 'PERSIST_INVALID',
        message:
          "persist(): 'zones' must be an array such as ['data', 'meta'], got the string 'meta'.",
      }),
    )
  })

  it('refuses something other than an engine with PERSIST_INVALID, not a TypeError', () => {
    for (const bad of [undefined, null, {}, 5]) {
      expect(() => persist(bad as never, { storage: new MemoryStorage(), key: 'k' })).toThrow(
        expect.objectContaining({
          code: 'PERSIST_INVALID',
          message: expect.stringMatching(/^persist\(\): expected a TheusEngine/),
        }),
      )
    }
  })

  it('refuses to hydrate from inside a run (NESTED_RUN), and leaves a good payload where it is', () => {
    const payload = JSON.stringify({ version: 0, state: { domain: { accounts: { Alice: 7 } } } })
    const storage = new MemoryStorage({ bank: payload })
    const engine = makeEngine()
    let code: string | undefined
    engine.registerProcess(
      process({ outputs: ['domain.meta_last_tx'] }, function startPersist(ctx) {
        try {
          persist(engine, { storage, key: 'bank' })
        } catch (e) {
          code = (e as TheusError).code
        }
        ctx.domain.meta_last_tx = 'x'
      }),
    )
    engine.runProcess('startPersist')
    expect(code).toBe('NESTED_RUN')
    expect(storage.getItem('bank')).toBe(payload)
    expect([...storage.data.keys()]).toEqual(['bank'])
    // Called once the run is over, it hydrates.
    persist(engine, { storage, key: 'bank' })
    expect(engine.state.value.domain.accounts.Alice).toBe(7)
  })
})
