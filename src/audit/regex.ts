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
 *   `(a|ab)*`): the engine tries every way of splitting the input between the branches;
 * - a part that matches texts of two non-empty lengths and whose optional end can start it
 *   again, or whose optional start can end it (`(aa?)+`, `(a?a)*`, `(\d{1,3},?)+`): the
 *   engine tries every way of splitting a run of such characters between the repetitions
 *   (`(ab?)*` and `([a-z]{1,63}\.)+` are accepted: their repetitions start and end apart).
 * Refused under a bounded quantifier that may repeat 10 times or more (`{10}`, `{1,32000}`): a
 * part of variable length (`(.*a){20}`, `(a?){25}`), which the engine can split n^10 ways.
 * Refused under any quantifier that repeats (`*`, `+`, `{n,m}` with m > 1): a backreference.
 * Refused anywhere: long repetitions (unbounded, or of 100 counts or more) in a row that can take
 * the same characters, three of them, or two when the pattern is not anchored with `^`
 * (`a*a*b`, `.*.*=`, `(\w+)(\w+)x`): k of them split a run n^k ways, times n start positions,
 * 10^12 steps on 10 000 characters.
 *
 * This is a conservative syntactic check, cheap and linear in the pattern's length; a few safe
 * patterns are refused (rewrite them, e.g. `(ab|ac)*` as `(a[bc])*`). Polynomial patterns of
 * degree 2 such as `.*a.*` or `^a*a*b` are accepted: the auditor never runs a pattern on a value
 * longer than `MAX_REGEX_INPUT` characters, which bounds them (under a second).
 *
 * One pass of a small recursive-descent parser (legacy, non-unicode syntax): each part of the
 * pattern returns what the check needs of it, so no tree is built. A character set is the
 * native regex of its own source (`[a-f]`, `\d`, `.`), tested on sample characters.
 */

/** A value longer than this fails a `regex` rule without running the pattern. */
export const MAX_REGEX_INPUT = 10_000
const MAX_DEPTH = 200
const INF = Number.POSITIVE_INFINITY

/** What the check needs of one part of the pattern. */
interface Part {
  /** Can match the empty string. */
  e: boolean
  /** The sets of characters it can start with... */
  f: RegExp[]
  /** ...and end with. */
  l: RegExp[]
  /** The shortest and longest text it matches. */
  n: number
  x: number
  /** The first sets of the parts of variable count it can end with... */
  t: RegExp[]
  /** ...and the last sets of those it can start with. */
  g: RegExp[]
  /** Holds a quantifier that repeats without bound. */
  u: boolean
  /** Holds a quantifier of variable count (`?`, `{1,3}`, and the unbounded ones). */
  v?: boolean | undefined
  /** The first hazard in it (left to right, outermost first), outside any repetition... */
  h?: string | undefined
  /** ...and under a repeating quantifier (a backreference is one only there). */
  r?: string | undefined
  /** A group: the first sets of its branches. */
  b?: RegExp[][] | undefined
  /** The long repetitions it can end with, with the longest chain of them it ends (see POLY). */
  z?: Link | undefined
}

/**
 * Long repetitions (`*`, `+`, `{n,}`, or 100 counts or more) at the end of a sequence: their sets
 * (at most 16, else any character), and how many such repetitions that can take the same
 * characters come one after another there, at most.
 */
interface Link {
  f: RegExp[]
  d: number
}

const ANY = /./s
const NESTED = 'it nests unbounded quantifiers (such as `(a+)+`)'
const OVERLAP =
  'it repeats an alternation whose branches can match the same text (such as `(a|ab)*`)'
const BACKREF = 'it has a backreference under a quantifier'
const REPEAT = 'it repeats a part of variable length 10 times or more'
const SPLIT = 'it repeats a part that can split a text several ways (such as `(aa?)+`)'
const POLY = 'it has repetitions in a row that can take the same characters (such as `a*a*b`)'
const ASCII = String.fromCharCode(...Array(128).keys())

/** Why a pattern is refused, or `undefined` when it is accepted. */
export function regexHazard(s: string): string | undefined {
  let i = 0
  // Searched from every position unless anchored: one more factor of the length.
  const most = s[0] === '^' ? 2 : 1
  let poly: string | undefined
  const alternation = (depth: number): Part => {
    if (depth > MAX_DEPTH) throw MAX_DEPTH
    const out: Part = part(false, [], INF, 0)
    out.b = []
    let seq: Part | undefined
    while (seq === undefined || (i < s.length && s[i] !== ')')) {
      if (seq !== undefined) i++ // '|'
      // One branch: a sequence of quantified atoms.
      seq = part(true, [], 0, 0)
      while (i < s.length && s[i] !== ')' && s[i] !== '|') {
        const p = quantified(atom(depth))
        // Repetitions in a row that can take the same characters split a run of them between
        // each other: n^k ways for k of them, times n start positions when not anchored.
        // `a*a*b` on 10 000 a's never ends; `^a*a*b` takes 0.1 s.
        const z = p.z
        // Once such a chain is found, the rest of the pattern need not be followed.
        if (z && !poly) {
          const link = { f: z.f, d: z.d + (seq.z && overlap([seq.z.f, p.f]) ? seq.z.d : 0) }
          if (link.d > most) seq.h ??= poly = POLY
          seq.z = p.e ? join(seq.z, link) : link
        } else if (!p.e) seq.z = undefined
        // Each part is used once, so its lists are taken over, not copied (linear time).
        if (seq.e) {
          seq.f.push(...p.f)
          seq.g.push(...p.g)
        }
        if (p.e) {
          seq.l.push(...p.l)
          seq.t.push(...p.t)
        } else {
          seq.l = p.l
          seq.t = p.t
        }
        seq.n += p.n
        seq.x += p.x
        seq.e &&= p.e
        seq.u ||= p.u
        seq.v ||= p.v
        seq.h ??= p.h
        seq.r ??= p.r
      }
      out.e ||= seq.e
      out.f.push(...seq.f)
      out.l.push(...seq.l)
      out.t.push(...seq.t)
      out.g.push(...seq.g)
      out.n = Math.min(out.n, seq.n)
      out.x = Math.max(out.x, seq.x)
      out.u ||= seq.u
      out.v ||= seq.v
      out.h ??= seq.h
      out.r ??= seq.r
      out.b!.push(seq.f)
      if (seq.z) out.z = join(out.z, seq.z)
    }
    return out
  }

  const quantified = (p: Part): Part => {
    const c = s[i]
    let min = -1
    let max = 1
    if (c === '*' || c === '+' || c === '?') {
      min = +(c === '+')
      if (c !== '?') max = INF
      i++
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(i, i + 40))
      if (m) {
        min = +m[1]!
        max = m[2] === undefined ? min : m[3] === '' ? INF : +m[3]!
        i += m[0].length
      }
    }
    if (min < 0) return p
    if (s[i] === '?') i++ // lazy: the same backtracking, in another order
    const unbounded = max === INF
    // Checked before the body, so the outermost hazard is the one reported.
    let own: string | undefined
    if (unbounded)
      own = p.u
        ? NESTED
        : p.b && overlap(p.b)
          ? OVERLAP
          : // Texts of two lengths (not counting the empty one), and an optional end that can
            // start the part again or an optional start that can end it: `aaa` is a|aa, aa|a...
            Math.max(p.n, 1) < p.x && (overlap([p.t, p.f]) || overlap([p.g, p.l]))
            ? SPLIT
            : undefined
    else if (max >= 10 && p.v) own = REPEAT
    const variable = min < max
    const long = unbounded || max - min >= 100
    // Repeated a variable number of times, the part is an optional start and end of its own.
    if (variable) {
      p.t.push(...p.f)
      p.g.push(...p.l)
    }
    return {
      e: min === 0 || p.e,
      f: p.f,
      l: p.l,
      n: p.n * min,
      x: p.x && p.x * max,
      t: p.t,
      g: p.g,
      u: unbounded || p.u,
      v: variable || p.v,
      h: own ?? (max > 1 ? p.r : p.h),
      r: own ?? p.r,
      z: long ? { f: [...p.f, ...p.l], d: 1 } : p.z,
    }
  }

  const atom = (depth: number): Part => {
    const start = i
    const c = s[i++]!
    if (c === '(') {
      let look = false
      if (s[i] === '?') {
        const next = s[i + 1]
        if (next === ':') i += 2
        else if (next === '=' || next === '!') {
          i += 2
          look = true
        } else if (next === '<' && (s[i + 2] === '=' || s[i + 2] === '!')) {
          i += 3
          look = true
        } else if (next === '<') i = s.indexOf('>', i) + 1 || s.length
      }
      const body = alternation(depth + 1)
      i++ // ')'
      // A lookaround matches no character itself, but what it contains still backtracks.
      return look ? { ...body, e: true, b: undefined, z: undefined } : body
    }
    if (c === '^' || c === '$') return part(true, [], 0, 0)
    if (c === '[') {
      while (i < s.length && s[i] !== ']') i += s[i] === '\\' ? 2 : 1
      i++
    } else if (c === '\\') {
      const d = s[i++] ?? ''
      if ((d >= '1' && d <= '9') || (d === 'k' && s[i] === '<')) {
        if (d === 'k') i = s.indexOf('>', i) + 1 || s.length
        else while (s[i]! >= '0' && s[i]! <= '9') i++
        return { ...part(true, [ANY], 0, INF), r: BACKREF }
      }
      if (d === 'b' || d === 'B') return part(true, [], 0, 0)
      // A code written in hex or a control character: any character is the safe guess.
      if (d === 'x' || d === 'u' || d === 'c') return part(false, [ANY], 1, 1)
    }
    // One character: a literal, an escape, `.` (the `s` flag makes it any) or a class.
    return part(false, [new RegExp(s.slice(start, i), 's')], 1, 1)
  }

  try {
    return alternation(0).h
  } catch (e) {
    if (e === MAX_DEPTH) return `its groups are nested more than ${MAX_DEPTH} levels deep`
    // The pattern is valid JavaScript (checked before); a construct this small parser does not
    // know is not evidence of danger.
    return undefined
  }
}

/** A part without quantifiers inside: `f` is both its first and its last sets. */
function part(e: boolean, f: RegExp[], n: number, x: number): Part {
  return { e, f, l: [...f], n, x, t: [], g: [], u: false }
}

/**
 * Can two branches start with the same character? Tested on ASCII, a few other characters
 * and every character the sets' sources name (literals, range ends): linear in the branches.
 */
function overlap(all: readonly RegExp[][]): boolean {
  // A branch that starts with nothing (`(|a)`, a part without an optional end) overlaps none.
  const branches = all.filter((b) => b[0])
  if (branches.length < 2) return false
  let samples = `${ASCII}\u00e9\u4e00\u00a0`
  for (const b of branches) for (const set of b) samples += set.source
  for (const ch of samples) {
    let starts = 0
    for (const b of branches) if (b.some((set) => set.test(ch)) && ++starts > 1) return true
  }
  return false
}

/** Two links as one: the union of their sets (conservative), the longer chain. */
function join(a: Link | undefined, b: Link): Link {
  return a ? { f: a.f[16] ? [ANY] : [...a.f, ...b.f], d: Math.max(a.d, b.d) } : b
}
