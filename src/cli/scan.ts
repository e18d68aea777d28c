/**
 * Finds processes by reading source text, not by importing it: the CLI runs where only
 * `theus`'s own dependencies are installed, with no TypeScript compiler, and importing an app's
 * modules would run their side effects.
 *
 * The rule (documented in docs/cli.md): a process is a call `process(` or `defineProcess(`
 * whose first argument is an object literal (the contract). Its name is the contract's
 * `name: '...'` when written as a string literal, else the name of the `function` expression
 * that follows the contract. The contract's `inputs`, `outputs`, `errors` and `sideEffects` are
 * read when they are arrays of string literals. Comments, strings and template literals are
 * skipped, so a commented-out process is not found.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** A process found in a source file. */
export interface ScannedProcess {
  name: string
  file: string
  /** 1-based line of the `process(` call. */
  line: number
  inputs: string[]
  outputs: string[]
  errors: string[]
  sideEffects: string[]
}

/** A `process(` call whose name could not be read: reported, never guessed. */
export interface ScanProblem {
  file: string
  line: number
  message: string
}

const SOURCE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/
const SKIPPED_FILE = /\.d\.[cm]?ts$|\.(?:test|spec)\.[cm]?[jt]sx?$/

/** Every source file under `paths` (files or directories), sorted, `node_modules` skipped. */
export function listSources(paths: readonly string[]): string[] {
  const out: string[] = []
  // A folder reached twice through links (a link to a parent loops) is read once.
  const seen = new Set<string>()
  const visit = (p: string) => {
    const s = statSync(p)
    if (s.isDirectory()) {
      const real = realpathSync(p)
      if (seen.has(real)) return
      seen.add(real)
      for (const entry of readdirSync(p).sort()) {
        if (entry === 'node_modules' || entry.startsWith('.')) continue
        visit(join(p, entry))
      }
    } else if (SOURCE_FILE.test(p) && !SKIPPED_FILE.test(p)) {
      out.push(p)
    }
  }
  for (const p of paths) if (existsSync(p)) visit(p)
  return out
}

/** Scans files for processes; the first definition of a name wins, later ones are problems. */
export function scanFiles(files: readonly string[]): {
  processes: ScannedProcess[]
  problems: ScanProblem[]
} {
  const processes: ScannedProcess[] = []
  const problems: ScanProblem[] = []
  const seen = new Map<string, ScannedProcess>()
  for (const file of files) {
    const found = scanSource(readFileSync(file, 'utf8'), file)
    problems.push(...found.problems)
    for (const p of found.processes) {
      const first = seen.get(p.name)
      if (first) {
        problems.push({
          file,
          line: p.line,
          message: `process '${p.name}' is also defined at ${first.file}:${first.line}`,
        })
        continue
      }
      seen.set(p.name, p)
      processes.push(p)
    }
  }
  return { processes, problems }
}

/** Scans one file's text. */
export function scanSource(
  text: string,
  file: string,
): { processes: ScannedProcess[]; problems: ScanProblem[] } {
  const code = maskNonCode(text)
  const processes: ScannedProcess[] = []
  const problems: ScanProblem[] = []
  const call = /(?<![\p{ID_Continue}$.])(?:process|defineProcess)\s*(?:<[^()]*?>)?\s*\(\s*\{/gu
  for (let m = call.exec(code); m !== null; m = call.exec(code)) {
    const open = m.index + m[0].length - 1
    const close = matchBrace(code, open)
    if (close < 0) continue
    const line = lineOf(text, m.index)
    const props = topLevelProps(code, text, open, close)
    // JavaScript names may be Unicode (function überweisung), as the engine reads them.
    const after =
      /^\s*,\s*(?:async\s+)?function\s*\*?\s*([\p{ID_Start}_$][\p{ID_Continue}$\u200c\u200d]*)/u.exec(
        code.slice(close + 1),
      )
    const name = stringLiteral(props.get('name')) ?? after?.[1]
    if (name === undefined) {
      problems.push({
        file,
        line,
        message:
          "a process without a readable name: give the contract name: 'x' or pass a named function expression",
      })
      continue
    }
    processes.push({
      name,
      file,
      line,
      inputs: stringArray(props.get('inputs')),
      outputs: stringArray(props.get('outputs')),
      errors: stringArray(props.get('errors')),
      sideEffects: stringArray(props.get('sideEffects') ?? props.get('side_effects')),
    })
  }
  return { processes, problems }
}

// Replaces the contents of comments, strings, template literals and regular expression
// literals with spaces (newlines kept), so that braces, quotes and keywords inside them never
// count and offsets still match the text.
function maskNonCode(text: string): string {
  const out = text.split('')
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' '
  }
  // The end of the code that starts at `i`: the text's end, or (inside `${...}`) the `}` that
  // closes it. Returns the index of that `}` (or text.length).
  const code = (i: number, inTemplate: boolean): number => {
    let depth = 0
    // A `/` starts a regular expression where a value is expected: after an operator, an
    // opening bracket, a comma, or a keyword such as return; after a name or `)` it divides.
    let valueExpected = true
    while (i < text.length) {
      const c = text[i]!
      const next = text[i + 1]
      if (c === '/' && next === '/') {
        const nl = text.indexOf('\n', i)
        const stop = nl < 0 ? text.length : nl
        blank(i, stop)
        i = stop
        continue
      }
      if (c === '/' && next === '*') {
        const close = text.indexOf('*/', i + 2)
        const stop = close < 0 ? text.length : close + 2
        blank(i, stop)
        i = stop
        continue
      }
      if (c === '"' || c === "'") {
        let j = i + 1
        while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1
        blank(i + 1, Math.min(j, text.length))
        i = j + 1
        valueExpected = false
        continue
      }
      if (c === '`') {
        i = template(i)
        valueExpected = false
        continue
      }
      if (c === '/' && valueExpected) {
        let j = i + 1
        let inClass = false
        while (j < text.length && text[j] !== '\n' && (inClass || text[j] !== '/')) {
          if (text[j] === '\\') j++
          else if (text[j] === '[') inClass = true
          else if (text[j] === ']') inClass = false
          j++
        }
        blank(i + 1, Math.min(j, text.length))
        i = j + 1
        valueExpected = false
        continue
      }
      if (c === '{') depth++
      else if (c === '}') {
        if (inTemplate && depth === 0) return i
        depth--
      }
      if (/[\p{ID_Continue}$]/u.test(c)) {
        const word = /^[\p{ID_Continue}$\u200c\u200d]+/u.exec(text.slice(i, i + 64))![0]
        valueExpected =
          /^(return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await)$/.test(
            word,
          )
        i += word.length
        continue
      }
      // `</` closes a JSX element: not a regular expression either.
      if (!/\s/.test(c)) valueExpected = !')]}<'.includes(c)
      i++
    }
    return text.length
  }
  // A template literal from its opening backtick: its text is blanked, and so is the code of
  // its `${...}` parts (which may hold strings and templates of their own). Returns the index
  // after its closing backtick.
  const template = (open: number): number => {
    let i = open + 1
    while (i < text.length && text[i] !== '`') {
      if (text[i] === '\\') i += 2
      else if (text[i] === '$' && text[i + 1] === '{') i = code(i + 2, true) + 1
      else i++
    }
    blank(open + 1, Math.min(i, text.length))
    return i + 1
  }
  code(0, false)
  return out.join('')
}

function matchBrace(code: string, open: number): number {
  let depth = 0
  for (let i = open; i < code.length; i++) {
    const c = code[i]
    if (c === '{' || c === '[' || c === '(') depth++
    else if (c === '}' || c === ']' || c === ')') {
      depth--
      if (depth === 0) return c === '}' ? i : -1
    }
  }
  return -1
}

// The contract's top-level `key: value` pairs, values as original text.
function topLevelProps(
  code: string,
  text: string,
  open: number,
  close: number,
): Map<string, string> {
  const props = new Map<string, string>()
  let depth = 0
  let start = open + 1
  const take = (end: number) => {
    const masked = code.slice(start, end)
    const m = /^\s*([A-Za-z_$][\w$]*|'[^']*'|"[^"]*")\s*:/.exec(masked)
    if (m?.[1] !== undefined) {
      const keyLen = m[0].length
      // The key may be quoted: read it from the original text at the same offsets.
      const rawKey = text
        .slice(start, start + keyLen)
        .trim()
        .replace(/:$/, '')
        .trim()
      const key = rawKey.replace(/^['"]|['"]$/g, '')
      props.set(key, text.slice(start + keyLen, end).trim())
    }
  }
  for (let i = open + 1; i < close; i++) {
    const c = code[i]
    if (c === '{' || c === '[' || c === '(') depth++
    else if (c === '}' || c === ']' || c === ')') depth--
    else if (c === ',' && depth === 0) {
      take(i)
      start = i + 1
    }
  }
  take(close)
  return props
}

function stringLiteral(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined
  const m = /^(['"`])([^'"`\\$]*)\1$/.exec(raw.trim())
  return m?.[2]
}

function stringArray(raw: string | undefined): string[] {
  if (raw === undefined) return []
  const body = /^\[([\s\S]*)\](?:\s+as\s+const)?$/.exec(raw.trim())?.[1]
  if (body === undefined) return []
  const out: string[] = []
  for (const m of body.matchAll(/(['"`])([^'"`\\]*)\1/g)) if (m[2] !== undefined) out.push(m[2])
  return out
}

function lineOf(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++
  return line
}
