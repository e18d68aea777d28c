import { connectReduxDevTools, EngineHaltedError, process, TheusEngine } from 'theus'
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

function makeEngine(options: { historyLimit?: number } = {}) {
  const engine = new TheusEngine(
    {
      domain: {
        accounts: { Alice: 10 } as Record<string, number>,
        meta_seen: 0,
        heavy_buf: new Uint8Array(1),
      },
    },
    options,
  )
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

  it('refuses a non-engine or an unknown option with INVALID_ARGS, with or without the extension', () => {
    for (const present of [false, true]) {
      if (present) g.__REDUX_DEVTOOLS_EXTENSION__ = fakeExtension().ext
      for (const bad of [undefined, null, {}, 5]) {
        // With the extension, a non-engine was a raw TypeError; without it, silently nothing.
        expect(() => connectReduxDevTools(bad as never)).toThrow(
          expect.objectContaining({
            code: 'INVALID_ARGS',
            message: expect.stringMatching(/^connectReduxDevTools\(engine, .* as the engine\.$/),
          }),
        )
      }
      const engine = makeEngine()
      expect(() => connectReduxDevTools(engine, { timetravel: false } as never)).toThrow(
        "got the option 'timetravel'",
      )
      expect(() => connectReduxDevTools(engine, 'bank' as never)).toThrow("got the string 'bank'")
      // An array is no options object (it was taken as one with no keys).
      expect(() => connectReduxDevTools(engine, [] as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGS' }),
      )
      // A misspelt zone is refused as toDict() refuses it; without the extension it passed.
      expect(() => connectReduxDevTools(engine, { excludeZones: ['signals'] as never })).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGS',
          message: expect.stringMatching(/^connectReduxDevTools\(\): .*Did you mean 'signal'\?$/),
        }),
      )
    }
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

  it('stops listening to the monitor when the engine is disposed (SPEC §10.2)', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const engine = makeEngine()
    const disconnect = connectReduxDevTools(engine)
    expect(fake.listening()).toBe(true)
    engine.dispose()
    expect(fake.listening()).toBe(false)
    expect(() => disconnect()).not.toThrow()
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

  it('enables jump in the monitor, and nothing else that would change state', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    connectReduxDevTools(makeEngine())
    const { features } = (fake.ext.connect.mock.calls[0] as unknown as [{ features: object }])[0]
    expect(features).toMatchObject({ jump: true, skip: false, reorder: false, import: false })
    expect(features).toMatchObject({ dispatch: false })
  })

  it('JUMP_TO_ACTION moves the engine through undo/redo, and sends nothing for it', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const engine = makeEngine()
    connectReduxDevTools(engine)
    for (const amount of [1, 2, 3]) engine.runProcess('deposit', { user: 'Alice', amount })
    const alice = () => engine.state.value.domain.accounts.Alice
    expect(alice()).toBe(16)
    const jump = (actionId: number, type = 'JUMP_TO_ACTION') =>
      fake.message({ type: 'DISPATCH', payload: { type, actionId }, state: '{}' })
    jump(1)
    expect(alice()).toBe(11)
    expect(engine.history.length).toBe(1)
    jump(0)
    expect(alice()).toBe(10)
    expect(engine.history.length).toBe(0)
    jump(3, 'JUMP_TO_STATE')
    expect(alice()).toBe(16)
    jump(2, 'JUMP_TO_STATE')
    expect(alice()).toBe(13)
    // The engine's own history is true: undo goes on from the jumped-to point.
    expect(engine.runLog.map((e) => e.process).slice(-4)).toEqual(['redo', 'redo', 'redo', 'undo'])
    expect(fake.connection.send).toHaveBeenCalledTimes(3)
    // An app commit after a jump back is appended as action 4 and is reachable.
    engine.runProcess('deposit', { user: 'Alice', amount: 100 })
    expect(fake.connection.send).toHaveBeenCalledTimes(4)
    jump(1)
    expect(alice()).toBe(11)
    jump(4)
    expect(alice()).toBe(113)
  })

  it('a jump to an action no longer reachable leaves the engine and restarts the monitor', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const engine = makeEngine()
    connectReduxDevTools(engine)
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    engine.runProcess('deposit', { user: 'Alice', amount: 2 })
    fake.message({ type: 'DISPATCH', payload: { type: 'JUMP_TO_ACTION', actionId: 1 } })
    // A new commit clears the redo stack: action 2 (Alice 13) cannot come back.
    engine.runProcess('deposit', { user: 'Alice', amount: 5 })
    const before = engine.state.value
    fake.message({ type: 'DISPATCH', payload: { type: 'JUMP_TO_ACTION', actionId: 2 } })
    expect(engine.state.value).toBe(before)
    expect(engine.state.value.domain.accounts.Alice).toBe(16)
    expect(fake.connection.init).toHaveBeenLastCalledWith({
      global: {},
      domain: { accounts: { Alice: 16 } },
    })
    expect(warn).toHaveBeenCalled()
    warn.mockRestore()
  })

  it('refuses a jump to the start once historyLimit dropped an entry above it (undo cannot reach it)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    for (const historyLimit of [2, 0]) {
      for (const payload of [{ type: 'JUMP_TO_ACTION', actionId: 0 }, { type: 'ROLLBACK' }]) {
        const fake = fakeExtension()
        g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
        const engine = makeEngine({ historyLimit })
        connectReduxDevTools(engine)
        for (const amount of [1, 2, 3, 4]) engine.runProcess('deposit', { user: 'Alice', amount })
        const before = engine.state.value
        fake.message({ type: 'DISPATCH', payload })
        // It undid the two kept entries (Alice 13) and reported success: the monitor showed
        // Alice 10, a state the engine was not in.
        expect(engine.state.value).toBe(before)
        expect(fake.connection.init).toHaveBeenLastCalledWith({
          global: {},
          domain: { accounts: { Alice: 20 } },
        })
      }
    }
    warn.mockRestore()
  })

  it('ROLLBACK returns to the last COMMIT through undo; RESET leaves the engine', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const engine = makeEngine()
    connectReduxDevTools(engine)
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    fake.message({ type: 'DISPATCH', payload: { type: 'COMMIT' } })
    engine.runProcess('deposit', { user: 'Alice', amount: 2 })
    engine.runProcess('deposit', { user: 'Alice', amount: 3 })
    fake.message({ type: 'DISPATCH', payload: { type: 'RESET' } })
    expect(engine.state.value.domain.accounts.Alice).toBe(16)
    // RESET restarted the monitor here (Alice 16); ROLLBACK goes back to that point.
    engine.runProcess('deposit', { user: 'Alice', amount: 4 })
    fake.message({ type: 'DISPATCH', payload: { type: 'ROLLBACK' } })
    expect(engine.state.value.domain.accounts.Alice).toBe(16)
    expect(fake.connection.init).toHaveBeenLastCalledWith({
      global: {},
      domain: { accounts: { Alice: 16 } },
    })
  })

  it('timeTravel: false ignores jumps: the engine state does not move', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const engine = makeEngine()
    connectReduxDevTools(engine, { timeTravel: false })
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    const before = engine.state.value
    fake.message({ type: 'DISPATCH', payload: { type: 'JUMP_TO_STATE', actionId: 0 } })
    fake.message({ type: 'DISPATCH', payload: { type: 'JUMP_TO_ACTION', actionId: 0 } })
    fake.message({ type: 'DISPATCH', payload: { type: 'ROLLBACK' } })
    expect(engine.state.value).toBe(before)
    const { features } = (fake.ext.connect.mock.calls[0] as unknown as [{ features: object }])[0]
    expect(features).toMatchObject({ jump: false })
  })

  it('a jump the engine refuses (halted: undo throws ENGINE_HALTED) leaves the state as it is', () => {
    const fake = fakeExtension()
    g.__REDUX_DEVTOOLS_EXTENSION__ = fake.ext
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const engine = makeEngine()
    connectReduxDevTools(engine)
    engine.runProcess('deposit', { user: 'Alice', amount: 1 })
    // What a halted engine does (SPEC §10.2); stubbed so this test does not depend on halting.
    const undo = vi.spyOn(engine, 'undo').mockImplementation(() => {
      throw new EngineHaltedError('the engine is halted')
    })
    fake.message({ type: 'DISPATCH', payload: { type: 'JUMP_TO_ACTION', actionId: 0 } })
    expect(engine.state.value.domain.accounts.Alice).toBe(11)
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('the engine is halted'))
    undo.mockRestore()
    warn.mockRestore()
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
