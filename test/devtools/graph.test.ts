/**
 * Where the panel sits in the import graph: the core never reaches it, the vanilla entry never
 * reaches React, and an app that imports only the engine ships none of it.
 */

import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const alias = {
  theus: `${root}src/index.ts`,
  'theus/devtools': `${root}src/devtools/index.ts`,
}

async function bundle(contents: string, external: string[] = []) {
  const out = await build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    metafile: true,
    alias,
    external,
    logLevel: 'silent',
  })
  const inputs = Object.keys(out.metafile.inputs)
  return { inputs, gzip: gzipSync(out.outputFiles[0]!.contents, { level: 9 }).length }
}

describe('theus/devtools in the import graph', () => {
  it('the core never imports the panel or the live-editing runtime', async () => {
    const { inputs } = await bundle(`export * from 'theus'`)
    expect(inputs.some((f) => f.includes('src/devtools/'))).toBe(false)
    expect(inputs.some((f) => f.includes('hmrRuntime'))).toBe(false)
  })

  it('the vanilla entry imports no React, and only types from the core', async () => {
    const { inputs, gzip } = await bundle(`export * from 'theus/devtools'`, ['theus'])
    expect(inputs.some((f) => /node_modules\/react/.test(f))).toBe(false)
    expect(inputs.filter((f) => f !== '<stdin>').every((f) => f.startsWith('src/devtools/'))).toBe(
      true,
    )
    // Small enough to leave in a dev build (figure in docs/devtools.md).
    expect(gzip).toBeLessThan(7_000)
  })

  it('an app importing only the engine ships none of the panel', async () => {
    const { inputs } = await bundle(
      `import { TheusEngine, process } from 'theus'; export const e = new TheusEngine({}); export { process }`,
    )
    expect(inputs.some((f) => f.includes('src/devtools/'))).toBe(false)
  })
})
