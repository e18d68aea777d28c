/**
 * `syncTabs`: one state across the tabs of an origin, on BroadcastChannel and Web Locks.
 *
 * Every tab runs processes locally. A follower sends each commit (patches, keys, the leader
 * sequence number it was made on) to the leader, which orders commits and rejects one whose
 * keys changed after its base; the ordered commits go to every tab, which applies them as
 * commits of its own. Design and proofs of the rules: docs/sync.md.
 */
import type {
  CommitEvent,
  Patch,
  PersistHandle,
  PersistOptions,
  PersistStorage,
  TheusEngine,
} from 'theus'
import { ConflictError, persist, TheusError } from 'theus'
import {
  applyPatches,
  callAll,
  commitKeys,
  dropFromHistory,
  editEntry,
  overlaps,
  patchKey,
  Stamps,
  snapshotPatches,
  undoAll,
} from './core.js'

/** The part of `navigator.locks` sync uses (inject one where the platform has none). */
export interface SyncLocks {
  request(name: string, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>
}

/** Options of `syncTabs`. */
export interface SyncTabsOptions {
  /** Channel and lock name; tabs with the same name share state (default `'theus'`). */
  name?: string
  /**
   * How many times a run the leader rejected is re-run in its tab (with the same args, on the
   * new state) before it is reported as `CONFLICT` (default 0).
   */
  retries?: number
  /**
   * Saves the shared state with `persist()` from the leader tab only. The first leader of a
   * group hydrates from storage (its hydration is a commit like any other, so every tab gets
   * it); a tab that takes over later starts saving without hydrating (it already holds the
   * shared state, newer than what was last saved).
   */
  persist?: PersistOptions
  /** The lock manager (default `navigator.locks`). */
  locks?: SyncLocks
  /** The channel constructor (default `BroadcastChannel`). */
  BroadcastChannel?: new (
    name: string,
  ) => BroadcastChannel
}

/** A commit of this tab that the leader refused: it has been rolled back here. */
export interface SyncConflictEvent {
  process: string
  args: unknown
  error: ConflictError
}

/** The handle `syncTabs` returns. */
export interface TabSync {
  /** This tab's id (random, per page load). */
  readonly id: string
  /** Whether this tab holds the lock: it orders commits, and only it should persist. */
  readonly isLeader: boolean
  /** The last sequence number of the shared order this tab has applied. */
  readonly seq: number
  /** Resolves once this tab is leader or has loaded the leader's state. */
  readonly ready: Promise<void>
  /** Calls `handler` with every change of leadership; returns the unsubscribe function. */
  onLeaderChange(handler: (isLeader: boolean) => void): () => void
  /** Calls `handler` for each commit of this tab the leader rejected (after its retries). */
  onConflict(handler: (event: SyncConflictEvent) => void): () => void
  /**
   * Wraps a storage so that only the leader writes to it: pass it to `persist()` so that one
   * tab saves the shared state instead of every tab racing to.
   */
  leaderStorage(storage: PersistStorage): PersistStorage
  /** The `persist()` handle while this tab leads and `options.persist` was given. */
  readonly persisted: PersistHandle | undefined
  /** Stops syncing: leaves the channel and gives the lock up (another tab takes over). */
  close(): void
}

type Msg =
  | {
      t: 'commit'
      from: string
      id: number
      after: number
      base: number
      process: string
      args: unknown
      patches: Patch[]
      keys: string[]
    }
  | {
      t: 'ordered'
      seq: number
      from: string
      id: number
      process: string
      args: unknown
      patches: Patch[]
      changed: string[]
    }
  | { t: 'reject'; to: string; id: number; paths: string[] }
  | { t: 'hello'; from: string }
  | {
      t: 'snapshot'
      to: string
      seq: number
      state: Record<string, unknown>
      stamps: [[string, number][], [string, number][]]
      judged: [string, number][]
    }
  | { t: 'leader'; from: string; seq: number }

interface Pending {
  id: number
  after: number
  base: number
  process: string
  args: unknown
  patches: Patch[]
  inverse: Patch[]
  keys: string[]
  attempt: number
}

/**
 * Shares an engine's state with the other tabs of the same origin that call `syncTabs` with
 * the same name. Call `persist()` (with `leaderStorage`) before it, so hydration is not sent.
 * @example
 * const tabs = syncTabs(engine)
 * tabs.onConflict((e) => toast(e.error.message))
 */
export function syncTabs(engine: TheusEngine<any>, options: SyncTabsOptions = {}): TabSync {
  const name = `theus-sync:${options.name ?? 'theus'}`
  const retries = options.retries ?? 0
  const locks =
    options.locks ?? (globalThis.navigator as unknown as { locks?: SyncLocks } | undefined)?.locks
  const Channel = options.BroadcastChannel ?? globalThis.BroadcastChannel
  if (locks === undefined || Channel === undefined)
    throw new TheusError(
      'INVALID_ARGS',
      'syncTabs needs BroadcastChannel and navigator.locks (every current browser has both); pass options.locks and options.BroadcastChannel elsewhere.',
    )
  const me = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
  const channel = new Channel(name)
  const stamps = new Stamps()
  const conflictHandlers = new Set<(e: SyncConflictEvent) => void>()
  const leaderHandlers = new Set<(l: boolean) => void>()
  let leader = false
  let closed = false
  let seq = 0
  let nextId = 1
  let nextAttempt = 0
  // This tab's commits not yet ordered, oldest first, and those it knows the leader will reject.
  let pending: Pending[] = []
  const doomed = new Map<number, Pending>()
  // Commits rejected (every tab hears it), so that a leader rejects later commits made on top.
  const rejected = new Set<string>()
  // Every tab: the last commit id of each tab that the leader judged (ordered or rejected), so
  // that a commit sent again (to a new leader, after a snapshot) is never judged twice.
  const judged = new Map<string, number>()
  const noteJudged = (from: string, id: number) => {
    if ((judged.get(from) ?? 0) < id) judged.set(from, id)
  }
  let applying = false
  let markReady: () => void = () => {}
  const ready = new Promise<void>((r) => {
    markReady = r
  })
  let release: () => void = () => {}
  let persisted: PersistHandle | undefined

  const post = (m: Msg) => {
    if (!closed) channel.postMessage(m)
  }

  const apply = (
    patches: readonly Patch[],
    label: string,
    entry: Parameters<typeof applyPatches>[3],
  ) => {
    applying = true
    try {
      applyPatches(engine, patches, label, entry)
    } finally {
      applying = false
    }
  }

  const report = (c: Pending, paths: string[]) => {
    if (c.attempt < retries && engine.getProcess(c.process) !== undefined) {
      nextAttempt = c.attempt + 1
      try {
        const out = engine.runProcess(c.process, structuredClone(c.args) as Record<string, unknown>)
        if (out instanceof Promise) out.catch(() => {})
        return
      } catch {
        // The re-run failed locally (its own rollback event says why): report the conflict.
      } finally {
        nextAttempt = 0
      }
    }
    const error = new ConflictError(
      `Conflict: process '${c.process}' committed in this tab while another tab changed ${paths.map((p) => `'${p}'`).join(', ')}; the shared order kept the other commit and this one was rolled back in this tab. Run it again on the new state, or pass { retries } to syncTabs.`,
      paths,
      { process: c.process, ...(paths[0] === undefined ? {} : { path: paths[0] }) },
    )
    callAll(conflictHandlers, { process: c.process, args: c.args, error }, 'onConflict')
  }

  /** Leader: order one commit (its own or a follower's already applied here). */
  const order = (from: string, id: number, process: string, args: unknown, patches: Patch[]) => {
    seq++
    noteJudged(from, id)
    const changed = patches.map(patchKey)
    stamps.record(changed, seq)
    post({ t: 'ordered', seq, from, id, process, args, patches, changed })
  }

  /** Leader: judge a commit made on `base`. Returns the keys that changed since, or `[]`. */
  const judge = (from: string, c: { id: number; after: number; base: number; keys: string[] }) => {
    if (c.after !== 0 && rejected.has(`${from}:${c.after}`))
      return ['(an earlier commit of its tab)']
    return stamps.changedSince(c.keys, c.base)
  }

  const setLeader = () => {
    leader = true
    // Own commits sent to the previous leader and never answered: judge them here.
    const mine = pending
    pending = []
    let failedAt = -1
    for (let i = 0; i < mine.length; i++) {
      const c = mine[i]!
      const paths = judge(me, c)
      if (paths.length > 0) {
        failedAt = i
        break
      }
      order(me, c.id, c.process, c.args, c.patches)
    }
    if (failedAt >= 0) {
      const lost = mine.slice(failedAt)
      apply(undoAll(lost), 'sync:reject', editEntry(undoAll(lost)))
      dropFromHistory(engine, lost)
      for (const c of lost) report(c, c.keys)
    }
    post({ t: 'leader', from: me, seq })
    if (options.persist !== undefined) {
      const storage = options.persist.storage
      persisted = persist(engine, {
        ...options.persist,
        storage:
          seq === 0
            ? storage
            : {
                getItem: () => null,
                setItem: (k, v) => storage.setItem(k, v),
                removeItem: (k) => storage.removeItem(k),
              },
      })
    }
    callAll(leaderHandlers, true, 'onLeaderChange')
    markReady()
  }

  const onLocalCommit = (e: CommitEvent) => {
    if (applying || closed || e.patches.length === 0) return
    const patches = [...e.patches]
    if (leader) {
      order(me, nextId++, e.process, e.args, patches)
      return
    }
    const c: Pending = {
      id: nextId++,
      after: pending.length > 0 ? pending[pending.length - 1]!.id : 0,
      base: seq,
      process: e.process,
      args: e.args,
      patches,
      inverse: [...e.inversePatches],
      keys: commitKeys(engine, e.process, patches),
      attempt: nextAttempt,
    }
    pending.push(c)
    post({ t: 'commit', from: me, ...pick(c) })
  }

  const pick = (c: Pending) => ({
    id: c.id,
    after: c.after,
    base: c.base,
    process: c.process,
    args: c.args,
    patches: c.patches,
    keys: c.keys,
  })

  const onOrdered = (m: Extract<Msg, { t: 'ordered' }>) => {
    if (m.seq <= seq) return
    if (m.seq > seq + 1) {
      // A gap (this tab missed messages while it was loading): take the leader's state.
      post({ t: 'hello', from: me })
      return
    }
    seq = m.seq
    stamps.record(m.changed, m.seq)
    noteJudged(m.from, m.id)
    if (m.from === me) {
      if (pending[0]?.id === m.id) pending.shift()
      return
    }
    const entry =
      engine.getProcess(m.process) !== undefined
        ? { process: m.process, args: m.args }
        : editEntry(m.patches)
    if (pending.length === 0) {
      apply(
        m.patches,
        m.process,
        m.process === 'undo' || m.process === 'redo' ? editEntry(m.patches) : entry,
      )
      return
    }
    // Rebase: this tab's unordered commits come off, the ordered one goes on, and those it
    // does not touch go back on. The first one it touches (and every later one, made on top
    // of it) will be rejected by the leader: they stay off.
    const cut = pending.findIndex((c) => c.keys.some((k) => m.changed.some((p) => overlaps(k, p))))
    const keep = cut < 0 ? pending : pending.slice(0, cut)
    const lost = cut < 0 ? [] : pending.slice(cut)
    const patches = [...undoAll(pending), ...m.patches, ...keep.flatMap((c) => c.patches)]
    apply(patches, m.process, editEntry(patches))
    pending = keep
    dropFromHistory(engine, lost)
    for (const c of lost) doomed.set(c.id, c)
  }

  const onReject = (m: Extract<Msg, { t: 'reject' }>) => {
    noteJudged(m.to, m.id)
    rejected.add(`${m.to}:${m.id}`)
    if (m.to !== me) return
    const known = doomed.get(m.id)
    if (known !== undefined) {
      doomed.delete(m.id)
      report(known, m.paths)
      return
    }
    const at = pending.findIndex((c) => c.id === m.id)
    if (at < 0) return
    // A rejection this tab did not foresee (the leader changed): undo it and what followed.
    const lost = pending.slice(at)
    const undo = undoAll(lost)
    apply(undo, 'sync:reject', editEntry(undo))
    dropFromHistory(engine, lost)
    pending = pending.slice(0, at)
    report(lost[0]!, m.paths)
    for (const c of lost.slice(1)) doomed.set(c.id, c)
  }

  const onCommit = (m: Extract<Msg, { t: 'commit' }>) => {
    if (!leader || m.id <= (judged.get(m.from) ?? 0)) return
    const paths = judge(m.from, m)
    if (paths.length > 0) {
      rejected.add(`${m.from}:${m.id}`)
      noteJudged(m.from, m.id)
      post({ t: 'reject', to: m.from, id: m.id, paths })
      return
    }
    const entry =
      engine.getProcess(m.process) !== undefined && m.process !== 'edit'
        ? { process: m.process, args: m.args }
        : editEntry(m.patches)
    apply(m.patches, m.process, entry)
    order(m.from, m.id, m.process, m.args, m.patches)
  }

  const onSnapshot = (m: Extract<Msg, { t: 'snapshot' }>) => {
    if (m.to !== me || leader) return
    // Whatever this tab did before it caught up is replaced by the leader's state; its unordered
    // commits are resent below and judged on their (old) base.
    const patches = snapshotPatches(engine, m.state)
    apply(patches, 'sync:snapshot', editEntry(patches))
    seq = m.seq
    stamps.load(m.stamps)
    for (const [from, id] of m.judged) noteJudged(from, id)
    const again = pending
    pending = []
    if (again.length > 0) {
      // Their effects were just overwritten: put them back on and send them again.
      const redo = again.flatMap((c) => c.patches)
      apply(redo, 'sync:snapshot', editEntry(redo))
      pending = again
      for (const c of again) post({ t: 'commit', from: me, ...pick(c) })
    }
    markReady()
  }

  channel.onmessage = (ev: MessageEvent<Msg>) => {
    if (closed) return
    const m = ev.data
    switch (m.t) {
      case 'commit':
        return onCommit(m)
      case 'ordered':
        return onOrdered(m)
      case 'reject':
        return onReject(m)
      case 'hello':
        if (leader)
          post({
            t: 'snapshot',
            to: m.from,
            seq,
            state: engine.toDict() as unknown as Record<string, unknown>,
            stamps: stamps.entries(),
            judged: [...judged],
          })
        return
      case 'snapshot':
        return onSnapshot(m)
      case 'leader':
        if (m.from === me) return
        // Resend what the previous leader never answered; catch up if it ordered more than we saw.
        if (m.seq !== seq) post({ t: 'hello', from: me })
        else for (const c of pending) post({ t: 'commit', from: me, ...pick(c) })
        return
    }
  }

  const off = engine.on('commit', onLocalCommit)
  post({ t: 'hello', from: me })
  void locks
    .request(name, () => {
      if (closed) return Promise.resolve()
      setLeader()
      return new Promise<void>((r) => {
        release = r
      })
    })
    .catch(() => {})

  return {
    id: me,
    get isLeader() {
      return leader
    },
    get seq() {
      return seq
    },
    get persisted() {
      return persisted
    },
    ready,
    onLeaderChange(h) {
      leaderHandlers.add(h)
      return () => leaderHandlers.delete(h)
    },
    onConflict(h) {
      conflictHandlers.add(h)
      return () => conflictHandlers.delete(h)
    },
    leaderStorage(storage) {
      return {
        getItem: (k) => storage.getItem(k),
        setItem: (k, v) => (leader ? storage.setItem(k, v) : undefined),
        removeItem: (k) => (leader ? storage.removeItem(k) : undefined),
      }
    },
    close() {
      if (closed) return
      closed = true
      off()
      // dispose() writes a pending save at once, before the lock goes to the next leader.
      persisted?.dispose()
      persisted = undefined
      channel.close()
      if (leader) {
        leader = false
        callAll(leaderHandlers, false, 'onLeaderChange')
      }
      release()
    },
  }
}
