/**
 * The plugin's include/exclude filter gives Vite's answers (createFilter from @rollup/pluginutils,
 * picomatch with dot: true) without importing vite at run time: SPEC's table lets `theus/vite`
 * import only `theus`, `yaml` and node.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { createFilter as viteFilter } from 'vite'
import { describe, expect, it } from 'vitest'
import { createFilter } from '../../src/vite/filter.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cwd = process.cwd().replace(/\\/g, '/')

const patterns: (string | RegExp | (string | RegExp)[] | null | undefined)[] = [
  undefined,
  null,
  /\.ya?ml$/i,
  /specs\//g,
  '**/*.yaml',
  '**/*.{yaml,yml}',
  '**/specs/**',
  '**/specs/*.yaml',
  'specs/*.yaml',
  './specs/*.yaml',
  'specs/**',
  'src/**/*.yaml',
  'node_modules/**',
  '**/node_modules/**',
  '**/*.yml',
  'specs/**/*.yml',
  'src/**/audit_?ecipe.yaml',
  'src/[ab]*.yaml',
  'src/[!a]*.yaml',
  'src/[^a]*.yaml',
  '**/{specs,workflows}/**/*.yaml',
  '**/*.{y{a,}ml,json}',
  '/abs/**/*.yaml',
  '/abs/x.yaml',
  '**/a+b.yaml',
  '**/a\\*.yaml',
  '**',
  '*',
  [/workflow/, '**/specs/*.yaml'],
  [],
]

const ids = [
  '/abs/x.yaml',
  '/abs/deep/er/x.yaml',
  `${cwd}/specs/audit_recipe.yaml`,
  `${cwd}/specs/deep/audit_recipe.yml`,
  `${cwd}/specs/.hidden.yaml`,
  `${cwd}/src/audit_recipe.yaml`,
  `${cwd}/src/a1.yaml`,
  `${cwd}/src/c1.yaml`,
  `${cwd}/workflows/main/workflow.yaml`,
  `${cwd}/specs`,
  `${cwd}/other/specs/x.yaml`,
  '/elsewhere/specs/x.yaml',
  '/elsewhere/a+b.yaml',
  '/elsewhere/a*.yaml',
  '/elsewhere/ab.yaml',
  '/elsewhere/x.json',
  'relative/specs/x.yaml',
  'x.yaml',
  `${cwd}/node_modules/pkg/specs/x.yaml`,
  `${cwd}/src/deep/a/b.yaml`,
  '\0virtual:specs/x.yaml',
  'C:\\app\\specs\\x.yaml',
]

describe('the include/exclude filter', () => {
  it('answers as Vite’s createFilter for globs, RegExps and lists, as include and as exclude', () => {
    for (const p of patterns) {
      const asInclude = viteFilter(p)
      const asExclude = viteFilter(undefined, p)
      const ours = createFilter(p)
      const oursEx = createFilter(undefined, p)
      for (const id of ids) {
        expect([String(p), id, ours(id)]).toEqual([String(p), id, asInclude(id)])
        expect([String(p), id, oursEx(id)]).toEqual([String(p), id, asExclude(id)])
      }
    }
    const both = [createFilter('**/*.yaml', 'specs/**'), viteFilter('**/*.yaml', 'specs/**')]
    for (const id of ids) expect(both[0]!(id)).toBe(both[1]!(id))
  })

  it('keeps theus/vite to the imports SPEC allows it: theus, yaml and node (no vite at run time)', async () => {
    const out = await build({
      entryPoints: [`${root}src/vite/index.ts`],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
    })
    const external = Object.values(out.metafile.outputs).flatMap((o) =>
      o.imports.filter((i) => i.external).map((i) => i.path),
    )
    expect(external.filter((p) => !p.startsWith('node:') && p !== 'yaml')).toEqual([])
  })
})
