// `npm run bench [core|react|--profile]`: bundles each benchmark with esbuild the way a
// production build ships Theus (no keep-names helpers, which tsx adds around every closure and
// which would dominate a microbenchmark), then runs it in its own Node process. Packages stay
// external: each peer library runs from node_modules exactly as its users run it.
//   core   the bank transfer against a plain function, immer, MobX-State-Tree and valtio
//   react  1 000 rows, 1 000 transfers: Theus vs zustand vs Redux Toolkit, in jsdom
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const sources = {
  theus: 'src/index.ts',
  'theus/react': 'adapters/react/index.ts',
  'theus/vue': 'adapters/vue/index.ts',
}
const benches = {
  core: { entry: 'bench/run.ts', env: {} },
  react: { entry: 'bench/adapters/react.tsx', env: { NODE_ENV: 'production' } },
}

async function bundle(entry, name) {
  const outfile = `${root}.bench-out/${name}.mjs`
  await build({
    entryPoints: [`${root}${entry}`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    packages: 'external',
    jsx: 'automatic',
    logLevel: 'warning',
    plugins: [
      {
        name: 'theus-sources',
        setup(b) {
          b.onResolve({ filter: /^theus(\/(react|vue))?$/ }, (args) => ({
            path: `${root}${sources[args.path]}`,
          }))
        },
      },
    ],
  })
  return outfile
}

const args = process.argv.slice(2)
const chosen = args.filter((a) => a in benches)
const rest = args.filter((a) => !(a in benches))
let failed = false
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  const { entry, env } = benches[name]
  const file = await bundle(entry, name)
  console.log(`\n=== ${name} (${entry})`)
  const res = spawnSync(process.execPath, ['--expose-gc', file, ...rest], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  })
  if (res.status !== 0) failed = true
}
process.exit(failed ? 1 : 0)
