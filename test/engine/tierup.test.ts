/**
 * The engine's hot functions stay optimised where V8 would otherwise give up on them. Checked
 * with V8's own optimisation status in a child Node (see v8Probe.ts). No timing: the loops only
 * poll, up to a cap, for the background compiler to finish.
 */
import { expect, it } from 'vitest'
import { runProbe } from './v8Probe.js'

// V8 counts a function's calls toward optimisation only when they return: when `_start` threw
// the run's failure itself, a loop whose runs all roll back never optimised it, and a rollback
// cost 5-15 µs instead of 2-3 µs. The failure now leaves through `runProcess`'s small frame.
it('optimises the run path of a process that rolls back on every run', async () => {
  const r = (await runProbe(`
import { TheusEngine, process as defineProcess } from 'theus'
class Refused extends Error {}
const refused = new Refused('no')
const failing = defineProcess(
  { name: 'failing', inputs: ['domain.n'], outputs: ['domain.n'], errors: ['Refused'] },
  (ctx) => { ctx.domain.n = ctx.domain.n + 1; throw refused },
)
const engine = new TheusEngine({ domain: { n: 0 } })
engine.registerProcess(failing)
const start = Object.getPrototypeOf(engine)._start
let caught = 0
const deadline = Date.now() + 20_000
while (!(status(start) & 16) && Date.now() < deadline) {
  for (let i = 0; i < 5_000; i++) {
    try { engine.runProcess('failing') } catch (e) { if (e === refused) caught++ }
  }
  await new Promise((r) => setTimeout(r, 5))
}
console.log(JSON.stringify({ optimized: (status(start) & 16) !== 0, caught, n: engine.state.value.domain.n }))
`)) as { optimized: boolean; caught: number; n: number }
  // Every run rolled back with the body's own error, and none of them committed.
  expect(r.caught).toBeGreaterThan(0)
  expect(r.n).toBe(0)
  expect(r.optimized).toBe(true)
}, 60_000)

// When no object of a class survives, a full GC collects its hidden class and V8 deoptimises
// every function compiled against it ("weak objects"). With a Commit per commit, each full GC
// deoptimised the commit path; the engine now keeps its Commit from one commit to the next.
it('keeps the commit path optimised across full garbage collections', async () => {
  const r = (await runProbe(
    `
import { TheusEngine, process as defineProcess } from 'theus'
const inc = defineProcess({ name: 'inc', inputs: ['domain.n'], outputs: ['domain.n'] }, (ctx) => {
  ctx.domain.n = ctx.domain.n + 1
})
const engine = new TheusEngine({ domain: { n: 0 } }, { runLogLimit: 100, historyLimit: 100 })
engine.registerProcess(inc)
const commit = Object.getPrototypeOf(engine)._commit
const deadline = Date.now() + 20_000
while (!(status(commit) & 16) && Date.now() < deadline) {
  for (let i = 0; i < 5_000; i++) engine.runProcess('inc')
  await new Promise((r) => setTimeout(r, 5))
}
const before = (status(commit) & 16) !== 0
gc()
gc()
const after = (status(commit) & 16) !== 0
console.log(JSON.stringify({ before, after, n: engine.state.value.domain.n }))
`,
    ['--expose-gc'],
  )) as { before: boolean; after: boolean; n: number }
  expect(r.n).toBeGreaterThan(0)
  expect(r.before).toBe(true)
  expect(r.after).toBe(true)
}, 60_000)
