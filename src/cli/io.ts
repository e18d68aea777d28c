/**
 * What every command shares: the streams it writes to, its one error type, and the rule that a
 * user's file is never overwritten silently.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'

/** Where a command runs and writes; tests pass their own. */
export interface CliIO {
  /** The directory relative paths are resolved against. */
  cwd: string
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/**
 * A failure the user can fix: printed as one line (`theus: <message>`) on stderr, exit code 1.
 * Messages say what happened and what to do.
 */
export class CliError extends Error {
  override name = 'CliError'
}

/** Collapses a message onto one line: the CLI's failures are always a single line. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim()
}

/** `path` relative to the command's directory, for messages. */
export function shown(io: CliIO, path: string): string {
  const rel = relative(io.cwd, path)
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel
}

/**
 * Reads a UTF-8 file, or `undefined` when it does not exist. A directory where a file is
 * expected (`--out specs`) is the user's mistake, said in one line, not an internal failure.
 * So is a file that is not UTF-8 text (Latin-1, UTF-16): decoding it would replace its bytes,
 * and a command that writes the file back would corrupt it. `lenient` reads such a file
 * anyway, for a target that is only compared with new content. A BOM is kept as `\uFEFF`.
 */
export function readIfExists(path: string, io: CliIO, lenient = false): string | undefined {
  if (!existsSync(path)) return undefined
  if (statSync(path).isDirectory()) {
    throw new CliError(`${shown(io, path)} is a directory; give the path of a file.`)
  }
  const bytes = readFileSync(path)
  if (lenient) return bytes.toString('utf8')
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
    if (!text.includes('\0')) return text
  } catch {
    // not UTF-8: said below
  }
  throw new CliError(`${shown(io, path)} is not UTF-8 text; save it as UTF-8 and run again.`)
}

/** How `writeGenerated` treated the file. */
export type WriteOutcome = 'created' | 'unchanged' | 'overwritten'

/**
 * Writes a generated file under the CLI's overwrite rule: a missing file is created; a file with
 * the same content is left alone; a file with other content is refused (CliError) unless
 * `force`, in which case it is overwritten and the change is reported in lines.
 */
export function writeGenerated(
  io: CliIO,
  path: string,
  content: string,
  opts: { force: boolean; command: string },
): WriteOutcome {
  const abs = resolve(io.cwd, path)
  const before = readIfExists(abs, io, true)
  // A file checked out with Windows line ends (git's autocrlf) or saved with a BOM keeps them:
  // the same content in another line-end style is not a difference to refuse.
  let text = before?.includes('\r\n') ? content.replace(/\r?\n/g, '\r\n') : content
  if (before?.startsWith('\uFEFF') && !text.startsWith('\uFEFF')) text = `\uFEFF${text}`
  if (before === text) {
    io.stdout(`unchanged ${shown(io, abs)}\n`)
    return 'unchanged'
  }
  if (before !== undefined && !opts.force) {
    throw new CliError(
      `${shown(io, abs)} exists and differs from what '${opts.command}' would write; run again with --force to overwrite it, or --dry-run to print the new content.`,
    )
  }
  makeDirs(dirname(abs))
  writeFileSync(abs, text)
  if (before === undefined) {
    io.stdout(`created ${shown(io, abs)}\n`)
    return 'created'
  }
  const { added, removed } = lineChanges(before, text)
  io.stdout(`overwrote ${shown(io, abs)} (+${added} -${removed} lines)\n`)
  return 'overwritten'
}

/** Lines added and removed between two texts, counted as multisets (cheap, order-blind). */
export function lineChanges(before: string, after: string): { added: number; removed: number } {
  const count = new Map<string, number>()
  for (const l of before.split('\n')) count.set(l, (count.get(l) ?? 0) + 1)
  let added = 0
  for (const l of after.split('\n')) {
    const n = count.get(l) ?? 0
    if (n > 0) count.set(l, n - 1)
    else added++
  }
  let removed = 0
  for (const n of count.values()) removed += n
  return { added, removed }
}

/**
 * `mkdir -p`, one level at a time: Node's recursive `mkdirSync` loops forever where a missing
 * parent cannot be made (under `/proc`); a plain `mkdirSync` fails there with its reason.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = []
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.push(d)
    if (dirname(d) === d) break
  }
  for (let i = missing.length - 1; i >= 0; i--) mkdirSync(missing[i]!)
}
