/**
 * A client's rebase re-runs its pending runs on the server's new state: their audit findings
 * must not count twice (SPEC §4 counters belong to the engine, one violation adds one).
 */
import { TheusEngine } from 'theus'
import { connectTheusServer } from 'theus/sync'
import { describe, expect, it } from 'vitest'
import { initial, note, transfer } from './helpers.js'

/** A socket the test answers in the server's place. */
class FakeSocket {
  static last: FakeSocket | undefined
  readyState = 1
  sent: { t: string }[] = []
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: unknown) => void) | null = null
  onclose: ((ev: unknown) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  constructor(_url: string) {
    FakeSocket.last = this
    queueMicrotask(() => this.onopen?.({}))
  }
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close() {}
  deliver(m: unknown) {
    this.onmessage?.({ data: JSON.stringify(m) })
  }
}

const tick = () => new Promise<void>((r) => queueMicrotask(r))

describe('connectTheusServer rebase and audit counters', () => {
  it('re-runs a pending run without counting its violation again', async () => {
    const auditRecipe = {
      process_recipes: {
        transfer: { inputs: [{ field: 'amount', max: 50, level: 'B' as const, max_threshold: 2 }] },
      },
    }
    const engine = new TheusEngine(initial(), { auditRecipe, processes: { transfer, note } })
    const sync = connectTheusServer(engine, 'ws://test', { WebSocket: FakeSocket })
    await tick()
    const socket = FakeSocket.last!
    socket.deliver({ t: 'snapshot', seq: 0, state: engine.toDict() })
    socket.deliver({ t: 'welcome', seq: 0, lastRunId: 0 })
    await tick()
    // One violation: count 1 of 2, an early warning; the run shows at once.
    engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 100 })
    expect(engine.state.value.domain.accounts.Bob).toBe(100)
    // Another client's commit arrives first: the pending transfer is re-run on top of it.
    socket.deliver({
      t: 'commit',
      seq: 1,
      client: 'other',
      id: 1,
      process: 'note',
      args: { key: 'k', text: 't' },
      patches: [{ op: 'add', path: ['domain', 'notes', 'k'], value: 't' }],
    })
    await tick()
    expect(engine.state.value.domain.notes).toEqual({ k: 't' })
    expect(engine.state.value.domain.accounts.Bob).toBe(100)
    expect(engine.auditLog.map((e) => e.action)).not.toContain('block')
    // The live counter is where the user's one violation left it: the next one blocks.
    expect(() =>
      engine.runProcess('transfer', { from: 'Alice', to: 'Carol', amount: 100 }),
    ).toThrow(/LEVEL B BLOCK/)
    sync.close()
  })
})
