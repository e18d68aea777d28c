/**
 * Runs a script against the engine bundled from the sources (as an app ships it) in a child
 * Node with `--allow-natives-syntax`, so a test can ask V8 about the engine's own functions
 * (`%GetOptimizationStatus`). The script prints one JSON line, which is returned parsed.
 * `THEUS_PROBE_SRC` points the bundle at another source tree (to check that a probe fails on
 * an older engine).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** V8's OptimizationStatus bit for "optimised code installed". */
export const OPTIMIZED = 16

/** Script prelude: `status(fn)` is `%GetOptimizationStatus(fn)`. */
export const PRELUDE = `const status = new Function('f', 'return %GetOptimizationStatus(f)')\n`

export async function runProbe(script: string, flags: string[] = []): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'theus-v8-'))
  try {
    const entry = join(dir, 'entry.mjs')
    writeFileSync(entry, PRELUDE + script)
    const out = join(dir, 'bundle.mjs')
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: out,
      logLevel: 'silent',
      alias: { theus: `${process.env.THEUS_PROBE_SRC ?? root}src/index.ts` },
    })
    const res = spawnSync(process.execPath, ['--allow-natives-syntax', ...flags, out], {
      encoding: 'utf8',
    })
    if (res.status !== 0 || res.stderr !== '') throw new Error(`probe failed: ${res.stderr}`)
    return JSON.parse(res.stdout.trim())
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
