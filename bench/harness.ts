/**
 * A small interleaved benchmark harness. Contenders run in rounds, each round giving every
 * contender one timed batch in turn, so that machine noise (the other core, GC, turbo) hits
 * them all alike. The fastest batch is reported: these machines are shared, and other
 * processes only ever add time to a batch, while each batch is long enough (20 ms) to hold the
 * contender's own GC work. Ratios are against a baseline measured in the same run, never
 * against figures from another day.
 */
export interface Contender {
  name: string
  /** One operation. */
  op: () => void
  /** Optional: run once before timing (warm-up state). */
  setup?: () => void
}

export interface Result {
  name: string
  nsPerOp: number
  opsPerSec: number
}

const now = () => Number(process.hrtime.bigint())

/** Untimed warm-up per contender before its batch size is calibrated (see `measure`). */
const WARM_MS = 250
const WARM_OPS = 30_000
const WARM_MAX_MS = 3_000

type Loop = (op: () => void, n: number) => void

/**
 * A batch loop of its own for each contender. One loop shared by all would see two or three
 * different `op`s, inline them polymorphically, and swing by 10-50x between identical
 * processes (seen with two copies of the engine side by side); a loop per contender keeps its
 * call site monomorphic, as a caller in an app is. The source differs per contender so that V8's
 * compilation cache cannot hand every contender the same function and feedback.
 */
function loopFor(j: number): Loop {
  return new Function('op', 'n', `for (let i = 0; i < n; i++) op() // contender ${j}`) as Loop
}

export function measure(contenders: Contender[], { rounds = 15, batchMs = 20 } = {}): Result[] {
  for (const c of contenders) c.setup?.()
  const loops = contenders.map((_, j) => loopFor(j))
  // Calibrate a batch size per contender so that one batch lasts about batchMs.
  const calibrate = (j: number): number => {
    let n = 1
    for (;;) {
      const t = now()
      loops[j]!(contenders[j]!.op, n)
      const dt = (now() - t) / 1e6
      if (dt > batchMs / 4 || n > 1 << 22)
        return Math.max(1, Math.round((n * batchMs) / Math.max(dt, 0.001)))
      n *= 2
    }
  }
  // Warm-up first, untimed: at least WARM_MS and WARM_OPS runs per contender (at most
  // WARM_MAX_MS). Big functions reach TurboFan only after thousands of calls, and until then a
  // run costs 10-50x more (undo/redo: 25-80 µs for its first 8 000 runs, then 3 µs); a batch
  // size calibrated in that phase is a few hundred runs, the code never leaves it, and the row
  // reads the interpreter (the first engine of a process "rolled back at 16 µs" that way).
  for (let j = 0; j < contenders.length; j++) {
    const t = now()
    let ops = 0
    for (;;) {
      const elapsed = (now() - t) / 1e6
      if ((elapsed >= WARM_MS && ops >= WARM_OPS) || elapsed >= WARM_MAX_MS) break
      const n = calibrate(j)
      loops[j]!(contenders[j]!.op, n)
      ops += n
    }
  }
  const sizes = contenders.map((_, j) => calibrate(j))
  const samples: number[][] = contenders.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < contenders.length; j++) {
      const c = contenders[j]!
      const n = sizes[j]!
      const t = now()
      loops[j]!(c.op, n)
      samples[j]!.push((now() - t) / n)
    }
  }
  return contenders.map((c, j) => {
    const best = Math.min(...samples[j]!)
    return { name: c.name, nsPerOp: best, opsPerSec: 1e9 / best }
  })
}

export function fmtTime(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`
  return `${(ns / 1e6).toFixed(2)} ms`
}

export function printTable(title: string, results: Result[], baseline: string): void {
  const base = results.find((r) => r.name === baseline)?.nsPerOp ?? 1
  console.log(`\n${title}`)
  const w = Math.max(34, ...results.map((r) => r.name.length + 2))
  console.log(
    `${'contender'.padEnd(w)}${'per op'.padStart(12)}${'ops/s'.padStart(14)}${'× baseline'.padStart(12)}`,
  )
  for (const r of results)
    console.log(
      `${r.name.padEnd(w)}${fmtTime(r.nsPerOp).padStart(12)}${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(14)}${(r.nsPerOp / base).toFixed(1).padStart(12)}`,
    )
}
