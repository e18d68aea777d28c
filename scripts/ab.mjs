// `node scripts/ab.mjs [--base REF] [--n 1000] [--cases strict,rolled back] [--rounds 15]`
// Compares this working tree's src/ with src/ at REF (default: main), side by side in ONE
// process: both trees are bundled with the cases of bench/ab-cases.ts, and the harness of
// bench/harness.ts interleaves their rounds, so machine noise hits both alike. Prints ns per
// operation, the ratio new/base, and bytes allocated per operation (heap growth over windows
// that no GC touched). A developer tool for small changes: `npm run bench` stays the record.
import { execSync, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { bundleBench } from './benchBundle.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : dflt
}
const base = opt('base', 'main')
const n = Number(opt('n', '1000'))
const rounds = Number(opt('rounds', '15'))
const chosen = opt('cases', 'strict,rolled back,level C rule,undo/redo')
const out = `${root}.bench-out/ab`
rmSync(out, { recursive: true, force: true })
mkdirSync(`${out}/base`, { recursive: true })
execSync(`git archive ${base} src | tar -x -C ${out}/base`, { cwd: root, stdio: 'inherit' })

const bundle = (srcRoot, name) =>
  bundleBench(`${root}bench/ab-cases.ts`, `${out}/${name}.mjs`, srcRoot)
const baseFile = await bundle(`${out}/base/`, 'base')
const newFile = await bundle(root, 'new')
const runner = `${out}/runner.mjs`
writeFileSync(
  runner,
  `import { PerformanceObserver } from 'node:perf_hooks'
import { measure } from ${JSON.stringify(`${out}/harness.mjs`)}
import * as A from ${JSON.stringify(baseFile)}
import * as B from ${JSON.stringify(newFile)}
const names = [process.argv[2]]
const n = ${n}
const gcTimes = []
new PerformanceObserver((l) => { for (const e of l.getEntries()) gcTimes.push(e.startTime, e.startTime + e.duration) }).observe({ entryTypes: ['gc'] })
const tick = () => new Promise((r) => setImmediate(r))
async function bytes(op, runs = 10000) {
  for (let i = 0; i < 20000; i++) op()
  const clean = []
  for (let k = 0; k < 20 && clean.length < 5; k++) {
    gc(); gc(); await tick()
    const t0 = performance.now(), h0 = process.memoryUsage().heapUsed
    for (let i = 0; i < runs; i++) op()
    const h1 = process.memoryUsage().heapUsed, t1 = performance.now()
    await tick()
    if (gcTimes.some((t) => t >= t0 && t <= t1)) continue
    clean.push((h1 - h0) / runs)
  }
  return clean.length ? clean.sort((a, b) => a - b)[clean.length >> 1] : NaN
}
const cs = []
for (const name of names) {
  if (!(name in A.cases) || !(name in B.cases)) throw new Error('unknown case ' + name + '; known: ' + Object.keys(B.cases).join(', '))
  cs.push({ name: 'base ' + name, op: A.cases[name](n) }, { name: 'new  ' + name, op: B.cases[name](n) })
}
const res = measure(cs, { rounds: ${rounds} })
for (let i = 0; i < names.length; i++) {
  const a = res[2 * i].nsPerOp, b = res[2 * i + 1].nsPerOp
  const ba = await bytes(cs[2 * i].op), bb = await bytes(cs[2 * i + 1].op)
  console.log(names[i].padEnd(24) + a.toFixed(0).padStart(10) + b.toFixed(0).padStart(10) + (b / a).toFixed(3).padStart(10) + ba.toFixed(0).padStart(9) + bb.toFixed(0).padStart(9))
}
if (A.sinkValue() + B.sinkValue() === 0.5) console.log('')
`,
)
await bundleBench(`${root}bench/harness.ts`, `${out}/harness.mjs`, root)
// One process per case: two copies of the engine warming up several cases in one process
// make TurboFan's inlining (and so the figures) swing far more than the changes measured.
console.log(`n = ${n} accounts, base = ${base}, ${rounds} rounds`)
console.log(
  `${'case'.padEnd(24)}${'base ns'.padStart(10)}${'new ns'.padStart(10)}${'new/base'.padStart(10)}${'base B'.padStart(9)}${'new B'.padStart(9)}`,
)
// A young generation large enough that a window of 10 000 runs sees no scavenge (as
// bench/memory.ts): with the default size most windows are thrown away and the byte column
// swung between 0.2 and 1.1 kB for the same code.
const GC_FLAGS = ['--min-semi-space-size=64', '--max-semi-space-size=64']
let status = 0
for (const name of chosen.split(',')) {
  const res = spawnSync(process.execPath, ['--expose-gc', ...GC_FLAGS, runner, name], {
    stdio: 'inherit',
  })
  if (res.status !== 0) status = 1
}
process.exit(status)
