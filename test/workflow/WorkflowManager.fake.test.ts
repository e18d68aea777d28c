// The manager's own logic (queueing, reset mid-chain, abort, dispose) against a scripted fake
// engine, so each process can be held open and released by the test.
import {
  AuditInterlockError,
  type EngineEventMap,
  type EngineEventType,
  type WorkflowHost,
  WorkflowManager,
} from 'theus'
import { describe, expect, it, vi } from 'vitest'

function fakeEngine() {
  const calls: { name: string; args: unknown }[] = []
  const gates = new Map<string, { promise: Promise<void>; release: (e?: unknown) => void }>()
  const handlers = new Map<string, Set<(e: unknown) => void>>()
  const host = {
    runProcess(name: string, args?: unknown) {
      calls.push({ name, args })
      const g = gates.get(name)
      if (name.startsWith('fail')) throw new Error(name)
      if (name.startsWith('abort')) throw new AuditInterlockError('A', 'abort')
      return g?.promise
    },
    on<K extends EngineEventType>(type: K, handler: (e: EngineEventMap[K]) => void) {
      const set = handlers.get(type) ?? new Set()
      handlers.set(type, set)
      set.add(handler as (e: unknown) => void)
      return () => set.delete(handler as (e: unknown) => void)
    },
    options: { maxOps: 100 },
  } satisfies WorkflowHost
  return {
    host,
    calls,
    hold(name: string) {
      let release!: (e?: unknown) => void
      const promise = new Promise<void>((res, rej) => {
        release = (e) => (e === undefined ? res() : rej(e))
      })
      gates.set(name, { promise, release })
      return (e?: unknown) => {
        gates.delete(name)
        release(e)
      }
    },
    emit<K extends EngineEventType>(type: K, e: EngineEventMap[K]) {
      for (const h of handlers.get(type) ?? []) h(e)
    },
    listeners: (type: string) => handlers.get(type)?.size ?? 0,
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

const def = {
  states: {
    IDLE: { on: { GO: 'A', OTHER: 'B', EVT_X: 'B' } },
    A: { entry: ['slow', 'after'], on: { EVT_CHAIN_DONE: 'IDLE', EVT_CHAIN_FAIL: 'IDLE' } },
    B: { entry: 'quick', on: { EVT_CHAIN_DONE: 'IDLE' } },
  },
  signals: { cmd_x: 'EVT_X' },
}

describe('WorkflowManager (fake engine)', () => {
  it('settles each send after its own cascade, in the order sent', async () => {
    const fe = fakeEngine()
    const release = fe.hold('slow')
    const wf = new WorkflowManager(fe.host, def)
    const order: string[] = []
    const a = wf.send('GO', { n: 1 }).then(() => order.push('a'))
    const b = wf.send('OTHER', { n: 2 }).then(() => order.push('b'))
    await tick()
    expect(fe.calls.map((c) => c.name)).toEqual(['slow'])
    expect(wf.status.value).toBe('running')
    release()
    await Promise.all([a, b])
    expect(order).toEqual(['a', 'b'])
    expect(fe.calls).toEqual([
      { name: 'slow', args: { n: 1 } },
      { name: 'after', args: { n: 1 } },
      { name: 'quick', args: { n: 2 } },
    ])
  })

  it('abandons a chain that was running when reset() was called', async () => {
    const fe = fakeEngine()
    const release = fe.hold('slow')
    const wf = new WorkflowManager(fe.host, def)
    const p = wf.send('GO')
    await tick()
    wf.reset()
    expect(wf.state.value).toBe('IDLE')
    expect(wf.status.value).toBe('idle')
    release()
    await p
    // the rest of the chain and its chain event never happened
    expect(fe.calls.map((c) => c.name)).toEqual(['slow'])
    expect(wf.state.value).toBe('IDLE')
    await wf.send('OTHER')
    expect(fe.calls.map((c) => c.name)).toEqual(['slow', 'quick'])
  })

  it('empties the queue on reset(), resolving the pending sends', async () => {
    const fe = fakeEngine()
    const release = fe.hold('slow')
    const wf = new WorkflowManager(fe.host, def)
    const a = wf.send('GO')
    const b = wf.send('OTHER')
    await tick()
    wf.reset()
    await b
    release()
    await a
    expect(fe.calls.map((c) => c.name)).toEqual(['slow'])
  })

  it('treats an async rejection like a throw: chain fail event, lastError set', async () => {
    const fe = fakeEngine()
    const release = fe.hold('slow')
    const wf = new WorkflowManager(fe.host, def)
    const p = wf.send('GO')
    const boom = new Error('late')
    release(boom)
    await p
    expect(wf.lastError.value).toBe(boom)
    expect(wf.history.map((h) => h.event)).toEqual(['GO', 'EVT_CHAIN_FAIL'])
    expect(fe.calls.map((c) => c.name)).toEqual(['slow'])
  })

  it('warns once per event while aborted and resolves', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const fe = fakeEngine()
    const wf = new WorkflowManager(fe.host, {
      states: {
        IDLE: { on: { GO: 'X' } },
        X: { entry: 'abort_me', on: { EVT_CHAIN_FAIL: 'IDLE' } },
      },
    })
    await wf.send('GO')
    expect(wf.status.value).toBe('aborted')
    expect(wf.state.value).toBe('X')
    await wf.send('ZZ_UNIQUE_1')
    await wf.send('ZZ_UNIQUE_1')
    const mine = warn.mock.calls.filter((c) => String(c[0]).includes('ZZ_UNIQUE_1'))
    expect(mine).toHaveLength(1)
    expect(String(mine[0]?.[0])).toMatch(/^\[theus\]/)
    warn.mockRestore()
  })

  it('bridges a signal by its field key, from any path, and unsubscribes on dispose()', async () => {
    const fe = fakeEngine()
    const wf = new WorkflowManager(fe.host, def)
    expect(fe.listeners('signal')).toBe(1)
    fe.emit('signal', { process: 'p', path: 'domain.ui.cmd_x', value: 1 })
    await tick()
    expect(wf.history.map((h) => h.event)).toEqual(['EVT_X', 'EVT_CHAIN_DONE'])
    fe.emit('signal', { process: 'p', path: 'domain.cmd_y', value: true })
    fe.emit('signal', { process: 'p', path: 'domain.cmd_x', value: '' })
    await tick()
    expect(wf.history).toHaveLength(2)
    wf.dispose()
    expect(fe.listeners('signal')).toBe(0)
  })

  it('does not subscribe to signals when the workflow has no signals: map', () => {
    const fe = fakeEngine()
    new WorkflowManager(fe.host, { states: { IDLE: {} } })
    expect(fe.listeners('signal')).toBe(0)
  })
})
