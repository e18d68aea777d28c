/**
 * Imports an app's module (its `src/context.ts`) from the command line. JavaScript is imported
 * as it is. TypeScript is compiled with the first compiler found, looked up from the app's
 * directory first: esbuild (bundles the module's relative imports; packages stay imports),
 * then typescript's `transpileModule` (typescript 6 and older), then Vite 8's `transformWithOxc`,
 * then typescript 7's `tsc`, then Node's own `stripTypeScriptTypes` (Node 22.13+); all but
 * esbuild compile the one file, so its relative imports must be JavaScript. The compiled
 * file is written beside the source under a dot-name, so its imports resolve as the source's
 * would, and removed at once.
 */

import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { stripVTControlCharacters } from 'node:util'
import { CliError, type CliIO, shown } from './io.js'

type Compile = (file: string) => Promise<string | undefined>

async function importFrom(cwd: string, id: string): Promise<any> {
  for (const base of [join(cwd, 'package.json'), import.meta.url]) {
    try {
      const resolved = createRequire(base).resolve(id)
      const mod = await import(pathToFileURL(resolved).href)
      return mod.default ?? mod
    } catch {
      // not installed there: try the next place
    }
  }
  return undefined
}

/** The compilers, in the order they are tried (exported for tests). */
export const compilers: ((cwd: string) => Compile)[] = [
  (cwd) => async (file) => {
    const esbuild = await importFrom(cwd, 'esbuild')
    if (typeof esbuild?.build !== 'function') return undefined
    try {
      const out = await esbuild.build({
        entryPoints: [file],
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        target: 'node20',
        write: false,
        logLevel: 'silent',
        absWorkingDir: cwd,
      })
      return out.outputFiles[0]?.text as string | undefined
    } catch (e) {
      // esbuild counts columns from 0; Theus messages count from 1, as editors do.
      const first = (e as { errors?: { text: string; location?: any }[] }).errors?.[0]
      const at = first?.location
      if (first === undefined || !at) throw e
      throw new CliError(`cannot compile ${at.file}:${at.line}:${at.column + 1}: ${first.text}`)
    }
  },
  (cwd) => async (file) => {
    const ts = await importFrom(cwd, 'typescript')
    if (typeof ts?.transpileModule !== 'function') return undefined
    const out = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    })
    // transpileModule emits code even for a file that does not parse (a missing `}` closes the
    // object early): a syntax error must stop the command, not produce a wrong schema.
    const bad = out.diagnostics?.find((d: any) => d.category === ts.DiagnosticCategory.Error)
    if (bad !== undefined) {
      const at = bad.file?.getLineAndCharacterOfPosition(bad.start ?? 0)
      const where = at ? `:${at.line + 1}:${at.character + 1}` : ''
      throw new CliError(
        `cannot compile ${shown({ cwd } as CliIO, file)}${where}: ${ts.flattenDiagnosticMessageText(bad.messageText, ' ')}`,
      )
    }
    return out.outputText as string
  },
  // Vite 8's own compiler (oxc): a Vite app without esbuild or a typescript that transpiles
  // (typescript 7 has no transpileModule, and is what `npm i -D typescript` installs).
  (cwd) => async (file) => {
    const vite = await importFrom(cwd, 'vite')
    if (typeof vite?.transformWithOxc !== 'function') return undefined
    try {
      const out = await vite.transformWithOxc(readFileSync(file, 'utf8'), file, { lang: 'ts' })
      return out.code as string
    } catch (e) {
      // Lines from 1, columns from 0, as Rollup has them.
      const at = (e as { errors?: { message?: string; loc?: any }[] }).errors?.[0]
      if (!at?.loc) throw e
      // Its first line, without colours (Vite adds them on a terminal) or the [CODE] tag.
      const text = stripVTControlCharacters(String(at.message).split('\n')[0]!).replace(
        /^\[\w+\] /,
        '',
      )
      throw new CliError(
        `cannot compile ${shown({ cwd } as CliIO, file)}:${at.loc.line}:${at.loc.column + 1}: ${text}`,
      )
    }
  },
  // typescript 7's own compiler, which has no JavaScript API to transpile with: its `tsc`, on
  // the one file, without type checks (`--noCheck`) or a tsconfig.
  (cwd) => async (file) => {
    let tsc: string | undefined
    for (const base of [join(cwd, 'package.json'), import.meta.url]) {
      try {
        const pkg = createRequire(base).resolve('typescript/package.json')
        const bin = JSON.parse(readFileSync(pkg, 'utf8')).bin?.tsc
        if (typeof bin === 'string') tsc = join(dirname(pkg), bin)
        break
      } catch {
        // not installed there: try the next place
      }
    }
    if (tsc === undefined) return undefined
    const out = mkdtempSync(join(tmpdir(), 'theus-tsc-'))
    try {
      const r = spawnSync(
        process.execPath,
        // biome-ignore format: one option and its value per line pair reads worse here
        [tsc, '--ignoreConfig', '--noCheck', '--noResolve', '--pretty', 'false', '--module', 'esnext', '--target', 'es2022', '--outDir', out, file],
        { encoding: 'utf8' },
      )
      const js = join(out, basename(file).replace(/\.([cm]?)tsx?$/, '.$1js'))
      if (r.status === 0 && existsSync(js)) return readFileSync(js, 'utf8')
      // `file.ts(2,1): error TS1005: '}' expected.`, lines and columns from 1.
      const m = /\((\d+),(\d+)\): error TS\d+: (.*)/.exec(`${r.stdout}${r.stderr}`)
      throw new CliError(
        m
          ? `cannot compile ${shown({ cwd } as CliIO, file)}:${m[1]}:${m[2]}: ${m[3]}`
          : `cannot compile ${shown({ cwd } as CliIO, file)}: typescript's tsc failed: ${(r.error?.message ?? `${r.stdout}${r.stderr}`).trim().split('\n')[0]}`,
      )
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  },
  () => async (file) => {
    const mod = (await import('node:module')) as { stripTypeScriptTypes?: (code: string) => string }
    if (typeof mod.stripTypeScriptTypes !== 'function') return undefined
    return mod.stripTypeScriptTypes(readFileSync(file, 'utf8'))
  },
]

/** Imports `file` (JS or TS) and returns its namespace. Throws `CliError` when it cannot. */
export async function loadModule(file: string, cwd: string): Promise<Record<string, unknown>> {
  const isTs = /\.[cm]?tsx?$/.test(file)
  let url = pathToFileURL(file).href
  let temp: string | undefined
  if (isTs) {
    let code: string | undefined
    for (const make of compilers) {
      try {
        code = await make(cwd)(file)
      } catch (e) {
        if (e instanceof CliError) throw e
        throw new CliError(
          `cannot compile ${shown({ cwd } as CliIO, file)}: ${(e as Error).message}`,
        )
      }
      if (code !== undefined) break
    }
    if (code === undefined) {
      throw new CliError(
        `cannot compile ${shown({ cwd } as CliIO, file)}: no TypeScript compiler found; install one in the project (npm i -D typescript, or esbuild).`,
      )
    }
    temp = join(dirname(file), `.theus-${basename(file)}-${randomBytes(4).toString('hex')}.mjs`)
    writeFileSync(temp, code)
    url = pathToFileURL(temp).href
  }
  try {
    return (await import(`${url}?t=${Date.now()}`)) as Record<string, unknown>
  } catch (e) {
    // The compiled copy is gone by the time the message is read: name the source instead.
    let message = (e as Error).message
    if (temp !== undefined) message = message.split(temp).join(file)
    throw new CliError(`cannot import ${shown({ cwd } as CliIO, file)}: ${message}`)
  } finally {
    if (temp !== undefined) rmSync(temp, { force: true })
  }
}
