// Runs inside a temporary project that installed the packed tarball: it sees `theus` exactly as
// a user does (node_modules, package.json `exports`, the built `dist/`), never the sources.
// It prints one JSON line for the test to read; any failed assertion exits non-zero.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as theus from 'theus'
import * as theusYaml from 'theus/yaml'

const { TheusEngine, process: processFn, defineProcess, TheusError } = theus

//#region the bank example of SPEC §1–§3
class ValueError extends Error {
  name = 'ValueError'
}

const transfer = processFn(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.total_reserves', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
    sideEffects: [],
  },
  function transfer(ctx, args) {
    if (args.amount <= 0) throw new ValueError('Amount must be positive')
    const bal = ctx.domain.accounts[args.from_user] ?? 0
    if (bal < args.amount) {
      ctx.domain.sig_fraud_detected = true
      return 'Failed: Insufficient Funds'
    }
    ctx.domain.accounts[args.from_user] = bal - args.amount
    ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
    return 'Success'
  },
)

const initial = {
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000, Bob: 0 },
    total_reserves: 1_000_000,
    sig_fraud_detected: false,
    meta_last_tx: '',
    heavy_chart: new Float64Array(365),
  },
}

assert.equal(defineProcess, processFn, '`defineProcess` is the same function as `process`')

const engine = new TheusEngine(initial, { strictMode: true })
engine.registerProcess(transfer)

const alice = engine.select('domain.accounts.Alice')
const seen = []
const stop = alice.subscribe((v) => seen.push(v))

const result = engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 500 })
assert.equal(result, 'Success')
assert.equal(engine.state.value.domain.accounts.Alice, 500)
assert.equal(engine.state.value.domain.accounts.Bob, 500)
assert.deepEqual(seen, [1000, 500], 'select() notified once with the new balance')
assert.ok(Object.isFrozen(engine.state.value.domain.accounts), 'strict-mode snapshots are frozen')

// A declared error rolls the run back and is re-thrown as is.
const before = engine.state.value
assert.throws(
  () => engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: -1 }),
  (e) => e instanceof ValueError && e.message === 'Amount must be positive',
)
assert.equal(engine.state.value, before, 'a failed run leaves the snapshot as it was')

// An unknown process is a TheusError from the one shared error table.
assert.throws(
  () => engine.runProcess('nope'),
  (e) => e instanceof TheusError && e.code === 'PROCESS_NOT_FOUND',
)
stop()
//#endregion

//#region theus/yaml shares the core of theus
// Errors thrown by the YAML entry are instances of the classes `theus` exports: one error table.
assert.throws(
  () => theusYaml.parseAuditRecipe('process_recipes:\n  transfer: [', { filename: 'bad.yaml' }),
  (e) => e instanceof theus.RecipeError && e.code === 'RECIPE_INVALID' && e.file === 'bad.yaml',
)
const recipe = theusYaml.parseAuditRecipe(
  'process_recipes:\n  transfer:\n    inputs:\n      - field: amount\n        max: 10000\n        level: B\n',
)
assert.equal(typeof recipe, 'object')

// Importing theus/yaml registered its parser in the registry the engine reads: YAML text works.
const recipeText =
  'process_recipes:\n  transfer:\n    inputs:\n      - field: amount\n        max: 10000\n        level: B\n'
const audited = new TheusEngine(initial, { auditRecipe: recipeText })
audited.registerProcess(transfer)
assert.throws(
  () => audited.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 20_000 }),
  (e) => e instanceof theus.AuditBlockError && e.code === 'AUDIT_BLOCK',
)
assert.equal(audited.state.value.domain.accounts.Alice, 1000)
audited.dispose?.()
//#endregion

//#region executeWorkflow loads the Flux runtime, a chunk of its own, on its first call
const flow = new TheusEngine(initial)
flow.registerProcess(transfer)
const ran = await flow.executeWorkflow(
  {
    steps: [
      {
        flux: 'while',
        condition: 'domain.accounts.Bob < 100 && len(args.from_user) > 0',
        do: ['transfer'],
      },
    ],
  },
  { from_user: 'Alice', to_user: 'Bob', amount: 100 },
)
assert.deepEqual(ran, ['transfer'], 'executeWorkflow runs a pipeline from the installed package')
const theusWorkflow = await import('theus/workflow')
assert.equal(theusWorkflow.WorkflowManager, theus.WorkflowManager, 'theus/workflow shares the core')
assert.throws(
  () => theusWorkflow.parseExpression('domain.__proto__'),
  (e) => e instanceof theus.WorkflowError,
)
flow.dispose?.()
//#endregion

//#region the adapters import `theus` as an external: they serve the engine made by `theus`
{
  const { createElement } = await import('react')
  const { renderToString } = await import('react-dom/server')
  const { TheusProvider, useTheus } = await import('theus/react')
  const Balance = () => createElement('b', null, `Alice ${useTheus('domain.accounts.Alice')}`)
  const html = renderToString(createElement(TheusProvider, { engine }, createElement(Balance)))
  assert.equal(html, '<b>Alice 500</b>', 'theus/react renders the state of a theus engine')

  const { createSSRApp } = await import('vue')
  const { createTheusPlugin, useEngine } = await import('theus/vue')
  const app = createSSRApp({ render: () => null })
  app.use(createTheusPlugin(engine))
  assert.equal(
    app.runWithContext(() => useEngine()),
    engine,
    'theus/vue provides the engine',
  )
  assert.throws(
    () => useEngine(),
    (e) => e instanceof TheusError && e.code === 'NO_PROVIDER',
    "theus/vue throws theus's own TheusError",
  )
}
//#endregion

//#region the package as installed
const pkgDir = join(dirname(fileURLToPath(import.meta.resolve('theus'))), '..')
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
const entries = {}
for (const [key, target] of Object.entries(pkg.exports)) {
  if (key === './package.json') continue
  const spec = key === '.' ? 'theus' : `theus/${key.slice(2)}`
  const js = fileURLToPath(import.meta.resolve(spec))
  assert.ok(existsSync(js), `${spec} resolves to ${js}, which exists`)
  assert.equal(Object.keys(target)[0], 'types', `${key}: "types" comes first in exports`)
  assert.ok(existsSync(join(pkgDir, target.types)), `${key}: types file ${target.types} exists`)
  entries[spec] = target.types
}

// One copy of the core: every entry imports the shared chunks, none bundles its own.
const distJs = readdirSync(join(pkgDir, 'dist')).filter((f) => f.endsWith('.js'))
const count = (re) =>
  distJs.reduce(
    (n, f) => n + (readFileSync(join(pkgDir, 'dist', f), 'utf8').match(re) ?? []).length,
    0,
  )
const copies = {
  // `class TheusError` or, as rolldown writes it, `var TheusError = class`.
  TheusError: count(/\bclass TheusError\b|\bTheusError = class\b/g),
  registerTextParser: count(/\bfunction registerTextParser\b/g),
  parseText: count(/\bfunction parseText\b/g),
}
assert.equal(copies.TheusError, 1, 'dist holds exactly one TheusError class')
assert.equal(count(/jsx-dev-runtime/g), 0, 'the React adapter ships production JSX')
assert.ok(copies.registerTextParser <= 1, 'dist holds at most one text-parser registry')
assert.ok(copies.parseText <= 1, 'dist holds at most one parseText')
//#endregion

//#region what each entry may import (SPEC's table), following its chunks, static and dynamic
const mayImport = {
  theus: ['@preact/signals-core'],
  'theus/react': ['theus', 'react', 'react/jsx-runtime'],
  'theus/vue': ['theus', 'vue'],
  'theus/vite': ['theus', 'yaml', 'zod', 'node:'],
  'theus/yaml': ['theus', 'yaml', 'zod'],
}
// Static imports open a line in the bundler's output; a message that quotes `import 'x'` does not.
const importRe =
  /^(?:import|export)\b[^'"\n]*?["']([^"']+)["'];?$|\bimport\(\s*["']([^"']+)["']\s*\)/gm
for (const [spec, allowed] of Object.entries(mayImport)) {
  const bare = new Set()
  const seen = new Set()
  const visit = (file) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
      const to = m[1] ?? m[2]
      if (to.startsWith('.')) visit(join(dirname(file), to))
      else bare.add(to)
    }
  }
  visit(fileURLToPath(import.meta.resolve(spec)))
  for (const b of bare)
    assert.ok(
      allowed.some((a) => (a.endsWith(':') ? b.startsWith(a) : b === a)),
      `${spec} imports '${b}', which SPEC's entry table does not allow (${allowed.join(', ')})`,
    )
}
//#endregion

console.log(
  JSON.stringify({
    ok: true,
    result,
    balances: engine.state.value.domain.accounts,
    entries,
    copies,
    yamlExports: Object.keys(theusYaml).sort(),
  }),
)
engine.dispose?.()
