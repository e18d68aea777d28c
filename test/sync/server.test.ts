/**
 * theus/server with real `ws` sockets on 127.0.0.1, clients driven by connectTheusServer with
 * `ws`'s WebSocket. Loops are bounded; waits poll the event loop.
 */
import { TheusEngine, type TheusError } from 'theus'
import { createTheusServer, type TheusServer } from 'theus/server'
import { connectTheusServer, type ServerRefusedEvent, type ServerSync } from 'theus/sync'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { initial, note, slowNote, sum, transfer, until } from './helpers.js'

const recipe = {
  process_recipes: {
    transfer: { inputs: [{ field: 'amount', max: 500, level: 'B' }] },
  },
}

function make(opts: ConstructorParameters<typeof TheusEngine>[1] = {}) {
  const engine = new TheusEngine(initial(), { runLogLimit: Number.POSITIVE_INFINITY, ...opts })
  engine.registerProcess(transfer)
  engine.registerProcess(note)
  engine.registerProcess(slowNote)
  return engine
}

let server: TheusServer | undefined
let clients: ServerSync[] = []
afterEach(async () => {
  for (const c of clients) c.close()
  clients = []
  await server?.close()
  server = undefined
})

/** `ws`'s WebSocket, recording instances so a test can cut one. */
const sockets: WebSocket[] = []
class TrackedWebSocket extends WebSocket {
  constructor(url: string) {
    super(url)
    sockets.push(this)
  }
}

async function setup(
  count: number,
  serverOpts: Partial<Parameters<typeof createTheusServer>[0]> = {},
) {
  const engine = make(serverOpts.engine ? {} : { auditRecipe: recipe })
  server = createTheusServer({ engine, port: 0, ...serverOpts })
  await server.ready
  const url = `ws://127.0.0.1:${server.port}`
  const out = Array.from({ length: count }, () => {
    const e = make()
    const sync = connectTheusServer(e, url, { WebSocket: TrackedWebSocket, reconnectDelayMs: 5 })
    clients.push(sync)
    const refused: ServerRefusedEvent[] = []
    sync.onRefused((r) => refused.push(r))
    return { engine: e, sync, refused }
  })
  await Promise.all(out.map((c) => c.sync.ready))
  return { engine, url, clients: out }
}

const data = (e: TheusEngine<any>) => JSON.stringify(e.toDict())

describe('createTheusServer + connectTheusServer', () => {
  it('ends 1 000 concurrent runs from 10 clients with every client equal to the server, and the run log replays to it', async () => {
    const { engine, clients: cs } = await setup(10)
    const names = ['Alice', 'Bob', 'Carol']
    cs.forEach((c, i) => {
      for (let k = 0; k < 100; k++) {
        const from = names[(i + k) % 3]!
        const to = names[(i + k + 1) % 3]!
        c.engine.runProcess('transfer', { from, to, amount: 1 + ((i * 7 + k) % 50) })
        if (k % 10 === 0) c.engine.runProcess('note', { key: `c${i}`, text: `k${k}` })
      }
    })
    await Promise.all(cs.map((c) => c.sync.synced()))
    await until(
      () => cs.every((c) => c.sync.seq === server!.seq),
      'clients at the server seq',
      2000,
    )
    const want = data(engine)
    for (const c of cs) expect(JSON.parse(data(c.engine))).toEqual(JSON.parse(want))
    expect(sum(engine.state.value.domain.accounts)).toBe(1500)
    // 1 000 transfers + 100 notes reached the server (a transfer that found no funds commits its signal).
    expect(engine.runLog.filter((r) => r.process === 'transfer')).toHaveLength(1000)
    expect(engine.runLog.filter((r) => r.process === 'note')).toHaveLength(100)
    const replayed = await TheusEngine.replay(initial(), [transfer, note], engine.runLog)
    expect(data(replayed)).toBe(want)
  }, 60_000)

  it('loses nothing when a client disconnects mid-run and reconnects', async () => {
    const { engine, clients: cs } = await setup(2)
    const [a, b] = cs
    const before = sockets.length
    for (let k = 0; k < 20; k++)
      a!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 1 })
    // Cut a's socket with runs in flight, and let b commit while a is away.
    sockets.at(-2)!.terminate()
    for (let k = 0; k < 5; k++)
      b!.engine.runProcess('transfer', { from: 'Carol', to: 'Bob', amount: 2 })
    for (let k = 0; k < 10; k++)
      a!.engine.runProcess('transfer', { from: 'Alice', to: 'Carol', amount: 3 })
    await until(() => sockets.length > before, 'a reconnects')
    await Promise.all(cs.map((c) => c.sync.synced()))
    await until(() => cs.every((c) => c.sync.seq === server!.seq), 'caught up', 2000)
    expect(engine.state.value.domain.accounts).toEqual({
      Alice: 1000 - 20 - 30,
      Bob: 20 + 10,
      Carol: 500 - 10 + 30,
    })
    for (const c of cs) expect(data(c.engine)).toBe(data(engine))
    expect(engine.runLog.filter((r) => r.process === 'transfer')).toHaveLength(35)
  })

  it('rolls back in its client a run the server’s audit rule refused, with the server’s error', async () => {
    const { engine, clients: cs } = await setup(2)
    const [a, b] = cs
    // The client has no recipe (say it was modified): its optimistic run shows at once…
    a!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 900 })
    expect(a!.engine.state.value.domain.accounts.Bob).toBe(900)
    a!.engine.runProcess('transfer', { from: 'Alice', to: 'Carol', amount: 100 })
    await a!.sync.synced()
    // …and is rolled back when the server's input gate blocks it; the other run stands.
    expect(a!.refused).toHaveLength(1)
    const err = a!.refused[0]!.error as TheusError
    expect(err.code).toBe('AUDIT_BLOCK')
    expect(err.name).toBe('AuditBlockError')
    expect(a!.refused[0]!.args).toEqual({ from: 'Alice', to: 'Bob', amount: 900 })
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 900, Bob: 0, Carol: 600 })
    await until(() => b!.sync.seq === server!.seq, 'b caught up')
    expect(data(a!.engine)).toBe(data(engine))
    expect(data(b!.engine)).toBe(data(engine))
  })

  it('lets authorize refuse a connection and a run', async () => {
    const seen: string[] = []
    const serverEngine = make()
    const { clients: cs } = await setup(1, {
      engine: serverEngine,
      authorize: (ev) => {
        seen.push(ev.kind)
        if (ev.kind === 'run') return ev.process !== 'note'
        return true
      },
    })
    const [a] = cs
    a!.engine.runProcess('note', { key: 'x', text: 'no' })
    a!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 1 })
    await a!.sync.synced()
    expect(a!.refused.map((r) => r.error.code)).toEqual(['UNAUTHORIZED'])
    expect(a!.engine.state.value.domain.notes).toEqual({})
    expect(serverEngine.state.value.domain.accounts.Bob).toBe(1)
    expect(seen).toEqual(['connection', 'run', 'run'])
  })

  it('sends a snapshot to a client too far behind the backlog', async () => {
    const { engine, url, clients: cs } = await setup(1, { backlog: 3 })
    const [a] = cs
    const late = make()
    for (let k = 0; k < 10; k++)
      a!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 1 })
    await a!.sync.synced()
    // A client that had seq 1 and comes back after 10 commits cannot be caught up commit by commit.
    const sync = connectTheusServer(late, url, { WebSocket: TrackedWebSocket })
    clients.push(sync)
    await sync.ready
    expect(data(late)).toBe(data(engine))
  })

  it('broadcasts the server app’s own commits to every client', async () => {
    const { engine, clients: cs } = await setup(2)
    engine.edit((s: any) => {
      s.domain.notes.admin = 'hello'
    })
    await until(() => cs.every((c) => c.sync.seq === server!.seq), 'clients caught up')
    for (const c of cs) expect(c.engine.state.value.domain.notes).toEqual({ admin: 'hello' })
  })

  it('rolls back an edit made in a client (the server runs processes only) and reports it', async () => {
    const { engine, clients: cs } = await setup(1)
    const [a] = cs
    a!.engine.edit((s: any) => {
      s.domain.accounts.Alice = 1_000_000
    })
    await until(() => a!.refused.length === 1, 'refused')
    expect(a!.refused[0]!.error.code).toBe('INVALID_ARGS')
    expect(a!.engine.state.value.domain.accounts.Alice).toBe(1000)
    expect(engine.state.value.domain.accounts.Alice).toBe(1000)
  })

  it('ignores frames that are not protocol messages, or that hold a __proto__ key', async () => {
    const { engine, url } = await setup(0)
    const raw = new WebSocket(url)
    await new Promise((r) => raw.once('open', r))
    const replies: string[] = []
    raw.on('message', (d) => replies.push(String(d)))
    raw.send(JSON.stringify({ t: 'hello', client: 'raw', lastSeq: null, pending: [] }))
    await until(() => replies.some((r) => r.includes('welcome')), 'welcome')
    raw.send('not json')
    raw.send(JSON.stringify({ t: 'nope' }))
    raw.send(
      '{"t":"run","id":1,"process":"transfer","baseSeq":0,"args":{"from":"Alice","to":"Bob","amount":5,"__proto__":{"polluted":true}}}',
    )
    raw.send(
      JSON.stringify({
        t: 'run',
        id: 2,
        process: 'transfer',
        baseSeq: 0,
        args: { from: 'Alice', to: 'Bob', amount: 7 },
      }),
    )
    await until(() => engine.state.value.domain.accounts.Bob === 7, 'the good run')
    expect(({} as any).polluted).toBeUndefined()
    expect(engine.runLog).toHaveLength(1)
    raw.close()
  })

  it('stops reconnecting when authorize refuses the connection', async () => {
    const serverEngine = make()
    server = createTheusServer({
      engine: serverEngine,
      port: 0,
      authorize: (ev) => ev.kind !== 'connection',
    })
    await server.ready
    const before = sockets.length
    const c = connectTheusServer(make(), `ws://127.0.0.1:${server.port}`, {
      WebSocket: TrackedWebSocket,
      reconnectDelayMs: 1,
    })
    clients.push(c)
    await until(() => c.refused, 'refused')
    await new Promise((r) => setTimeout(r, 30))
    expect(sockets.length - before).toBe(1)
    expect(c.connected).toBe(false)
  })

  it('runs async processes on the server too, in order, and keeps clients equal', async () => {
    const { engine, clients: cs } = await setup(3)
    await Promise.all(
      cs.map((c, i) => c.engine.runProcess('slowNote', { key: `k${i}`, text: String(i) })),
    )
    for (const c of cs) c.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 1 })
    await Promise.all(cs.map((c) => c.sync.synced()))
    await until(() => cs.every((c) => c.sync.seq === server!.seq), 'caught up')
    expect(engine.state.value.domain.notes).toEqual({ k0: '0', k1: '1', k2: '2' })
    for (const c of cs) expect(c.engine.toDict()).toEqual(engine.toDict())
  })

  it('remembers at most maxClients client ids', async () => {
    const { engine, url } = await setup(0, { maxClients: 2 })
    for (const id of ['c1', 'c2', 'c3']) {
      const raw = new WebSocket(url)
      await new Promise((r) => raw.once('open', r))
      const got: string[] = []
      raw.on('message', (d) => got.push(String(d)))
      raw.send(JSON.stringify({ t: 'hello', client: id, lastSeq: null, pending: [] }))
      raw.send(
        JSON.stringify({
          t: 'run',
          id: 1,
          process: 'note',
          baseSeq: 0,
          args: { key: id, text: id },
        }),
      )
      await until(() => got.some((m) => m.includes('"commit"')), 'commit')
      raw.terminate()
      await until(() => server!.connections === 0, 'closed')
    }
    // c1 was forgotten: its run id 1 is new again; c3 is remembered: its resend is ignored.
    for (const id of ['c1', 'c3']) {
      const raw = new WebSocket(url)
      await new Promise((r) => raw.once('open', r))
      raw.send(JSON.stringify({ t: 'hello', client: id, lastSeq: null, pending: [] }))
      raw.send(
        JSON.stringify({
          t: 'run',
          id: 1,
          process: 'note',
          baseSeq: 0,
          args: { key: id, text: 'again' },
        }),
      )
      await new Promise((r) => setTimeout(r, 30))
      raw.terminate()
    }
    await until(() => engine.state.value.domain.notes.c1 === 'again', 'c1 ran again')
    expect(engine.state.value.domain.notes.c3).toBe('c3')
  })
})
