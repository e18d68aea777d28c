/**
 * Argument parsing on `node:util`'s `parseArgs`, so the CLI needs no dependency beyond the
 * package's own. Every failure becomes a one-line `CliError` that points at `--help`.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { CliError } from './io.js'

/** The options of one command, in `parseArgs` form. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>

/** One command: its name as typed, its help text, its options and how many positionals. */
export interface CommandSpec {
  /** `audit gen-spec`, `init`, ... */
  name: string
  help: string
  options: OptionSpec
  /** Names of the positionals, in order; all required. */
  positionals: readonly string[]
}

/** The parsed values of a command line. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
  help: boolean
}

/** Parses `argv` for `spec`. Throws `CliError` for an unknown option, a missing value, extra or missing positionals. */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): Parsed {
  const see = `see 'theus ${spec.name} --help'`
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (e) {
    const err = e as { code?: string; message?: string }
    // Node writes the option as '--recipe <value>' or '-r, --recipe <value>': keep the long name.
    const opt = /'(?:-\w, )?(-[^' ]*)/.exec(err.message ?? '')?.[1]
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new CliError(`unknown option '${opt ?? '?'}' for 'theus ${spec.name}'; ${see}.`)
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      // The same code covers a flag given a value (`--dry-run=yes`) and a value left out.
      const what = /does not take/.test(err.message ?? '') ? 'takes no value' : 'needs a value'
      throw new CliError(`option '${opt ?? '?'}' of 'theus ${spec.name}' ${what}; ${see}.`)
    }
    throw new CliError(
      `bad arguments for 'theus ${spec.name}': ${err.message ?? String(e)}; ${see}.`,
    )
  }
  const values = parsed.values as Parsed['values']
  const help = values.help === true
  const positionals = parsed.positionals
  if (!help) {
    // An empty value (`--out=`, `--recipe ""`, an unset shell variable) is a missing one, not
    // the working directory.
    for (const [key, v] of Object.entries(values)) {
      if ([v].flat().some((x) => typeof x === 'string' && x.trim() === '')) {
        throw new CliError(`option '--${key}' of 'theus ${spec.name}' needs a value; ${see}.`)
      }
    }
    // An empty argument (`theus init ""`, an unset shell variable) is a missing one.
    const blank = spec.positionals.findIndex((_, i) => (positionals[i] ?? '').trim() === '')
    if (blank >= 0) {
      throw new CliError(`'theus ${spec.name}' needs <${spec.positionals[blank]}>; ${see}.`)
    }
    if (positionals.length > spec.positionals.length) {
      const extra = positionals[spec.positionals.length]
      throw new CliError(`unexpected argument '${extra}' for 'theus ${spec.name}'; ${see}.`)
    }
  }
  return { values, positionals, help }
}

/** A string option's value, or `fallback`. */
export function str(parsed: Parsed, key: string, fallback: string): string {
  const v = parsed.values[key]
  return typeof v === 'string' ? v : fallback
}

/** A repeatable string option's values, or `fallback`. */
export function strs(parsed: Parsed, key: string, fallback: readonly string[]): string[] {
  const v = parsed.values[key]
  if (Array.isArray(v)) return v
  return typeof v === 'string' ? [v] : [...fallback]
}

/** A boolean flag. */
export function flag(parsed: Parsed, key: string): boolean {
  return parsed.values[key] === true
}
