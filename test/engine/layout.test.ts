// Issue 10, "the engine you can read": the engine's folder shows its architecture. A module
// stays under about 400 lines; the one exception is a hot path, which says why in its header.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const engineDir = join(root, 'src/engine')
const LIMIT = 400
/** The phrase a hot path's opening comment uses to say why it is one long file. */
const WHY = 'Why one file over 400 lines'

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? modules(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  )
}

/** The opening block comment of a module. */
function header(text: string): string {
  const m = /^\/\*\*[\s\S]*?\*\//.exec(text)
  return m ? m[0] : ''
}

describe('src/engine layout', () => {
  it(`keeps every module under ${LIMIT} lines, unless its header says why (the hot path)`, () => {
    const long = modules(engineDir)
      .map((file) => ({ file, text: readFileSync(file, 'utf8') }))
      .filter(({ text }) => text.split('\n').length > LIMIT && !header(text).includes(WHY))
      .map(({ file }) => relative(root, file))
    expect(long).toEqual([])
  })
})
