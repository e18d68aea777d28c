/**
 * The compile-time budget of typed contracts (SPEC §11, docs/types.md): a generated app of 200
 * context fields and 50 processes type-checks without errors, and the number of type
 * instantiations stays under a ceiling. Instantiations are deterministic for one TypeScript
 * version, unlike times on a shared machine, so they are what a test may assert; the times are
 * printed by `node scripts/gen-types-bench.mjs` and recorded in docs/types.md.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const repo = join(import.meta.dirname, '../..')

describe('typed contracts compile-time budget', () => {
  it('checks a 200-field, 50-process app with fewer than 150 000 instantiations', () => {
    const r = spawnSync(
      process.execPath,
      [join(repo, 'scripts/gen-types-bench.mjs'), '--json', '--no-cpu'],
      { encoding: 'utf8' },
    )
    expect(r.stdout, r.stderr).toMatch(/^\{/)
    const out = JSON.parse(r.stdout) as {
      fields: number
      processes: number
      typed: { ok: boolean; errors: string[]; instantiations: number }
      baseline: { ok: boolean }
    }
    expect(out.fields).toBe(200)
    expect(out.processes).toBe(50)
    expect(out.typed.errors).toEqual([])
    expect(out.typed.ok).toBe(true)
    expect(out.baseline.ok).toBe(true)
    expect(out.typed.instantiations).toBeLessThan(150_000)
  }, 300_000)
})
