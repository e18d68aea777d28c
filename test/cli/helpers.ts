import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
import { main } from '../../src/cli/main.js'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in-process in `cwd`. */
export async function run(cwd: string, ...argv: string[]): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    cwd,
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
  })
  return { code, stdout, stderr }
}

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A fresh temporary directory, removed after the file's tests. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'theus-cli-'))
  dirs.push(d)
  return d
}

/** Makes the repository's packages (zod, esbuild, react, vite...) resolvable from `dir`. */
export function linkNodeModules(dir: string): void {
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir')
}

/** Writes files (path → content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), content)
  }
}

/** A failure's stderr: exactly one line, prefixed `theus:`. */
export function expectOneLine(r: RunResult): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  if (r.code === 0) throw new Error(`expected a failure, got exit 0: ${r.stdout}`)
  if (lines.length !== 1 || !lines[0]!.startsWith('theus: ')) {
    throw new Error(`expected one line on stderr, got: ${JSON.stringify(r.stderr)}`)
  }
  return lines[0]!
}
