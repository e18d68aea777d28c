/**
 * A static check of `regex` rules for catastrophic backtracking (SPEC §10.4). JavaScript's
 * regex engine backtracks: `^(a+)+$` takes seconds on 30 characters and doubles with each one,
 * which freezes a tab. A recipe is configuration, so a dangerous pattern is refused when the
 * recipe is checked, never discovered at run time.
 *
 * Refused, under a quantifier that may repeat without bound (`*`, `+`, `{n,}`):
 * - another unbounded quantifier (`(a+)+`, `(a*)*`, `(\s*,\s*\w+)*`): nested unbounded
 *   quantifiers, even when a literal separates them (write a bounded repetition instead);
 * - an alternation whose branches can start with the same character (`(a|a)*`, `(\w|\d)+`,
 *   `(a|ab)*`): the engine tries every way of splitting the input between the branches.
 * Refused under any quantifier that repeats (`*`, `+`, `{n,m}` with m > 1): a backreference.
 *
 * This is a conservative syntactic check, cheap and linear in the pattern's length; a few safe
 * patterns are refused (rewrite them, e.g. `(ab|ac)*` as `(a[bc])*`). Polynomial patterns such
 * as `.*a.*` are accepted: the auditor never runs a pattern on a value longer than
 * `MAX_REGEX_INPUT` characters, which bounds them.
 */

/** A value longer than this fails a `regex` rule without running the pattern. */
export const MAX_REGEX_INPUT = 10_000
const MAX_DEPTH = 200

/** Why a pattern is refused, or `undefined` when it is accepted. */
export function regexHazard(source: string): string | undefined {
  try {
    const p = new PatternParser(source)
    const ast = p.alternation(0)
    return hazardIn(ast, false, false)
  } catch (e) {
    if (e === TOO_DEEP) return `its groups are nested more than ${MAX_DEPTH} levels deep`
    // The pattern is valid JavaScript (checked before); a construct this small parser does not
    // know is not evidence of danger.
    return undefined
  }
}

//#region a small parser of JavaScript patterns (legacy, non-unicode syntax)

const TOO_DEEP = Symbol('too deep')

/** A set of characters, tested on sample characters. */
interface CharSet {
  test(ch: string): boolean
  /** Characters named in the set (literals, range ends), added to the samples. */
  named: string
}
type Node =
  | { t: 'alt'; branches: Node[][] }
  | { t: 'chars'; set: CharSet }
  | { t: 'group'; body: Node }
  | { t: 'backref' }
  | { t: 'empty' } // assertions: ^ $ \b \B and lookarounds match no character
  | { t: 'quant'; body: Node; min: number; max: number }

const ANY: CharSet = { test: () => true, named: '' }
const CLASS_TESTS: Record<string, (c: string) => boolean> = {
  d: (c) => c >= '0' && c <= '9',
  w: (c) => /\w/.test(c),
  s: (c) => /\s/.test(c),
}
const lit = (c: string): CharSet => ({ test: (x) => x === c, named: c })

class PatternParser {
  private i = 0
  constructor(private readonly s: string) {}

  alternation(depth: number): Node {
    if (depth > MAX_DEPTH) throw TOO_DEEP
    const branches: Node[][] = [[]]
    while (this.i < this.s.length) {
      const c = this.s[this.i]!
      if (c === ')') break
      if (c === '|') {
        this.i++
        branches.push([])
        continue
      }
      const atom = this.atom(depth)
      branches[branches.length - 1]!.push(this.quantified(atom))
    }
    return { t: 'alt', branches }
  }

  private quantified(atom: Node): Node {
    const s = this.s
    const c = s[this.i]
    let min = -1
    let max = -1
    if (c === '*' || c === '+' || c === '?') {
      min = c === '+' ? 1 : 0
      max = c === '?' ? 1 : Number.POSITIVE_INFINITY
      this.i++
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.i, this.i + 40))
      if (m) {
        min = Number(m[1])
        max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3])
        this.i += m[0].length
      }
    }
    if (min < 0) return atom
    if (s[this.i] === '?') this.i++ // lazy: the same backtracking, in another order
    return { t: 'quant', body: atom, min, max }
  }

  private atom(depth: number): Node {
    const s = this.s
    const c = s[this.i++]!
    if (c === '(') {
      let assertion = false
      if (s[this.i] === '?') {
        const next = s[this.i + 1]
        if (next === ':') this.i += 2
        else if (next === '=' || next === '!') {
          this.i += 2
          assertion = true
        } else if (next === '<' && (s[this.i + 2] === '=' || s[this.i + 2] === '!')) {
          this.i += 3
          assertion = true
        } else if (next === '<') {
          const end = s.indexOf('>', this.i)
          this.i = end < 0 ? s.length : end + 1
        }
      }
      const body = this.alternation(depth + 1)
      this.i++ // ')'
      // A lookaround matches no character itself, but what it contains still backtracks.
      return assertion
        ? { t: 'group', body: { t: 'alt', branches: [[body], []] } }
        : { t: 'group', body }
    }
    if (c === '[') return { t: 'chars', set: this.charClass() }
    if (c === '.') return { t: 'chars', set: ANY }
    if (c === '^' || c === '$') return { t: 'empty' }
    if (c === '\\') return this.escape()
    return { t: 'chars', set: lit(c) }
  }

  private escape(): Node {
    const s = this.s
    const c = s[this.i++] ?? '\\'
    if (c >= '1' && c <= '9') {
      while (s[this.i]! >= '0' && s[this.i]! <= '9') this.i++
      return { t: 'backref' }
    }
    if (c === 'k' && s[this.i] === '<') {
      const end = s.indexOf('>', this.i)
      this.i = end < 0 ? s.length : end + 1
      return { t: 'backref' }
    }
    if (c === 'b' || c === 'B') return { t: 'empty' }
    return { t: 'chars', set: this.escapedSet(c) }
  }

  private escapedSet(c: string): CharSet {
    const lower = c.toLowerCase()
    const test = Object.hasOwn(CLASS_TESTS, lower) ? CLASS_TESTS[lower] : undefined
    if (test) return c === lower ? { test, named: '' } : { test: (x) => !test(x), named: '' }
    if (c === 'x' || c === 'u' || c === 'c') return ANY // a code written in hex: any is safe here
    if (c === 'n') return lit('\n')
    if (c === 't') return lit('\t')
    if (c === 'r') return lit('\r')
    return lit(c)
  }

  private charClass(): CharSet {
    const s = this.s
    let negated = false
    if (s[this.i] === '^') {
      negated = true
      this.i++
    }
    const parts: CharSet[] = []
    while (this.i < s.length && s[this.i] !== ']') {
      let from: CharSet
      const c = s[this.i++]!
      from = c === '\\' ? this.escapedSet(s[this.i++] ?? '\\') : lit(c)
      if (s[this.i] === '-' && s[this.i + 1] !== ']' && this.i + 1 < s.length && from.named) {
        const a = from.named
        this.i++
        const d = s[this.i++]!
        const b = d === '\\' ? this.escapedSet(s[this.i++] ?? '\\').named : d
        from = b ? { test: (x) => x >= a && x <= b, named: a + b } : from
      }
      parts.push(from)
    }
    this.i++ // ']'
    const named = parts.map((p) => p.named).join('')
    const test = (x: string) => parts.some((p) => p.test(x))
    return negated ? { test: (x) => !test(x), named } : { test, named }
  }
}

//#endregion

//#region analysis

const ASCII = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('')

/** The characters tested: ASCII, a few others, and every character a set names. */
function samplesOf(sets: readonly CharSet[]): string {
  let out = `${ASCII}\u00e9\u4e00\u00a0`
  for (const s of sets) out += s.named
  return out
}

/** Can the node match the empty string? */
function nullable(n: Node): boolean {
  switch (n.t) {
    case 'alt':
      return n.branches.some((b) => b.every(nullable))
    case 'chars':
      return false
    case 'group':
      return nullable(n.body)
    case 'backref':
    case 'empty':
      return true
    case 'quant':
      return n.min === 0 || nullable(n.body)
  }
}

/** The characters the node can start with (a backreference may start with anything). */
function firstSets(n: Node, out: CharSet[]): void {
  switch (n.t) {
    case 'alt':
      for (const b of n.branches) {
        for (const item of b) {
          firstSets(item, out)
          if (!nullable(item)) break
        }
      }
      return
    case 'chars':
      out.push(n.set)
      return
    case 'group':
    case 'quant':
      firstSets(n.body, out)
      return
    case 'backref':
      out.push(ANY)
      return
    case 'empty':
      return
  }
}

function hasUnbounded(n: Node): boolean {
  switch (n.t) {
    case 'alt':
      return n.branches.some((b) => b.some(hasUnbounded))
    case 'group':
      return hasUnbounded(n.body)
    case 'quant':
      return n.max === Number.POSITIVE_INFINITY || hasUnbounded(n.body)
    default:
      return false
  }
}

function overlappingBranches(n: Node): boolean {
  const alt = n.t === 'group' ? n.body : n
  if (alt.t !== 'alt' || alt.branches.length < 2) return false
  const sets = alt.branches.map((b) => {
    const out: CharSet[] = []
    firstSets({ t: 'alt', branches: [b] }, out)
    return out
  })
  // Linear in the number of branches: for each sample character, is it a possible first
  // character of two branches?
  for (const ch of samplesOf(sets.flat())) {
    let starts = 0
    for (const branch of sets) {
      if (branch.some((set) => set.test(ch)) && ++starts > 1) return true
    }
  }
  return false
}

/**
 * Walks the tree; `unbounded` and `repeated` say whether an enclosing quantifier repeats
 * without bound, or at all.
 */
function hazardIn(n: Node, unbounded: boolean, repeated: boolean): string | undefined {
  switch (n.t) {
    case 'alt':
      for (const b of n.branches)
        for (const item of b) {
          const h = hazardIn(item, unbounded, repeated)
          if (h) return h
        }
      return undefined
    case 'group':
      return hazardIn(n.body, unbounded, repeated)
    case 'backref':
      return repeated ? 'it has a backreference under a quantifier' : undefined
    case 'quant': {
      const isUnbounded = n.max === Number.POSITIVE_INFINITY
      if (isUnbounded && unbounded) return 'it nests unbounded quantifiers (such as `(a+)+`)'
      if (isUnbounded && hasUnbounded(n.body))
        return 'it nests unbounded quantifiers (such as `(a+)+`)'
      if (isUnbounded && overlappingBranches(n.body))
        return 'it repeats an alternation whose branches can match the same text (such as `(a|ab)*`)'
      return hazardIn(n.body, unbounded || isUnbounded, repeated || n.max > 1)
    }
    default:
      return undefined
  }
}

//#endregion
