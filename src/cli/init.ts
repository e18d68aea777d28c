/**
 * `theus init <name>`: scaffolds a Vite + React + TypeScript app that uses theus.
 */
import {
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CommandSpec, type Parsed, str } from './args.js'
import { CliError, type CliIO, makeDirs, shown } from './io.js'
import { schemaHeader } from './schema.js'
import { modelToCode, modelToYaml } from './schemaModel.js'
import { appFiles, bankModel, type TemplateVersions } from './templates.js'

/** `theus init`. */
export const initCommand: CommandSpec = {
  name: 'init',
  positionals: ['name'],
  options: { theus: { type: 'string' } },
  help: `Usage: theus init <name> [--theus <spec>]

Creates the directory <name> with a Vite + React + TypeScript app that uses theus: the bank
example's context (src/context.ts, specs/context_schema.yaml), its processes
(src/processes/), audit recipe (specs/audit_recipe.yaml) and state machine
(workflows/workflow.yaml). The app builds as it is: cd <name> && npm install && npm run build.

<name> is a path; its last segment becomes the package name (lowercase letters, digits,
-, _ and .). An existing directory must be empty: nothing is ever overwritten.

The app's package.json depends on theus as this CLI was installed: the registry range
(^<version>) when it came from the registry, and file:<absolute path> when it runs from a
checkout, a link or a tarball, so that npm install works in the app as it is.

Options:
  --theus <spec>   the theus dependency to write instead: a version range (^0.2.0), a tag,
                   a tarball or directory path (./theus-0.1.0.tgz, made file:<absolute>),
                   or any npm spec (file:, link:, github:...)
  -h, --help       show this help
`,
}

interface OwnPackage {
  version: string
  devDependencies?: Record<string, string>
  dependencies?: Record<string, string>
  /** The directory holding this package.json (real path); absent when none was found. */
  dir?: string
}

/** The package.json of the theus package this CLI belongs to (found upward from this file). */
export function ownPackage(): OwnPackage {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8'))
      if (pkg.name === 'theus') return { ...pkg, dir: realpathSync(dir) }
    }
    const up = dirname(dir)
    if (up === dir) return { version: '0.0.0' }
    dir = up
  }
}

const NODE_MODULES = `${sep}node_modules${sep}`

/**
 * The `theus` dependency an app scaffolded by the CLI in `pkgDir` should declare: how that
 * package was installed. A package outside any `node_modules` is a checkout or the target of a
 * link: `file:<pkgDir>`. One inside `node_modules` is looked up in the installing project's
 * lockfile (npm's hidden `node_modules/.package-lock.json`, then `package-lock.json`): a
 * `file:` tarball or a link gives `file:<absolute path>`; a registry install (or no lockfile
 * entry) gives `^<version>`.
 * @example
 * detectTheusSpec('/home/me/theus', '0.1.0') // 'file:/home/me/theus'
 */
export function detectTheusSpec(pkgDir: string, version: string): string {
  const registry = `^${version}`
  const at = pkgDir.lastIndexOf(NODE_MODULES)
  if (at < 0) return `file:${pkgDir}`
  const project = pkgDir.slice(0, at)
  const key = relative(project, pkgDir).split(sep).join('/')
  for (const lock of [
    join(project, 'node_modules/.package-lock.json'),
    join(project, 'package-lock.json'),
  ]) {
    let entry: { resolved?: unknown; link?: unknown } | undefined
    try {
      entry = JSON.parse(readFileSync(lock, 'utf8'))?.packages?.[key]
    } catch {
      continue
    }
    if (entry === undefined || entry === null) continue
    const resolved = typeof entry.resolved === 'string' ? entry.resolved : ''
    if (resolved.startsWith('file:')) return `file:${resolve(project, resolved.slice(5))}`
    // A link's `resolved` is the target folder, relative to the project.
    if (entry.link === true && resolved !== '') return `file:${resolve(project, resolved)}`
    return registry
  }
  return registry
}

/**
 * The `--theus` value as the app's package.json should hold it: paths (and relative `file:`
 * specs, which npm would read from the app's folder) become `file:<absolute path>`, checked to
 * exist; ranges, tags and other specs pass through.
 */
export function theusSpecOption(io: CliIO, spec: string): string {
  const trimmed = spec.trim()
  if (trimmed === '')
    throw new CliError(`--theus needs a value, e.g. --theus ^0.1.0 or --theus ./theus-0.1.0.tgz.`)
  const pathLike =
    /^(file:|\.{1,2}[\\/]|[\\/]|[A-Za-z]:[\\/])/.test(trimmed) || /\.(tgz|tar\.gz)$/.test(trimmed)
  if (!pathLike) return trimmed
  const raw = trimmed.replace(/^file:(\/\/)?/, '')
  const abs = resolve(io.cwd, raw)
  if (!existsSync(abs)) {
    throw new CliError(
      `--theus ${spec}: ${shown(io, abs)} does not exist; give the path of a theus tarball (npm pack) or checkout.`,
    )
  }
  return `file:${abs}`
}

function versions(theus: string): TemplateVersions {
  const pkg = ownPackage()
  const dev = pkg.devDependencies ?? {}
  const deps = pkg.dependencies ?? {}
  // The versions this package is built and tested with; caret ranges for the app.
  const range = (v: string | undefined, fallback: string) =>
    `^${(v ?? fallback).replace(/^[\^~]/, '')}`
  return {
    theus,
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

/**
 * A path as the user can paste it after `cd`: as it is when it is plain, else in double quotes
 * (bash, zsh, cmd and PowerShell all read those), or single quotes when it holds `"`, `$` or a
 * backtick.
 */
export function shellQuoted(path: string): string {
  if (/^[\w./\\:-]+$/.test(path)) return path
  return /["$`]/.test(path) ? `'${path.replace(/'/g, `'\\''`)}'` : `"${path}"`
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
  const own = ownPackage()
  const option = str(parsed, 'theus', '')
  const theus =
    parsed.values.theus !== undefined
      ? theusSpecOption(io, option)
      : own.dir === undefined
        ? `^${own.version}`
        : detectTheusSpec(own.dir, own.version)
  const model = bankModel()
  const files: Record<string, string> = {
    ...appFiles(name, versions(theus)),
    'src/context.ts': modelToCode(model, 'specs/context_schema.yaml'),
    'specs/context_schema.yaml': modelToYaml(
      model,
      schemaHeader('src/context.ts', 'initialContext', 'and its zod schema contextSchema'),
    ),
  }
  for (const [rel, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const abs = join(dir, rel)
    makeDirs(dirname(abs))
    // 'wx': never replace a file, even one that appeared while we were writing.
    writeFileSync(abs, content, { flag: 'wx' })
  }
  const cd = shown(io, dir)
  io.stdout(`created ${cd} (${Object.keys(files).length} files), with "theus": "${theus}"

next:
${cd === '.' ? '' : `  cd ${shellQuoted(cd)}\n`}  npm install
  npm run dev
`)
  return 0
}
