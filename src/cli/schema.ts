/**
 * `theus schema gen` (context → `specs/context_schema.yaml`) and `theus schema code`
 * (`specs/context_schema.yaml` → `src/context.ts`).
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'
import { type CommandSpec, flag, type Parsed, str } from './args.js'
import { CliError, type CliIO, readIfExists, shown, writeGenerated } from './io.js'
import { loadModule } from './loadModule.js'
import { inferModel, modelToCode, modelToYaml, yamlToModel } from './schemaModel.js'

const DEFAULT_CONTEXT = 'src/context.ts'
const DEFAULT_SCHEMA = 'specs/context_schema.yaml'
const CONTEXT_EXPORTS = ['initialContext', 'initial', 'context', 'default']
const SCHEMA_EXPORTS = ['contextSchema', 'schema']

const WRITE_RULE = `An existing file with other content is never overwritten unless --force is given;
then the command says how many lines changed.`

/** `theus schema gen`. */
export const schemaGenCommand: CommandSpec = {
  name: 'schema gen',
  positionals: [],
  options: {
    context: { type: 'string' },
    out: { type: 'string' },
    export: { type: 'string' },
    'schema-export': { type: 'string' },
    force: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  help: `Usage: theus schema gen [--context <file>] [--out <file>] [--export <name>]
                        [--schema-export <name>] [--force] [--dry-run]

Writes the context schema file from the app's initial context, and from its zod schema when
the module exports one (types, record vs object, integers, bounds, enums, descriptions). One
entry per path: type, zone, default and constraints (see docs/cli.md).

The context module is imported (TypeScript is compiled with esbuild, typescript or Vite 8
from the project). It exports the initial context as initialContext (or initial, context, default)
and may export the zod schema as contextSchema (or schema).

Options:
  --context <file>        the context module (default ${DEFAULT_CONTEXT})
  --out <file>            the schema file (default ${DEFAULT_SCHEMA})
  --export <name>         the export holding the initial context
  --schema-export <name>  the export holding the zod schema
  --force                 overwrite an existing, different schema file
  --dry-run               print the schema instead of writing it
  -h, --help              show this help

${WRITE_RULE}
`,
}

/** `theus schema code`. */
export const schemaCodeCommand: CommandSpec = {
  name: 'schema code',
  positionals: [],
  options: {
    schema: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  help: `Usage: theus schema code [--schema <file>] [--out <file>] [--force] [--dry-run]

Writes the context module (a zod schema contextSchema, its type Context, and initialContext)
from the context schema file.

Options:
  --schema <file>   the schema file (default ${DEFAULT_SCHEMA})
  --out <file>      the module to write (default ${DEFAULT_CONTEXT})
  --force           overwrite an existing, different module
  --dry-run         print the module instead of writing it
  -h, --help        show this help

${WRITE_RULE}
`,
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

function pick(
  mod: Record<string, unknown>,
  names: readonly string[],
  test: (v: unknown) => boolean,
): [string, unknown] | undefined {
  for (const n of names) if (Object.hasOwn(mod, n) && test(mod[n])) return [n, mod[n]]
  return undefined
}

/** Runs `theus schema gen`. */
export async function schemaGen(io: CliIO, parsed: Parsed): Promise<number> {
  const contextPath = resolve(io.cwd, str(parsed, 'context', DEFAULT_CONTEXT))
  const out = str(parsed, 'out', DEFAULT_SCHEMA)
  if (!existsSync(contextPath)) {
    throw new CliError(
      `no context module at ${shown(io, contextPath)}; pass --context <file> with the module that exports your initial context.`,
    )
  }
  const loaded = await loadModule(contextPath, io.cwd)
  // A CommonJS module (`module.exports = { initialContext }`) reaches an import as its default
  // export: its own keys are the exports looked for.
  const cjs = loaded.default
  const mod =
    isObject(cjs) && !('domain' in cjs || 'global' in cjs) ? { ...cjs, ...loaded } : loaded
  const contextName = str(parsed, 'export', '')
  const isContext = (v: unknown) => isObject(v) && ('domain' in v || 'global' in v)
  const found = pick(mod, contextName === '' ? CONTEXT_EXPORTS : [contextName], isContext)
  if (found === undefined) {
    throw new CliError(
      `${shown(io, contextPath)} exports no initial context (${contextName === '' ? CONTEXT_EXPORTS.join(', ') : contextName}): export an object with global and domain, or name it with --export <name>.`,
    )
  }
  const context = found[1] as Record<string, unknown>
  for (const k of Object.keys(context)) {
    if (k !== 'global' && k !== 'domain') {
      throw new CliError(
        `the context's root key '${k}' is not a layer; a context has only global and domain.`,
      )
    }
  }
  const schemaName = str(parsed, 'schema-export', '')
  const schema = pick(
    mod,
    schemaName === '' ? SCHEMA_EXPORTS : [schemaName],
    (v) => isObject(v) && '~standard' in v,
  )
  if (schema === undefined && schemaName !== '') {
    throw new CliError(`${shown(io, contextPath)} has no schema export '${schemaName}'.`)
  }
  let json: Record<string, any> | undefined
  let note = 'inferred from its value (no zod schema exported)'
  if (schema !== undefined) {
    json = toJsonSchema(schema[1])
    note =
      json === undefined
        ? `inferred from its value (${schema[0]} is not a zod 4 schema)`
        : `and its zod schema ${schema[0]}`
  }
  let model: ReturnType<typeof inferModel>
  try {
    model = inferModel(context, json)
  } catch (e) {
    // The app's own code (a getter, a proxy) failed while its context was read.
    if (e instanceof CliError) throw e
    throw new CliError(
      `reading the context of ${shown(io, contextPath)} (${found[0]}) threw: ${(e as Error)?.message ?? String(e)}`,
    )
  }
  const header = schemaHeader(shown(io, contextPath), found[0], note)
  const text = modelToYaml(model, header)
  if (flag(parsed, 'dry-run')) {
    io.stdout(text)
    return 0
  }
  writeGenerated(io, out, text, { force: flag(parsed, 'force'), command: 'theus schema gen' })
  return 0
}

/** The comment on top of a generated schema file. */
export function schemaHeader(contextFile: string, exportName: string, note: string): string {
  return ` The context of this app, one entry per path (type, zone, default, constraints).
 Written by \`theus schema gen\` from ${contextFile} (${exportName}), ${note}.
 \`theus schema code\` writes the context module back from this file (theus docs/cli.md).`
}

function toJsonSchema(schema: unknown): Record<string, any> | undefined {
  const s = schema as { _zod?: unknown; toJSONSchema?: (o: object) => Record<string, any> }
  if (s._zod === undefined) return undefined
  const options = { unrepresentable: 'any', io: 'output' }
  try {
    // The schema's own method uses the app's copy of zod; older 4.x have only the function.
    if (typeof s.toJSONSchema === 'function') return s.toJSONSchema(options)
    return z.toJSONSchema(schema as z.ZodType, options as never) as Record<string, any>
  } catch {
    return undefined
  }
}

/** Runs `theus schema code`. */
export function schemaCode(io: CliIO, parsed: Parsed): number {
  const schemaPath = resolve(io.cwd, str(parsed, 'schema', DEFAULT_SCHEMA))
  const out = str(parsed, 'out', DEFAULT_CONTEXT)
  const text = readIfExists(schemaPath, io)
  if (text === undefined) {
    throw new CliError(
      `no context schema at ${shown(io, schemaPath)}; write one with 'theus schema gen' or pass --schema <file>.`,
    )
  }
  const model = yamlToModel(text, shown(io, schemaPath))
  const code = modelToCode(model, shown(io, schemaPath))
  if (flag(parsed, 'dry-run')) {
    io.stdout(code)
    return 0
  }
  writeGenerated(io, out, code, { force: flag(parsed, 'force'), command: 'theus schema code' })
  return 0
}
