/**
 * The scaffold builds as it is. First against this repository's sources: `tsc --noEmit` with
 * the app's own tsconfig, then `vite build` with the theus plugin, the app's node_modules being
 * this repository's and `theus/*` resolving to the sources. Then as a user gets it: the package
 * built and packed into a temporary folder, `theus init --theus <tarball>`, `npm install` in
 * the app (from npm's cache when it can, else from the registry) and the app's own
 * `npm run build` (`tsc --noEmit && vite build`).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
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

// `npm test` exports npm_* variables (npm_config_local_prefix would make the nested install write
// into this repository), and vitest's NODE_ENV=test must not reach the builds.
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'INIT_CWD' || k === 'NODE_ENV' || k === 'TEST' || k.startsWith('VITEST')) continue
    if (k.startsWith('npm_')) continue
    env[k] = v
  }
  env.npm_config_update_notifier = 'false'
  env.npm_config_fund = 'false'
  env.npm_config_audit = 'false'
  return env
}

function sh(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: 240_000 })
  if (r.status !== 0) {
    throw new Error(
      `\`${cmd} ${args.join(' ')}\` in ${cwd} exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`,
    )
  }
  return r
}

describe('theus init (npm install from a tarball, then the app builds)', () => {
  let app = ''
  let tarball = ''
  beforeAll(() => {
    const work = tempDir()
    // The package as `npm run build` makes it, built into a folder of its own: this repository's
    // dist/ is left alone (the pack test may be building it at the same time).
    const pkg = join(work, 'theus')
    mkdirSync(pkg)
    for (const f of ['package.json', 'README.md', 'LICENSE', 'templates'])
      cpSync(join(repoRoot, f), join(pkg, f), { recursive: true })
    const vite = join(repoRoot, 'node_modules/vite/bin/vite.js')
    sh(
      process.execPath,
      [vite, 'build', '--mode', 'lib', '--logLevel', 'warn', '--outDir', join(pkg, 'dist')],
      repoRoot,
    )
    // The declarations, as tsconfig.build.json emits them; `theus` and `theus/devtools` (imported
    // by the adapters) resolve to the sources here, and the emitted files keep importing 'theus'.
    const types = join(work, 'tsconfig.types.json')
    writeFileSync(
      types,
      JSON.stringify({
        extends: join(repoRoot, 'tsconfig.build.json'),
        compilerOptions: {
          outDir: join(pkg, 'dist/types'),
          rootDir: repoRoot,
          typeRoots: [join(repoRoot, 'node_modules/@types')],
          paths: {
            theus: [join(repoRoot, 'src/index.ts')],
            // The adapters' devtools import this subpath; without dist/ built it has no types.
            'theus/devtools': [join(repoRoot, 'src/devtools/index.ts')],
          },
        },
        include: [join(repoRoot, 'src'), join(repoRoot, 'adapters')],
      }),
    )
    sh(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', types], work)
    const out = sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], pkg)
    tarball = join(work, JSON.parse(out.stdout.slice(out.stdout.indexOf('[')))[0].filename)
  }, 600_000)

  it("writes the tarball as the theus dependency, installs, and builds with the app's own script", async () => {
    const work = tempDir()
    const r = await run(work, 'init', 'tar-app', '--theus', tarball)
    expect(r.stderr).toBe('')
    app = join(work, 'tar-app')
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'))
    expect(pkg.dependencies.theus).toBe(`file:${tarball}`)
    const flags = ['--no-audit', '--no-fund']
    try {
      sh('npm', ['install', '--offline', ...flags], app)
    } catch {
      // A cache without some of the app's packages: let npm fetch what it lacks.
      sh('npm', ['install', '--prefer-offline', ...flags], app)
    }
    expect(existsSync(join(app, 'node_modules/theus/dist/index.js'))).toBe(true)
    expect(existsSync(join(app, 'node_modules/.bin/vite'))).toBe(true)
    sh('npm', ['run', 'build'], app)
    const assets = join(app, 'dist/assets')
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'))
    const bundle = js.map((f) => readFileSync(join(assets, f), 'utf8')).join('\n')
    // The recipe and the workflow came through the installed theus/vite plugin, as data.
    expect(bundle).toContain('Reserves must never be negative')
    expect(bundle).toContain('EVT_CHAIN_DONE')
    expect(readFileSync(join(app, 'dist/index.html'), 'utf8')).toContain('<div id="root">')
  }, 600_000)

  it("run from that tarball install, theus init depends on the same tarball (read from npm's lockfile)", () => {
    expect(app).not.toBe('')
    // The installed CLI, as `npx theus init` runs it in a project that installed the tarball.
    sh(join(app, 'node_modules/.bin/theus'), ['init', 'again'], app)
    const pkg = JSON.parse(readFileSync(join(app, 'again/package.json'), 'utf8'))
    expect(pkg.dependencies.theus).toBe(`file:${tarball}`)
  }, 120_000)
})
