// `npm run bench [core|memory|react] [filters…]`: bundles each benchmark (scripts/benchBundle.mjs)
// and runs it in its own Node process.
//   core    bank transfer (valtio, Vue reactivity, MobX-State-Tree, immer, a plain function),
//           selector vs path at 100 000 accounts, persist() at 1 000 vs 100 000 accounts
//           (filters: transfer, selector, persist)
//   memory  bytes per run and heap growth over 1 000 000 runs (own process: GC flags)
//   react   1 000 and 10 000 rows: Theus vs zustand, jotai, MobX, valtio, Redux Toolkit
// A full run (no arguments) also writes bench/RESULTS.md from the figures it measured.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { bundleBench } from './benchBundle.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = `${root}.bench-out/results`
const benches = {
  core: { entry: 'bench/run.ts', env: {}, flags: [] },
  memory: {
    entry: 'bench/memory.ts',
    env: {},
    flags: ['--min-semi-space-size=64', '--max-semi-space-size=64'],
  },
  react: { entry: 'bench/adapters/react.tsx', env: { NODE_ENV: 'production' }, flags: [] },
}

const bundle = (entry, name) =>
  bundleBench(`${root}${entry}`, `${root}.bench-out/${name}.mjs`, root)

const args = process.argv.slice(2)
if (args[0] === '--report') {
  // Rewrites bench/RESULTS.md from the figures of the last run (.bench-out/results).
  writeFileSync(`${root}bench/RESULTS.md`, results())
  process.exit(0)
}
const chosen = args.filter((a) => a in benches)
const rest = args.filter((a) => !(a in benches))
const full = args.length === 0
rmSync(out, { recursive: true, force: true })
let failed = false
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  const { entry, env, flags } = benches[name]
  const file = await bundle(entry, name)
  console.log(`\n=== ${name} (${entry})`)
  const res = spawnSync(process.execPath, ['--expose-gc', ...flags, file, ...rest], {
    stdio: 'inherit',
    env: { ...process.env, ...env, THEUS_BENCH_OUT: out },
  })
  if (res.status !== 0) failed = true
}
if (full && !failed) {
  writeFileSync(`${root}bench/RESULTS.md`, results())
  console.log('\nwrote bench/RESULTS.md')
}
process.exit(failed ? 1 : 0)

//#region bench/RESULTS.md

function load(name) {
  const f = `${out}/${name}.json`
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined
}

function version(pkg) {
  try {
    return JSON.parse(readFileSync(`${root}node_modules/${pkg}/package.json`, 'utf8')).version
  } catch {
    return '?'
  }
}

function time(ns) {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`
  return `${(ns / 1e6).toFixed(2)} ms`
}

function fx(x, d = 2) {
  return Number.isFinite(x) ? x.toFixed(d) : 'n/a'
}
function verdict(ok) {
  return ok ? 'met' : '**short**'
}

function results() {
  const transfer = load('transfer')
  const selector = load('selector')
  const persistR = load('persist')
  const memory = load('memory')
  const react = load('react')
  const own = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))
  let commit = '?'
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' })
  if (git.status === 0) commit = git.stdout.trim()
  const L = []
  L.push('# Benchmark results')
  L.push('')
  L.push(
    `Written by \`npm run bench\` (scripts/bench.mjs) on ${new Date().toISOString()}; do not edit by hand. These machines are shared and noisy: compare the ratios, measured side by side in one run with rounds interleaved, not the absolute times.`,
  )
  L.push('')
  L.push(
    `- Machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.type()} ${os.release()}`,
  )
  L.push(
    `- Node ${process.version}; theus ${own.version} (${commit}), bundled with esbuild as shipped`,
  )
  L.push(
    `- Peers: valtio ${version('valtio')}, vue ${version('vue')}, mobx ${version('mobx')}, mobx-state-tree ${version('mobx-state-tree')}, immer ${version('immer')}, react ${version('react')}, zustand ${version('zustand')}, jotai ${version('jotai')}, @reduxjs/toolkit ${version('@reduxjs/toolkit')}, @preact/signals-core ${version('@preact/signals-core')}`,
  )
  L.push('')
  const targets = []
  if (transfer) {
    const sizes = transfer.sizes
    const pick = (n, name) =>
      transfer.results[n].find((r) => r.name === name)?.nsPerOp ?? Number.NaN
    L.push('## Bank transfer')
    L.push('')
    L.push(
      'Two balances change, one subscriber reads two balances; per operation, the fastest of 15 interleaved batches of 20 ms. Ratios against valtio at the same size.',
    )
    L.push('')
    L.push(
      `| contender | ${sizes.map((n) => `${n.toLocaleString('en-US')} accounts`).join(' | ')} |`,
    )
    L.push(`|---|${sizes.map(() => '---:').join('|')}|`)
    for (const r of transfer.results[sizes[0]])
      L.push(
        `| ${r.name} | ${sizes.map((n) => `${time(pick(n, r.name))} (${fx(pick(n, r.name) / pick(n, 'valtio (no rollback)'))}×)`).join(' | ')} |`,
      )
    L.push('')
    const per = (f) => sizes.map((n) => f(n))
    const strictV = per((n) => pick(n, 'theus strict') / pick(n, 'valtio (no rollback)'))
    targets.push([
      'Strict committed transfer / valtio (10, 1 000, 100 000)',
      '≤ 1 (stretch 0.8)',
      strictV.map((x) => fx(x)).join(', '),
      verdict(strictV.every((x) => x <= 1)),
    ])
    const rb = per((n) => pick(n, 'theus strict, rolled back') / pick(n, 'theus strict'))
    targets.push([
      'Rollback / commit',
      '≤ 1',
      rb.map((x) => fx(x)).join(', '),
      verdict(rb.every((x) => x <= 1)),
    ])
    const ns = per((n) => pick(n, 'theus non-strict') / pick(n, 'theus strict'))
    targets.push([
      'Non-strict / strict',
      '≤ 0.8',
      ns.map((x) => fx(x)).join(', '),
      verdict(ns.every((x) => x <= 0.8)),
    ])
    const rows = [
      'theus strict',
      'theus non-strict',
      'theus strict + level C rule',
      'theus strict, rolled back',
      'theus undo/redo',
    ]
    const growth = rows.map((r) => pick(sizes[sizes.length - 1], r) / pick(sizes[0], r))
    targets.push([
      'Growth 10 → 100 000 accounts, every Theus row',
      '≤ 1.3×',
      rows.map((r, i) => `${r.replace('theus ', '')} ${fx(growth[i])}`).join('; '),
      verdict(growth.every((x) => x <= 1.3)),
    ])
    const c = per((n) => pick(n, 'theus strict + level C rule') - pick(n, 'theus strict'))
    targets.push([
      'A level C rule (ns added to a run)',
      '≤ 200 ns',
      c.map((x) => fx(x, 0)).join(', '),
      verdict(c.every((x) => x <= 200)),
    ])
    const ur = per((n) => pick(n, 'theus undo/redo') / pick(n, 'theus strict'))
    targets.push([
      'Undo or redo / transfer',
      '≤ 1.2',
      ur.map((x) => fx(x)).join(', '),
      verdict(ur.every((x) => x <= 1.2)),
    ])
  }
  if (memory) {
    const a = memory['alloc: theus strict, runLogLimit 1000']
    targets.push([
      'Allocation per run (strict, 1 000 accounts)',
      '≤ 0.5 kB',
      `${fx(a, 0)} B (default options: ${fx(memory['alloc: theus strict (default options)'], 0)} B)`,
      verdict(a <= 512),
    ])
    const g = memory['growth: theus strict, default options']
    targets.push([
      'Heap kept after 1 000 000 runs, default options',
      '0 (bounded)',
      `${fx(g / 1e6)} MB (${fx(g / 1e6, 1)} B/run)`,
      verdict(g < 2e6),
    ])
  }
  if (selector) {
    const t = (name) => selector.results.find((r) => r.name === name)?.nsPerOp ?? Number.NaN
    const w = t('tracked selector, reads a written key') / t('path, reads a written key')
    const o = t('tracked selector, reads another key') / t('path, reads another key')
    targets.push([
      'useTheus(selector) of one leaf / useTheus(path), per commit, 100 000 accounts',
      'same order (O(1))',
      `${fx(w)} (key written), ${fx(o)} (other key)`,
      verdict(w < 3 && o < 3),
    ])
  }
  if (persistR) {
    const r = persistR['1 000 commits + flush, 100000'] / persistR['1 000 commits + flush, 1000']
    targets.push([
      'persist(): 1 000 commits at 100 000 / at 1 000 accounts',
      '≤ 10×',
      `${fx(r, 1)}×`,
      verdict(r <= 10),
    ])
  }
  if (react)
    targets.push([
      'React 1 000 and 10 000 rows beside zustand, jotai, MobX, valtio',
      'figures',
      'below',
      '—',
    ])
  L.push('## Targets of issue 10')
  L.push('')
  L.push('| target | wanted | measured | |')
  L.push('|---|---|---|---|')
  for (const t of targets) L.push(`| ${t.join(' | ')} |`)
  L.push('')
  if (selector) {
    L.push('## useTheus: selector vs path, 100 000 accounts')
    L.push('')
    L.push(
      'A transfer plus the notification of one subscriber (the signal each hook follows, without React). "0.1.0" is the previous design: a selector over `engine.state`, which rebuilt the snapshot of the whole record per commit.',
    )
    L.push('')
    L.push('| subscriber | per commit |')
    L.push('|---|---:|')
    for (const r of selector.results) L.push(`| ${r.name} | ${time(r.nsPerOp)} |`)
    L.push('')
  }
  if (persistR) {
    L.push('## persist(), 1 000 vs 100 000 accounts')
    L.push('')
    L.push(
      'Fastest of 7 interleaved rounds. 1 000 committed transfers, then `flush()` (the default 100 ms window makes them one write); the same without persist; and the worst case, one save per commit (`debounceMs: 0`, a microtask between commits), per commit.',
    )
    L.push('')
    L.push('| case | 1 000 accounts | 100 000 accounts | ratio |')
    L.push('|---|---:|---:|---:|')
    for (const c of [
      '1 000 commits + flush',
      '1 000 commits, no persist',
      'save after every commit',
    ]) {
      const a = persistR[`${c}, 1000`]
      const b = persistR[`${c}, 100000`]
      L.push(`| ${c} | ${time(a * 1e6)} | ${time(b * 1e6)} | ${fx(b / a, 1)}× |`)
    }
    L.push('')
  }
  if (memory) {
    L.push('## Memory')
    L.push('')
    L.push(
      'Bytes allocated per committed transfer (1 000 accounts, one subscriber), from heap growth over windows of 10 000 runs that no GC touched; and the heap kept after 1 000 000 runs and a full GC.',
    )
    L.push('')
    L.push('| measure | value |')
    L.push('|---|---:|')
    for (const [k, v] of Object.entries(memory))
      L.push(`| ${k} | ${k.startsWith('alloc') ? `${fx(v, 0)} B/run` : `${fx(v / 1e6)} MB`} |`)
    L.push('')
  }
  if (react) {
    L.push('## React: rows of balances, 1 000 transfers')
    L.push('')
    L.push(
      'jsdom, one `flushSync` per transfer, NODE_ENV=production; total time for 1 000 transfers (transfer + render) and rows rendered. MobX is read through a `useSyncExternalStore` hook over `reaction` (mobx-react-lite is not installed).',
    )
    L.push('')
    for (const [rows, list] of Object.entries(react.results)) {
      const base = list.find((r) => r.name === 'theus')?.ms ?? Number.NaN
      L.push(`**${Number(rows).toLocaleString('en-US')} rows**`)
      L.push('')
      L.push('| library | total | per transfer | row renders | vs theus |')
      L.push('|---|---:|---:|---:|---:|')
      for (const r of list)
        L.push(
          `| ${r.name} | ${fx(r.ms, 1)} ms | ${fx(r.ms / react.transfers, 3)} ms | ${r.renders} | ${fx(r.ms / base)}× |`,
        )
      L.push('')
    }
  }
  return `${L.join('\n')}\n`
}

//#endregion
