/**
 * A process that fails on every run must not keep the run path in V8's interpreter. V8 counts a
 * function's calls toward optimisation only when they return: when `_start` threw the run's
 * failure itself, a validation loop whose runs all roll back never optimised it, and a rollback
 * cost 5-15 µs instead of 2-3 µs. The failure now leaves through `runProcess`'s small frame.
 * Checked in a child Node with `--allow-natives-syntax` (V8's own optimisation status), on the
 * engine bundled from the sources as an app ships it. No timing: the loop only polls, up to a
 * cap, for the background compiler to finish.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'theus-tierup-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const script = `
import { TheusEngine, process as defineProcess } from 'theus'
class Refused extends Error {}
const refused = new Refused('no')
const failing = defineProcess(
  { name: 'failing', inputs: ['domain.n'], outputs: ['domain.n'], errors: ['Refused'] },
  (ctx) => { ctx.domain.n = ctx.domain.n + 1; throw refused },
)
const engine = new TheusEngine({ domain: { n: 0 } })
engine.registerProcess(failing)
const status = new Function('f', 'return %GetOptimizationStatus(f)')
const OPTIMIZED = 16 // V8's OptimizationStatus::kOptimized
const start = Object.getPrototypeOf(engine)._start
let caught = 0
const deadline = Date.now() + 20_000
while (!(status(start) & OPTIMIZED) && Date.now() < deadline) {
  for (let i = 0; i < 5_000; i++) {
    try { engine.runProcess('failing') } catch (e) { if (e === refused) caught++ }
  }
  await new Promise((r) => setTimeout(r, 5))
}
console.log(JSON.stringify({ optimized: (status(start) & OPTIMIZED) !== 0, caught, n: engine.state.value.domain.n }))
`

it('optimises the run path of a process that rolls back on every run', async () => {
  const entry = join(dir, 'entry.mjs')
  writeFileSync(entry, script)
  const out = join(dir, 'bundle.mjs')
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'silent',
    alias: { theus: `${root}src/index.ts` },
  })
  const res = spawnSync(process.execPath, ['--allow-natives-syntax', out], { encoding: 'utf8' })
  expect(res.stderr).toBe('')
  const r = JSON.parse(res.stdout.trim())
  // Every run rolled back with the body's own error, and none of them committed.
  expect(r.caught).toBeGreaterThan(0)
  expect(r.n).toBe(0)
  expect(r.optimized).toBe(true)
}, 60_000)
