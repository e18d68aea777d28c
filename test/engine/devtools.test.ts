import { connectReduxDevTools, process, TheusEngine } from 'theus'
import { afterEach, describe, expect, it, vi } from 'vitest'

class ValueError extends Error {
  override name = 'ValueError'
}

const deposit = process(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'], errors: ['ValueError'] },
  function deposit(ctx, args: { user: string; amount: number }) {
    if (args.amount <= 0) throw new ValueError('Amount must be positive')
    ctx.domain.accounts[args.user] = (ctx.domain.accounts[args.user] ?? 0) + args.amount
  },
)

function makeEngine() {
  const engine = new TheusEngine({
    domain: {
      accounts: { Alice: 10 } as Record<string, number>,
      meta_seen: 0,
      heavy_buf: new Uint8Array(1),
    },
  })
  engine.registerProcess(deposit)
  return engine
}

/** A stand-in for the extension: records what Theus sends and lets a test send messages. */
function fakeExtension() {
  let listener: ((m: unknown) => void) | undefined
  const connection = {
    init: vi.fn(),
    send: vi.fn(),
    subscribe: vi.fn((l: (m: unknown) => void) => {
      listener = l
      return () => {
        listener = undefined
      }
    }),
  }
  const ext = { connect: vi.fn(() => connection) }
  return {
    ext,
    connection,
    message: (m: unknown) => listener?.(m),
    listening: () => listener !== undefined,
  }
}

const g = globalThis as { __REDUX_DEVTOOLS_EXTENSION__?: unknown }

afterEach(() => {
  delete g.__REDUX_DEVTOOLS_EXTENSION__
})

describe('connectReduxDevTools', () => {
  it('does nothing and returns a no-op when the extension is absent', () => {
    const engine = makeEngine()
    const disconnect = connectReduxDevTools(engine)
    expect(typeof disconnect).toBe('function')
    expect(() => disconnect()).not.toThrow()
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    expect(engine.state.value.domain.accounts.Alice).toBe(11)
  })

  it('connects under a name and starts from the state as toDict() gives it', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    connectReduxDevTools(makeEngine(), { name: 'bank' })
    expect(fake.ext.connect).toHaveBeenCalledWith(expect.objectContaining({ name: 'bank' }))
    expect(fake.connection.init).toHaveBeenCalledWith({
      global: {},
      domain: { accounts: { Alice: 10 } },
    })
  })

  it('sends each commit as { type: process, payload: args } with the state after it, and no rollback', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const engine = makeEngine()
    connectReduxDevTools(engine)
    engine.runProcess('deposit', { user: 'Bob', amount: 5 })
    expect(() => engine.runProcess('deposit', { user: 'Bob', amount: -5 })).toThrow(ValueError)
    engine.edit((s) => {
      s.domain.accounts.Carol = 1
    })
    expect(fake.connection.send.mock.calls).toEqual([
      [
        { type: 'deposit', payload: { user: 'Bob', amount: 5 } },
        { global: {}, domain: { accounts: { Alice: 10, Bob: 5 } } },
      ],
      [
        { type: 'edit', payload: undefined },
        { global: {}, domain: { accounts: { Alice: 10, Bob: 5, Carol: 1 } } },
      ],
    ])
  })

  it('leaves zones out as asked', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    connectReduxDevTools(makeEngine(), { excludeZones: ['heavy'] })
    expect(fake.connection.init).toHaveBeenCalledWith({
      global: {},
      domain: { accounts: { Alice: 10 }, meta_seen: 0 },
    })
  })

  it('pauses while the monitor pauses recording, and re-inits on COMMIT', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const engine = makeEngine()
    connectReduxDevTools(engine)
    fake.message({ type: 'DISPATCH', payload: { type: 'PAUSE_RECORDING', status: true } })
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    expect(fake.connection.send).not.toHaveBeenCalled()
    fake.message({ type: 'DISPATCH', payload: { type: 'PAUSE_RECORDING', status: false } })
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    expect(fake.connection.send).toHaveBeenCalledTimes(1)
    fake.message({ type: 'DISPATCH', payload: { type: 'COMMIT' } })
    expect(fake.connection.init).toHaveBeenLastCalledWith({
      global: {},
      domain: { accounts: { Alice: 12 } },
    })
  })

  it('ignores time-travel messages: the engine state does not move', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const engine = makeEngine()
    connectReduxDevTools(engine)
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    const before = engine.state.value
    fake.message({
      type: 'DISPATCH',
      payload: { type: 'JUMP_TO_STATE' },
      state: '{"domain":{"accounts":{}}}',
    })
    fake.message({
      type: 'DISPATCH',
      payload: { type: 'JUMP_TO_ACTION', actionId: 0 },
      state: '{}',
    })
    expect(engine.state.value).toBe(before)
  })

  it('stops sending and unsubscribes once disconnected', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const engine = makeEngine()
    const disconnect = connectReduxDevTools(engine)
    expect(fake.listening()).toBe(true)
    disconnect()
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    expect(fake.connection.send).not.toHaveBeenCalled()
    expect(fake.listening()).toBe(false)
  })
})
