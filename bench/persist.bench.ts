/**
 * persist() at 1 000 and 100 000 accounts: 1 000 committed transfers then `flush()` (the
 * default 100 ms window coalesces them), against the same 1 000 transfers without persist;
 * and the worst case, a save after every commit (`debounceMs: 0`, a microtask between
 * commits), per commit. Rounds interleave the sizes; the fastest round of each case.
 */
import { type PersistStorage, persist, TheusEngine } from 'theus'
import { transfer } from './bank.js'
import { fmtTime } from './harness.js'
import { report } from './report.js'

class MemoryStorage implements PersistStorage {
  value: string | null = null
  getItem(): string | null {
    return this.value
  }
  setItem(_key: string, value: string): void {
    this.value = value
  }
  removeItem(): void {
    this.value = null
  }
}

function engineOf(n: number) {
  const a: Record<string, number> = {}
  for (let i = 0; i < n; i++) a[`u${i}`] = 1e9
  const engine = new TheusEngine({ domain: { accounts: a } }, { runLogLimit: 1000 })
  engine.registerProcess(transfer)
  return engine
}

const now = () => performance.now()
/** The fastest round: the machines are shared, and other processes only add time. */
const best = (xs: number[]) => Math.min(...xs)

async function thousandCommits(n: number, withPersist: boolean): Promise<number> {
  const engine = engineOf(n)
  const handle = withPersist ? persist(engine, { storage: new MemoryStorage(), key: 'b' }) : null
  // A first save, so that the measured one starts from a warm cache, as in a running app.
  engine.runProcess('transfer', { from: 'u2', to: 'u3', amount: 1 })
  await handle?.flush()
  const t = now()
  for (let i = 0; i < 1000; i++)
    engine.runProcess('transfer', { from: `u${i % n}`, to: `u${(i + 1) % n}`, amount: 1 })
  await handle?.flush()
  const ms = now() - t
  handle?.dispose()
  engine.dispose()
  return ms
}

async function savePerCommit(n: number, commits: number): Promise<number> {
  const engine = engineOf(n)
  const handle = persist(engine, { storage: new MemoryStorage(), key: 'b', debounceMs: 0 })
  engine.runProcess('transfer', { from: 'u2', to: 'u3', amount: 1 })
  await handle.flush()
  const t = now()
  for (let i = 0; i < commits; i++) {
    engine.runProcess('transfer', { from: `u${i % n}`, to: `u${(i + 1) % n}`, amount: 1 })
    await handle.flush()
  }
  const ms = (now() - t) / commits
  handle.dispose()
  engine.dispose()
  return ms
}

export async function runPersistBench(rounds = 7): Promise<Record<string, number>> {
  const sizes = [1_000, 100_000]
  const samples: Record<string, number[]> = {}
  const add = (k: string, v: number) => {
    const list = samples[k] ?? []
    list.push(v)
    samples[k] = list
  }
  for (let r = 0; r < rounds; r++)
    for (const n of sizes) {
      add(`1 000 commits + flush, ${n}`, await thousandCommits(n, true))
      add(`1 000 commits, no persist, ${n}`, await thousandCommits(n, false))
      add(`save after every commit, ${n}`, await savePerCommit(n, n >= 100_000 ? 5 : 50))
    }
  const m: Record<string, number> = {}
  for (const [k, v] of Object.entries(samples)) m[k] = best(v)
  console.log('\npersist(), fastest of interleaved rounds')
  console.log(
    `${'case'.padEnd(44)}${'1 000 acc.'.padStart(12)}${'100 000 acc.'.padStart(14)}${'ratio'.padStart(8)}`,
  )
  for (const c of [
    '1 000 commits + flush',
    '1 000 commits, no persist',
    'save after every commit',
  ]) {
    const a = m[`${c}, 1000`]!
    const b = m[`${c}, 100000`]!
    console.log(
      `${c.padEnd(44)}${fmtTime(a * 1e6).padStart(12)}${fmtTime(b * 1e6).padStart(14)}${(b / a).toFixed(1).padStart(8)}`,
    )
  }
  console.log(
    `1 000 commits with persist, 100 000 / 1 000 accounts: ${(m['1 000 commits + flush, 100000']! / m['1 000 commits + flush, 1000']!).toFixed(1)}× (target ≤ 10×)`,
  )
  report('persist', m)
  return m
}
