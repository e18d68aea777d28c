import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { AuditBlockError, TheusEngine, WorkflowManager } from 'theus'
import { parseAuditRecipe, parseWorkflow } from 'theus/yaml'
import { describe, expect, it } from 'vitest'
import { detectTheusSpec, shellQuoted } from '../../src/cli/init.js'
import { expectOneLine, linkNodeModules, repoRoot, run, tempDir, writeFiles } from './helpers.js'

const FILES = [
  'package.json',
  'index.html',
  'vite.config.ts',
  'tsconfig.json',
  'src/main.tsx',
  'src/App.tsx',
  'src/engine.ts',
  'src/hooks.ts',
  'src/process.ts',
  'src/env.d.ts',
  'src/context.ts',
  'src/processes/transfer.ts',
  'src/processes/notify.ts',
  'specs/audit_recipe.yaml',
  'specs/context_schema.yaml',
  'workflows/workflow.yaml',
]

describe('theus init', () => {
  it('scaffolds a Vite + React + TypeScript app that uses theus', async () => {
    const cwd = tempDir()
    const r = await run(cwd, 'init', 'my-bank')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('cd my-bank')
    const dir = join(cwd, 'my-bank')
    for (const f of FILES) expect(existsSync(join(dir, f)), f).toBe(true)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    expect(pkg.name).toBe('my-bank')
    expect(Object.keys(pkg.dependencies)).toEqual(
      expect.arrayContaining(['theus', 'react', 'react-dom', 'zod']),
    )
    expect(Object.keys(pkg.devDependencies)).toEqual(
      expect.arrayContaining(['vite', 'typescript', '@types/react']),
    )
    expect(readFileSync(join(dir, 'vite.config.ts'), 'utf8')).toContain("from 'theus/vite'")
    const app = readFileSync(join(dir, 'src/App.tsx'), 'utf8')
    expect(app).toMatch(/useTheus[\s\S]*useProcess/)
    // The typed form (SPEC §11): hooks typed for the engine, processes typed by the context,
    // and no casts.
    expect(app).toContain("from './hooks'")
    expect(app).not.toMatch(/\bas\s+[A-Z(]/)
    expect(readFileSync(join(dir, 'src/hooks.ts'), 'utf8')).toContain(
      'createTheusHooks<typeof engine>()',
    )
    expect(readFileSync(join(dir, 'src/process.ts'), 'utf8')).toContain('createProcess<Context>()')
    expect(readFileSync(join(dir, 'src/engine.ts'), 'utf8')).toContain(
      'processes: { transfer, notify }',
    )
    expect(readFileSync(join(dir, 'src/main.tsx'), 'utf8')).toContain(
      '<TheusProvider engine={engine}>',
    )
    // The YAML files are valid documents of their kind.
    parseAuditRecipe(readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8'))
    parseWorkflow(readFileSync(join(dir, 'workflows/workflow.yaml'), 'utf8'))
  })

  it('leaves a scaffold the other commands agree with', async () => {
    const cwd = tempDir()
    await run(cwd, 'init', 'app')
    const dir = join(cwd, 'app')
    linkNodeModules(dir)
    const gen = await run(dir, 'schema', 'gen')
    expect(gen.stderr).toBe('')
    expect(gen.stdout).toBe('unchanged specs/context_schema.yaml\n')
    expect((await run(dir, 'schema', 'code')).stdout).toBe('unchanged src/context.ts\n')
    expect((await run(dir, 'audit', 'gen-spec')).stdout).toContain('every process has a recipe')
    const inspect = await run(dir, 'audit', 'inspect', 'transfer')
    expect(inspect.stdout).toContain('amount max 10000, level B')
  })

  it('gives a context, processes and recipe that run together in an engine', async () => {
    const cwd = tempDir()
    await run(cwd, 'init', 'live')
    const dir = join(cwd, 'live')
    linkNodeModules(dir)
    const { contextSchema, initialContext } = await import(join(dir, 'src/context.ts'))
    const { transfer } = await import(join(dir, 'src/processes/transfer.ts'))
    const { notify } = await import(join(dir, 'src/processes/notify.ts'))
    const engine = new TheusEngine<any>(initialContext, {
      auditRecipe: parseAuditRecipe(readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')),
      schema: contextSchema,
    })
    engine.registerProcess(transfer)
    engine.registerProcess(notify)
    const flow = new WorkflowManager(
      engine,
      readFileSync(join(dir, 'workflows/workflow.yaml'), 'utf8'),
    )
    await flow.send('CMD_TX', { from_user: 'Alice', to_user: 'Bob', amount: 300 })
    expect(flow.lastError.value).toBe(null)
    const domain = engine.state.value.domain as { accounts: unknown; meta_last_tx: unknown }
    expect(domain.accounts).toEqual({ Alice: 700, Bob: 300 })
    expect(domain.meta_last_tx).toBe('Alice -> Bob: 300')
    expect(flow.state.value).toBe('IDLE')
    // The recipe's level B rule blocks a transfer over 10000.
    expect(() =>
      engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 20000 }),
    ).toThrow(AuditBlockError)
  })

  it('accepts an existing empty directory', async () => {
    const cwd = tempDir()
    mkdirSync(join(cwd, 'empty'))
    expect((await run(cwd, 'init', 'empty')).code).toBe(0)
  })

  it('refuses a non-empty target with exit 1 and one line, and touches nothing', async () => {
    const cwd = tempDir()
    mkdirSync(join(cwd, 'taken'))
    writeFileSync(join(cwd, 'taken', 'package.json'), '{"name":"mine"}')
    const r = await run(cwd, 'init', 'taken')
    expect(r.code).toBe(1)
    expect(expectOneLine(r)).toContain('taken is not empty')
    expect(readdirSync(join(cwd, 'taken'))).toEqual(['package.json'])
    expect(readFileSync(join(cwd, 'taken', 'package.json'), 'utf8')).toBe('{"name":"mine"}')
  })

  it('refuses a bad name, a missing name and extra arguments with one line', async () => {
    expect(expectOneLine(await run(tempDir(), 'init', 'My App'))).toContain(
      'not a valid package name',
    )
    expect(expectOneLine(await run(tempDir(), 'init'))).toContain('needs <name>')
    // An empty name would scaffold into the current directory: it is a missing one.
    const empty = tempDir()
    expect(expectOneLine(await run(empty, 'init', ''))).toContain('needs <name>')
    expect(readdirSync(empty)).toEqual([])
    expect(expectOneLine(await run(tempDir(), 'init', 'a', 'b'))).toContain(
      "unexpected argument 'b'",
    )
  })

  it('has --help', async () => {
    const r = await run(tempDir(), 'init', '--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: theus init <name>')
  })
})

describe('theus init: the theus dependency', () => {
  const theusDep = (dir: string) =>
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.theus as string

  it('depends on the checkout the CLI runs from (file:<absolute path>), so npm install works', async () => {
    const cwd = tempDir()
    const r = await run(cwd, 'init', 'app')
    expect(r.code).toBe(0)
    const spec = `file:${realpathSync(repoRoot).replace(/\/$/, '')}`
    expect(theusDep(join(cwd, 'app'))).toBe(spec)
    expect(r.stdout).toContain(`"theus": "${spec}"`)
  })

  it('writes --theus as given: a range or tag as it is, a path as file:<absolute path>', async () => {
    const cwd = tempDir()
    expect((await run(cwd, 'init', 'a', '--theus', '^0.2.0')).code).toBe(0)
    expect(theusDep(join(cwd, 'a'))).toBe('^0.2.0')
    writeFileSync(join(cwd, 'theus-0.1.0.tgz'), '')
    expect((await run(cwd, 'init', 'b', '--theus', './theus-0.1.0.tgz')).code).toBe(0)
    expect(theusDep(join(cwd, 'b'))).toBe(`file:${join(cwd, 'theus-0.1.0.tgz')}`)
    // A relative file: spec is read by npm from the app's folder: made absolute here.
    expect((await run(cwd, 'init', 'c', '--theus', 'file:theus-0.1.0.tgz')).code).toBe(0)
    expect(theusDep(join(cwd, 'c'))).toBe(`file:${join(cwd, 'theus-0.1.0.tgz')}`)
  })

  it('refuses a --theus path that does not exist, or an empty one, with one line and no files', async () => {
    const cwd = tempDir()
    const line = expectOneLine(await run(cwd, 'init', 'a', '--theus', './missing.tgz'))
    expect(line).toContain('missing.tgz does not exist')
    expect(existsSync(join(cwd, 'a'))).toBe(false)
    expect(expectOneLine(await run(cwd, 'init', 'b', '--theus', ' '))).toContain(
      "option '--theus' of 'theus init' needs a value",
    )
  })

  it('says no `cd .` in the next steps when it scaffolds into the working directory', async () => {
    const cwd = join(tempDir(), 'here')
    mkdirSync(cwd)
    const r = await run(cwd, 'init', '.')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('created . (')
    expect(r.stdout).toContain('next:\n  npm install\n')
    expect(r.stdout).not.toContain('cd .')
  })

  it('quotes a path with spaces in the next steps, so `cd` can be pasted as it is', async () => {
    const cwd = tempDir()
    const r = await run(cwd, 'init', 'my apps/bank')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('\n  cd "my apps/bank"\n')
    expect(existsSync(join(cwd, 'my apps/bank/src/context.ts'))).toBe(true)
    expect(shellQuoted('my-app')).toBe('my-app')
    expect(shellQuoted('C:\\Users\\me\\my-app')).toBe('C:\\Users\\me\\my-app')
    expect(shellQuoted('a "b"/app')).toBe(`'a "b"/app'`)
    expect(shellQuoted("it's $HOME/app")).toBe(`'it'\\''s $HOME/app'`)
  })

  describe('detectTheusSpec', () => {
    function installed(lock: object | undefined, file = 'node_modules/.package-lock.json') {
      const project = tempDir()
      writeFiles(project, { 'node_modules/theus/package.json': '{"name":"theus"}' })
      if (lock) writeFiles(project, { [file]: JSON.stringify({ packages: lock }) })
      return { project, pkgDir: join(project, 'node_modules/theus') }
    }

    it('gives file:<dir> for a package outside node_modules (a checkout, or a link target)', () => {
      expect(detectTheusSpec('/home/me/src/theus', '0.1.0')).toBe('file:/home/me/src/theus')
    })

    it('gives file:<absolute tarball> for a package installed from a tarball', () => {
      const { project, pkgDir } = installed({
        'node_modules/theus': { version: '0.1.0', resolved: 'file:../dl/theus-0.1.0.tgz' },
      })
      expect(detectTheusSpec(pkgDir, '0.1.0')).toBe(
        `file:${join(project, '../dl/theus-0.1.0.tgz')}`,
      )
    })

    it('gives file:<absolute target> for a linked package (from package-lock.json too)', () => {
      const { project, pkgDir } = installed(
        { 'node_modules/theus': { resolved: '../theus', link: true } },
        'package-lock.json',
      )
      expect(detectTheusSpec(pkgDir, '0.1.0')).toBe(`file:${join(project, '../theus')}`)
    })

    it('gives the registry range for a registry install, or when no lockfile says otherwise', () => {
      const { pkgDir } = installed({
        'node_modules/theus': { resolved: 'https://registry.npmjs.org/theus/-/theus-0.1.0.tgz' },
      })
      expect(detectTheusSpec(pkgDir, '0.1.0')).toBe('^0.1.0')
      expect(detectTheusSpec(installed(undefined).pkgDir, '0.3.1')).toBe('^0.3.1')
    })
  })
})
