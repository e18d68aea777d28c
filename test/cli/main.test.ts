import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import * as yaml from 'yaml'
import { expectOneLine, repoRoot, run, tempDir, writeFiles } from './helpers.js'

// Records the options of every yaml parseDocument call the commands make (it still parses).
vi.mock('yaml', async (original) => {
  const real = await original<typeof import('yaml')>()
  return { ...real, parseDocument: vi.fn(real.parseDocument) }
})

describe('theus (dispatch)', () => {
  it('prints the command list for --help and exits 0', async () => {
    const r = await run(tempDir(), '--help')
    expect(r.code).toBe(0)
    for (const c of [
      'init <name>',
      'audit gen-spec',
      'audit inspect',
      'schema gen',
      'schema code',
    ]) {
      expect(r.stdout).toContain(c)
    }
  })

  it("shows a command's help for `theus help <command>`, as `--help` does", async () => {
    const r = await run(tempDir(), 'help', 'audit', 'inspect')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe((await run(tempDir(), 'audit', 'inspect', '--help')).stdout)
    expect((await run(tempDir(), 'help', 'init')).stdout).toContain('Usage: theus init <name>')
    expect(expectOneLine(await run(tempDir(), 'help', 'deploy'))).toContain(
      "unknown command 'deploy'",
    )
  })

  it('prints the list and exits 1 when no command is given', async () => {
    const r = await run(tempDir())
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('Usage: theus')
    // SPEC §8: bad input exits non-zero with a one-line reason.
    expect(expectOneLine(r)).toContain('missing command')
  })

  it('prints the group list and one line on stderr for a group without its command', async () => {
    const audit = await run(tempDir(), 'audit')
    expect(audit.code).toBe(1)
    expect(audit.stdout).toContain('theus audit inspect --help')
    expect(expectOneLine(audit)).toContain('audit gen-spec or audit inspect')
    const schema = await run(tempDir(), 'schema')
    expect(schema.stdout).toContain('theus schema code --help')
    expect(expectOneLine(schema)).toContain('schema gen or schema code')
  })

  it('prints the version of the package', async () => {
    const r = await run(tempDir(), '--version')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('refuses an unknown command or subcommand with one line', async () => {
    expect(expectOneLine(await run(tempDir(), 'deploy'))).toContain("unknown command 'deploy'")
    expect(expectOneLine(await run(tempDir(), 'audit', 'fix'))).toContain(
      'audit gen-spec, audit inspect',
    )
  })

  it('shows a group help for `theus audit --help` and `theus schema --help`', async () => {
    const audit = await run(tempDir(), 'audit', '--help')
    expect(audit.code).toBe(0)
    expect(audit.stdout).toContain('theus audit inspect --help')
    const schema = await run(tempDir(), 'schema', '--help')
    expect(schema.stdout).toContain('theus schema code --help')
  })

  it('refuses an unknown option with one line naming it', async () => {
    const line = expectOneLine(await run(tempDir(), 'schema', 'gen', '--bogus'))
    expect(line).toContain("'--bogus'")
    expect(line).toContain('theus schema gen --help')
  })

  it('calls an unknown option before the command an option, not a command', async () => {
    const top = await run(tempDir(), '--bogus')
    expect(top.code).toBe(1)
    expect(expectOneLine(top)).toBe(
      "theus: unknown option '--bogus'; run 'theus --help' for the list.",
    )
    const group = await run(tempDir(), 'audit', '--bogus')
    expect(group.code).toBe(1)
    expect(expectOneLine(group)).toBe(
      "theus: unknown option '--bogus' for 'theus audit'; give a command first: audit gen-spec or audit inspect.",
    )
  })

  it('shows paths relative to the working directory in messages, as elsewhere', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'ctx.mjs': 'export const initial = { domain: { n: 1 } }\n',
      'specs/a.txt': '',
    })
    const r = await run(dir, 'schema', 'gen', '--context', 'ctx.mjs', '--out', 'specs')
    expect(expectOneLine(r)).toBe('theus: specs is a directory; give the path of a file.')
  })

  it('says whether an option lacks its value or was given one it does not take', async () => {
    const missing = expectOneLine(await run(tempDir(), 'audit', 'gen-spec', '--recipe'))
    expect(missing).toContain("option '--recipe' of 'theus audit gen-spec' needs a value")
    const extra = expectOneLine(await run(tempDir(), 'audit', 'gen-spec', '--dry-run=yes'))
    expect(extra).toContain("option '--dry-run' of 'theus audit gen-spec' takes no value")
  })

  it('calls an empty option value a missing one, not the working directory (--out= wrote to ., --processes "" scanned the project)', async () => {
    const dir = tempDir()
    writeFiles(dir, { 'ctx.mjs': 'export const initial = { domain: { n: 1 } }\n' })
    for (const [argv, option, command] of [
      [['schema', 'gen', '--context', 'ctx.mjs', '--out='], 'out', 'schema gen'],
      [['audit', 'gen-spec', '--processes', ''], 'processes', 'audit gen-spec'],
      [
        ['audit', 'gen-spec', '--processes', 'ctx.mjs', '--processes', ' '],
        'processes',
        'audit gen-spec',
      ],
      [['audit', 'inspect', 'x', '--recipe', ''], 'recipe', 'audit inspect'],
      [['init', 'a', '--theus='], 'theus', 'init'],
    ] as const) {
      expect(expectOneLine(await run(dir, ...argv))).toBe(
        `theus: option '--${option}' of 'theus ${command}' needs a value; see 'theus ${command} --help'.`,
      )
    }
    expect(readdirSync(dir)).toEqual(['ctx.mjs'])
  })

  it('parses large recipes and schema files in linear time: no yaml duplicate-key pass (quadratic, minutes for a 3 MB recipe)', async () => {
    const dir = tempDir()
    let recipe = 'process_recipes:\n'
    for (let i = 0; i < 5_000; i++) recipe += `  p${i}:\n    inputs: [{ field: n, min: ${i} }]\n`
    let schema = 'version: 1\nfields:\n  domain.o:\n    type: object\n'
    for (let i = 0; i < 3_000; i++) schema += `  domain.o.k${i}: { type: integer, default: ${i} }\n`
    writeFiles(dir, {
      'specs/audit_recipe.yaml': recipe,
      'specs/context_schema.yaml': schema,
      'src/processes/q.ts':
        "export const q = process({ outputs: ['domain.n'] }, function q(ctx) {})\n",
    })
    const parseDocument = vi.mocked(yaml.parseDocument)
    parseDocument.mockClear()
    const inspected = await run(dir, 'audit', 'inspect', 'p4999')
    expect(inspected.stdout).toContain('n min 4999, level C')
    const added = await run(dir, 'audit', 'gen-spec')
    expect(added.stdout).toContain('added q')
    expect((await run(dir, 'schema', 'code')).stdout).toContain('created src/context.ts')
    // Duplicate keys are Theus's loader's to find, in one pass, before these parses.
    const big = parseDocument.mock.calls.filter(([text]) => text.length > 100_000)
    expect(big.length).toBeGreaterThanOrEqual(3)
    for (const [, options] of big) expect(options).toMatchObject({ uniqueKeys: false })
    writeFiles(dir, { 'dup.yaml': `${recipe}  p7:\n    inputs: []\n` })
    expect(expectOneLine(await run(dir, 'audit', 'gen-spec', '--recipe', 'dup.yaml'))).toContain(
      'dup.yaml:10002:3',
    )
  }, 60_000)

  it('refuses a directory given where a file goes with one line and exit 1 (was an unexpected EISDIR, exit 2)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'ctx.mjs': 'export const initial = { domain: { n: 1 } }\n',
      'specs/keep.txt': '',
    })
    for (const argv of [
      ['schema', 'gen', '--context', 'ctx.mjs', '--out', 'specs'],
      ['schema', 'code', '--schema', 'specs'],
      ['audit', 'gen-spec', '--recipe', 'specs', '--processes', 'ctx.mjs'],
      ['audit', 'inspect', 'x', '--recipe', 'specs'],
    ]) {
      const r = await run(dir, ...argv)
      expect([argv.join(' '), r.code]).toEqual([argv.join(' '), 1])
      expect(expectOneLine(r)).toContain('is a directory')
    }
  })

  it('says what the file system refused in one line, exit 1 (was exit 2, "unexpected")', async () => {
    const dir = tempDir()
    writeFiles(dir, { afile: '' })
    const r = await run(dir, 'init', 'afile/app')
    expect(r.code).toBe(1)
    expect(expectOneLine(r)).toBe(`theus: ENOTDIR: not a directory, mkdir '${dir}/afile/app'`)
  })

  // A child process: Node's recursive mkdir spins forever there, and would hang the suite.
  it.runIf(existsSync('/proc/self'))(
    'refuses a target it cannot make under /proc instead of hanging',
    () => {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/index.ts', 'init', '/proc/theus-none/app'],
        { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 },
      )
      expect([r.signal, r.status]).toEqual([null, 1])
      expect(r.stderr.trim()).toBe(
        "theus: ENOENT: no such file or directory, mkdir '/proc/theus-none'",
      )
    },
  )

  it('runs as a child process from the sources (node --import tsx)', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', 'audit', 'inspect', '--help'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    )
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('Usage: theus audit inspect <process>')
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'init'], {
      cwd: repoRoot,
      encoding: 'utf8',
    })
    expect(bad.status).toBe(1)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('stays quiet when the reader closes the pipe early (`theus ... | head`), with no stack trace', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', '--help'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // Closed before the child starts, so its first write meets a closed pipe (EPIPE).
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const code = await new Promise((done) => child.on('close', done))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })
})
