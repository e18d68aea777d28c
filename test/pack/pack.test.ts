/**
 * The package as users get it: build (unless `dist/` is already fresh), `npm pack`, install the
 * tarball into a temporary project outside the repository (offline, from npm's cache), and run
 * the bank example there through `theus` and `theus/yaml` (see `check.mjs`).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }

const root = fileURLToPath(new URL('../..', import.meta.url))

// `npm test` exports npm_* variables; `npm_config_local_prefix` among them would make the
// nested `npm install` write into this repository instead of the temporary project. Vitest's
// own variables (NODE_ENV=test above all) must not change how the package is built either.
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'INIT_CWD' || k === 'npm_config_local_prefix') continue
    if (k === 'NODE_ENV' || k === 'TEST' || k.startsWith('VITEST')) continue
    if (/^npm_(package|lifecycle|command|execpath|node_execpath)/.test(k)) continue
    env[k] = v
  }
  env.npm_config_update_notifier = 'false'
  env.npm_config_fund = 'false'
  env.npm_config_audit = 'false'
  return env
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: 150_000 })
  if (r.status !== 0) {
    throw new Error(
      `\`${cmd} ${args.join(' ')}\` in ${cwd} exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`,
    )
  }
  return r
}

/** Every file `exports` promises, JS and types. */
const promised = Object.entries(pkg.exports).flatMap(([key, t]) =>
  key === './package.json' || typeof t === 'string' ? [] : [t.import, t.types],
)

function newestSource(p: string): number {
  const s = statSync(p)
  if (!s.isDirectory()) return s.mtimeMs
  return readdirSync(p).reduce((m, f) => Math.max(m, newestSource(join(p, f))), s.mtimeMs)
}

// `.ci/run` builds right before `npm test`; rebuilding here would only cost time.
function distIsFresh(): boolean {
  const outputs = promised.map((f) => join(root, f))
  if (!outputs.every(existsSync)) return false
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs))
  const inputs = [
    'src',
    'adapters',
    'package.json',
    'vite.config.ts',
    'tsconfig.json',
    'tsconfig.build.json',
  ]
  return inputs.every((p) => newestSource(join(root, p)) <= built)
}

let work = ''
let packed: { filename: string; files: { path: string }[] }

beforeAll(() => {
  if (!distIsFresh()) run('npm', ['run', 'build'], root)
  work = mkdtempSync(join(tmpdir(), 'theus-pack-'))
  // dist/ is fresh (built above): skip `prepack`, which rebuilds for users who pack a clone.
  const out = run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', work],
    root,
  ).stdout
  // npm may print notices before the JSON array.
  packed = JSON.parse(out.slice(out.indexOf('[')))[0]
  const app = join(work, 'app')
  run('mkdir', ['-p', app], work)
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'theus-pack-check', private: true, type: 'module' }),
  )
  copyFileSync(join(root, 'test/pack/check.mjs'), join(app, 'check.mjs'))
  copyFileSync(join(root, 'test/pack/types.ts'), join(app, 'types.ts'))
  copyFileSync(join(root, 'test/pack/vite-app.ts'), join(app, 'vite-app.ts'))
  // The `*.yaml` module declaration that docs/vite.md tells users to write, as written there.
  const viteDoc = readFileSync(join(root, 'docs/vite.md'), 'utf8')
  // (from its `declare module` line to the end of its block: the block's vite/client reference
  // is for Vite apps, and this one only type-checks).
  const yamlDecl = /```ts[^\n]*\n[\s\S]*?(declare module '\*\.yaml'[\s\S]*?)```/.exec(viteDoc)?.[1]
  if (!yamlDecl) throw new Error("docs/vite.md has no `declare module '*.yaml'` block")
  writeFileSync(join(app, 'yaml-env.d.ts'), yamlDecl)
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'DOM'],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: ['types.ts', 'vite-app.ts', 'yaml-env.d.ts'],
    }),
  )
  writeFileSync(
    join(app, 'tsconfig.bundler.json'),
    JSON.stringify({
      extends: './tsconfig.json',
      compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler' },
    }),
  )
  // The adapters' optional peers (and React's types, as a TypeScript user adds them), at the
  // versions this repository tests with.
  const peers = (['react', 'react-dom', 'vue', '@types/react'] as const).map(
    (p) => `${p}@${pkg.devDependencies[p]}`,
  )
  const install = ['install', join(work, packed.filename), ...peers]
  const flags = ['--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock']
  try {
    run('npm', [...install, '--offline', ...flags], app)
  } catch {
    // A cold npm cache (a fresh machine without `npm ci`): let npm fetch what it lacks.
    run('npm', [...install, '--prefer-offline', ...flags], app)
  }
})

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('npm pack', () => {
  it('ships every file that exports names, and no sources or tests', () => {
    const files = packed.files.map((f) => f.path)
    for (const f of promised) expect(files).toContain(f.replace(/^\.\//, ''))
    expect(files).toContain('package.json')
    expect(files).toContain('README.md')
    expect(files.filter((f) => /^(src|test|adapters|playground|bench|scripts)\//.test(f))).toEqual(
      [],
    )
  })

  it('installs into another project and runs the bank example through theus, theus/yaml and the adapters', () => {
    const r = run('node', ['check.mjs'], join(work, 'app'))
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
    expect(report.ok).toBe(true)
    expect(report.result).toBe('Success')
    expect(report.balances).toEqual({ Alice: 500, Bob: 500 })
    expect(Object.keys(report.entries).sort()).toEqual([
      'theus',
      'theus/devtools',
      'theus/devtools/react',
      'theus/react',
      'theus/server',
      'theus/sync',
      'theus/vite',
      'theus/vue',
      'theus/workflow',
      'theus/yaml',
    ])
    expect(report.copies.TheusError).toBe(1)
  })

  it('installs the `theus` command of SPEC §8, which answers --help', () => {
    const bins: Record<string, string> = (pkg as { bin?: Record<string, string> }).bin ?? {}
    expect(Object.keys(bins)).toContain('theus')
    const files = packed.files.map((f) => f.path)
    for (const [name, file] of Object.entries(bins)) {
      expect(files).toContain(file.replace(/^\.\//, ''))
      const app = join(work, 'app')
      const r = run(join(app, 'node_modules/.bin', name), ['--help'], app)
      expect(r.stdout).toMatch(/theus/i)
    }
  })

  it('scaffolds an app with `theus init` from the installed package (templates shipped)', () => {
    const app = join(work, 'app')
    const r = run(join(app, 'node_modules/.bin', 'theus'), ['init', 'scaffolded'], app)
    expect(r.stdout).toContain('scaffolded')
    expect(readFileSync(join(app, 'scaffolded/src/main.tsx'), 'utf8')).toContain(
      '<TheusProvider engine={engine}>',
    )
    expect(readFileSync(join(app, 'scaffolded/src/App.tsx'), 'utf8')).toContain(
      "useProcess('transfer')",
    )
    expect(readFileSync(join(app, 'scaffolded/src/hooks.ts'), 'utf8')).toContain(
      'createTheusHooks<typeof engine>()',
    )
  })

  it.each([
    ['NodeNext', 'tsconfig.json'],
    ['Bundler', 'tsconfig.bundler.json'],
  ])('ships .d.ts files that type-check the SPEC samples under %s resolution', (_, config) => {
    // The repository's own TypeScript, run on the temporary project: no types from the sources.
    const tsc = join(root, 'node_modules/typescript/bin/tsc')
    const r = spawnSync('node', [tsc, '-p', config], {
      cwd: join(work, 'app'),
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(`${r.stdout}${r.stderr}`).toBe('')
    expect(r.status).toBe(0)
  })
})
