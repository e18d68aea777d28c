/**
 * The scaffold builds as it is: `tsc --noEmit` with the app's own tsconfig, then `vite build`
 * with the theus plugin. Offline: the app's node_modules is this repository's, and `theus/*`
 * resolves to this repository's sources (through `paths` for tsc and aliases for vite), so the
 * test needs no `dist/` and no install.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'vite'
import { beforeAll, describe, expect, it } from 'vitest'
import { theusPlugin } from '../../src/vite/index.js'
import { linkNodeModules, repoRoot, run, tempDir } from './helpers.js'

const sources = {
  theus: 'src/index.ts',
  'theus/react': 'adapters/react/index.ts',
  'theus/vite': 'src/vite/index.ts',
  'theus/yaml': 'src/yaml/index.ts',
}

let dir = ''
beforeAll(async () => {
  const cwd = tempDir()
  expect((await run(cwd, 'init', 'built-app')).code).toBe(0)
  dir = join(cwd, 'built-app')
  linkNodeModules(dir)
})

describe('theus init (build)', () => {
  it('type-checks with the scaffold tsconfig', () => {
    const paths = Object.fromEntries(
      Object.entries(sources).map(([k, v]) => [k, [join(repoRoot, v)]]),
    )
    writeFileSync(
      join(dir, 'tsconfig.check.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { paths } }),
    )
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc')
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.check.json'], {
      cwd: dir,
      encoding: 'utf8',
    })
    expect(r.stdout + r.stderr).toBe('')
    expect(r.status).toBe(0)
  }, 120_000)

  it('builds with vite and the theus plugin, shipping the YAML as data', async () => {
    await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      plugins: [theusPlugin()],
      resolve: {
        alias: Object.entries(sources)
          .sort(([a], [b]) => b.length - a.length)
          .map(([k, v]) => ({ find: new RegExp(`^${k}$`), replacement: join(repoRoot, v) })),
      },
      build: { outDir: join(dir, 'dist'), emptyOutDir: true, minify: false },
    })
    expect(existsSync(join(dir, 'dist/index.html'))).toBe(true)
    const js = readdirSync(join(dir, 'dist/assets')).filter((f) => f.endsWith('.js'))
    expect(js.length).toBeGreaterThan(0)
    const bundle = js.map((f) => readFileSync(join(dir, 'dist/assets', f), 'utf8')).join('\n')
    expect(bundle).toContain('Reserves must never be negative')
    expect(bundle).toContain('EVT_CHAIN_DONE')
  }, 120_000)
})
