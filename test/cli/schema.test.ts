import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { compilers } from '../../src/cli/loadModule.js'
import { expectOneLine, linkNodeModules, repoRoot, run, tempDir, writeFiles } from './helpers.js'

const ZOD_CONTEXT = `import { z } from 'zod'
export const contextSchema = z.object({
  global: z.object({ max_transfer: z.number().int().min(0).max(50000) }),
  domain: z.object({
    accounts: z.record(z.string(), z.number()),
    status: z.enum(['open', 'closed']).describe('account state'),
    note: z.string().nullable(),
    nick: z.string().min(2).optional(),
    tags: z.array(z.string()),
    sig_alarm: z.boolean(),
    heavy_img: z.instanceof(Uint8Array),
  }),
})
export const initialContext = {
  global: { max_transfer: 10000 },
  domain: {
    accounts: { Alice: 1000 } as Record<string, number>,
    status: 'open' as const,
    note: null,
    tags: ['a'],
    sig_alarm: false,
    heavy_img: new Uint8Array(4),
  },
}
`

describe('theus schema gen', () => {
  it('writes one entry per path from the value and its zod schema', async () => {
    const dir = tempDir()
    linkNodeModules(dir)
    writeFiles(dir, { 'src/context.ts': ZOD_CONTEXT })
    const r = await run(dir, 'schema', 'gen')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('created specs/context_schema.yaml')
    const text = readFileSync(join(dir, 'specs/context_schema.yaml'), 'utf8')
    expect(text).toContain(
      '# Written by `theus schema gen` from src/context.ts (initialContext), and its zod schema contextSchema',
    )
    const { version, fields } = parse(text)
    expect(version).toBe(1)
    expect(fields['global.max_transfer']).toEqual({
      type: 'integer',
      zone: 'data',
      default: 10000,
      min: 0,
      max: 50000,
    })
    expect(fields['domain.accounts']).toEqual({
      type: 'record',
      zone: 'data',
      values: 'number',
      default: { Alice: 1000 },
    })
    expect(fields['domain.status']).toMatchObject({
      type: 'string',
      enum: ['open', 'closed'],
      description: 'account state',
    })
    expect(fields['domain.note']).toMatchObject({ nullable: true, default: null })
    expect(fields['domain.tags']).toEqual({
      type: 'array',
      zone: 'data',
      items: 'string',
      default: ['a'],
    })
    expect(fields['domain.sig_alarm']).toEqual({ type: 'boolean', zone: 'signal', default: false })
    expect(fields['domain.heavy_img']).toEqual({ type: 'Uint8Array', zone: 'heavy', length: 4 })
  })

  it('infers from the value alone when no schema is exported (a .js module needs no compiler)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'app/ctx.mjs': `export default { domain: { counter: 1, items: [1, 2], meta_trace: 'x', config: { deep: true } } }\n`,
    })
    const r = await run(dir, 'schema', 'gen', '--context', 'app/ctx.mjs', '--out', 'schema.yaml')
    expect(r.code).toBe(0)
    const { fields } = parse(readFileSync(join(dir, 'schema.yaml'), 'utf8'))
    expect(Object.keys(fields)).toEqual([
      'global',
      'domain',
      'domain.counter',
      'domain.items',
      'domain.meta_trace',
      'domain.config',
      'domain.config.deep',
    ])
    expect(fields['domain.items']).toEqual({
      type: 'array',
      zone: 'data',
      items: 'number',
      default: [1, 2],
    })
    expect(fields['domain.meta_trace'].zone).toBe('meta')
    expect(fields['domain.config']).toEqual({ type: 'object', zone: 'data' })
  })

  it('reads the exports of a CommonJS module, which Node hands over as its default export', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'ctx.cjs': 'module.exports = { initialContext: { global: {}, domain: { n: 1 } } }\n',
      'named.cjs': 'module.exports = { state: { global: {}, domain: { m: 2 } } }\n',
    })
    // As a child process: vitest's own module loader gives CommonJS modules named exports.
    const cli = (...argv: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...argv], {
        cwd: repoRoot,
        encoding: 'utf8',
      })
    const r = cli('schema', 'gen', '--context', join(dir, 'ctx.cjs'), '--dry-run')
    expect(r.stderr).toBe('')
    expect(parse(r.stdout).fields['domain.n']).toEqual({ type: 'number', zone: 'data', default: 1 })
    const named = cli(
      'schema',
      'gen',
      '--context',
      join(dir, 'named.cjs'),
      '--export',
      'state',
      '--dry-run',
    )
    expect(named.stderr).toBe('')
    expect(parse(named.stdout).fields['domain.m'].default).toBe(2)
  })

  it('never overwrites a different file silently: refuses, then overwrites with --force and says so', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'src/context.mjs': 'export const initial = { domain: { n: 1 } }\n',
      'specs/context_schema.yaml': '# mine\n',
    })
    const line = expectOneLine(await run(dir, 'schema', 'gen', '--context', 'src/context.mjs'))
    expect(line).toContain('--force')
    expect(readFileSync(join(dir, 'specs/context_schema.yaml'), 'utf8')).toBe('# mine\n')
    const forced = await run(dir, 'schema', 'gen', '--context', 'src/context.mjs', '--force')
    expect(forced.code).toBe(0)
    expect(forced.stdout).toMatch(/overwrote specs\/context_schema\.yaml \(\+\d+ -1 lines\)/)
    const again = await run(dir, 'schema', 'gen', '--context', 'src/context.mjs')
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('unchanged')
  })

  it('refuses bad input with one line', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'a.mjs': 'export const other = 1\n',
      'b.mjs': 'export const initial = { domain: {}, extra: {} }\n',
    })
    expect(expectOneLine(await run(dir, 'schema', 'gen'))).toContain(
      'no context module at src/context.ts',
    )
    expect(expectOneLine(await run(dir, 'schema', 'gen', '--context', 'a.mjs'))).toContain(
      'exports no initial context',
    )
    expect(expectOneLine(await run(dir, 'schema', 'gen', '--context', 'b.mjs'))).toContain(
      "root key 'extra'",
    )
  })

  it('refuses a context module with a syntax error, with its line and column, whichever compiler runs', async () => {
    const dir = tempDir()
    writeFiles(dir, { 'src/context.ts': 'export const initialContext = { domain: {\n' })
    const line = expectOneLine(await run(dir, 'schema', 'gen'))
    expect(line).toMatch(/context\.ts:2:1/)
    // typescript's transpileModule (used when esbuild is absent) emits code for a file that
    // does not parse; it must refuse it too rather than describe a half-read context.
    const typescript = compilers[1]!(repoRoot)
    await expect(typescript(join(dir, 'src/context.ts'))).rejects.toThrow(
      /src\/context\.ts:2:1: '}' expected/,
    )
  })

  it("compiles with Vite 8's oxc when the project has neither esbuild nor a typescript that transpiles", async () => {
    // `npm i -D typescript` installs typescript 7, which has no transpileModule: a Vite app
    // with it (and no esbuild, which Vite 8 no longer brings) had no compiler at all.
    const dir = tempDir()
    writeFiles(dir, {
      'ok.ts': 'type N = number\nexport const initialContext = { domain: { n: 1 as N } }\n',
      'bad.ts': 'export const initialContext = { domain: {\n',
    })
    const oxc = compilers[2]!(repoRoot)
    const code = await oxc(join(dir, 'ok.ts'))
    expect(code).toContain('export const initialContext')
    expect(code).not.toContain('type N')
    await expect(oxc(join(dir, 'bad.ts'))).rejects.toThrow(
      /bad\.ts:2:1: Expected `}` but found `EOF`$/,
    )
  })

  it("compiles with typescript 7's tsc, which has no transpileModule, when it is the project's only compiler", async () => {
    // A stand-in for typescript 7: a package without a JavaScript API whose bin is a real tsc.
    const dir = tempDir()
    const realTsc = join(repoRoot, 'node_modules/typescript/lib/tsc.js')
    writeFiles(dir, {
      'node_modules/typescript/package.json': JSON.stringify({
        name: 'typescript',
        version: '7.0.0',
        main: 'version.cjs',
        bin: { tsc: './bin/tsc' },
      }),
      'node_modules/typescript/version.cjs': "module.exports = { version: '7.0.0' }\n",
      'node_modules/typescript/bin/tsc': `require(${JSON.stringify(realTsc)})\n`,
      'ok.ts':
        'type N = number\nenum E { A }\nexport const initialContext = { domain: { n: 1 as N, e: E.A } }\n',
      'bad.ts': 'export const initialContext = { domain: {\n',
    })
    expect(await compilers[1]!(dir)(join(dir, 'ok.ts'))).toBeUndefined()
    const tsc = compilers[3]!(dir)
    const code = await tsc(join(dir, 'ok.ts'))
    expect(code).toContain('export const initialContext')
    expect(code).not.toContain('type N')
    await expect(tsc(join(dir, 'bad.ts'))).rejects.toThrow(/bad\.ts:2:1: '}' expected\.$/)
    // tsc names its output after the source's kind: c.mts gives c.mjs.
    writeFiles(dir, { 'c.mts': 'export const initialContext: object = { domain: {} }\n' })
    expect(await tsc(join(dir, 'c.mts'))).toContain('export const initialContext = {')
  })

  it('names the context module, not its compiled copy, when an import fails', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'src/context.ts': "import 'no-such-package'\nexport const initialContext = { domain: {} }\n",
    })
    const line = expectOneLine(await run(dir, 'schema', 'gen'))
    expect(line).toContain("Cannot find package 'no-such-package'")
    // The path as given (relative to the working directory), as other messages show it.
    expect(line).toMatch(/^theus: cannot import src\/context\.ts: /)
    expect(line).toContain(`imported from ${join(dir, 'src/context.ts')}`)
    expect(line).not.toContain('.theus-')
  })

  it('has --help', async () => {
    const r = await run(tempDir(), 'schema', 'gen', '--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: theus schema gen')
  })
})

const ELEMENT_CONTEXT = `import { z } from 'zod'
export const contextSchema = z.object({
  global: z.object({}),
  domain: z.object({
    scores: z.array(z.number().min(0)).max(10),
    prices: z.record(z.string(), z.number().int().min(1).max(99)),
    codes: z.array(z.string().min(2).regex(/^[A-Z]+$/)),
    plain: z.array(z.number()),
  }),
})
export const initialContext = {
  global: {},
  domain: { scores: [1, 2], prices: { tea: 3 }, codes: ['AB'], plain: [1] },
}
`

describe('theus schema gen and code: element constraints', () => {
  it('keeps the constraints of array items and record values, both ways', async () => {
    const dir = tempDir()
    linkNodeModules(dir)
    writeFiles(dir, { 'src/context.ts': ELEMENT_CONTEXT })
    const gen = await run(dir, 'schema', 'gen')
    expect(gen.stderr).toBe('')
    const yaml = readFileSync(join(dir, 'specs/context_schema.yaml'), 'utf8')
    const { fields } = parse(yaml)
    expect(fields['domain.scores']).toEqual({
      type: 'array',
      zone: 'data',
      items: { type: 'number', min: 0 },
      default: [1, 2],
      max_len: 10,
    })
    expect(fields['domain.prices'].values).toEqual({ type: 'integer', min: 1, max: 99 })
    expect(fields['domain.codes'].items).toEqual({ type: 'string', min_len: 2, regex: '^[A-Z]+$' })
    // An element without constraints keeps the short form.
    expect(fields['domain.plain'].items).toBe('number')

    expect((await run(dir, 'schema', 'code', '--out', 'src/generated.ts')).code).toBe(0)
    const ts = readFileSync(join(dir, 'src/generated.ts'), 'utf8')
    expect(ts).toContain('scores: z.array(z.number().min(0)).max(10),')
    expect(ts).toContain('prices: z.record(z.string(), z.number().int().min(1).max(99)),')
    expect(ts).toContain('codes: z.array(z.string().min(2).regex(new RegExp("^[A-Z]+$"))),')
    expect(ts).toContain('plain: z.array(z.number()),')

    const back = await run(dir, 'schema', 'gen', '--context', 'src/generated.ts', '--out', 'b.yaml')
    expect(back.code).toBe(0)
    const body = (t: string) => t.slice(t.indexOf('version:'))
    expect(body(readFileSync(join(dir, 'b.yaml'), 'utf8'))).toBe(body(yaml))
  })

  it('refuses an element mapping with a mistake, naming its path', async () => {
    const dir = tempDir()
    const cases: [string, string][] = [
      [
        'version: 1\nfields:\n  domain.x: { type: array, items: { type: numbr } }\n',
        'fields.domain.x.items.type',
      ],
      [
        'version: 1\nfields:\n  domain.x: { type: array, items: { type: number, mn: 0 } }\n',
        'fields.domain.x.items.mn: unknown key',
      ],
      [
        'version: 1\nfields:\n  domain.x: { type: record, values: { type: number, min: "0" } }\n',
        'fields.domain.x.values.min: expected a number',
      ],
      ['version: 1\nfields:\n  domain.x: { type: array, items: 7 }\n', 'fields.domain.x.items'],
    ]
    for (const [text, expected] of cases) {
      writeFileSync(join(dir, 'schema.yaml'), text)
      const line = expectOneLine(
        await run(dir, 'schema', 'code', '--schema', 'schema.yaml', '--dry-run'),
      )
      expect(line).toContain(expected)
    }
  })
})

describe('theus schema gen: values a schema cannot describe', () => {
  it.each([
    [
      'a function',
      'domain: { config: { onSave: function onSave() {} } }',
      'a function (onSave) at domain.config.onSave',
    ],
    ['an arrow in an array', 'domain: { hooks: [1, () => 0] }', 'a function at domain.hooks[1]'],
    [
      'a class instance',
      'domain: { when: new (class Clock {})() }',
      'an instance of Clock at domain.when',
    ],
    ['a symbol in a record', 'global: { tags: { a: Symbol("x") } }', 'a symbol at global.tags.a'],
  ])('refuses %s with one line naming the path', async (_, body, expected) => {
    const dir = tempDir()
    writeFiles(dir, { 'ctx.mjs': `export const initial = { ${body} }\n` })
    const line = expectOneLine(await run(dir, 'schema', 'gen', '--context', 'ctx.mjs', '--dry-run'))
    expect(line).toContain(expected)
    expect(line).toContain('describes data only')
    expect(line).not.toContain('Tag not resolved')
  })

  it('refuses a cycle with one line naming where it closes (was a stack overflow, exit 2)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'ctx.mjs':
        'const node = { id: 1 }\nnode.self = node\nexport const initial = { domain: { node } }\n',
    })
    const line = expectOneLine(await run(dir, 'schema', 'gen', '--context', 'ctx.mjs', '--dry-run'))
    expect(line).toContain('a cycle at domain.node.self')
  })

  it('describes objects made with Object.create(null) as objects (SPEC §10.1 plain data; their content was lost)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'ctx.mjs':
        'const bare = (o) => Object.assign(Object.create(null), o)\nexport const initial = { domain: { o: bare({ a: 1 }), list: [bare({ b: 2 })], r: { x: bare({}) } } }\n',
    })
    const r = await run(dir, 'schema', 'gen', '--context', 'ctx.mjs', '--out', 's.yaml')
    expect(r.code).toBe(0)
    const { fields } = parse(readFileSync(join(dir, 's.yaml'), 'utf8'))
    expect(fields['domain.o']).toEqual({ type: 'object', zone: 'data' })
    expect(fields['domain.o.a']).toEqual({ type: 'number', zone: 'data', default: 1 })
    expect(fields['domain.list']).toMatchObject({ items: 'object', default: [{ b: 2 }] })
    expect(fields['domain.r.x']).toEqual({ type: 'object', zone: 'data' })
    const code = await run(dir, 'schema', 'code', '--schema', 's.yaml', '--dry-run')
    expect(code.stdout).toContain('o: {\n      a: 1,\n    },')
    expect(code.stdout).toContain('list: [{ b: 2 }],')
  })

  it('refuses a bigint with one line naming its path (it was written as a rounded number)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'ctx.mjs': 'export const initial = { domain: { a: { b: [1, 2n ** 64n] } } }\n',
      'heavy.mjs': 'export const initial = { domain: { heavy_n: 5n } }\n',
    })
    expect(
      expectOneLine(await run(dir, 'schema', 'gen', '--context', 'ctx.mjs', '--dry-run')),
    ).toBe(
      'theus: the context holds a bigint (18446744073709551616n) at domain.a.b[1], which the context schema file cannot describe; store it as a string or a number.',
    )
    expect(
      expectOneLine(await run(dir, 'schema', 'gen', '--context', 'heavy.mjs', '--dry-run')),
    ).toContain('a bigint (5n) at domain.heavy_n')
  })

  it('refuses a context nested past 200 levels, and one whose getter throws, with exit 1 (was exit 2, unexpected)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'deep.mjs':
        'const root = {}\nlet at = root\nfor (let i = 0; i < 20000; i++) at = at.x = {}\nexport const initial = { domain: root }\n',
      'getter.mjs':
        "export const initial = { domain: { get total() { throw new Error('not ready') } } }\n",
    })
    const deep = await run(dir, 'schema', 'gen', '--context', 'deep.mjs', '--dry-run')
    expect(deep.code).toBe(1)
    expect(expectOneLine(deep)).toMatch(
      /^theus: the context is nested more than 200 levels deep at domain(\.x)+; /,
    )
    const getter = await run(dir, 'schema', 'gen', '--context', 'getter.mjs', '--dry-run')
    expect(getter.code).toBe(1)
    expect(expectOneLine(getter)).toBe(
      'theus: reading the context of getter.mjs (initial) threw: not ready',
    )
  })

  it('refuses a key no dotted path can name (a.b, empty) in an object, not in a record (was a file schema code refused)', async () => {
    const dir = tempDir()
    linkNodeModules(dir)
    for (const [i, key] of ['alice@example.com', '', 'a[0]'].entries()) {
      writeFiles(dir, {
        [`src/c${i}.mjs`]: `export const initialContext = { global: {}, domain: { accounts: { ${JSON.stringify(key)}: 1 } } }\n`,
      })
      const r = await run(dir, 'schema', 'gen', '--context', `src/c${i}.mjs`)
      expect(r.code).toBe(1)
      expect(expectOneLine(r)).toContain(
        `the key ${JSON.stringify(key)} at domain.accounts cannot be a path segment`,
      )
      expect(existsSync(join(dir, 'specs/context_schema.yaml'))).toBe(false)
    }
    // A record's keys are data: they stay in its default, and the file reads back.
    writeFiles(dir, {
      'src/context.mjs': `import { z } from 'zod'
export const contextSchema = z.object({ global: z.object({}), domain: z.object({ accounts: z.record(z.string(), z.number()) }) })
export const initialContext = { global: {}, domain: { accounts: { 'alice@example.com': 1 } } }
`,
    })
    expect((await run(dir, 'schema', 'gen', '--context', 'src/context.mjs')).code).toBe(0)
    const code = await run(dir, 'schema', 'code', '--dry-run')
    expect(code.stdout).toContain("accounts: { 'alice@example.com': 1 },")
  })

  it('refuses a __proto__ key (SPEC §10.1), which src/context.ts would turn into a prototype', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'ctx.mjs': `export const initial = JSON.parse('{"domain":{"rec":{"__proto__":{"a":1}}}}')\n`,
    })
    const line = expectOneLine(await run(dir, 'schema', 'gen', '--context', 'ctx.mjs', '--dry-run'))
    expect(line).toContain("domain.rec.__proto__ is a '__proto__' key")
  })

  it('describes a class instance in the heavy zone as unknown (held by reference)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'ctx.mjs': 'export const initial = { domain: { heavy_model: new (class Model {})() } }\n',
    })
    const r = await run(dir, 'schema', 'gen', '--context', 'ctx.mjs', '--dry-run')
    expect(r.stderr).toBe('')
    expect(parse(r.stdout).fields['domain.heavy_model']).toEqual({ type: 'unknown', zone: 'heavy' })
  })
})

describe('theus schema code', () => {
  it('writes a context module whose schema gen gives the same file back', async () => {
    const dir = tempDir()
    linkNodeModules(dir)
    writeFiles(dir, { 'src/context.ts': ZOD_CONTEXT })
    await run(dir, 'schema', 'gen')
    const yaml = readFileSync(join(dir, 'specs/context_schema.yaml'), 'utf8')
    const code = await run(dir, 'schema', 'code', '--out', 'src/generated.ts')
    expect(code.code).toBe(0)
    const ts = readFileSync(join(dir, 'src/generated.ts'), 'utf8')
    expect(ts).toContain(
      'status: z.enum(["open","closed"]).describe(\'account state\'),'.replace(
        "'account state'",
        '"account state"',
      ),
    )
    expect(ts).toContain('heavy_img: new Uint8Array(4),')
    expect(ts).toContain('accounts: { Alice: 1000 },')
    const back = await run(
      dir,
      'schema',
      'gen',
      '--context',
      'src/generated.ts',
      '--out',
      'specs/back.yaml',
    )
    expect(back.code).toBe(0)
    const again = readFileSync(join(dir, 'specs/back.yaml'), 'utf8')
    const body = (t: string) => t.slice(t.indexOf('version:'))
    expect(body(again)).toBe(body(yaml))
  })

  it('writes NaN, the infinities, -0 and line breaks in strings as they are (NaN was null, \\r broke the module)', async () => {
    const dir = tempDir()
    linkNodeModules(dir)
    writeFiles(dir, {
      'src/context.mjs': `export const initialContext = {
  global: {},
  domain: { n: NaN, up: Infinity, down: -Infinity, z: -0, text: 'a\\r\\nb\\u2028c"\\'\\\\', list: [NaN, 'x\\ry'] },
}
`,
    })
    expect((await run(dir, 'schema', 'gen', '--context', 'src/context.mjs')).code).toBe(0)
    const code = await run(dir, 'schema', 'code', '--out', 'src/generated.ts')
    expect(code.stderr).toBe('')
    const ts = readFileSync(join(dir, 'src/generated.ts'), 'utf8')
    const { transformSync } = await import('esbuild')
    writeFiles(dir, { 'src/generated.mjs': transformSync(ts, { loader: 'ts' }).code })
    const mod = await import(join(dir, 'src/generated.mjs'))
    expect(mod.initialContext.domain).toEqual({
      n: Number.NaN,
      up: Number.POSITIVE_INFINITY,
      down: Number.NEGATIVE_INFINITY,
      z: -0,
      text: 'a\r\nb\u2028c"\'\\',
      list: [Number.NaN, 'x\ry'],
    })
    expect(Object.is(mod.initialContext.domain.z, -0)).toBe(true)
  })

  it('writes dates inside arrays, records and maps as Dates, so the module fits its own schema', async () => {
    const dir = tempDir()
    linkNodeModules(dir)
    writeFiles(dir, {
      'src/context.mjs': `import { z } from 'zod'
export const contextSchema = z.object({
  global: z.object({}),
  domain: z.object({
    days: z.array(z.date()),
    due: z.record(z.string(), z.date()),
    log: z.map(z.string(), z.date()),
  }),
})
export const initialContext = {
  global: {},
  domain: {
    days: [new Date(0)],
    due: { rent: new Date(1000) },
    log: new Map([['a', new Date(2000)]]),
  },
}
`,
    })
    expect((await run(dir, 'schema', 'gen', '--context', 'src/context.mjs')).code).toBe(0)
    expect((await run(dir, 'schema', 'code', '--out', 'src/generated.ts')).code).toBe(0)
    const ts = readFileSync(join(dir, 'src/generated.ts'), 'utf8')
    expect(ts).toContain("days: [new Date('1970-01-01T00:00:00.000Z')],")
    expect(ts).toContain("due: { rent: new Date('1970-01-01T00:00:01.000Z') },")
    expect(ts).toContain("log: new Map([['a', new Date('1970-01-01T00:00:02.000Z')]]),")
    const { transformSync } = await import('esbuild')
    writeFiles(dir, { 'src/generated.mjs': transformSync(ts, { loader: 'ts' }).code })
    const mod = await import(join(dir, 'src/generated.mjs'))
    expect(mod.contextSchema.safeParse(mod.initialContext).success).toBe(true)
  })

  it('refuses a schema file with a mistake, with one line naming the path, its line and column', async () => {
    const dir = tempDir()
    const cases: [string, string][] = [
      [
        'version: 1\nfields:\n  domain.x: { type: number, zone: signal }\n',
        'schema.yaml:3:29: fields.domain.x.zone',
      ],
      [
        'version: 1\nfields:\n  domain.x: { type: numbr }\n',
        'schema.yaml:3:15: fields.domain.x.type',
      ],
      [
        'version: 1\nfields:\n  domain.x: { type: number, dflt: 1 }\n',
        'schema.yaml:3:29: fields.domain.x.dflt: unknown key',
      ],
      [
        'version: 1\nfields:\n  domain.x:\n    type: number\n    default: "1"\n',
        'schema.yaml:5:5: fields.domain.x.default: does not fit type number',
      ],
      [
        'version: 1\nfields:\n  local.x: { type: number }\n',
        "schema.yaml:3:3: fields.local.x: a path is dotted and starts with 'global' or 'domain'",
      ],
      ['version: 2\nfields: {}\n', 'schema.yaml:1:1: version: expected 1, got 2'],
      // A byte order mark is no column: line 1 counts as editors show it.
      [
        '\uFEFF{ version: 1, fields: { domain.x: { type: numbr } } }\n',
        'schema.yaml:1:37: fields.domain.x.type',
      ],
      ['\uFEFFversion: 2\nfields: {}\n', 'schema.yaml:1:1: version: expected 1, got 2'],
      ['fields: {}\n', 'schema.yaml:1:1: version: missing; start the file with version: 1'],
      // SPEC §10.1: `__proto__` is never a data key, as a path segment or inside a default.
      [
        'version: 1\nfields:\n  domain.__proto__: { type: number, default: 1 }\n',
        "schema.yaml:3:3: fields.domain.__proto__ is a '__proto__' key",
      ],
      [
        'version: 1\nfields:\n  domain.r: { type: record, values: number, default: { __proto__: 1 } }\n',
        "schema.yaml:3:56: fields.domain.r.default.__proto__ is a '__proto__' key",
      ],
      ['version: 1\nfields: [\n', 'malformed YAML'],
      // The initial value must pass the zod schema written beside it (else tsc fails and the
      // engine refuses every commit): the field's rules, then each element's.
      [
        'version: 1\nfields:\n  domain.n: { type: number, min: 5, default: 1 }\n',
        'schema.yaml:3:37: fields.domain.n.default: 1 is below min 5; give a default that fits',
      ],
      [
        'version: 1\nfields:\n  domain.s: { type: string, min_len: 2 }\n',
        'fields.domain.s: has no default, so it starts as "", which is shorter than min_len 2',
      ],
      [
        'version: 1\nfields:\n  domain.s: { type: string, enum: [a, b], default: c }\n',
        'fields.domain.s.default: "c" is not one of enum ["a","b"]',
      ],
      [
        'version: 1\nfields:\n  domain.s: { type: string, regex: "^a", default: b }\n',
        'fields.domain.s.default: "b" does not match regex ^a',
      ],
      [
        'version: 1\nfields:\n  domain.l: { type: array, items: number, default: [1, a] }\n',
        'fields.domain.l.default.1: "a" does not fit type number; every element follows the field\'s items',
      ],
      [
        'version: 1\nfields:\n  domain.r: { type: record, values: { type: integer, max: 9 }, default: { a: 10 } }\n',
        'fields.domain.r.default.a: 10 is above max 9',
      ],
      [
        'version: 1\nfields:\n  domain.heavy_b: { type: Float64Array, length: -1 }\n',
        'fields.domain.heavy_b.length: expected a whole number, 0 or more',
      ],
    ]
    for (const [text, expected] of cases) {
      writeFileSync(join(dir, 'schema.yaml'), text)
      const line = expectOneLine(
        await run(dir, 'schema', 'code', '--schema', 'schema.yaml', '--dry-run'),
      )
      expect(line).toContain(expected)
    }
    expect(expectOneLine(await run(dir, 'schema', 'code'))).toContain(
      'no context schema at specs/context_schema.yaml',
    )
  })

  it('refuses malformed YAML, an alias bomb and deep nesting with exit 1 and one clean line', async () => {
    const dir = tempDir()
    let bomb =
      'version: 1\nfields:\n  domain.a:\n    type: unknown\n    default: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n'
    for (let i = 1; i < 12; i++) {
      const p = `*a${i - 1}`
      bomb += `  domain.a${i}:\n    type: unknown\n    default: &a${i} [${Array(10).fill(p).join(', ')}]\n`
    }
    const cases: [string, RegExp][] = [
      [
        'version: 1\nfields:\n  global:\n    type: object\n   zone: data\n',
        // yaml's own tail (' at line 5, column 1:') is not repeated after the position.
        /^theus: schema\.yaml:5:\d+: malformed YAML: All mapping items must start at the same column\. Fix the YAML at this position\.$/,
      ],
      // Was exit 2, 'unexpected error: Excessive alias count ...'.
      [bomb, /^theus: schema\.yaml:\d+:\d+: malformed YAML: aliases expand to more nodes/],
      [
        `version: 1\nfields:\n  domain.x:\n    type: unknown\n    default: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
        /^theus: schema\.yaml:5:\d+: malformed YAML: the document is nested more than 200 levels deep/,
      ],
    ]
    for (const [text, expected] of cases) {
      writeFileSync(join(dir, 'schema.yaml'), text)
      const r = await run(dir, 'schema', 'code', '--schema', 'schema.yaml', '--dry-run')
      expect(expectOneLine(r)).toMatch(expected)
      expect(r.code).toBe(1)
    }
  })

  it('treats a file that differs only by Windows line ends or a BOM as unchanged, and keeps them with --force (was refused as different)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'specs/context_schema.yaml':
        'version: 1\nfields:\n  domain.n: { type: integer, default: 3 }\n',
    })
    expect((await run(dir, 'schema', 'code')).code).toBe(0)
    const file = join(dir, 'src/context.ts')
    const lf = readFileSync(file, 'utf8')
    // As git's autocrlf checks it out on Windows, and as some editors save it.
    writeFileSync(file, `\uFEFF${lf.replace(/\n/g, '\r\n')}`)
    const again = await run(dir, 'schema', 'code')
    expect(again.stderr).toBe('')
    expect(again.stdout).toContain('unchanged src/context.ts')
    writeFiles(dir, {
      'specs/context_schema.yaml':
        'version: 1\nfields:\n  domain.n: { type: integer, default: 4 }\n',
    })
    expect((await run(dir, 'schema', 'code', '--force')).stdout).toContain('overwrote')
    const forced = readFileSync(file, 'utf8')
    expect(forced.startsWith('\uFEFF')).toBe(true)
    expect(forced.replace(/\r\n/g, '').includes('\n')).toBe(false)
    // schema gen, the same rule: its CRLF output file is unchanged.
    writeFiles(dir, { 'ctx.mjs': 'export const initial = { domain: { n: 1 } }\n' })
    expect((await run(dir, 'schema', 'gen', '--context', 'ctx.mjs', '--out', 'o.yaml')).code).toBe(
      0,
    )
    const out = join(dir, 'o.yaml')
    writeFileSync(out, readFileSync(out, 'utf8').replace(/\n/g, '\r\n'))
    const gen = await run(dir, 'schema', 'gen', '--context', 'ctx.mjs', '--out', 'o.yaml')
    expect(gen.stderr).toBe('')
    expect(gen.stdout).toContain('unchanged o.yaml')
  })

  it('refuses a schema file that is not UTF-8 text with one line (Latin-1, UTF-16)', async () => {
    const dir = tempDir()
    writeFileSync(
      join(dir, 'latin1.yaml'),
      Buffer.from(
        '# r\xe9sum\xe9\nversion: 1\nfields:\n  domain.n: { type: integer, default: 3 }\n',
        'latin1',
      ),
    )
    writeFileSync(join(dir, 'utf16.yaml'), Buffer.from('\uFEFFversion: 1\n', 'utf16le'))
    for (const f of ['latin1.yaml', 'utf16.yaml']) {
      const line = expectOneLine(await run(dir, 'schema', 'code', '--schema', f, '--dry-run'))
      expect(line).toBe(`theus: ${f} is not UTF-8 text; save it as UTF-8 and run again.`)
    }
  })

  it('refuses to overwrite a different src/context.ts without --force', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'specs/context_schema.yaml':
        'version: 1\nfields:\n  domain.n: { type: integer, default: 3 }\n',
      'src/context.ts': '// my own context\n',
    })
    expectOneLine(await run(dir, 'schema', 'code'))
    expect(readFileSync(join(dir, 'src/context.ts'), 'utf8')).toBe('// my own context\n')
    const forced = await run(dir, 'schema', 'code', '--force')
    expect(forced.code).toBe(0)
    expect(forced.stdout).toContain('overwrote src/context.ts')
    expect(readFileSync(join(dir, 'src/context.ts'), 'utf8')).toContain('n: z.number().int(),')
  })

  it('has --help', async () => {
    const r = await run(tempDir(), 'schema', 'code', '-h')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: theus schema code')
  })
})
