// What Theus adds to an app's bundle, measured the way a front-end developer would: each public
// entry bundled from the sources with esbuild (minified, ESM, platform browser, code splitting
// on, framework packages external), every file of the initial load gzipped at level 9. Chunks
// reached only through a dynamic `import()` (the Flux runtime behind `engine.executeWorkflow`)
// are loaded on demand and reported on their own line.
//
//   node scripts/size.mjs          the table, Theus and its peers
//   npm test                       test/size/size.test.ts fails above the ceilings (SPEC §10.5)
//
// A ceiling is raised only in the commit that causes the growth, with the reason in its message.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import * as esbuild from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const FRAMEWORKS = ['react', 'react-dom', 'react/jsx-runtime', 'vue', 'vite']

const alias = {
  'theus/react': `${root}/adapters/react/index.ts`,
  'theus/vue': `${root}/adapters/vue/index.ts`,
  'theus/yaml': `${root}/src/yaml/index.ts`,
  theus: `${root}/src/index.ts`,
}

// The smallest real app of each kind: an engine, a process and a run.
const CORE_APP = `
import { TheusEngine, process } from 'theus'
const inc = process({ inputs: ['domain.n'], outputs: ['domain.n'] }, function inc(ctx) { ctx.domain.n += 1 })
const engine = new TheusEngine({ domain: { n: 0 } })
engine.registerProcess(inc)
engine.runProcess('inc')
console.log(engine.state.value)
`

/** The apps measured for Theus: name, source, and what to subtract to get the "on top" figure. */
export const THEUS_APPS = [
  { name: 'theus (engine + process + a run)', code: CORE_APP },
  {
    name: 'theus with an audit recipe',
    code: `${CORE_APP}
new TheusEngine({ domain: { n: 0 } }, { auditRecipe: { process_recipes: { inc: { outputs: [{ field: 'domain.n', max: 10, level: 'B' }] } } } })`,
  },
  {
    name: 'theus/react on top',
    base: 0,
    code: `${CORE_APP}
import { TheusProvider, useTheus, useProcess } from 'theus/react'
export function App() { const n = useTheus('domain.n'); const { run } = useProcess('inc'); return TheusProvider({ engine, children: [n, run] }) }`,
  },
  {
    name: 'theus/vue on top',
    base: 0,
    code: `${CORE_APP}
import { createTheusPlugin, useTheus, useProcess } from 'theus/vue'
export const plugin = createTheusPlugin(engine)
export function setup() { return { n: useTheus('domain.n'), run: useProcess('inc').run } }`,
  },
  {
    name: 'WorkflowManager + StateMachine on top',
    base: 0,
    code: `${CORE_APP}
import { WorkflowManager } from 'theus'
const m = new WorkflowManager(engine, { states: { IDLE: { on: { GO: 'RUN' } }, RUN: { entry: 'inc', on: { EVT_CHAIN_DONE: 'IDLE' } } } })
m.send('GO')`,
  },
  {
    name: 'executeWorkflow (Flux, loaded on first call)',
    base: 0,
    lazy: true,
    code: `${CORE_APP}
engine.executeWorkflow({ steps: ['inc', { flux: 'while', condition: 'domain.n < 3', do: ['inc'] }] })`,
  },
  {
    name: 'persist on top',
    base: 0,
    code: `${CORE_APP}
import { persist } from 'theus'
persist(engine, { storage: localStorage, key: 'app' })`,
  },
  {
    name: 'connectReduxDevTools on top',
    base: 0,
    code: `${CORE_APP}
import { connectReduxDevTools } from 'theus'
connectReduxDevTools(engine)`,
  },
  {
    name: 'theus/yaml (parsers, yaml included)',
    code: `import { parseAuditRecipe, parseWorkflow, parseFlux } from 'theus/yaml'
console.log(parseAuditRecipe('process_recipes: {}'), parseWorkflow('states: { IDLE: {} }'), parseFlux('steps: []'))`,
  },
]

/** Peers, measured the same way when they are installed (none is added for this). */
export const PEERS = [
  {
    name: 'zustand (create + useStore)',
    pkg: 'zustand',
    code: `import { create } from 'zustand'
const useStore = create((set) => ({ n: 0, inc: () => set((s) => ({ n: s.n + 1 })) }))
export function App() { return useStore((s) => s.n) }`,
  },
  {
    name: 'valtio (proxy + useSnapshot)',
    pkg: 'valtio',
    code: `import { proxy, useSnapshot } from 'valtio'
const state = proxy({ n: 0 })
export function App() { return useSnapshot(state).n }
state.n++`,
  },
  {
    name: 'jotai (atom + useAtom)',
    pkg: 'jotai',
    code: `import { atom, useAtom } from 'jotai'
const n = atom(0)
export function App() { return useAtom(n)[0] }`,
  },
  {
    name: 'pinia (defineStore)',
    pkg: 'pinia',
    code: `import { createPinia, defineStore } from 'pinia'
export const pinia = createPinia()
export const useStore = defineStore('n', { state: () => ({ n: 0 }), actions: { inc() { this.n++ } } })`,
  },
  {
    name: 'Redux Toolkit + react-redux',
    pkg: '@reduxjs/toolkit',
    also: ['react-redux'],
    code: `import { configureStore, createSlice } from '@reduxjs/toolkit'
import { Provider, useSelector, useDispatch } from 'react-redux'
const slice = createSlice({ name: 'n', initialState: { n: 0 }, reducers: { inc: (s) => { s.n++ } } })
const store = configureStore({ reducer: slice.reducer })
export function App() { const d = useDispatch(); return [useSelector((s) => s.n), d, Provider, store] }`,
  },
  {
    name: 'XState + @xstate/react',
    pkg: 'xstate',
    also: ['@xstate/react'],
    code: `import { createMachine, createActor } from 'xstate'
import { useActor } from '@xstate/react'
const m = createMachine({ initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } })
createActor(m).start()
export function App() { return useActor(m) }`,
  },
  {
    name: 'MobX-State-Tree (mobx included)',
    pkg: 'mobx-state-tree',
    code: `import { types } from 'mobx-state-tree'
const S = types.model({ n: 0 }).actions((self) => ({ inc() { self.n++ } }))
S.create().inc()`,
  },
]

const require = createRequire(`${root}/package.json`)
function installed(pkg) {
  try {
    require.resolve(`${pkg}/package.json`)
    return true
  } catch {
    return existsSync(`${root}/node_modules/${pkg}/package.json`)
  }
}

/**
 * Bundles one app and returns its gzipped bytes: `initial` (the entry and every chunk it
 * imports statically) and `lazy` (chunks reached only through `import()`: the Flux runtime and
 * `TheusEngine.replay`), each of them also in `lazyChunks`.
 */
export async function measure(code) {
  const result = await esbuild.build({
    stdin: { contents: code, resolveDir: root, loader: 'ts', sourcefile: 'app.ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    splitting: true,
    outdir: `${root}/.tmp/size-out`,
    write: false,
    metafile: true,
    alias,
    external: FRAMEWORKS,
    // What a production build defines: NODE_ENV, and Vue's feature flags as @vitejs/plugin-vue
    // sets them (without __VUE_PROD_DEVTOOLS__ Pinia bundles the whole devtools kit).
    define: {
      'process.env.NODE_ENV': '"production"',
      __VUE_OPTIONS_API__: 'true',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    logLevel: 'silent',
    legalComments: 'none',
  })
  const files = new Map(result.outputFiles.map((f) => [f.path, f.contents]))
  const outputs = result.metafile.outputs
  const key = (p) => resolve(root, p)
  const entry = Object.keys(outputs).find((p) => outputs[p].entryPoint !== undefined)
  const initial = new Set()
  const visit = (p) => {
    if (initial.has(p)) return
    initial.add(p)
    for (const imp of outputs[p].imports)
      if (imp.kind === 'import-statement' && !imp.external) visit(imp.path)
  }
  visit(entry)
  let initialGz = 0
  let lazyGz = 0
  let initialMin = 0
  /** Each on-demand chunk: its gzipped bytes and the source files in it. */
  const lazyChunks = []
  for (const p of Object.keys(outputs)) {
    const bytes = files.get(key(p))
    if (!bytes || p.endsWith('.map')) continue
    const gz = gzipSync(bytes, { level: 9 }).length
    if (initial.has(p)) {
      initialGz += gz
      initialMin += bytes.length
    } else {
      lazyGz += gz
      lazyChunks.push({ gzip: gz, inputs: Object.keys(outputs[p].inputs) })
    }
  }
  const inputs = {}
  for (const p of initial)
    for (const [file, info] of Object.entries(outputs[p].inputs))
      inputs[file] = (inputs[file] ?? 0) + info.bytesInOutput
  return { gzip: initialGz, min: initialMin, lazy: lazyGz, lazyChunks, inputs }
}

/** Measures every Theus app; `onTop` is the growth over the app named by `base`. */
export async function measureTheus() {
  const rows = []
  for (const app of THEUS_APPS) rows.push({ ...app, ...(await measure(app.code)) })
  for (const row of rows) {
    if (row.base !== undefined) row.onTop = row.gzip - rows[row.base].gzip
  }
  return rows
}

export async function measurePeers() {
  const rows = []
  for (const peer of PEERS) {
    const missing = [peer.pkg, ...(peer.also ?? [])].filter((p) => !installed(p))
    if (missing.length > 0) rows.push({ name: peer.name, missing })
    else rows.push({ name: peer.name, ...(await measure(peer.code)) })
  }
  return rows
}

export const kB = (n) => `${(n / 1000).toFixed(1)} kB`

/** The table, in Markdown. */
export function table(theus, peers = []) {
  const lines = ['| bundle | gzipped | on top of the core | minified |', '|---|---:|---:|---:|']
  for (const r of theus) {
    const gz =
      r.lazy && r.name.includes('loaded on first call')
        ? `${kB(r.gzip)} + ${kB(r.lazy)} on demand`
        : kB(r.gzip)
    lines.push(
      `| ${r.name} | ${gz} | ${r.onTop === undefined ? '' : `+${kB(r.onTop)}`} | ${kB(r.min)} |`,
    )
  }
  for (const r of peers) {
    if (r.missing) lines.push(`| ${r.name} | not installed (${r.missing.join(', ')}) | | |`)
    else lines.push(`| ${r.name} | ${kB(r.gzip)} | | ${kB(r.min)} |`)
  }
  return lines.join('\n')
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const theus = await measureTheus()
  const peers = await measurePeers()
  console.log(table(theus, peers))
  if (process.argv.includes('--inputs')) {
    const top = Object.entries(theus[0].inputs).sort((a, b) => b[1] - a[1])
    for (const [file, bytes] of top) console.log(`${String(bytes).padStart(7)}  ${file}`)
  }
}
