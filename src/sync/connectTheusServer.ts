/**
 * `connectTheusServer`: a client engine kept equal to a `theus/server` engine. Local runs show
 * at once (optimistic) and are sent to the server; the server's order wins: on each message the
 * client takes its unconfirmed runs off, applies the server's patches, and re-runs the runs
 * still pending on the new base. Design: docs/sync.md.
 */
import { batch } from '@preact/signals-core'
import type { CommitEvent, Patch, TheusEngine } from 'theus'
import { TheusError } from 'theus'
import { encode } from '../engine/persist/codec.js'
import { applyPatches, callAll, editEntry, snapshotPatches, undoAll } from './core.js'
import { type ClientMessage, decodeMessage, encodeMessage, type ServerMessage } from './protocol.js'

/** The part of a WebSocket the client uses: the browser's, or `ws`'s in Node. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: any) => void) | null
  onmessage: ((ev: any) => void) | null
  onclose: ((ev: any) => void) | null
  onerror: ((ev: any) => void) | null
}

/** Options of `connectTheusServer`. */
export interface ServerSyncOptions {
  /** The WebSocket constructor (default the global `WebSocket`; pass `ws`'s in Node). */
  WebSocket?: new (
    url: string,
  ) => WebSocketLike
  /** This client's id, stable across reconnects (default: random per call). */
  clientId?: string
  /** First delay before reconnecting, doubled up to 5 s (default 250 ms). */
  reconnectDelayMs?: number
}

/** A run of this client the server refused: it has been rolled back here. */
export interface ServerRefusedEvent {
  process: string
  args: unknown
  /** The server's error: its `code`, `name` and `message`. */
  error: TheusError
}

/** The handle `connectTheusServer` returns. */
export interface ServerSync {
  /** This client's id. */
  readonly clientId: string
  /** Whether the connection is open and caught up. */
  readonly connected: boolean
  /** Whether the server's `authorize` refused the connection (close code 4403): no retry. */
  readonly refused: boolean
  /** The sequence number of the last server commit applied here. */
  readonly seq: number
  /** Runs sent (or to send) that the server has not answered yet. */
  readonly pending: number
  /** Resolves when the first catch-up (snapshot or missed commits) is applied. */
  readonly ready: Promise<void>
  /** Resolves once connected with no run pending. */
  synced(): Promise<void>
  /** Calls `handler` for each run of this client the server refused. */
  onRefused(handler: (event: ServerRefusedEvent) => void): () => void
  /** Drops the connection; it reconnects by itself (for tests and flaky networks). */
  reconnect(): void
  /** Closes for good. */
  close(): void
}

interface Pending {
  id: number
  process: string
  args: unknown
  /** Its optimistic commit here (empty when it shows nothing): patches and inverse patches. */
  patches: Patch[]
  inverse: Patch[]
}

const KINDS = ['commit', 'snapshot', 'done', 'refused', 'welcome']

/**
 * Connects an engine to a `theus/server` endpoint.
 * @example
 * const sync = connectTheusServer(engine, 'wss://example.com/theus')
 * sync.onRefused((e) => toast(e.error.message))
 */
export function connectTheusServer(
  engine: TheusEngine<any>,
  url: string,
  options: ServerSyncOptions = {},
): ServerSync {
  const WS =
    options.WebSocket ?? (globalThis as { WebSocket?: ServerSyncOptions['WebSocket'] }).WebSocket
  if (WS === undefined)
    throw new TheusError(
      'INVALID_ARGS',
      'connectTheusServer needs a WebSocket: browsers have one; in Node pass { WebSocket } from the ws package.',
    )
  const me =
    options.clientId ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
  const firstDelay = options.reconnectDelayMs ?? 250
  let delay = firstDelay
  let ws: WebSocketLike | undefined
  let closed = false
  let welcomed = false
  let seq = -1
  let nextId = 0
  let pending: Pending[] = []
  let applying = false
  let refusedConnection: number | undefined
  let replaying: Pending | null = null
  const refusedHandlers = new Set<(e: ServerRefusedEvent) => void>()
  let waiters: (() => void)[] = []
  let markReady: () => void = () => {}
  const ready = new Promise<void>((r) => {
    markReady = r
  })

  const send = (m: ClientMessage) => {
    if (ws !== undefined && ws.readyState === 1) ws.send(encodeMessage(m))
  }
  const sendRun = (p: Pending) =>
    send({ t: 'run', id: p.id, process: p.process, args: p.args, baseSeq: seq })

  const apply = (
    patches: readonly Patch[],
    label: string,
    entry: Parameters<typeof applyPatches>[3],
  ) => {
    if (patches.length === 0) return
    applying = true
    try {
      applyPatches(engine, patches, label, entry)
    } finally {
      applying = false
    }
  }

  const isAsync = (name: string) => engine.getProcess(name)?.fn.constructor.name === 'AsyncFunction'

  /** Re-runs the pending runs on the current state (their optimistic effects were taken off). */
  const replay = () => {
    // The pending runs passed the gates when they first ran, and counted there: re-run, they are
    // judged with fresh counters (as TheusEngine.replay does), then the live ones come back, so a
    // rebase never adds to a threshold (a count of 1 of 2 became a block on every rebase).
    const host = engine as unknown as { _auditor?: { recipe: unknown } }
    const live = host._auditor
    if (live) engine.replaceAuditRecipe(live.recipe)
    try {
      rerun()
    } finally {
      if (live) host._auditor = live
    }
  }
  const rerun = () => {
    for (const p of pending) {
      // An async body would commit later, outside this rebase: it waits for the server.
      if (isAsync(p.process)) continue
      replaying = p
      try {
        engine.runProcess(p.process, structuredClone(p.args) as Record<string, unknown>)
      } catch {
        // It fails on the new base here (its 'rollback' event says why); the server decides.
      } finally {
        replaying = null
      }
    }
  }

  const same = (a: readonly Patch[], b: readonly Patch[]) =>
    a.length === b.length && JSON.stringify(encode(a)) === JSON.stringify(encode(b))

  const settle = () => {
    if (!welcomed || pending.length > 0) return
    const w = waiters
    waiters = []
    for (const r of w) r()
  }

  const onLocalCommit = (e: CommitEvent) => {
    if (applying || closed) return
    if (replaying !== null) {
      replaying.inverse = [...e.inversePatches]
      replaying.patches = [...e.patches]
      return
    }
    if (engine.getProcess(e.process) === undefined) {
      // edit, undo and redo have no process the server could run: the server is the authority.
      const undo = [...e.inversePatches].reverse()
      const error = new TheusError(
        'INVALID_ARGS',
        `'${e.process}' changed the state of an engine synced with a server, which only runs processes; it was rolled back. Run a process instead (the server checks it).`,
        { details: { process: e.process } },
      )
      queueMicrotask(() => {
        apply(undo, 'sync:refused', editEntry(undo))
        callAll(refusedHandlers, { process: e.process, args: e.args, error }, 'onRefused')
      })
      return
    }
    const p: Pending = {
      id: ++nextId,
      process: e.process,
      args: e.args,
      patches: [...e.patches],
      inverse: [...e.inversePatches],
    }
    pending.push(p)
    if (welcomed) sendRun(p)
  }

  let inbox: ServerMessage[] = []
  let scheduled = false
  const receive = (m: ServerMessage) => {
    inbox.push(m)
    if (!scheduled) {
      scheduled = true
      // The frames of one network read are handled together: one rebase for all of them.
      queueMicrotask(flush)
    }
  }

  /**
   * Applies the server's messages. Fast paths keep the optimistic effects on: the server
   * confirming the oldest pending run with the patches it showed, or a commit while nothing
   * optimistic shows. Otherwise the optimistic effects come off once, every server change goes
   * on, and the runs still pending are re-run on the new base: one batch, one change for views.
   */
  const flush = () => {
    scheduled = false
    const msgs = inbox
    inbox = []
    const refused: ServerRefusedEvent[] = []
    let off = false
    let combined: Patch[] = []
    const takeOff = () => {
      if (off) return
      off = true
      combined = undoAll(pending)
      for (const p of pending) {
        p.inverse = []
        p.patches = []
      }
    }
    const putOn = () => {
      if (combined.length > 0) apply(combined, 'sync:rebase', editEntry(combined))
      combined = []
    }
    const effects = () => pending.some((p) => p.inverse.length > 0)
    const drop = (id: number) => {
      const p = pending.find((x) => x.id === id)
      if (p !== undefined && p.inverse.length > 0) takeOff()
      pending = pending.filter((x) => x.id !== id)
      return p
    }
    batch(() => {
      for (const m of msgs) {
        switch (m.t) {
          case 'commit': {
            if (m.seq <= seq) break
            seq = m.seq
            const mine = m.client === me && m.id !== null ? m.id : undefined
            if (
              !off &&
              mine !== undefined &&
              pending[0]?.id === mine &&
              same(pending[0].patches, m.patches)
            ) {
              pending.shift()
              break
            }
            if (!off && !effects()) {
              if (mine !== undefined) drop(mine)
              const entry =
                engine.getProcess(m.process) !== undefined
                  ? { process: m.process, args: m.args }
                  : editEntry(m.patches)
              apply(m.patches, m.process, entry)
              break
            }
            takeOff()
            if (mine !== undefined) drop(mine)
            combined.push(...m.patches)
            break
          }
          case 'snapshot': {
            if (effects()) takeOff()
            putOn()
            const patches = snapshotPatches(engine, m.state as Record<string, any>)
            apply(patches, 'sync:snapshot', editEntry(patches))
            seq = m.seq
            break
          }
          case 'done':
            drop(m.id)
            break
          case 'refused': {
            const p = drop(m.id)
            if (p === undefined) break
            const error = new TheusError(
              m.code,
              `The server refused '${p.process}': ${m.message}`,
              {
                details: { process: p.process },
              },
            )
            Object.defineProperty(error, 'name', { value: m.name })
            refused.push({ process: p.process, args: p.args, error })
            break
          }
          case 'welcome': {
            // Runs up to lastRunId reached the server and were answered before this message;
            // one still pending lost its answer (older than the server keeps): the state the
            // server sent has its outcome.
            for (const p of pending.filter((x) => x.id <= m.lastRunId)) drop(p.id)
            welcomed = true
            delay = firstDelay
            for (const p of pending) sendRun(p)
            markReady()
            break
          }
        }
      }
      if (off) {
        putOn()
        replay()
      }
    })
    for (const e of refused) callAll(refusedHandlers, e, 'onRefused')
    settle()
  }

  const connect = () => {
    if (closed) return
    const socket = new WS(url)
    ws = socket
    socket.onopen = () => {
      send({
        t: 'hello',
        client: me,
        lastSeq: seq < 0 ? null : seq,
        pending: pending.map((p) => p.id),
      })
    }
    socket.onmessage = (ev) => {
      if (ws !== socket) return
      let m: ServerMessage
      try {
        m = decodeMessage<ServerMessage>(String(ev.data), KINDS)
      } catch {
        return
      }
      receive(m)
    }
    socket.onerror = () => {}
    socket.onclose = (ev: { code?: number }) => {
      if (ws !== socket) return
      ws = undefined
      welcomed = false
      if (closed) return
      // 4403: authorize refused this connection; 4400: a bad hello. Retrying would not help.
      if (ev?.code === 4403 || ev?.code === 4400) {
        refusedConnection = ev.code
        return
      }
      setTimeout(connect, delay)
      delay = Math.min(delay * 2, 5000)
    }
  }

  const off = engine.on('commit', onLocalCommit)
  connect()

  return {
    clientId: me,
    get connected() {
      return welcomed
    },
    get refused() {
      return refusedConnection !== undefined
    },
    get seq() {
      return seq
    },
    get pending() {
      return pending.length
    },
    ready,
    synced() {
      return new Promise<void>((r) => {
        waiters.push(r)
        settle()
      })
    },
    onRefused(h) {
      refusedHandlers.add(h)
      return () => refusedHandlers.delete(h)
    },
    reconnect() {
      ws?.close()
    },
    close() {
      closed = true
      off()
      ws?.close()
      ws = undefined
      welcomed = false
    },
  }
}
