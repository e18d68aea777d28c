/**
 * syncTabs in Node: several engines in one process stand for tabs, on Node's BroadcastChannel
 * (delivered between instances of one thread as between tabs) and an in-memory lock manager.
 */
import { ConflictError, persist, TheusEngine } from 'theus'
import { type SyncConflictEvent, syncTabs, type TabSync } from 'theus/sync'
import { afterEach, describe, expect, it } from 'vitest'
import { initial, MemoryLocks, note, sum, transfer, until } from './helpers.js'

let open: TabSync[] = []
afterEach(() => {
  for (const t of open) t.close()
  open = []
})

let n = 0
function make() {
  const engine = new TheusEngine(initial())
  engine.registerProcess(transfer)
  engine.registerProcess(note)
  return engine
}
let locks = new MemoryLocks()
function tabs(count: number, retries = 0) {
  locks = new MemoryLocks()
  const name = `t${n++}`
  return Array.from({ length: count }, () => {
    const engine = make()
    const sync = syncTabs(engine, { name, locks, retries })
    open.push(sync)
    const conflicts: SyncConflictEvent[] = []
    sync.onConflict((e) => conflicts.push(e))
    return { engine, sync, conflicts }
  })
}

const data = (e: TheusEngine<any>) => JSON.stringify(e.toDict())

describe('syncTabs', () => {
  it('elects one leader and shows a commit of one tab in the others', async () => {
    const [a, b, c] = tabs(3)
    await Promise.all([a!.sync.ready, b!.sync.ready, c!.sync.ready])
    expect([a, b, c].filter((t) => t!.sync.isLeader)).toHaveLength(1)
    b!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 100 })
    await until(
      () =>
        a!.engine.state.value.domain.accounts.Bob === 100 &&
        c!.engine.state.value.domain.accounts.Bob === 100,
      'sync',
    )
    expect(data(a!.engine)).toBe(data(b!.engine))
    expect(data(c!.engine)).toBe(data(b!.engine))
    // The others applied it as a commit labelled with the process, not by re-running it.
    expect(a!.engine.runLog.at(-1)).toEqual({
      process: 'transfer',
      args: { from: 'Alice', to: 'Bob', amount: 100 },
    })
  })

  it('keeps tabs equal and the sum conserved when two tabs commit conflicting transfers at once', async () => {
    const [a, b, c] = tabs(3)
    await Promise.all([a!.sync.ready, b!.sync.ready, c!.sync.ready])
    const followers = [a, b, c].filter((t) => !t!.sync.isLeader)
    // Both followers commit on the same base before either hears of the other.
    followers[0]!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 600 })
    followers[1]!.engine.runProcess('transfer', { from: 'Alice', to: 'Carol', amount: 700 })
    await until(
      () =>
        a!.conflicts.length + b!.conflicts.length + c!.conflicts.length === 1 &&
        a!.sync.seq === 1 &&
        b!.sync.seq === 1 &&
        c!.sync.seq === 1,
      'one conflict',
    )
    await until(
      () => data(a!.engine) === data(b!.engine) && data(b!.engine) === data(c!.engine),
      'equal tabs',
    )
    const acc = a!.engine.state.value.domain.accounts
    expect(sum(acc)).toBe(1500)
    expect(acc.Alice === 400 || acc.Alice === 300).toBe(true)
    const e = [a, b, c].flatMap((t) => t!.conflicts)[0]!
    expect(e.error).toBeInstanceOf(ConflictError)
    expect(e.error.code).toBe('CONFLICT')
    expect(e.process).toBe('transfer')
    // The rolled-back commit left its tab's undo history: undo has nothing of it to revert.
    const loser = [a, b, c].find((t) => t!.conflicts.length === 1)!
    const winner = followers.find((t) => t !== loser)!
    expect(loser.engine.history).toHaveLength(0)
    expect(loser.engine.undo()).toBe(false)
    expect(winner.engine.history).toHaveLength(1)
  })

  it('lets commits whose contracts touch disjoint paths both through', async () => {
    const [a, b] = tabs(2)
    await Promise.all([a!.sync.ready, b!.sync.ready])
    a!.engine.runProcess('note', { key: 'x', text: 'from a' })
    b!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 5 })
    await until(() => a!.sync.seq === 2 && b!.sync.seq === 2, 'both ordered')
    expect(a!.conflicts.length + b!.conflicts.length).toBe(0)
    expect(a!.engine.state.value.domain.notes).toEqual({ x: 'from a' })
    expect(a!.engine.state.value.domain.accounts.Bob).toBe(5)
    expect(data(a!.engine)).toBe(data(b!.engine))
  })

  it('re-runs a rejected run with retries instead of reporting it', async () => {
    const [a, b] = tabs(2, 1)
    await Promise.all([a!.sync.ready, b!.sync.ready])
    a!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 100 })
    b!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 100 })
    await until(
      () =>
        a!.engine.state.value.domain.accounts.Bob === 200 &&
        b!.engine.state.value.domain.accounts.Bob === 200,
      'both transfers',
    )
    expect(a!.conflicts.length + b!.conflicts.length).toBe(0)
    expect(data(a!.engine)).toBe(data(b!.engine))
  })

  it('keeps undo per tab: undo reverts this tab’s commit, and is an ordinary commit for the others', async () => {
    const [a, b] = tabs(2)
    await Promise.all([a!.sync.ready, b!.sync.ready])
    a!.engine.runProcess('note', { key: 'x', text: 'a' })
    await until(() => b!.sync.seq === 1, 'first')
    b!.engine.runProcess('note', { key: 'y', text: 'b' })
    await until(() => a!.sync.seq === 2, 'second')
    // a's history holds its own commit only, so its undo reverts x, not b's y.
    expect(a!.engine.history.map((h) => h.args)).toEqual([{ key: 'x', text: 'a' }])
    expect(a!.engine.undo()).toBe(true)
    await until(() => b!.sync.seq === 3, 'undo ordered')
    expect(b!.engine.state.value.domain.notes).toEqual({ y: 'b' })
    expect(data(a!.engine)).toBe(data(b!.engine))
    expect(b!.engine.history.map((h) => h.args)).toEqual([{ key: 'y', text: 'b' }])
  })

  it('elects another leader when the leader closes, and keeps syncing', async () => {
    const [a, b, c] = tabs(3)
    await Promise.all([a!.sync.ready, b!.sync.ready, c!.sync.ready])
    const old = [a, b, c].find((t) => t!.sync.isLeader)!
    const rest = [a, b, c].filter((t) => t !== old)
    old.sync.close()
    await until(() => rest.some((t) => t!.sync.isLeader), 'a new leader')
    expect(rest.filter((t) => t!.sync.isLeader)).toHaveLength(1)
    const follower = rest.find((t) => !t!.sync.isLeader)!
    follower.engine.runProcess('transfer', { from: 'Carol', to: 'Bob', amount: 50 })
    await until(
      () => rest.every((t) => t!.engine.state.value.domain.accounts.Bob === 50),
      'sync after takeover',
    )
    expect(data(rest[0]!.engine)).toBe(data(rest[1]!.engine))
  })

  it('brings a tab opened later to the shared state', async () => {
    const [a] = tabs(1)
    await a!.sync.ready
    a!.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 10 })
    // Same name as `a`: open a second tab on it.
    const late = make()
    const sync = syncTabs(late, { name: `t${n - 1}`, locks })
    open.push(sync)
    await sync.ready
    expect(data(late)).toBe(data(a!.engine))
  })

  it('writes to persistent storage from the leader only', async () => {
    const [a, b] = tabs(2)
    await Promise.all([a!.sync.ready, b!.sync.ready])
    const writes: string[] = []
    const store = {
      getItem: () => null,
      setItem: (k: string) => void writes.push(k),
      removeItem: () => {},
    }
    for (const t of [a, b]) t!.sync.leaderStorage(store).setItem(t!.sync.id, 'x')
    expect(writes).toEqual([[a, b].find((t) => t!.sync.isLeader)!.sync.id])
  })

  it('persists from the leader only: the first leader hydrates for all, a new leader saves without hydrating', async () => {
    const store = new Map<string, string>()
    const writers: string[] = []
    let who = ''
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => {
        writers.push(who)
        store.set(k, v)
      },
      removeItem: (k: string) => void store.delete(k),
    }
    // What an earlier session saved.
    const before = make()
    const saved = persist(before, { storage, key: 'bank' })
    before.runProcess('transfer', { from: 'Alice', to: 'Carol', amount: 300 })
    saved.dispose()
    writers.length = 0
    const group = { name: `p${n++}`, locks: new MemoryLocks() }
    const open2 = (label: string) => {
      const engine = make()
      engine.on('commit', () => {
        who = label
      })
      const sync = syncTabs(engine, { ...group, persist: { storage, key: 'bank' } })
      open.push(sync)
      return { engine, sync }
    }
    const a = open2('a')
    await a.sync.ready
    const b = open2('b')
    await b.sync.ready
    expect(a.sync.isLeader).toBe(true)
    expect(b.engine.state.value.domain.accounts).toEqual({ Alice: 700, Bob: 0, Carol: 800 })
    b.engine.runProcess('transfer', { from: 'Carol', to: 'Bob', amount: 50 })
    await until(() => a.sync.seq === 2, 'ordered')
    await a.sync.persisted!.flush()
    expect(JSON.parse(store.get('bank')!).state.domain.accounts.Bob).toBe(50)
    expect(new Set(writers)).toEqual(new Set(['a']))
    expect(b.sync.persisted).toBeUndefined()
    a.sync.close()
    await until(() => b.sync.isLeader, 'b leads')
    b.engine.runProcess('transfer', { from: 'Carol', to: 'Bob', amount: 1 })
    await b.sync.persisted!.flush()
    // b saved its state and did not hydrate the older save over it.
    expect(b.engine.state.value.domain.accounts.Bob).toBe(51)
    expect(JSON.parse(store.get('bank')!).state.domain.accounts.Bob).toBe(51)
  })

  it('never judges a commit twice when it is sent again (to a new leader, after a snapshot)', async () => {
    const [a, b] = tabs(2)
    await Promise.all([a!.sync.ready, b!.sync.ready])
    const follower = a!.sync.isLeader ? b! : a!
    follower.engine.runProcess('note', { key: 'x', text: 'once' })
    await until(() => a!.sync.seq === 1 && b!.sync.seq === 1, 'ordered')
    // The same commit again, on a base where it would pass: the leader must ignore it.
    const raw = new BroadcastChannel(`theus-sync:t${n - 1}`)
    raw.postMessage({
      t: 'commit',
      from: follower.sync.id,
      id: 1,
      after: 0,
      base: 1,
      process: 'note',
      args: { key: 'x', text: 'twice' },
      patches: [{ op: 'replace', path: ['domain', 'notes', 'x'], value: 'twice' }],
      keys: ['domain.notes.x', 'domain.notes'],
    })
    await new Promise((r) => setTimeout(r, 30))
    raw.close()
    expect(a!.sync.seq).toBe(1)
    expect(a!.engine.state.value.domain.notes).toEqual({ x: 'once' })
    expect(b!.engine.state.value.domain.notes).toEqual({ x: 'once' })
  })

  it('keeps syncing when an onConflict handler throws, and calls the other handlers', async () => {
    const [a, b] = tabs(2)
    await Promise.all([a!.sync.ready, b!.sync.ready])
    const follower = a!.sync.isLeader ? b! : a!
    const leader = follower === a ? b! : a!
    const errors: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => void errors.push(args)
    try {
      follower.sync.onConflict(() => {
        throw new Error('handler bug')
      })
      let after = 0
      follower.sync.onConflict(() => {
        after++
      })
      leader.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 1 })
      follower.engine.runProcess('transfer', { from: 'Alice', to: 'Bob', amount: 2 })
      await until(() => follower.conflicts.length === 1, 'the conflict')
      leader.engine.runProcess('note', { key: 'after', text: 'still syncing' })
      await until(() => follower.engine.state.value.domain.notes.after === 'still syncing', 'sync')
      expect(errors).toHaveLength(1)
      expect(after).toBe(1)
    } finally {
      console.error = original
    }
  })
})
