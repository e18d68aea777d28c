/**
 * `theus/server` (Node): the authoritative engine behind a WebSocket endpoint (the `ws`
 * package). Clients send runs; the server executes them one at a time through its own gates,
 * contracts and schema, and broadcasts every commit's patches with a sequence number.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Patch, TheusEngine } from 'theus'
import { TheusError } from 'theus'
import { type WebSocket, WebSocketServer } from 'ws'
import { type ClientMessage, decodeMessage, encodeMessage, type ServerMessage } from './protocol.js'

/** One client connection, as the `authorize` hook sees it. */
export interface TheusConnection {
  /** The client's id (stable across its reconnects), known after its `hello`. */
  client: string
  /** The HTTP upgrade request: headers, cookies, URL (tokens in the query string). */
  request: IncomingMessage
  /** Free for the app: what `authorize` learnt about the connection (a user, roles). */
  data: Record<string, unknown>
}

/** What `authorize` is asked about. */
export type AuthorizeEvent =
  | { kind: 'connection'; connection: TheusConnection }
  | { kind: 'run'; connection: TheusConnection; process: string; args: unknown }

/** Options of `createTheusServer`. */
export interface TheusServerOptions {
  /** The authoritative engine, with the same processes, recipe and workflows as the clients. */
  engine: TheusEngine<any>
  /** An HTTP(S) server to attach to (its upgrade requests), or… */
  server?: HttpServer
  /** …a port to listen on (with `host`, default `127.0.0.1`). */
  port?: number
  host?: string
  /** URL path of the endpoint (default: every path). */
  path?: string
  /**
   * Sees each connection and each run; returning `false` or throwing refuses it (a run is
   * answered with the thrown error's code, or `UNAUTHORIZED`; a connection is closed with 4403).
   */
  authorize?: (event: AuthorizeEvent) => boolean | undefined | Promise<boolean | undefined>
  /** How many commits are kept for clients that reconnect (default 1000); older: snapshot. */
  backlog?: number
  /** How many client ids the server remembers (last run id, answers) for resends (default 10 000). */
  maxClients?: number
  /** Largest message accepted, in bytes (default 1 MiB). */
  maxPayload?: number
}

/** The handle `createTheusServer` returns. */
export interface TheusServer {
  /** The sequence number of the last commit broadcast. */
  readonly seq: number
  /** The port listened on (when `port` was given). */
  readonly port: number | undefined
  /** Open connections. */
  readonly connections: number
  /** Resolves once listening (immediately when attached to a server). */
  readonly ready: Promise<void>
  /** Closes every connection and the endpoint (not the engine, nor a server passed in). */
  close(): Promise<void>
}

interface Conn {
  ws: WebSocket
  info: TheusConnection
  hello: boolean
}

interface ClientBook {
  lastRunId: number
  /** Answers that are not commits (done, refused), by run id, for a client that reconnects. */
  answers: Map<number, ServerMessage>
}

const RUN_KINDS = ['hello', 'run']

/**
 * Serves an engine to `connectTheusServer` clients over WebSocket.
 * @example
 * const server = createTheusServer({ engine, port: 8787, authorize: ({ connection }) => !!connection.request.headers.cookie })
 */
export function createTheusServer(options: TheusServerOptions): TheusServer {
  const { engine } = options
  const backlogSize = options.backlog ?? 1000
  const maxClients = options.maxClients ?? 10_000
  if (options.server === undefined && options.port === undefined)
    throw new TheusError(
      'INVALID_ARGS',
      'createTheusServer needs `server` (an http.Server to attach to) or `port` (to listen on).',
    )
  const wss = new WebSocketServer({
    ...(options.server !== undefined
      ? { server: options.server }
      : { port: options.port!, host: options.host ?? '127.0.0.1' }),
    ...(options.path === undefined ? {} : { path: options.path }),
    maxPayload: options.maxPayload ?? 1 << 20,
  })
  const ready = new Promise<void>((resolve, reject) => {
    if (options.server !== undefined) return resolve()
    wss.once('listening', () => resolve())
    wss.once('error', reject)
  })
  const conns = new Set<Conn>()
  const books = new Map<string, ClientBook>()
  let seq = 0
  const backlog: string[] = []
  // The run being executed, so that its commit is attributed to its client.
  let current: { client: string; id: number; process: string } | null = null
  let currentCommitted = false
  // Runs execute one at a time, in arrival order: that is the order every client sees.
  let queue: Promise<void> = Promise.resolve()

  const send = (c: Conn, m: ServerMessage | string) => {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(typeof m === 'string' ? m : encodeMessage(m))
  }
  const book = (client: string): ClientBook => {
    let b = books.get(client)
    if (b === undefined) {
      books.set(client, (b = { lastRunId: 0, answers: new Map() }))
      // Bounded memory: forget the client seen longest ago (it gets a snapshot if it returns,
      // and its resent runs are executed again, so keep this above the clients you expect).
      if (books.size > maxClients)
        for (const id of books.keys()) {
          if ([...conns].some((c) => c.info.client === id)) continue
          books.delete(id)
          break
        }
    }
    return b
  }
  const answer = (client: string, m: ServerMessage & { id: number }) => {
    const b = book(client)
    b.answers.set(m.id, m)
    // Answers are kept only for runs a reconnecting client may still be waiting for.
    if (b.answers.size > backlogSize) b.answers.delete(b.answers.keys().next().value!)
    for (const c of conns) if (c.info.client === client && c.hello) send(c, m)
  }

  const offCommit = engine.on('commit', (e) => {
    if (e.patches.length === 0) return
    seq++
    // A commit the server app made itself while a client's async run awaited is nobody's run.
    const run = current !== null && current.process === e.process ? current : null
    const frame = encodeMessage({
      t: 'commit',
      seq,
      client: run?.client ?? null,
      id: run?.id ?? null,
      process: e.process,
      args: e.args,
      patches: e.patches as Patch[],
    })
    if (run !== null) currentCommitted = true
    backlog.push(frame)
    if (backlog.length > backlogSize) backlog.shift()
    for (const c of conns) if (c.hello) send(c, frame)
  })

  const refuse = (client: string, id: number, e: unknown) => {
    const err =
      e instanceof TheusError
        ? e
        : new TheusError(
            'UNAUTHORIZED',
            e instanceof Error ? e.message : 'The server refused this run.',
          )
    answer(client, { t: 'refused', id, code: err.code, name: err.name, message: err.message })
  }

  const execute = async (c: Conn, m: Extract<ClientMessage, { t: 'run' }>) => {
    const client = c.info.client
    const b = book(client)
    if (!Number.isSafeInteger(m.id) || m.id <= b.lastRunId) return // a resend: done already
    b.lastRunId = m.id
    if (typeof m.process !== 'string' || (m.args !== undefined && typeof m.args !== 'object')) {
      refuse(
        client,
        m.id,
        new TheusError('INVALID_ARGS', 'A run needs a process name and an args object.'),
      )
      return
    }
    if (options.authorize !== undefined) {
      try {
        const ok = await options.authorize({
          kind: 'run',
          connection: c.info,
          process: m.process,
          args: m.args,
        })
        if (ok === false)
          return refuse(
            client,
            m.id,
            new TheusError(
              'UNAUTHORIZED',
              `The server refused run '${m.process}' for this connection (authorize returned false).`,
            ),
          )
      } catch (e) {
        return refuse(client, m.id, e)
      }
    }
    current = { client, id: m.id, process: m.process }
    currentCommitted = false
    try {
      const out = engine.runProcess(m.process, (m.args ?? {}) as Record<string, unknown>)
      if (out instanceof Promise) await out
      if (!currentCommitted) answer(client, { t: 'done', id: m.id })
    } catch (e) {
      refuse(client, m.id, e)
    } finally {
      current = null
    }
  }

  const hello = async (c: Conn, m: Extract<ClientMessage, { t: 'hello' }>) => {
    if (typeof m.client !== 'string' || m.client.length === 0 || m.client.length > 200)
      return c.ws.close(4400, 'hello needs a client id')
    c.info.client = m.client
    if (options.authorize !== undefined) {
      let ok: boolean | undefined
      try {
        ok = await options.authorize({ kind: 'connection', connection: c.info })
      } catch {
        ok = false
      }
      if (ok === false) return c.ws.close(4403, 'refused by authorize')
    }
    // Catch-up: the missed commits when the backlog still holds them, else the whole state.
    const oldest = seq - backlog.length
    const from = m.lastSeq
    if (typeof from === 'number' && from >= oldest && from <= seq) {
      for (let s = from + 1; s <= seq; s++) send(c, backlog[s - oldest - 1]!)
    } else send(c, { t: 'snapshot', seq, state: engine.toDict() })
    const b = book(m.client)
    if (Array.isArray(m.pending))
      for (const id of m.pending) {
        const a = b.answers.get(id)
        if (a !== undefined) send(c, a)
      }
    send(c, { t: 'welcome', seq, lastRunId: b.lastRunId })
    c.hello = true
  }

  wss.on('connection', (ws, request) => {
    const c: Conn = { ws, info: { client: '', request, data: {} }, hello: false }
    conns.add(c)
    ws.on('close', () => conns.delete(c))
    ws.on('error', () => conns.delete(c))
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      let m: ClientMessage
      try {
        m = decodeMessage<ClientMessage>(String(data), RUN_KINDS)
      } catch {
        return
      }
      // Everything a connection sends is handled in order, after the runs before it.
      queue = queue.then(() => {
        if (m.t === 'hello') return c.hello ? undefined : hello(c, m)
        if (!c.hello) return
        return execute(c, m)
      })
    })
  })

  return {
    get seq() {
      return seq
    },
    get port() {
      const a = wss.address()
      return typeof a === 'object' && a !== null ? a.port : undefined
    },
    get connections() {
      return conns.size
    },
    ready,
    close() {
      offCommit()
      for (const c of conns) c.ws.terminate()
      return new Promise<void>((r) => wss.close(() => r()))
    },
  }
}
