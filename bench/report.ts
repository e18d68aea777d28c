/**
 * Benchmarks print their tables and also hand their figures to `scripts/bench.mjs` (as JSON in
 * `THEUS_BENCH_OUT`), which writes `bench/RESULTS.md` from them once every benchmark has run.
 */
import { mkdirSync, writeFileSync } from 'node:fs'

export function report(name: string, data: unknown): void {
  const dir = process.env.THEUS_BENCH_OUT
  if (!dir) return
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}/${name}.json`, JSON.stringify(data, null, 1))
}
