// The one esbuild set-up of the benchmarks (`npm run bench`, `npm run bench:ab`): bundled the
// way a production build ships Theus (no keep-names helpers, which tsx adds around every
// closure and which would dominate a microbenchmark), `theus` and its adapters taken from the
// sources under `srcRoot`, and every package external, so that each peer library runs from
// node_modules exactly as its users run it.
import { build } from 'esbuild'

const sources = {
  theus: 'src/index.ts',
  'theus/react': 'adapters/react/index.ts',
  'theus/vue': 'adapters/vue/index.ts',
}

/** Bundles `entry` to `outfile`; `srcRoot` (ending in '/') holds the Theus sources to use. */
export async function bundleBench(entry, outfile, srcRoot) {
  await build({
    entryPoints: [entry],
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
            path: `${srcRoot}${sources[args.path]}`,
          }))
        },
      },
    ],
  })
  return outfile
}
