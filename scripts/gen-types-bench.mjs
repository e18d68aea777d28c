#!/usr/bin/env node
/**
 * The compile-time budget of typed contracts (SPEC §11): a context of 200 fields and 50
 * processes made with createProcess, an engine that knows them, 200 typed selects, 50 typed
 * runs and the typed React hooks, checked by `tsc --extendedDiagnostics` as an app checks it:
 * against the package's declaration files (emitted first from this repository's sources into a
 * temporary folder), with `skipLibCheck`. A baseline project (the same imports, no typed code)
 * is checked too, so the cost of the types themselves is the difference.
 *
 * Two times are reported: tsc's own "Check time" (wall clock, so it grows when the machine is
 * busy) and the CPU time of the same check run through the compiler API (steadier on a shared
 * machine). Instantiation counts are deterministic.
 *
 *   node scripts/gen-types-bench.mjs          # prints the figures
 *   node scripts/gen-types-bench.mjs --json   # one JSON object (used by test/types/budget.test.ts)
 *
 * Options: --fields N (default 200), --processes N (default 50), --keep (leave the temp dir),
 * --no-cpu (skip the CPU-time checks).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? Number(argv[i + 1]) : dflt
}
const FIELDS = opt('fields', 200)
const PROCESSES = opt('processes', 50)
const json = argv.includes('--json')
const keep = argv.includes('--keep')
// --no-cpu: skip the CPU-time checks (the budget test needs only the deterministic counts).
const cpu = !argv.includes('--no-cpu')

// Field kinds cycle so that every path shape is exercised: leaves, records, arrays of
// objects, nested objects, and the zone prefixes.
const KINDS = ['number', 'string', 'record', 'array', 'nested']
const fields = Array.from({ length: FIELDS }, (_, i) => {
  const kind = KINDS[i % KINDS.length]
  const layer = i < FIELDS / 10 ? 'global' : 'domain'
  const prefix =
    kind === 'number' && i % 15 === 5 ? 'sig_' : kind === 'string' && i % 15 === 6 ? 'meta_' : ''
  return { name: `${prefix}f${i}`, kind, layer, i }
})

function initialValue(f) {
  switch (f.kind) {
    case 'number':
      return f.name.startsWith('sig_') ? 'false as boolean' : '0'
    case 'string':
      return "''"
    case 'record':
      return '{} as Record<string, number>'
    case 'array':
      return '[] as { id: string; qty: number }[]'
    default:
      return "{ a: 1, b: { c: 'x', d: [1, 2] as number[], e: { f: { g: 0 } } } }"
  }
}

function contextModule() {
  const layer = (l) =>
    fields
      .filter((f) => f.layer === l)
      .map((f) => `    ${f.name}: ${initialValue(f)},`)
      .join('\n')
  return `export const initial = {
  global: {
${layer('global')}
  },
  domain: {
${layer('domain')}
  },
}
export type Context = typeof initial
`
}

const domainFields = fields.filter((f) => f.layer === 'domain')
const globalFields = fields.filter((f) => f.layer === 'global')
const dataFields = domainFields.filter(
  (f) => !f.name.startsWith('sig_') && !f.name.startsWith('meta_'),
)
const pick = (list, k) => list[k % list.length]

function write(f) {
  const target = `ctx.domain.${f.name}`
  switch (f.kind) {
    case 'number':
      return f.name.startsWith('sig_') ? `${target} = true` : `${target} = args.n`
    case 'string':
      return `${target} = args.id`
    case 'record':
      return `${target}[args.id] = args.n`
    case 'array':
      return `${target}.push({ id: args.id, qty: args.n })`
    default:
      return `${target}.b.c = args.id`
  }
}

function read(f) {
  switch (f.kind) {
    case 'record':
      return `ctx.domain.${f.name}[args.id] ?? 0`
    case 'array':
      return `ctx.domain.${f.name}.length`
    case 'nested':
      return `ctx.domain.${f.name}.b.e.f.g`
    default:
      return `ctx.domain.${f.name}`
  }
}

function processesModule() {
  const out = [
    `import { createProcess } from 'theus'`,
    `import type { Context } from './context'`,
    '',
  ]
  out.push('const process = createProcess<Context>()', '')
  for (let k = 0; k < PROCESSES; k++) {
    const ins = [pick(dataFields, k * 3), pick(dataFields, k * 3 + 1)]
    const outs = [pick(domainFields, k * 7 + 2)]
    const nested = pick(
      dataFields.filter((f) => f.kind === 'nested'),
      k,
    )
    const paths = {
      inputs: [...ins.map((f) => `domain.${f.name}`), `global_ctx.${pick(globalFields, k).name}`],
      outputs: [...outs.map((f) => `domain.${f.name}`), `domain.${nested.name}.b.c`],
    }
    // A path declared in both lists is an output; reads of it stay typed.
    const isAsync = k % 4 === 3
    out.push(
      `export const p${k} = process(`,
      `  { inputs: ${JSON.stringify(paths.inputs)}, outputs: ${JSON.stringify(paths.outputs)} },`,
      `  ${isAsync ? 'async ' : ''}function p${k}(ctx, args: { n: number; id: string }) {`,
      ...ins.map((f, j) => `    const r${j} = ${read(f)}`),
      ...outs.map((f) => `    ${write(f)}`),
      `    ctx.domain.${nested.name}.b.c = args.id`,
      `    ctx.log.info('p${k}', { r0, r1 })`,
      '    return args.n',
      '  },',
      ')',
      '',
    )
  }
  return out.join('\n')
}

function engineModule() {
  const names = Array.from({ length: PROCESSES }, (_, k) => `p${k}`)
  const selects = fields.map((f) => {
    const path = f.kind === 'nested' ? `${f.layer}.${f.name}.b.e.f.g` : `${f.layer}.${f.name}`
    return `export const s${f.i} = engine.select('${path}').value`
  })
  return `import { TheusEngine } from 'theus'
import { createTheusHooks } from 'theus/react'
import { initial } from './context'
import { ${names.join(', ')} } from './processes'

export const engine = new TheusEngine(initial, { processes: { ${names.join(', ')} } })
export const { useTheus, useProcess } = createTheusHooks<typeof engine>()

${selects.join('\n')}

export function runAll() {
${names.map((n) => `  engine.runProcess('${n}', { n: 1, id: 'a' })`).join('\n')}
}

export function useEverything() {
${fields
  .filter((_, j) => j % 4 === 0)
  .map((f) => `  useTheus('${f.layer}.${f.name}')`)
  .join('\n')}
${names.map((n) => `  useProcess('${n}')`).join('\n')}
}
`
}

const baselineModule = `import { TheusEngine } from 'theus'
import { createTheusHooks } from 'theus/react'
export const engine = new TheusEngine({ domain: { n: 0 } })
export const hooks = createTheusHooks<typeof engine>()
`

function tsconfig(files, dts) {
  const paths = {
    theus: [join(dts, 'src/index.d.ts')],
    'theus/react': [join(dts, 'adapters/react/index.d.ts')],
  }
  return JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        module: 'ESNext',
        moduleResolution: 'Bundler',
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        skipLibCheck: true,
        jsx: 'react-jsx',
        noEmit: true,
        types: ['node'],
        typeRoots: [join(repo, 'node_modules/@types')],
        paths,
      },
      files,
    },
    null,
    2,
  )
}

const tsc = join(repo, 'node_modules/typescript/bin/tsc')

/** Emits the package's declarations, as `npm run build` ships them, into `out`. */
function emitDeclarations(out) {
  const cfg = join(root, 'tsconfig.dts.json')
  writeFileSync(
    cfg,
    JSON.stringify({
      extends: join(repo, 'tsconfig.json'),
      compilerOptions: {
        noEmit: false,
        declaration: true,
        emitDeclarationOnly: true,
        outDir: out,
        rootDir: repo,
        typeRoots: [join(repo, 'node_modules/@types')],
      },
      include: [join(repo, 'src'), join(repo, 'adapters')],
    }),
  )
  const r = spawnSync(process.execPath, [tsc, '-p', cfg], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`declaration emit failed:\n${r.stdout}${r.stderr}`)
}

/** CPU seconds of the same check (tsc's "Check time"), through the compiler API. */
async function cpuCheck(dir) {
  const ts = (await import(join(repo, 'node_modules/typescript/lib/typescript.js'))).default
  const cfg = ts.getParsedCommandLineOfConfigFile(
    join(dir, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => {},
    },
  )
  const program = ts.createProgram(cfg.fileNames, cfg.options)
  // Binding happens when the checker is made: tsc counts it apart ("Bind time"), so do we.
  program.getTypeChecker()
  const c0 = process.cpuUsage()
  ts.getPreEmitDiagnostics(program)
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1e6
}

function check(dir) {
  const r = spawnSync(process.execPath, [tsc, '-p', dir, '--extendedDiagnostics'], {
    encoding: 'utf8',
  })
  const text = r.stdout + r.stderr
  const num = (label) => {
    const m = text.match(new RegExp(`^${label}:\\s+([\\d.]+)`, 'm'))
    return m ? Number(m[1]) : Number.NaN
  }
  const errors = text.split('\n').filter((l) => /error TS\d+/.test(l))
  return {
    ok: r.status === 0,
    errors,
    cpuTime: Number.NaN,
    checkTime: num('Check time'),
    totalTime: num('Total time'),
    instantiations: num('Instantiations'),
    types: num('Types'),
    memoryKb: num('Memory used'),
  }
}

const root = mkdtempSync(join(tmpdir(), 'theus-types-bench-'))
const typedDir = join(root, 'typed')
const procDir = join(root, 'processes-only')
const baseDir = join(root, 'baseline')
const dts = join(root, 'dts')
for (const d of [typedDir, procDir, baseDir]) mkdirSync(d, { recursive: true })
emitDeclarations(dts)
writeFileSync(join(typedDir, 'context.ts'), contextModule())
writeFileSync(join(typedDir, 'processes.ts'), processesModule())
writeFileSync(join(typedDir, 'engine.ts'), engineModule())
writeFileSync(
  join(typedDir, 'tsconfig.json'),
  tsconfig(['context.ts', 'processes.ts', 'engine.ts'], dts),
)
// The SPEC §11 scenario alone: the context and its 50 processes, nothing using them.
writeFileSync(join(procDir, 'context.ts'), contextModule())
writeFileSync(join(procDir, 'processes.ts'), processesModule())
writeFileSync(join(procDir, 'tsconfig.json'), tsconfig(['context.ts', 'processes.ts'], dts))
writeFileSync(join(baseDir, 'engine.ts'), baselineModule)
writeFileSync(join(baseDir, 'tsconfig.json'), tsconfig(['engine.ts'], dts))

const typed = check(typedDir)
const processesOnly = check(procDir)
const baseline = check(baseDir)
if (cpu) {
  typed.cpuTime = await cpuCheck(typedDir)
  processesOnly.cpuTime = await cpuCheck(procDir)
  baseline.cpuTime = await cpuCheck(baseDir)
}
if (!keep) rmSync(root, { recursive: true, force: true })

const result = {
  fields: FIELDS,
  processes: PROCESSES,
  typed,
  processesOnly,
  baseline,
  delta: {
    checkTime: Math.round((typed.checkTime - baseline.checkTime) * 100) / 100,
    cpuTime: Math.round((typed.cpuTime - baseline.cpuTime) * 100) / 100,
    instantiations: typed.instantiations - baseline.instantiations,
    memoryKb: typed.memoryKb - baseline.memoryKb,
  },
  dir: keep ? root : undefined,
}
if (json) {
  process.stdout.write(`${JSON.stringify(result)}\n`)
} else {
  const row = (label, r) =>
    `| ${label} | ${r.checkTime.toFixed(2)} s | ${r.cpuTime.toFixed(2)} s | ${r.totalTime.toFixed(2)} s | ${r.instantiations.toLocaleString('en')} | ${r.types.toLocaleString('en')} | ${Math.round(r.memoryKb / 1024)} MB |`
  console.log(`${FIELDS} fields, ${PROCESSES} processes (tsc --extendedDiagnostics)\n`)
  console.log('| project | check time | check CPU | total time | instantiations | types | memory |')
  console.log('|---|---|---|---|---|---|---|')
  console.log(row('context + 50 processes', processesOnly))
  console.log(row('the same + engine, 200 selects, 50 runs, typed hooks', typed))
  console.log(row('baseline (imports only)', baseline))
  console.log(
    `\ntyped code alone: +${result.delta.checkTime.toFixed(2)} s check time, +${result.delta.cpuTime.toFixed(2)} s CPU, +${result.delta.instantiations.toLocaleString('en')} instantiations, +${Math.round(result.delta.memoryKb / 1024)} MB`,
  )
  if (keep) console.log(`\nkept in ${root}`)
  if (!typed.ok) {
    console.log('\nthe typed project has errors:')
    for (const e of typed.errors.slice(0, 20)) console.log(e)
  }
}
if (!typed.ok || !processesOnly.ok || !baseline.ok) process.exitCode = 1
