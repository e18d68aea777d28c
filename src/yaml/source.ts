/**
 * YAML text → plain value, with a locator that maps a path inside the value back to the line
 * and column of its key or value. Shared by the recipe, workflow and Flux parsers so that
 * every error they raise points at the offending key or value (1-based).
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml'
import { describe, RecipeError, WorkflowError } from '../errors.js'
import { isRecord } from '../workflow/issues.js'
import { loadFast } from './fast.js'

/**
 * Documents longer than this (5 MB, counted in characters, decimal: 5 000 000) are refused
 * before parsing (SPEC §10.4).
 */
export const MAX_DOCUMENT_BYTES = 5_000_000
/** Deeper nesting than this, in any form, is refused (SPEC §10.4). */
export const MAX_NESTING = 200

/** A 1-based position in a source file. */
export interface SourcePosition {
  line: number
  column: number
}

/** A loaded YAML document. */
export interface YamlSource {
  /** The plain value; mappings are null-prototype-free plain objects built safely. */
  value: unknown
  /** Where `path` stands: its key (`at: 'key'`, default) or its value. */
  locate(path: readonly (string | number)[], at?: 'key' | 'value'): SourcePosition | undefined
  filename: string | undefined
}

/** A syntax problem in the YAML text itself. */
export interface YamlSyntaxProblem {
  message: string
  line: number
  column: number
}

/** Thrown inside the loader to stop at the first structural problem, with its offset. */
class Refused {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/**
 * Parses YAML 1.2 (core schema, duplicate keys rejected). Returns either the source or the
 * first problem (syntax, a duplicate key, nesting deeper than 200 levels, a document over
 * 5 MB, aliases that expand past the document's own size); never throws on garbage.
 *
 * Time is linear in the text: `yaml`'s own duplicate-key check (`uniqueKeys`) compares every
 * pair of keys of a mapping, so it is off and duplicates are found here with a `Set`.
 */
export function loadYaml(
  text: string,
  filename?: string,
): { ok: true; source: YamlSource } | { ok: false; problem: YamlSyntaxProblem } {
  // A byte order mark is no character of the document: columns count from what editors show.
  const src = String(text).replace(/^\uFEFF/, '')
  if (src.length > MAX_DOCUMENT_BYTES) {
    return {
      ok: false,
      problem: {
        message: `the document is ${(src.length / 1_000_000).toFixed(1)} MB, over the 5 MB limit (5 000 000 characters)`,
        line: 1,
        column: 1,
      },
    }
  }
  // Most documents lie in the subset that fast.ts reads in one pass; the rest go to `yaml`.
  const fast = loadFast(src, MAX_NESTING)
  if (fast) return { ok: true, source: { value: fast.value, locate: fast.locate, filename } }
  return loadWithYaml(src, filename)
}

/** `loadYaml` by `yaml`'s parser alone (exported for the fast path's differential test). */
export function loadWithYaml(src: string, filename?: string): ReturnType<typeof loadYaml> {
  // `yaml` spends seconds and hundreds of MB on a deep document before its own stack gives
  // out (1 MB of `[` or `{`: 4 s, or out of memory): one linear scan refuses those first.
  const deep = deepAt(src)
  if (deep !== undefined) {
    const before = src.slice(0, deep)
    const line = before.split('\n').length
    return {
      ok: false,
      problem: {
        message: `the document is nested more than ${MAX_NESTING} levels deep`,
        line,
        column: deep - before.lastIndexOf('\n'),
      },
    }
  }
  const lineCounter = new LineCounter()
  let doc: Document.Parsed
  try {
    doc = parseDocument(src, {
      schema: 'core',
      uniqueKeys: false,
      prettyErrors: false,
      lineCounter,
    })
  } catch (e) {
    const message =
      e instanceof RangeError
        ? `the document is nested more than ${MAX_NESTING} levels deep`
        : messageOf(e)
    return { ok: false, problem: { message, line: 1, column: 1 } }
  }
  const at = (offset: number): SourcePosition => {
    const p = lineCounter.linePos(offset)
    return { line: p.line, column: p.col }
  }
  const err = doc.errors[0]
  if (err) {
    const first = err.message.split('\n')[0] ?? err.message
    // yaml reports its own stack overflow on deep nesting as a syntax error: say what it is.
    // Nor does a user have yaml's API to call for a second document (---).
    const message = /call stack/i.test(first)
      ? `the document is nested more than ${MAX_NESTING} levels deep`
      : err.code === 'MULTIPLE_DOCS'
        ? 'a second document starts here: one per file'
        : first
    return { ok: false, problem: { message, ...at(err.pos[0]) } }
  }
  let value: unknown
  try {
    // Aliases may point at whole subtrees; expanding them is budgeted by the text's length,
    // so a "billion laughs" document is refused instead of filling the memory.
    value = toPlain(doc.contents as Node | null, doc, 0, { left: src.length + 1000 })
  } catch (e) {
    if (e instanceof Refused) return { ok: false, problem: { message: e.message, ...at(e.offset) } }
    const overflow = e instanceof RangeError
    return {
      ok: false,
      problem: {
        message: overflow
          ? `the document is nested more than ${MAX_NESTING} levels deep`
          : messageOf(e),
        line: 1,
        column: 1,
      },
    }
  }
  const pos = (offset: number | undefined): SourcePosition | undefined =>
    offset === undefined ? undefined : at(offset)
  return {
    ok: true,
    source: {
      value,
      filename,
      locate(path, at = 'key') {
        // An empty document (nothing, or only comments) has no node to point at: its start.
        if (doc.contents === null) return { line: 1, column: 1 }
        let node: unknown = doc.contents
        let keyNode: unknown
        for (const seg of path) {
          keyNode = undefined
          if (isMap(node)) {
            const pair = node.items.find(
              (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
            )
            if (!pair) return rangeOf(node)
            keyNode = pair.key
            node = pair.value
          } else if (isSeq(node) && typeof seg === 'number') {
            node = node.items[seg]
          } else {
            return rangeOf(node)
          }
        }
        if (at === 'key' && keyNode) return rangeOf(keyNode) ?? rangeOf(node)
        return rangeOf(node) ?? rangeOf(keyNode)
      },
    },
  }
  function rangeOf(n: unknown): SourcePosition | undefined {
    const r = (n as { range?: [number, number, number] } | undefined)?.range
    return r ? pos(r[0]) : undefined
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

const startOf = (n: unknown): number =>
  (n as { range?: [number, number, number] } | null)?.range?.[0] ?? 0

// Builds plain values by hand rather than with doc.toJS(), so that keys such as `__proto__`
// become own data properties and never reach an object's prototype, duplicate keys are found
// in O(keys), and depth and alias expansion are bounded.
function toPlain(
  node: Node | null | undefined,
  doc: Document.Parsed,
  depth: number,
  budget: { left: number; anchors?: Map<Node, Node | undefined> },
): unknown {
  if (node == null) return null
  if (--budget.left < 0)
    throw new Refused('aliases expand to more nodes than the document holds', startOf(node))
  if (isAlias(node)) {
    // `node.resolve(doc)` walks the whole document for every alias (quadratic: 100 000
    // aliases took minutes); one walk in document order finds each alias's anchor, the last
    // one before it, as `resolve` does.
    if (!budget.anchors) {
      const last = new Map<string, Node>()
      const anchors = new Map<Node, Node | undefined>()
      visit(doc, {
        Node(_key, n) {
          if (isAlias(n)) anchors.set(n, last.get(n.source))
          else if (n.anchor) last.set(n.anchor, n)
        },
      })
      budget.anchors = anchors
    }
    const target = budget.anchors.get(node)
    if (target === undefined) throw new Refused(`unknown alias *${node.source}`, startOf(node))
    return toPlain(target as Node, doc, depth, budget)
  }
  if (isMap(node) || isSeq(node)) {
    if (depth >= MAX_NESTING)
      throw new Refused(
        `the document is nested more than ${MAX_NESTING} levels deep`,
        startOf(node),
      )
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {}
    const seen = new Set<string>()
    for (const pair of node.items) {
      if (!isScalar(pair.key) || (typeof pair.key.value === 'object' && pair.key.value !== null))
        throw new Refused(
          'a key must be a plain scalar (a name or a number)',
          startOf(pair.key ?? pair.value ?? node),
        )
      const k = String(pair.key.value)
      if (seen.has(k))
        throw new Refused(`Map keys must be unique: '${k}' is repeated`, startOf(pair.key))
      seen.add(k)
      Object.defineProperty(out, k, {
        value: toPlain(pair.value as Node | null, doc, depth + 1, budget),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    return out
  }
  if (isSeq(node)) {
    const out: unknown[] = []
    for (const n of node.items) out.push(toPlain(n as Node | null, doc, depth + 1, budget))
    return out
  }
  if (isScalar(node)) return node.value
  return null
}

/** `file:line:col` for messages. */
export function formatPosition(
  filename: string | undefined,
  pos: SourcePosition | undefined,
): string {
  const f = filename ?? '<inline>'
  return pos ? `${f}:${pos.line}:${pos.column}` : f
}

/**
 * The `filename` of a parser's options, which must be nothing or `{ filename?: string }`.
 * Anything else (a number, `null`, a typo such as `{ file }`, a filename that is not a string)
 * is the parser's own typed error, saying what to pass (SPEC §10.4: never a TypeError).
 */
export function filenameOption(fn: string, options: unknown): string | undefined {
  if (options === undefined) return undefined
  let why: string | undefined
  let filename: unknown
  try {
    if (!isRecord(options)) why = `options must be an object, got ${describe(options)}`
    else {
      const key = Object.keys(options).find((k) => k !== 'filename')
      filename = options['filename']
      if (key !== undefined) why = `unknown option '${key}' (the only one is 'filename')`
      else if (filename !== undefined && typeof filename !== 'string')
        why = `filename must be a string, got ${describe(filename)}`
    }
  } catch {
    why = 'options could not be read'
  }
  if (why === undefined) return filename as string | undefined
  const recipe = fn === 'parseAuditRecipe'
  const message = `${fn}(text, options): ${why}. Pass { filename: 'name.yaml' } or nothing.`
  const issues = [{ code: recipe ? 'RECIPE_INVALID' : 'BAD_OPTIONS', message: why }]
  throw recipe ? new RecipeError(message, issues) : new WorkflowError(message, issues)
}

/**
 * Where a document's nesting first passes `MAX_NESTING`, when a linear over-estimate of its
 * depth passes twice that; otherwise `undefined`, and `toPlain` judges the parsed document. The
 * estimate, per line: the block levels open (a stack of the columns where nodes start, compact
 * `- - x` included) plus the flow brackets open, skipping comments and quoted scalars. It only
 * over-counts (a plain scalar such as `a [b`), so the margin keeps valid documents out of reach.
 */
function deepAt(src: string): number | undefined {
  const cols: number[] = []
  const n = src.length
  let flow = 0
  let first: number | undefined
  const deeper = (at: number): boolean => {
    if (cols.length + flow > MAX_NESTING) first ??= at
    return cols.length + flow > 2 * MAX_NESTING
  }
  for (let i = 0; i < n; i++) {
    let p = i
    while (src[p] === ' ') p++
    const c = src[p]
    if (flow === 0 && c !== undefined && !'\r\n#'.includes(c)) {
      while (cols.length > 0 && cols[cols.length - 1]! >= p - i) cols.pop()
      // A line that opens a flow collection is counted by its bracket.
      if (c !== '[' && c !== '{') cols.push(p - i)
      if (deeper(p)) return first
      while ((src[p] === '-' || src[p] === '?') && src[p + 1] === ' ') {
        if (deeper(p)) return first
        for (p += 2; src[p] === ' '; ) p++
        cols.push(p - i)
      }
    }
    for (let prev = ' '; p < n && src[p] !== '\n'; prev = src[p++]!) {
      const ch = src[p]!
      const spaced = prev === ' ' || prev === '\t'
      if (ch === '#' && spaced) {
        while (p + 1 < n && src[p + 1] !== '\n') p++
      } else if ((ch === '"' || ch === "'") && (spaced || '[{,:'.includes(prev))) {
        // A quoted scalar, which may span lines: `''` and `\x` are escapes.
        for (p++; p < n; p++) {
          if (ch === '"' && src[p] === '\\') p++
          else if (src[p] === ch && (ch === '"' || src[p + 1] !== "'")) break
          else if (src[p] === ch) p++
        }
      } else if ((ch === '[' || ch === '{') && (flow > 0 || spaced)) {
        flow++
        if (deeper(p)) return first
      } else if ((ch === ']' || ch === '}') && flow > 0) flow--
    }
    i = p
  }
  return undefined
}
