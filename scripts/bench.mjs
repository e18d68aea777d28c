// `npm run bench`: bundles bench/run.ts with esbuild the way a production build ships Theus
// (no keep-names helpers, which tsx adds around every closure and which would dominate a
// microbenchmark), then runs it with --expose-gc. Packages stay external: each peer library
// runs from node_modules exactly as its users run it.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const entries = { theus: 'src/index.ts', 'theus/react': 'adapters/react/index.ts', 'theus/vue': 'adapters/vue/index.ts' }
const outfile = `${root}.bench-out/run.mjs`
await build({
  entryPoints: [`${root}bench/run.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  packages: 'external',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  plugins: [
    {
      name: 'theus-sources',
      setup(b) {
        b.onResolve({ filter: /^theus(\/(react|vue))?$/ }, (args) => ({ path: `${root}${entries[args.path]}` }))
      },
    },
  ],
})
const res = spawnSync(process.execPath, ['--expose-gc', outfile, ...process.argv.slice(2)], { stdio: 'inherit' })
process.exit(res.status ?? 1)
