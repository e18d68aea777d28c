/**
 * `theus init <name>`: scaffolds a Vite + React + TypeScript app that uses theus.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CommandSpec, Parsed } from './args.js'
import { CliError, type CliIO, shown } from './io.js'
import { schemaHeader } from './schema.js'
import { modelToCode, modelToYaml } from './schemaModel.js'
import { appFiles, bankModel, type TemplateVersions } from './templates.js'

/** `theus init`. */
export const initCommand: CommandSpec = {
  name: 'init',
  positionals: ['name'],
  options: {},
  help: `Usage: theus init <name>

Creates the directory <name> with a Vite + React + TypeScript app that uses theus: the bank
example's context (src/context.ts, specs/context_schema.yaml), its processes
(src/processes/), audit recipe (specs/audit_recipe.yaml) and state machine
(workflows/workflow.yaml). The app builds as it is: cd <name> && npm install && npm run build.

<name> is a path; its last segment becomes the package name (lowercase letters, digits,
-, _ and .). An existing directory must be empty: nothing is ever overwritten.

Options:
  -h, --help   show this help
`,
}

/** The package.json of the theus package this CLI belongs to (found upward from this file). */
export function ownPackage(): {
  version: string
  devDependencies?: Record<string, string>
  dependencies?: Record<string, string>
} {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8'))
      if (pkg.name === 'theus') return pkg
    }
    const up = dirname(dir)
    if (up === dir) return { version: '0.0.0' }
    dir = up
  }
}

function versions(): TemplateVersions {
  const pkg = ownPackage()
  const dev = pkg.devDependencies ?? {}
  const deps = pkg.dependencies ?? {}
  // The versions this package is built and tested with; caret ranges for the app.
  const range = (v: string | undefined, fallback: string) =>
    `^${(v ?? fallback).replace(/^[\^~]/, '')}`
  return {
    theus: range(pkg.version, '0.1.0'),
    react: range(dev.react, '19.0.0'),
    reactDom: range(dev['react-dom'], '19.0.0'),
    zod: range(deps.zod, '4.0.0'),
    vite: range(dev.vite, '8.0.0'),
    typescript: range(dev.typescript, '5.9.0'),
    typesReact: range(dev['@types/react'], '19.0.0'),
    typesReactDom: range(dev['@types/react-dom'], '19.0.0'),
    typesNode: range(dev['@types/node'], '20.0.0'),
  }
}

/** Runs `theus init <name>`. */
export function init(io: CliIO, parsed: Parsed): number {
  const target = parsed.positionals[0]!
  const dir = resolve(io.cwd, target)
  const name = basename(dir)
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name) || name.length > 214) {
    throw new CliError(
      `'${name}' is not a valid package name; use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit (e.g. my-app).`,
    )
  }
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) {
      throw new CliError(`${shown(io, dir)} exists and is not a directory; choose another name.`)
    }
    if (readdirSync(dir).length > 0) {
      throw new CliError(`${shown(io, dir)} is not empty; choose a new name or empty it first.`)
    }
  }
  const model = bankModel()
  const files: Record<string, string> = {
    ...appFiles(name, versions()),
    'src/context.ts': modelToCode(model, 'specs/context_schema.yaml'),
    'specs/context_schema.yaml': modelToYaml(
      model,
      schemaHeader('src/context.ts', 'initialContext', 'and its zod schema contextSchema'),
    ),
  }
  for (const [rel, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const abs = join(dir, rel)
    mkdirSync(dirname(abs), { recursive: true })
    // 'wx': never replace a file, even one that appeared while we were writing.
    writeFileSync(abs, content, { flag: 'wx' })
  }
  const cd = shown(io, dir)
  io.stdout(`created ${cd} (${Object.keys(files).length} files)

next:
  cd ${cd}
  npm install
  npm run dev
`)
  return 0
}
