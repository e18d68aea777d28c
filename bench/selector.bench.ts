/**
 * What one subscriber costs per commit at 100 000 accounts: `useTheus(path)` (a `select()`
 * signal), `useTheus(selector)` over the tracked view (this release), and a selector over
 * `engine.state` (the 0.1.0 design, which rebuilt the snapshot of the whole record per commit).
 * The hooks' own machinery, without React: the signal each hook subscribes to, followed by an
 * effect, as `useSyncExternalStore`'s subscription does.
 */
import { computed, effect, type ReadonlySignal } from '@preact/signals-core'
import { TheusEngine } from 'theus'
import { selectorSignal } from '../adapters/shared.js'
import { transfer } from './bank.js'
import { type Contender, measure, printTable, type Result } from './harness.js'
import { report } from './report.js'

const N = 100_000
let sink = 0

type Kind = 'path' | 'tracked selector' | 'selector over engine.state (0.1.0)'

function contender(kind: Kind, touchesRead: boolean): Contender {
  const a: Record<string, number> = {}
  for (let i = 0; i < N; i++) a[`u${i}`] = 1e9
  const engine = new TheusEngine({ domain: { accounts: a } }, { runLogLimit: 1000 })
  engine.registerProcess(transfer)
  const selector = (s: any) => s.domain.accounts.u0 as number
  const source: ReadonlySignal<unknown> =
    kind === 'path'
      ? engine.select('domain.accounts.u0')
      : kind === 'tracked selector'
        ? selectorSignal(engine, selector)
        : computed(() => selector(engine.state.value))
  effect(() => {
    sink += source.value as number
  })
  const args = touchesRead
    ? { from: 'u0', to: 'u1', amount: 1 }
    : { from: 'u5', to: 'u6', amount: 1 }
  return {
    name: `${kind}, ${touchesRead ? 'reads a written key' : 'reads another key'}`,
    op: () => engine.runProcess('transfer', args),
  }
}

export function runSelectorBench(): Result[] {
  const kinds: Kind[] = ['path', 'tracked selector', 'selector over engine.state (0.1.0)']
  const cs = kinds.flatMap((k) => [contender(k, true), contender(k, false)])
  const res = measure(cs, { rounds: 7 })
  printTable(
    `one subscriber per commit, ${N.toLocaleString('en-US')} accounts (transfer + notification)`,
    res,
    'path, reads a written key',
  )
  const t = (name: string) => res.find((r) => r.name === name)!.nsPerOp
  for (const w of ['reads a written key', 'reads another key'])
    console.log(
      `tracked selector / path (${w}): ${(t(`tracked selector, ${w}`) / t(`path, ${w}`)).toFixed(2)}; 0.1.0 selector / path: ${(t(`selector over engine.state (0.1.0), ${w}`) / t(`path, ${w}`)).toFixed(0)}`,
    )
  report('selector', { accounts: N, results: res })
  if (sink === 42) console.log('')
  return res
}
