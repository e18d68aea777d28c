/**
 * Memory per run: bytes allocated by one committed transfer (1 000 accounts, one subscriber),
 * and what 1 000 000 runs leave on the heap after a full GC with default options (SPEC §10.3:
 * nothing grows without bound). Run by `npm run bench memory`, which passes `--expose-gc` and
 * a young generation large enough (`--min/max-semi-space-size=64`) that a measured window of
 * 10 000 runs sees no scavenge: the heap growth over the window is then what it allocated.
 * A window that a GC did touch is thrown away and measured again.
 */

import { PerformanceObserver } from 'node:perf_hooks'
import { batch, computed, effect, signal } from '@preact/signals-core'
import { reactive, effect as vueEffect } from '@vue/reactivity'
import type { EngineOptions } from 'theus'
import { proxy, subscribe } from 'valtio/vanilla'
import { accounts, bankEngine } from './bank.js'
import { report } from './report.js'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc (npm run bench memory does)')
let sink = 0
const args = { from: 'u0', to: 'u1', amount: 1 }

function theus(options: EngineOptions, fail = false): () => void {
  const engine = bankEngine(1000, options, (sum) => {
    sink += sum
  })
  if (fail)
    return () => {
      try {
        engine.runProcess('failing', args)
      } catch {
        sink++
      }
    }
  return () => engine.runProcess('transfer', args)
}

function valtio(): () => void {
  const state = proxy({ accounts: accounts(1000) })
  subscribe(state, () => (sink += state.accounts.u0! + state.accounts.u1!), true)
  return () => {
    state.accounts.u0! -= 1
    state.accounts.u1! += 1
  }
}

function vue(): () => void {
  const state = reactive({ accounts: accounts(1000) })
  let queued = false
  const runner = vueEffect(() => (sink += state.accounts.u0! + state.accounts.u1!), {
    scheduler: () => {
      queued = true
    },
  })
  return () => {
    state.accounts.u0! -= 1
    state.accounts.u1! += 1
    if (queued) {
      queued = false
      runner()
    }
  }
}

/**
 * What signals-core itself allocates for what a Theus commit asks of it here: one batch, two
 * key signals set, the two selections they feed recomputed, the one effect re-run. The floor
 * under every Theus row above (signals-core 1.14.5 allocates a closure per signal set and per
 * batch end, and a record per signal set inside a batch).
 */
function signalsFloor(): () => void {
  const a = signal(0)
  const b = signal(0)
  const x = computed(() => a.value)
  const y = computed(() => b.value)
  effect(() => {
    sink += x.value + y.value
  })
  let seq = 0
  const write = () => {
    seq++
    a.value = seq
    b.value = seq
  }
  return () => batch(write)
}

const gcTimes: number[] = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcTimes.push(e.startTime, e.startTime + e.duration)
}).observe({ entryTypes: ['gc'] })
const tick = () => new Promise((r) => setImmediate(r))

async function bytesPerRun(op: () => void, runs = 10_000): Promise<number> {
  for (let i = 0; i < 20_000; i++) op()
  const clean: number[] = []
  for (let attempt = 0; attempt < 20 && clean.length < 5; attempt++) {
    gc!()
    gc!()
    await tick()
    const t0 = performance.now()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < runs; i++) op()
    const after = process.memoryUsage().heapUsed
    const t1 = performance.now()
    await tick()
    if (gcTimes.some((t) => t >= t0 && t <= t1)) continue
    clean.push((after - before) / runs)
  }
  if (clean.length === 0) return Number.NaN
  return clean.sort((a, b) => a - b)[Math.floor(clean.length / 2)]!
}

async function growth(op: () => void, runs: number): Promise<number> {
  op()
  gc!()
  gc!()
  await tick()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < runs; i++) op()
  gc!()
  gc!()
  await tick()
  return process.memoryUsage().heapUsed - before
}

const rows: Record<string, number> = {}
const perRun: [string, () => () => void][] = [
  ['theus strict (default options)', () => theus({})],
  ['theus strict, runLogLimit 1000', () => theus({ runLogLimit: 1000 })],
  ['theus non-strict, runLogLimit 1000', () => theus({ strictMode: false, runLogLimit: 1000 })],
  ['theus strict, rolled back', () => theus({ runLogLimit: 1000 }, true)],
  ['signals-core alone (its share)', signalsFloor],
  ['valtio', valtio],
  ['vue reactivity', vue],
]
console.log('\nbytes allocated per run (1 000 accounts, one subscriber; median of clean windows)')
for (const [name, make] of perRun) {
  const b = await bytesPerRun(make())
  rows[`alloc: ${name}`] = b
  console.log(`${name.padEnd(40)}${(Number.isNaN(b) ? 'n/a' : `${b.toFixed(0)} B`).padStart(10)}`)
}
const RUNS = 1_000_000
console.log(`\nheap kept after ${RUNS.toLocaleString('en-US')} runs and a full GC`)
for (const [name, make] of [
  ['theus strict, default options', () => theus({})],
  ['theus strict, runLogLimit 1000', () => theus({ runLogLimit: 1000 })],
] as const) {
  const g = await growth(make(), RUNS)
  rows[`growth: ${name}`] = g
  console.log(
    `${name.padEnd(40)}${`${(g / 1e6).toFixed(2)} MB`.padStart(10)}  (${(g / RUNS).toFixed(1)} B/run)`,
  )
}
report('memory', rows)
if (sink === 42) console.log('')
