// Parse time of YAML documents by size (SPEC §10.4: linear, a 1 MB document well under a
// second). Bundles src/yaml with esbuild into .tmp/ and times each parser on generated
// documents of 0.5, 1 and 2 MB (best of three runs). A figure, not a test: no test asserts a
// wall-clock time on these shared machines.
//
//   node scripts/parse-time.mjs
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as esbuild from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const out = `${root}/.tmp/parse-time/yaml.mjs`
mkdirSync(dirname(out), { recursive: true })
await esbuild.build({
  entryPoints: [`${root}/src/yaml/index.ts`],
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  outfile: out,
  logLevel: 'error',
})
const { parseAuditRecipe, parseWorkflow, parseFlux } = await import(pathToFileURL(out).href)

const generators = {
  workflow: [
    parseWorkflow,
    (i, n) => `  S${i}:\n    entry: p${i}\n    on: { GO: S${(i + 1) % n} }\n`,
    'initial: S0\nstates:\n',
  ],
  recipe: [
    parseAuditRecipe,
    (i) => `  p${i}:\n    inputs:\n      - { field: amount, max: ${i}, level: B }\n`,
    'process_recipes:\n',
  ],
  flux: [
    parseFlux,
    (i) =>
      `  - flux: if\n    condition: "domain.n < ${i} && len(args.items) > 0"\n    then: [p${i}]\n`,
    'steps:\n',
  ],
}

// The same recipe as JSON text (valid YAML 1.2), on one line and indented by two spaces.
const jsonRecipe = (indent) => [
  parseAuditRecipe,
  (i) => ({ [`p${i}`]: { inputs: [{ field: 'amount', max: i, level: 'B' }] } }),
  indent,
]

console.log('| document | size | parse time (best of 3) |\n|---|---:|---:|')
for (const [name, [parse, item, head]] of Object.entries({
  ...generators,
  'recipe, JSON': jsonRecipe(0),
  'recipe, indented JSON': jsonRecipe(2),
})) {
  for (const mb of [0.5, 1, 2]) {
    const json = typeof head === 'number'
    const size = json ? JSON.stringify(item(0), null, head).length : item(0, 1).length
    const n = Math.ceil((mb * 1_000_000) / size)
    let text = json ? '' : head
    if (json) {
      const recipes = {}
      for (let i = 0; i < n; i++) Object.assign(recipes, item(i))
      text = JSON.stringify({ process_recipes: recipes }, null, head)
    } else for (let i = 0; i < n; i++) text += item(i, n)
    let best = Number.POSITIVE_INFINITY
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now()
      parse(text)
      best = Math.min(best, performance.now() - t0)
    }
    console.log(`| ${name} | ${(text.length / 1e6).toFixed(2)} MB | ${best.toFixed(0)} ms |`)
  }
}
