/**
 * The fast path of `loadYaml`: a linear, single-pass parser for the subset of YAML that
 * recipes, workflows and Flux pipelines are written in (`yaml`'s own parser costs about a
 * second per megabyte: a generator per token, a third of it garbage collection). It returns the
 * `yaml` path's plain value and positions, or `undefined` as soon as the text leaves the subset
 * or looks irregular: `loadYaml` then parses it with `yaml`, whose errors and edge cases stay.
 *
 * The subset: space-indented block mappings and sequences (compact `- key: v` maps included, a
 * sequence may sit at its key's indent), single-line plain and quoted scalars (escapes
 * `\\ \" \/ \n \t \r` only), single-line flow collections of those, comments, blank lines,
 * CRLF, one leading `---`. Anything else falls back: tabs, control characters, anchors,
 * aliases, tags, block or multi-line scalars, other markers, directives, `?` and `<<` keys, a
 * `:` inside a plain key or flow scalar, trailing commas, empty flow values, duplicate keys,
 * nesting as deep as `maxNesting`.
 */
import type { SourcePosition, YamlSource } from './source.js'

/** A scalar's start offset, or a collection's with its children's (and its keys'). */
type Pos = number | Coll
type Coll = { s: number; vals: Pos[]; keys?: string[]; keyAt?: number[] }

/** What the fast path produced: the plain value and the locator of `YamlSource`. */
export type FastYaml = Pick<YamlSource, 'value' | 'locate'>

/** Thrown to leave the subset; caught once in `loadFast`. */
const OUT = new Error('outside the fast subset')

// Characters the subset never accepts anywhere: tabs (YAML's indentation rules for them are
// subtle), other C0/C1 controls, BOM, Unicode line separators. CR only before LF.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
const BAD_CHARS = /[\0-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\u2028\u2029]|\r(?!\n)/

// yaml 2.9.1 core schema, in its order of precedence (schema/core/*.js).
const NULL = /^(?:~|[Nn]ull|NULL)?$/
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/
const OCT = /^0o[0-7]+$/
const INT = /^[-+]?[0-9]+$/
const HEX = /^0x[0-9a-fA-F]+$/
const NAN_INF = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/
const EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/

/** A plain scalar's value under the core schema, exactly as `yaml` resolves it. */
function resolvePlain(s: string): unknown {
  if (!/^[-+.0-9~nNtTfF]/.test(s)) return s // what every other form starts with
  const c = s.charCodeAt(0)
  if (NULL.test(s)) return null
  if (BOOL.test(s)) return c === 116 || c === 84
  if (OCT.test(s)) return parseInt(s.substring(2), 8)
  if (INT.test(s)) return parseInt(s, 10)
  if (HEX.test(s)) return parseInt(s.substring(2), 16)
  if (NAN_INF.test(s)) {
    if (s.slice(-3).toLowerCase() === 'nan') return Number.NaN
    return c === 45 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }
  if (EXP.test(s) || FLOAT.test(s)) return parseFloat(s)
  return s
}

/** Can a plain scalar start at `s[p]`? Not with an indicator or a space; `-x` can. */
function plainStart(s: string, p: number): boolean {
  const ch = s[p]
  if (ch === '-') return /[0-9A-Za-z._]/.test(s[p + 1] ?? '')
  return ch !== undefined && !'?:,[]{}#&*!|>\'"%@` \r\n'.includes(ch)
}

const ESC: Record<string, string> = {
  '\\': '\\',
  '"': '"',
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
}

/** `src` parsed if in the subset, else `undefined` (so is nesting as deep as `maxNesting`). */
export function loadFast(src: string, maxNesting: number): FastYaml | undefined {
  const parsed = parse(src, maxNesting, false)
  if (parsed === undefined) return undefined
  // Positions are recorded by a second pass, on the first call of `locate`: most documents
  // are never asked (a valid recipe or workflow), and not building them for every node halves
  // the time (the garbage collector copies every live node).
  let tree: Parsed | undefined
  const position = (offset: number): SourcePosition => {
    const starts = parsed.starts
    let [lo, hi] = [0, starts.length]
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (starts[mid]! <= offset) lo = mid + 1
      else hi = mid
    }
    return { line: lo, column: offset - starts[lo - 1]! + 1 }
  }
  const startOf = (p: Pos | undefined): SourcePosition | undefined =>
    p === undefined ? undefined : position(typeof p === 'number' ? p : p.s)
  return {
    value: parsed.value,
    // The same walk as the `yaml` path's locator, over the positions of the second pass.
    locate(path, where = 'key') {
      tree ??= parse(src, maxNesting, true)
      const root = tree?.root
      if (root === undefined) return { line: 1, column: 1 }
      let node: Pos | undefined = root
      let keyAt: number | undefined
      for (const seg of path) {
        keyAt = undefined
        if (typeof node === 'object' && node.keys) {
          const k = node.keys.indexOf(String(seg))
          if (k < 0) return startOf(node)
          keyAt = node.keyAt![k]
          node = node.vals[k]
        } else if (typeof node === 'object' && typeof seg === 'number') node = node.vals[seg]
        else return startOf(node)
      }
      if (where === 'key' && keyAt !== undefined) return position(keyAt)
      return startOf(node) ?? startOf(keyAt)
    },
  }
}

/** The value, the root's positions when recorded (none for an empty document), line starts. */
type Parsed = { value: unknown; root: Pos | undefined; starts: number[] }

/** Records a child's position (and its key's) in its collection's. */
function add(pos: Coll | undefined, at: Pos, key?: string, keyAt = 0): void {
  pos?.vals.push(at)
  if (key === undefined || !pos) return
  pos.keys!.push(key)
  pos.keyAt!.push(keyAt)
}
const coll = (s: number, map: boolean): Coll =>
  map ? { s, vals: [], keys: [], keyAt: [] } : { s, vals: [] }

/** One pass over `src`; with `rec`, the positions of every node too. */
function parse(src: string, maxNesting: number, rec: boolean): Parsed | undefined {
  if (BAD_CHARS.test(src)) return undefined
  const n = src.length
  const starts = [0]
  for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) starts.push(i + 1)
  const code = (i: number): number => src.charCodeAt(i)
  let li = 0 // the current line,
  let st = 0 // its first offset
  let en = 0 // and its end (before CR LF)
  let at: Pos = 0 // the position of the node last parsed
  let qEnd = 0 // the offset after the quoted scalar or flow collection last parsed
  let begun = false // past the first content line or `---`
  let markerEnd = -1 // after `---` and its spaces: where an empty document's null stands

  /** Moves to the next line with content; its indent, or -1 at the end of the text. */
  function nextContent(): number {
    for (; li < starts.length; li++) {
      st = starts[li]!
      en = li + 1 < starts.length ? starts[li + 1]! - 1 : n
      if (en > st && code(en - 1) === 13) en--
      let p = st
      while (p < en && code(p) === 32) p++
      if (p === en || code(p) === 35) continue
      // Document markers and directives start at column 0. A `---` line before any content
      // (as many files begin) opens the one document; any other falls back.
      if (p === st && (code(p) === 37 || src.startsWith('---', p) || src.startsWith('...', p))) {
        const r = skip(p + 3)
        if (code(p) === 45 && !begun && (r === en || (code(r) === 35 && r > p + 3))) {
          begun = true
          markerEnd = r
          continue
        }
        throw OUT
      }
      begun = true
      return p - st
    }
    return -1
  }
  const skip = (q: number): number => {
    while (q < en && code(q) === 32) q++
    return q
  }
  /**
   * Past spaces, and inside a flow collection past line ends too. A continuation line must be
   * indented more than the block holding the collection (`flowInd`, -1 at the root), and holds
   * no comment; anything else is left to `yaml`.
   */
  let flowInd = -1
  function ws(q: number): number {
    q = skip(q)
    while (q >= en) {
      if (++li >= starts.length) throw OUT
      st = starts[li]!
      en = li + 1 < starts.length ? starts[li + 1]! - 1 : n
      if (en > st && code(en - 1) === 13) en--
      q = skip(st)
      if (q < en && (q - st <= flowInd || code(q) === 35)) throw OUT
    }
    return q
  }
  const isItem = (p: number): boolean => code(p) === 45 && (p + 1 === en || code(p + 1) === 32)
  /** After a quoted scalar or a flow collection: only spaces and a comment may follow. */
  function rest(q: number): void {
    const r = skip(q)
    if (r < en && !(code(r) === 35 && r > q)) throw OUT
  }

  function quoted(p: number): string {
    const dq = code(p) === 34
    let out = ''
    let from = p + 1
    for (let q = from; ; q++) {
      if (q >= en) throw OUT // multi-line or unterminated
      const c = code(q)
      if (dq && c === 92) {
        let e = ESC[src[q + 1] ?? '']
        let len = 1
        if (src[q + 1] === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(q + 2, q + 6))) {
          e = String.fromCharCode(parseInt(src.slice(q + 2, q + 6), 16))
          len = 5
        }
        if (e === undefined || q + len >= en) throw OUT
        out += src.slice(from, q) + e
        q += len
        from = q + 1
      } else if (dq ? c === 34 : c === 39) {
        if (!dq && q + 1 < en && code(q + 1) === 39) {
          out += src.slice(from, ++q)
          from = q + 1
          continue
        }
        qEnd = q + 1
        return out + src.slice(from, q)
      }
    }
  }

  /** The offset of the `:` if a block mapping key starts at `p` (its text in `key`), else -1. */
  let key = ''
  function keyEnd(p: number): number {
    const c = code(p)
    // A flow collection is never a key here: `- {a: 1}` is a value (`{a: 1}: x` falls back).
    if (c === 91 || c === 123) return -1
    let q = p
    if (c === 34 || c === 39) {
      key = quoted(p)
      q = skip(qEnd)
      if (!(q < en && code(q) === 58 && (q + 1 === en || code(q + 1) === 32))) return -1
    } else {
      for (let colon = false; ; q++) {
        if (q >= en || (code(q) === 35 && q > p && code(q - 1) === 32)) return -1
        if (code(q) !== 58) continue
        if (q + 1 < en && code(q + 1) !== 32) colon = true
        else if (colon || !plainStart(src, p))
          throw OUT // `a:b: c`, `? a:`
        else break
      }
      let e = q
      while (code(e - 1) === 32) e--
      key = String(resolvePlain(src.slice(p, e)))
    }
    if (q - p > 1000 || key === '<<') throw OUT // yaml's limit is 1024; `<<` may be a merge
    return q
  }

  /** A scalar or flow collection that ends its line (a block mapping value or item). */
  function inline(p: number, depth: number): unknown {
    const c = code(p)
    at = p
    if (c === 91 || c === 123 || c === 34 || c === 39) {
      const v = c === 34 || c === 39 ? quoted(p) : flow(p, depth)
      rest(qEnd)
      return v
    }
    if (!plainStart(src, p)) throw OUT
    let last = p
    for (let q = p; q < en; q++) {
      const d = code(q)
      if (d === 32) continue
      if (d === 35 && code(q - 1) === 32) break
      if (d === 58 && (q + 1 === en || code(q + 1) === 32)) throw OUT
      last = q + 1
    }
    return resolvePlain(src.slice(p, last))
  }

  /**
   * A flow collection, `src[p]` being `[` or `{`; sets `qEnd` past it. It may span lines (JSON
   * text), its scalars may not. A quoted key may be followed by `:` and its value at once
   * (`{"a":1}`), a plain one needs the space.
   */
  function flow(p: number, depth: number): unknown {
    if (depth >= maxNesting) throw OUT
    const isSeq = code(p) === 91
    const close = isSeq ? 93 : 125
    const seq: unknown[] = []
    const map: Record<string, unknown> = {}
    const pos = rec ? coll(p, !isSeq) : undefined
    let fk: string | undefined
    let kAt = 0
    let q = ws(p + 1)
    for (let more = code(q) !== close; more; ) {
      if (!isSeq) {
        const json = code(q) === 34 || code(q) === 39
        const k = json ? quoted(q) : String(flowScalar(q))
        if (!(qEnd < en && code(qEnd) === 58 && (json || code(qEnd + 1) === 32))) throw OUT
        if (Object.hasOwn(map, k) || k === '<<' || qEnd - q > 1000) throw OUT
        fk = k
        kAt = q
        q = ws(qEnd + 1)
      }
      const c = code(q)
      let value: unknown
      if (c === 91 || c === 123) value = flow(q, depth + 1)
      else {
        value = c === 34 || c === 39 ? quoted(q) : flowScalar(q)
        at = q
      }
      add(pos, at, fk, kAt)
      if (fk === undefined) seq.push(value)
      else define(map, fk, value)
      q = ws(qEnd)
      const d = code(q)
      if (d === close) more = false
      else if (d !== 44) throw OUT
      else if (code((q = ws(q + 1))) === close) throw OUT // a trailing comma: rare
    }
    qEnd = q + 1
    if (pos) at = pos
    return isSeq ? seq : map
  }

  /** A plain scalar inside a flow collection; sets `qEnd` past it. */
  function flowScalar(p: number): unknown {
    if (!plainStart(src, p)) throw OUT
    let last = p
    for (let q = p; q < en; q++) {
      const d = code(q)
      if (d === 44 || d === 91 || d === 93 || d === 123 || d === 125 || d === 58) break
      if (d === 35 && code(q - 1) === 32) throw OUT
      if (d !== 32) last = q + 1
    }
    qEnd = last
    return resolvePlain(src.slice(p, last))
  }

  /** The value after `key:` or `-` with nothing else on the line: a nested block or null. */
  function block(ownInd: number, emptyAt: number, depth: number, inMap: boolean): unknown {
    li++
    const i = nextContent()
    if (i > ownInd || (inMap && i === ownInd && isItem(st + i))) {
      if (!isItem(st + i) && keyEnd(st + i) < 0) throw OUT // a scalar on its own line: rare
      return content(st + i, depth)
    }
    at = emptyAt
    return null
  }

  /** The node at `p`, its line's first content or after `- `: a block, or a one-line value. */
  function content(p: number, depth: number): unknown {
    if (isItem(p)) return seqBlock(p - st, depth)
    if (keyEnd(p) >= 0) return mapBlock(p - st, p, depth)
    const v = inline(p, depth)
    li++
    return v
  }

  function mapBlock(ind: number, first: number, depth: number): unknown {
    if (depth >= maxNesting) throw OUT
    const out: Record<string, unknown> = {}
    const pos = rec ? coll(first, true) : undefined
    for (let p = first; ; ) {
      const colon = keyEnd(p)
      if (colon < 0 || Object.hasOwn(out, key)) throw OUT
      const k = key
      const q = skip(colon + 1)
      let v: unknown
      if (q === en || code(q) === 35) v = block(ind, q, depth + 1, true)
      else {
        flowInd = ind
        v = inline(q, depth + 1)
        li++
      }
      define(out, k, v)
      add(pos, at, k, p)
      const i = nextContent()
      if (i < ind) break
      if (i > ind) throw OUT // a continuation line, or an indent no block opened
      p = st + i
      if (isItem(p)) break // a sequence at this indent is the parent's (or an error)
    }
    if (pos) at = pos
    return out
  }

  function seqBlock(ind: number, depth: number): unknown {
    if (depth >= maxNesting) throw OUT
    const out: unknown[] = []
    const pos = rec ? coll(st + ind, false) : undefined
    for (;;) {
      const q = skip(st + ind + 1)
      if (q === en || code(q) === 35) out.push(block(ind, q, depth + 1, false))
      else if (isItem(q))
        throw OUT // `- - x`
      else {
        flowInd = ind
        out.push(content(q, depth + 1))
      }
      add(pos, at)
      const i = nextContent()
      if (i < ind) break
      if (i > ind) throw OUT
      if (!isItem(st + i)) break
    }
    if (pos) at = pos
    return out
  }

  let value: unknown = null
  let root: Pos | undefined
  try {
    const i = nextContent()
    if (i >= 0) {
      value = content(st + i, 0)
      if (nextContent() >= 0) throw OUT
      root = at
    } else if (markerEnd >= 0) root = markerEnd
  } catch {
    // OUT, or anything unforeseen: the `yaml` path decides.
    return undefined
  }

  return { value, root, starts }
}

/** Sets `key` as an own data property, even `__proto__` (as the `yaml` path's toPlain does). */
function define(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}
