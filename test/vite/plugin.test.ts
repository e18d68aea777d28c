import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { checkWorkflowProcesses, RecipeError, WorkflowError } from 'theus'
import theus, { compileTheusYaml, theusPlugin } from 'theus/vite'
import { parseWorkflow } from 'theus/yaml'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const auditSource = fileURLToPath(new URL('../../src/audit/index.ts', import.meta.url))

const RECIPE = `process_recipes:
  base_money_rules:
    inputs:
      - field: amount
        min: 0
        level: B
  transfer:
    inherits: base_money_rules
    inputs:
      - field: amount
        max: 10000
        level: B
`

const BROKEN = `process_recipes:
  transfer:
    inputs:
      - field: amount
        maxx: 10000
`

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'theus-vite-'))
  await writeFile(join(dir, 'audit_recipe.yaml'), RECIPE)
  await writeFile(join(dir, 'broken.yaml'), BROKEN)
  await writeFile(join(dir, 'bad-syntax.yaml'), 'process_recipes:\n  transfer: [\n')
  // The app imports the core auditor and a recipe through the plugin, like a user's app.
  await writeFile(
    join(dir, 'main.js'),
    `import recipe from './audit_recipe.yaml'
import { createAuditor } from ${JSON.stringify(auditSource)}
export const recipeData = recipe
export const rules = createAuditor(recipe, { emit() {} }).rulesOf('transfer')
`,
  )
  await writeFile(join(dir, 'broken.js'), `import r from './broken.yaml'\nexport default r\n`)
  await writeFile(
    join(dir, 'bad-syntax.js'),
    `import r from './bad-syntax.yaml'\nexport default r\n`,
  )
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function buildApp(entry: string, outDir: string) {
  return build({
    root: dir,
    configFile: false,
    logLevel: 'silent',
    plugins: [theus()],
    build: {
      outDir: join(dir, outDir),
      emptyOutDir: true,
      minify: false,
      lib: { entry: join(dir, entry), formats: ['es'], fileName: () => 'app.mjs' },
    },
  })
}

describe('theus/vite', () => {
  it('exports the plugin as default and as theusPlugin', () => {
    expect(theus).toBe(theusPlugin)
    expect(theus().name).toBe('theus')
  })

  it('compiles a recipe import into data, and the bundle ships no YAML parser', async () => {
    await buildApp('main.js', 'out')
    const { readFile } = await import('node:fs/promises')
    const code = await readFile(join(dir, 'out', 'app.mjs'), 'utf8')
    expect(code).toContain('base_money_rules')
    for (const yamlCode of [
      'LineCounter',
      'parseDocument',
      'YAMLParseError',
      'from "yaml"',
      "from 'yaml'",
    ]) {
      expect(code).not.toContain(yamlCode)
    }
    const app = await import(pathToFileURL(join(dir, 'out', 'app.mjs')).href)
    expect(app.recipeData.process_recipes.transfer.inherits).toBe('base_money_rules')
    expect(app.rules.inputs.map((r: { condition: string }) => r.condition)).toEqual(['min', 'max'])
  })

  it('fails the build on a bad recipe with file, line and column', async () => {
    const err = (await buildApp('broken.js', 'out-broken').catch((e: unknown) => e)) as Error & {
      id?: string
      loc?: { file: string; line: number; column: number }
    }
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toContain('broken.yaml:5:9')
    expect(err.message).toContain("Did you mean 'max'?")
    // Vite reports the plugin's own error object: the RecipeError, with its position.
    const reported = (err as { errors?: unknown[] }).errors?.[0] ?? err
    expect(reported).toBeInstanceOf(RecipeError)
    expect(reported).toMatchObject({ line: 5, column: 9 })
  })

  it('keeps where entry process names are: checkWorkflowProcesses points at the same file:line:col as for parseWorkflow', async () => {
    const text =
      'states:\n  IDLE:\n    on: { GO: A }\n  A:\n    entry: [notify, trasfer]\n  B:\n    process: nope\n'
    await writeFile(join(dir, 'wf.yaml'), text)
    await writeFile(join(dir, 'wf.js'), `import wf from './wf.yaml'\nexport default wf\n`)
    await buildApp('wf.js', 'out-wf')
    const built = (await import(pathToFileURL(join(dir, 'out-wf', 'app.mjs')).href)).default
    const message = (def: unknown) => {
      try {
        checkWorkflowProcesses(def as never, ['notify', 'transfer'])
      } catch (e) {
        return [
          (e as WorkflowError).message,
          (e as WorkflowError).issues.map((i) => [i.file, i.line, i.column]),
        ]
      }
      return undefined
    }
    const expected = message(parseWorkflow(text, { filename: 'wf.yaml' }))
    expect(expected?.[1]).toEqual([
      ['wf.yaml', 5, 21],
      ['wf.yaml', 7, 14],
    ])
    // The bundle names the file from the project's root, and ships no absolute path.
    expect(message(built)).toEqual(expected)
    expect(message(compileTheusYaml('workflow', text, 'wf.yaml'))).toEqual(expected)
    expect(built[Symbol.for('theus.origin')].file).toBe('wf.yaml')
  })

  it('fails the build on malformed YAML with file, line and column', async () => {
    const err = (await buildApp('bad-syntax.js', 'out-syntax').catch((e: unknown) => e)) as Error
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toMatch(/bad-syntax\.yaml:3:1/)
  })

  it('reports errors to Vite with id and loc (what the overlay shows)', () => {
    const plugin = theusPlugin()
    const errors: unknown[] = []
    const ctx = {
      error(e: unknown): never {
        errors.push(e)
        throw new Error('stop')
      },
    }
    const transform = plugin.transform as (this: typeof ctx, code: string, id: string) => unknown
    expect(() => transform.call(ctx, BROKEN, '/app/specs/audit_recipe.yaml')).toThrow('stop')
    expect(errors[0]).toMatchObject({
      id: '/app/specs/audit_recipe.yaml',
      loc: { file: '/app/specs/audit_recipe.yaml', line: 5, column: 9 },
    })
    expect((errors[0] as { message: string }).message).toContain("unknown key 'maxx'")
    // SPEC §10.4: the plugin throws only the parsers' typed errors.
    expect(errors[0]).toBeInstanceOf(RecipeError)
  })

  it('fails a file that include names but is no Theus document with a RecipeError and its position', () => {
    const errors: unknown[] = []
    const ctx = {
      error(e: unknown): never {
        errors.push(e)
        throw new Error('stop')
      },
    }
    const transform = theusPlugin({ include: '**/*.yaml' }).transform as (
      this: typeof ctx,
      code: string,
      id: string,
    ) => unknown
    expect(() => transform.call(ctx, 'title: hello\n', '/app/data.yaml')).toThrow('stop')
    // It was a plain object, which Vite turned into an Error: no typed error, no position.
    expect(errors[0]).toBeInstanceOf(RecipeError)
    expect(errors[0]).toMatchObject({
      id: '/app/data.yaml',
      loc: { file: '/app/data.yaml', line: 1, column: 1 },
      message: expect.stringMatching(/^Invalid Theus document at \/app\/data\.yaml:1:1: /),
    })
  })

  it('leaves YAML files that are not Theus documents, and ?raw imports, to other plugins', () => {
    const transform = theusPlugin().transform as (code: string, id: string) => unknown
    expect(transform.call({}, 'title: hello\n', '/app/data.yaml')).toBeNull()
    expect(transform.call({}, RECIPE, '/app/audit_recipe.yaml?raw')).toBeNull()
    expect(transform.call({}, RECIPE, '/app/main.ts')).toBeNull()
  })

  it('compiles a file saved with a byte order mark (as some Windows editors write it)', () => {
    const transform = theusPlugin().transform as (code: string, id: string) => { code: string }
    for (const [text, key] of [
      [`\uFEFF${RECIPE}`, 'process_recipes'],
      ['\uFEFFstates:\n  IDLE: {}\n', 'states'],
      ['\uFEFFsteps: [p]\n', 'steps'],
    ] as const) {
      const out = transform.call({}, text, '/app/bom.yaml')
      expect(out?.code).toContain(`{\\"${key}\\":`)
    }
  })

  it('compiles a document written in flow form (JSON is YAML), which Vite would read as JavaScript', () => {
    const transform = theusPlugin().transform as (code: string, id: string) => { code: string }
    for (const [text, key] of [
      ['{"process_recipes": {"t": {"inputs": [{"field": "a", "max": 1}]}}}\n', 'process_recipes'],
      ['# the machine\n{ initial: IDLE, states: { IDLE: {} } }\n', 'states'],
      ['---\n{steps: [p]}\n', 'steps'],
    ] as const) {
      const out = transform.call({}, text, '/app/flow.yaml')
      expect(out?.code).toContain(`\\"${key}\\":`)
    }
    // Its mistakes are the parsers' typed errors with a position, as in block form.
    const errors: unknown[] = []
    const ctx = {
      error(e: unknown): never {
        errors.push(e)
        throw new Error('stop')
      },
    }
    const bad = theusPlugin().transform as (this: typeof ctx, code: string, id: string) => unknown
    expect(() =>
      bad.call(ctx, '{"process_recipes": {"t": {"inputs": [{"fild": "a"}]}}}\n', '/app/f.yaml'),
    ).toThrow('stop')
    expect(errors[0]).toBeInstanceOf(RecipeError)
    expect(errors[0]).toMatchObject({ line: 1, column: 39 })
    // A flow document without a Theus key is still someone else's.
    expect(transform.call({}, '{ title: hi }\n', '/app/d.yaml')).toBeNull()
  })

  it('emits JSON.parse so that a __proto__ key stays data', () => {
    const transform = theusPlugin().transform as (code: string, id: string) => { code: string }
    const out = transform.call({}, RECIPE, '/app/r.yml')
    expect(out.code).toMatch(
      /^export default \/\* @__PURE__ \*\/ Object\.defineProperty\(JSON\.parse\(/,
    )
    expect(out.code).not.toMatch(/\{\s*"?__proto__/)
    const workflow = transform.call({}, 'states:\n  IDLE: {}\n', '/app/wf.yml')
    expect(workflow.code).toMatch(/^export default \/\* @__PURE__ \*\/ JSON\.parse\(/)
  })

  it('ships a recipe with its normalised form, which the core adopts without checking it again', async () => {
    const transform = theusPlugin().transform as (code: string, id: string) => { code: string }
    const { code } = transform.call({}, RECIPE, '/app/r.yml')
    const file = join(dir, 'compiled-recipe.mjs')
    await writeFile(file, code)
    const recipe = (await import(pathToFileURL(file).href)).default
    // As written, for devtools, and with the checked form under a symbol key no data can hold.
    expect(recipe.process_recipes.transfer.inherits).toBe('base_money_rules')
    expect(Object.keys(recipe)).toEqual(['process_recipes'])
    expect(JSON.stringify(recipe)).not.toContain('condition')
    const { validateAuditRecipe, isAuditRecipe, createAuditor, COMPILED_RECIPE } = await import(
      auditSource
    )
    expect(recipe[COMPILED_RECIPE]).toBeDefined()
    const adopted = validateAuditRecipe(recipe)
    expect(isAuditRecipe(adopted)).toBe(true)
    expect(adopted).toBe(validateAuditRecipe(adopted))
    expect(Object.isFrozen(adopted.process_recipes.transfer.inputs[0])).toBe(true)
    expect(adopted.process_recipes.transfer.inputs.map((r: { limit: unknown }) => r.limit)).toEqual(
      [0, 10000],
    )
    // Taken as is: a rule that only the build-time check could have refused is not looked at.
    const forged = { process_recipes: { t: { inputs: [{ fieldd: 'a' }] } } }
    expect(() => validateAuditRecipe(forged)).toThrow()
    Object.defineProperty(forged, COMPILED_RECIPE, { value: adopted })
    expect(validateAuditRecipe(forged).process_recipes.transfer).toBeDefined()
    // The same gates as the parsed recipe.
    const auditor = createAuditor(recipe, { emit() {} })
    expect(() => auditor.checkInput('transfer', { amount: 20000 }, () => undefined)).toThrow(
      /LEVEL B BLOCK/,
    )
    // Data cannot carry the mark: JSON makes a string key of it.
    const fromJson = JSON.parse(JSON.stringify({ ...recipe, 'Symbol(theus.compiledRecipe)': 1 }))
    expect(fromJson[COMPILED_RECIPE]).toBeUndefined()
  })

  it('compiles state machines and Flux pipelines, and reports their errors with positions', () => {
    const workflow =
      'states:\n  IDLE:\n    events: { GO: BUSY }\n  BUSY:\n    events: { DONE: IDLE }\n'
    expect(compileTheusYaml('workflow', workflow, 'wf.yaml')).toEqual({
      states: { IDLE: { events: { GO: 'BUSY' } }, BUSY: { events: { DONE: 'IDLE' } } },
    })
    const badWorkflow = 'states:\n  IDLE:\n    events: { GO: NOWHERE }\n'
    const transform = theusPlugin().transform as (
      code: string,
      id: string,
    ) => { code: string } | null
    expect(transform.call({}, workflow, '/app/wf.yaml')?.code).toContain('JSON.parse')
    const errors: { loc?: { line: number } }[] = []
    const ctx = {
      error(e: { loc?: { line: number } }): never {
        errors.push(e)
        throw new Error('stop')
      },
    }
    expect(() => (transform as Function).call(ctx, badWorkflow, '/app/wf.yaml')).toThrow('stop')
    expect(errors[0]?.loc?.line).toBe(3)
    expect(errors[0]).toBeInstanceOf(WorkflowError)
    const flux = 'steps:\n  - p_init\n  - flux: while\n    do: [p_inc]\n'
    expect(() => compileTheusYaml('flux', flux, 'flux.yaml')).toThrow(/flux\.yaml:\d+:\d+/)
    expect(compileTheusYaml('flux', 'steps:\n  - p_init\n', 'f.yaml')).toEqual({
      steps: ['p_init'],
    })
  })

  it('compileTheusYaml validates and returns the document as written', () => {
    expect(compileTheusYaml('recipe', 'process_recipes: {}\n', 'r.yaml')).toEqual({
      process_recipes: {},
    })
    expect(() => compileTheusYaml('recipe', BROKEN, 'r.yaml')).toThrow(/r\.yaml:5:9/)
  })

  it('compileTheusYaml throws only its typed errors, also for text that cannot be read (SPEC §10.4)', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
      },
    ) as unknown as string
    expect(() => compileTheusYaml('recipe', hostile, 'r.yaml')).toThrow(RecipeError)
    expect(() => compileTheusYaml('workflow', hostile, 'w.yaml')).toThrow(WorkflowError)
    expect(() => compileTheusYaml('flux', hostile, 'f.yaml')).toThrow(WorkflowError)
  })
})

describe('theus/vite keepNames', () => {
  const processSource = fileURLToPath(new URL('../../src/contract/process.ts', import.meta.url))
  async function minified(plugin: ReturnType<typeof theus>, name: string): Promise<string> {
    await writeFile(
      join(dir, `${name}.js`),
      `import { process } from ${JSON.stringify(processSource)}
export const def = process({ outputs: ['domain.n'] }, function incrementCounter(ctx) { ctx.domain.n++ })
`,
    )
    await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      plugins: [plugin],
      build: {
        outDir: join(dir, `out-${name}`),
        emptyOutDir: true,
        minify: true,
        // An app build (lib builds do not mangle names), with the entry's exports kept.
        rollupOptions: {
          input: join(dir, `${name}.js`),
          preserveEntrySignatures: 'strict',
          output: { format: 'es', entryFileNames: 'app.mjs' },
        },
      },
    })
    const mod = await import(`${pathToFileURL(join(dir, `out-${name}`, 'app.mjs')).href}?t=${name}`)
    return mod.def.name
  }

  it('keeps function names in minified bundles, so processes keep their names', async () => {
    expect(await minified(theus(), 'names-kept')).toBe('incrementCounter')
  })

  it('asks the minifier of every supported Vite to keep names: Rolldown (8), esbuild (5 to 7)', () => {
    const config = theus().config as (this: unknown) => Record<string, unknown>
    expect(config.call({ meta: { viteVersion: '8.3.8', rolldownVersion: '1.0.0' } })).toEqual({
      build: { rolldownOptions: { output: { keepNames: true } } },
    })
    // Vite 7 (Rollup, esbuild minifies) and Vite 5/6 (the config hook has no context).
    expect(config.call({ meta: { viteVersion: '7.3.8', rollupVersion: '4.0.0' } })).toEqual({
      esbuild: { keepNames: true },
    })
    expect(config.call(undefined)).toEqual({ esbuild: { keepNames: true } })
  })
  it('gives back the names esbuild renames in process modules (Vite 5 to 7: dev, build, vitest 3)', async () => {
    // Vite 5 to 7's own TypeScript transform: esbuild with keepNames forced off. It renames a
    // function named as a binding around it: registered as 'transfer2' before.
    const { transform } = await import('esbuild')
    const viteEsbuild = {
      name: 'vite:esbuild',
      transform: async (code: string, id: string) => {
        const out = await transform(code, { loader: 'ts', sourcefile: id, keepNames: false })
        return { code: out.code, map: { mappings: '' } }
      },
    }
    const plugin = theus()
    ;(plugin.configResolved as (c: unknown) => void)({
      command: 'serve',
      isProduction: false,
      plugins: [plugin, viteEsbuild],
    })
    const source = `import { process } from 'theus'
export class ValueError extends Error {}
const ten = 10
export const transfer = process({ outputs: ['domain.n'] }, function transfer(ctx: any) {
  ctx.domain.n += ten
})
export function step2() { return transfer }
export const step = process({ outputs: ['domain.n'] }, function step(ctx: any) { ctx.domain.n = step2 === step2 ? 1 : 0 })
`
    const out = (await viteEsbuild.transform(source, '/app/src/processes.ts')) as { code: string }
    expect(out.code).toContain('function transfer ')
    expect(out.code).not.toContain('transfer2')
    // A name the source spells with digits (step2) is left as it is; esbuild's step3 is step.
    expect(out.code).toContain('function step2(')
    expect(out.code).toContain('function step ')
    // Columns hold: each line is as long as esbuild made it.
    const raw = await transform(source, { loader: 'ts', keepNames: false })
    expect(out.code.split('\n').map((l) => l.length)).toEqual(
      raw.code.split('\n').map((l) => l.length),
    )
    // Other modules are left as they are.
    expect(
      (await viteEsbuild.transform(
        'const f = 1; export const g = () => function f() {}',
        '/app/x.ts',
      )) as { code: string },
    ).toEqual({
      code: (
        await transform('const f = 1; export const g = () => function f() {}', { loader: 'ts' })
      ).code,
      map: { mappings: '' },
    })
    const file = join(dir, 'renamed.mjs')
    await writeFile(
      file,
      out.code
        .replace("from 'theus'", `from ${JSON.stringify(processSource)}`)
        .replace('from "theus"', `from ${JSON.stringify(processSource)}`),
    )
    const mod = await import(pathToFileURL(file).href)
    expect(mod.transfer.name).toBe('transfer')
    expect(mod.step.name).toBe('step')
  })

  it('leaves the minifier alone with keepNames: false (a nameless function is then refused)', async () => {
    await expect(minified(theus({ keepNames: false }), 'names-dropped')).rejects.toThrow(
      /anonymous function has no name/,
    )
  })
})
