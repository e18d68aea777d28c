/**
 * The `theus` command: dispatch, help, and the one place failures become exit codes.
 */
import { type CommandSpec, type Parsed, parseCommand } from './args.js'
import { genSpec, genSpecCommand, inspect, inspectCommand } from './audit.js'
import { init, initCommand, ownPackage } from './init.js'
import { CliError, type CliIO, oneLine } from './io.js'
import { schemaCode, schemaCodeCommand, schemaGen, schemaGenCommand } from './schema.js'

export type { CliIO } from './io.js'

interface Command {
  spec: CommandSpec
  run: (io: CliIO, parsed: Parsed) => number | Promise<number>
}

const COMMANDS: Record<string, Command> = {
  init: { spec: initCommand, run: init },
  'audit gen-spec': { spec: genSpecCommand, run: genSpec },
  'audit inspect': { spec: inspectCommand, run: inspect },
  'schema gen': { spec: schemaGenCommand, run: schemaGen },
  'schema code': { spec: schemaCodeCommand, run: schemaCode },
}

const GROUPS: Record<string, string[]> = {
  audit: ['gen-spec', 'inspect'],
  schema: ['gen', 'code'],
}

const HELP = `Usage: theus <command> [options]

Commands:
  init <name> [--theus <spec>]
                              scaffold a Vite + React + TypeScript app that uses theus
  audit gen-spec              add a rule skeleton for every process without a recipe
  audit inspect <process>     print a process's effective rules, side effects and errors
  schema gen                  write specs/context_schema.yaml from src/context.ts
  schema code                 write src/context.ts from specs/context_schema.yaml

Options:
  -h, --help       show help (also: theus <command> --help, theus help <command>)
  -v, --version    show the version

Files a command generates are never overwritten silently: see each command's --help.
`

function groupHelp(group: string): string {
  const subs = GROUPS[group] ?? []
  return `Usage: theus ${group} <${subs.join('|')}> [options]\n\n${subs
    .map((s) => `  theus ${group} ${s} --help`)
    .join('\n')}\n`
}

/**
 * Runs the CLI with `argv` (the arguments after `theus`) and returns the exit code. Never
 * throws and never calls `process.exit`, so tests run it in-process.
 * @example
 * const code = await main(['audit', 'inspect', 'transfer'], {
 *   cwd: process.cwd(),
 *   stdout: (t) => process.stdout.write(t),
 *   stderr: (t) => process.stderr.write(t),
 * })
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const [first, second] = argv
    // `theus help init` is `theus init --help`, as in git and npm.
    if (first === 'help' && second !== undefined)
      return await main([...argv.slice(1), '--help'], io)
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      io.stdout(HELP)
      // No command is bad input: the list helps, and stderr still says why in one line.
      if (first === undefined)
        throw new CliError("missing command; run 'theus --help' for the list.")
      return 0
    }
    if (first === '-v' || first === '--version') {
      io.stdout(`${ownPackage().version}\n`)
      return 0
    }
    let key = first
    let rest = argv.slice(1)
    const group = GROUPS[first]
    if (group !== undefined) {
      if (second === undefined || second === '-h' || second === '--help') {
        io.stdout(groupHelp(first))
        if (second === undefined) {
          throw new CliError(
            `'theus ${first}' needs a command: ${group.map((s) => `${first} ${s}`).join(' or ')}; see 'theus ${first} --help'.`,
          )
        }
        return 0
      }
      if (second.startsWith('-')) {
        throw new CliError(
          `unknown option '${second}' for 'theus ${first}'; give a command first: ${group.map((s) => `${first} ${s}`).join(' or ')}.`,
        )
      }
      if (!group.includes(second)) {
        throw new CliError(
          `unknown command 'theus ${first} ${second}'; use one of: ${group.map((s) => `${first} ${s}`).join(', ')}.`,
        )
      }
      key = `${first} ${second}`
      rest = argv.slice(2)
    }
    const command = COMMANDS[key]
    if (command === undefined) {
      const what = first.startsWith('-') ? 'option' : 'command'
      throw new CliError(`unknown ${what} '${first}'; run 'theus --help' for the list.`)
    }
    const parsed = parseCommand(command.spec, rest)
    if (parsed.help) {
      io.stdout(command.spec.help)
      return 0
    }
    return await command.run(io, parsed)
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr(`theus: ${oneLine(e.message)}\n`)
      return 1
    }
    const err = e as { message?: string; code?: string; syscall?: string }
    // The file system refused (a file where a folder goes, permissions, a full or read-only
    // disk): Node's message names the call and the path, and the fix is the user's.
    if (err.syscall !== undefined && err.code !== undefined) {
      io.stderr(`theus: ${oneLine(err.message ?? err.code)}\n`)
      return 1
    }
    // A bug: still one line, with the original message.
    io.stderr(`theus: unexpected ${err.code ?? 'error'}: ${oneLine(err.message ?? String(e))}\n`)
    return 2
  }
}
