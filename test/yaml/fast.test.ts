/**
 * The fast path of loadYaml (src/yaml/fast.ts) against the `yaml` path it stands in for:
 * whenever it answers, the value (key order, -0, NaN, own `__proto__` keys included) and every
 * position it locates are those of the `yaml` path; outside its subset it answers nothing, so
 * `yaml` keeps every error and edge case.
 */
import fc from 'fast-check'
import { parseAuditRecipe, parseFlux, parseWorkflow } from 'theus/yaml'
import { afterAll, describe, expect, it, vi } from 'vitest'
import * as yaml from 'yaml'
import { loadFast } from '../../src/yaml/fast.js'
import { loadWithYaml, loadYaml, MAX_NESTING } from '../../src/yaml/source.js'

// Counts the `yaml` path's parses, to see which path a document took.
vi.mock('yaml', async (original) => {
  const mod = await original<typeof import('yaml')>()
  return { ...mod, parseDocument: vi.fn(mod.parseDocument) }
})

/** A canonical text of a plain value: key order, -0, NaN, prototypes and own keys all count. */
function canon(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v)
  if (typeof v === 'string') return JSON.stringify(v)
  if (v === null || typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const keys = Reflect.ownKeys(v)
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k as string])}`).join(',')}}`
  }
  return `<${typeof v}>`
}

function pathsOf(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix)
  if (Array.isArray(v)) for (const [i, x] of v.entries()) pathsOf(x, [...prefix, i], out)
  else if (v !== null && typeof v === 'object')
    for (const k of Object.keys(v)) pathsOf((v as Record<string, unknown>)[k], [...prefix, k], out)
  return out
}

let fastRuns = 0
let fallbackRuns = 0

/** Asserts that the fast path, if it answers `text`, answers as the `yaml` path does. */
function agrees(text: string): boolean {
  const fast = loadFast(text, MAX_NESTING)
  if (fast === undefined) {
    fallbackRuns++
    return false
  }
  fastRuns++
  const slow = loadWithYaml(text)
  expect(slow.ok, JSON.stringify(text)).toBe(true)
  if (!slow.ok) return true
  expect(canon(fast.value), JSON.stringify(text)).toBe(canon(slow.source.value))
  for (const path of pathsOf(slow.source.value)) {
    for (const p of [path, [...path, 'zz'], [...path, 0], [...path, 1], [...path, 7]]) {
      for (const at of ['key', 'value'] as const)
        expect(fast.locate(p, at), `${JSON.stringify(text)} ${JSON.stringify(p)} ${at}`).toEqual(
          slow.source.locate(p, at),
        )
    }
    expect(fast.locate(path)).toEqual(slow.source.locate(path))
  }
  return true
}

//#region generated documents
const PLAIN = [
  'x',
  'hello world',
  'S1',
  'p_init',
  'domain.n',
  '1',
  '-1',
  '+1',
  '-0',
  '007',
  '0o17',
  '0o8',
  '0x1F',
  '0X1F',
  '1_000',
  '1.5',
  '1.',
  '.5',
  '-.5',
  '1e3',
  '1E-3',
  '.5e+2',
  '12345678901234567890',
  '.inf',
  '-.Inf',
  '+.INF',
  '.nan',
  '.NaN',
  '.NAN',
  '-.nan',
  'true',
  'False',
  'TRUE',
  'tRue',
  'null',
  'Null',
  'NULL',
  'nUll',
  '~',
  "it's",
  'a"b',
  'http://x.y/z?q=1#f',
  'b#c',
  'a, b[1]{2}',
  '-x',
  '--x',
  '-',
  '.',
  'a :b',
  'a: b',
  'a:',
  'a:b',
  '@x',
  '`x',
  '%x',
  '!t x',
  '!!str 3',
  '&a x',
  '*a',
  '|',
  '>-',
  '?',
  '? x',
  ':x',
  'é ü 中 😀',
  'a  b',
  'x #c',
  '<<',
  '=',
  'a\tb',
]
const QUOTED = [
  '"x"',
  '"a\\"b"',
  '"a\\\\b"',
  '"\\n\\t\\r\\/"',
  '"\\u0041"',
  '"\\x41"',
  '"\\e"',
  '"a # b"',
  '"a: b"',
  "'x'",
  "'it''s'",
  "''",
  '""',
  "'#'",
  "' padded '",
  '"unterminated',
  "'unterminated",
  '"a"b',
  '"a"#c',
]
const KEYS = [
  'a',
  'b',
  'states',
  'steps',
  'on',
  '1',
  '01',
  '1.0',
  '0x10',
  'true',
  'null',
  '~',
  '.inf',
  '__proto__',
  'constructor',
  'toString',
  'a b',
  '-k',
  'x-y',
  '"q k"',
  "'s''k'",
  '"a"',
  '<<',
  'a:b',
  '?x',
  '[k]',
  '{k: 1}',
  '"__proto__"',
]

type Node =
  | { t: 's'; text: string }
  | { t: 'm'; entries: [string, Node][]; flow: boolean }
  | { t: 'q'; items: Node[]; flow: boolean }

const scalar: fc.Arbitrary<Node> = fc
  .oneof(
    { weight: 6, arbitrary: fc.constantFrom(...PLAIN.slice(0, 44), ...QUOTED.slice(0, 5)) },
    { weight: 3, arbitrary: fc.constantFrom(...PLAIN) },
    { weight: 2, arbitrary: fc.constantFrom(...QUOTED) },
    { weight: 1, arbitrary: fc.constant('') },
  )
  .map((text) => ({ t: 's', text }))
const { node } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc
      .record({
        entries: fc.array(
          fc.tuple(
            fc.oneof(
              { weight: 5, arbitrary: fc.constantFrom(...KEYS.slice(0, 22)) },
              { weight: 1, arbitrary: fc.constantFrom(...KEYS) },
            ),
            tie('node'),
          ),
          { maxLength: 4 },
        ),
        flow: fc.boolean(),
      })
      .map(({ entries, flow }) => ({ t: 'm' as const, entries, flow })),
    fc
      .record({ items: fc.array(tie('node'), { maxLength: 4 }), flow: fc.boolean() })
      .map(({ items, flow }) => ({ t: 'q' as const, items, flow })),
  ),
}))

/** Renders a tree as YAML, every style choice read from `tape`. */
function render(root: Node, tape: number[]): string {
  let k = 0
  const pick = (n: number): number => (tape.length === 0 ? 0 : tape[k++ % tape.length]! % n)
  const pad = (n: number): string => ' '.repeat(n)
  const comment = (): string => [' # c', '', '', '', '  #x: y'][pick(5)]!
  const flow = (n: Node): string => {
    if (n.t === 's') return n.text
    // Line breaks inside flow collections (JSON text), indented enough or not.
    const br = (): string => `\n${pad(pick(7))}`
    const sp = [' ', '', '  ', br()][pick(4)]!
    const sep = [', ', ',', ' , ', `,${br()}`, `${br()},`][pick(5)]!
    if (n.t === 'q') return `[${sp}${n.items.map(flow).join(sep)}${sp}]`
    // A quoted key may have its value right after the colon.
    const colon = (key: string) => (/^["']/.test(key) && pick(2) === 0 ? ':' : ': ')
    return `{${sp}${n.entries.map(([key, v]) => `${key}${colon(key)}${flow(v)}`).join(sep)}${sp}}`
  }
  const inline = (n: Node): boolean =>
    n.t === 's' || n.flow || (n.t === 'm' ? n.entries.length === 0 : n.items.length === 0)
  // Blank lines, comments at any indent and space-only lines between entries.
  const extras = (at: number, i: number): string[] => {
    if (i === 0) return []
    return [[''], [`${pad(pick(6))}# note`], [pad(at + pick(3))], [], [], []][pick(6)]!
  }
  // `head` ('key:' or '-') at column `at`, then the node inline or as a block below.
  const entry = (head: string, n: Node, at: number): string[] => {
    if (inline(n)) {
      const text = flow(n)
      return [`${pad(at)}${head}${text === '' ? '' : ' '}${text}${comment()}`]
    }
    const step = 1 + pick(4)
    const first = `${pad(at)}${head}${comment()}`
    if (n.t === 'm') return [first, ...mapLines(n, at + step)]
    // A sequence under a key may sit at the key's indent.
    const seq = n as Node & { t: 'q' }
    return [first, ...seqLines(seq, head.endsWith(':') && pick(3) === 0 ? at : at + step)]
  }
  const mapLines = (n: Node & { t: 'm' }, at: number): string[] =>
    n.entries.flatMap(([key, v], i) => [...extras(at, i), ...entry(`${key}:`, v, at)])
  const seqLines = (n: Node & { t: 'q' }, at: number): string[] =>
    n.items.flatMap((item, i) => {
      const out = extras(at, i)
      if (item.t === 'm' && !inline(item) && pick(2) === 0) {
        // A compact mapping: `- key: v`, its other keys under the first.
        const gap = 1 + pick(2)
        const lines = mapLines(item, at + 1 + gap)
        lines[0] = `${pad(at)}-${pad(gap)}${lines[0]!.slice(at + 1 + gap)}`
        return [...out, ...lines]
      }
      return [...out, ...entry('-', item, at)]
    })
  const base = pick(2)
  const lines = inline(root)
    ? [`${pad(base)}${flow(root)}`]
    : root.t === 'm'
      ? mapLines(root, base)
      : seqLines(root as Node & { t: 'q' }, base)
  const head = [['---'], ['%YAML 1.2', '---'], ['# head'], ['']][pick(12)] ?? []
  const end = ['\n...\n', '', '\n\n'][pick(12)] ?? '\n'
  return [...head, ...lines].join(pick(6) === 0 ? '\r\n' : '\n') + end
}

const PIECES = [
  '\t',
  '&a ',
  '*a',
  '!t ',
  '|',
  '>',
  '---\n',
  '? ',
  '# ',
  ': ',
  '- ',
  '"',
  "'",
  '\\',
  '[',
  ']',
  '{',
  '}',
  ',',
  ' ',
  '  ',
  '\n',
  '\r\n',
  '\r',
  '#',
  ':',
  '\ufeff',
  '-',
  'x',
]

/** Some documents get one or two edits: near the subset, often just outside it. */
const documents = fc
  .tuple(
    node,
    fc.array(fc.nat(1000), { minLength: 1, maxLength: 40 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...PIECES), fc.boolean()), { maxLength: 2 }),
    fc.nat(3),
  )
  .map(([tree, tape, edits, mutate]) => {
    let text = render(tree, tape)
    if (mutate !== 0) return text
    for (const [at, piece, del] of edits) {
      const i = at % (text.length + 1)
      text = del ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + piece + text.slice(i)
    }
    return text
  })
//#endregion

afterAll(() => {
  console.log(`[fast yaml] ${fastRuns} documents on the fast path, ${fallbackRuns} fell back`)
})

describe('fast YAML path', () => {
  it('answers as the yaml path does, value and positions, whenever it answers', () => {
    const before = fastRuns
    fc.assert(
      fc.property(documents, (text) => {
        agrees(text)
      }),
      { numRuns: Number(process.env.FAST_YAML_RUNS ?? 3000) },
    )
    // Not vacuous: a good share of the generated documents lies in the subset.
    expect(fastRuns - before).toBeGreaterThan(600)
  }, 120_000)
})

/** The documents of scripts/parse-time.mjs, `n` items each (24 000: 1 to 2 MB). */
function generated(kind: 'workflow' | 'recipe' | 'flux', n: number): string {
  let text = { workflow: 'initial: S0\nstates:\n', recipe: 'process_recipes:\n', flux: 'steps:\n' }[
    kind
  ]
  for (let i = 0; i < n; i++)
    text +=
      kind === 'workflow'
        ? `  S${i}:\n    entry: p${i}\n    on: { GO: S${(i + 1) % n} }\n`
        : kind === 'recipe'
          ? `  p${i}:\n    inputs:\n      - { field: amount, max: ${i}, level: B }\n`
          : `  - flux: if\n    condition: "domain.n < ${i} && len(args.items) > 0"\n    then: [p${i}]\n`
  return text
}

describe('fast YAML path: the subset', () => {
  it.each([
    ['empty', ''],
    ['only comments', '# a\n\n  # b\n'],
    ['a leading ---', '---\nstates:\n  A: {}\n'],
    ['only ---', '--- # c\n'],
    ['a top-level scalar', '  "x" # c\n'],
    ['a top-level flow collection', '[a, {b: 1}, [2, "3"]]'],
    ['CRLF', 'a: 1\r\nb:\r\n  - x\r\n  -\r\n'],
    ['an indented document', '  a: 1\n  b:\n   - 2\n'],
    ["a sequence at its key's indent", 'a:\n- 1\n- b: 2\n  c: 3\nd: 4\n'],
    ['compact mappings', '-   a: 1\n    b: [x]\n-  c:\n     - y\n'],
    ['empty values', 'a:\nb: # c\nc:   \nd:\n  - \n  -\n'],
    ['quoted keys and values', `"a b": 'it''s'\n'c' : "q\\"\\\\\\/\\n\\t\\r"\n`],
    [
      'URLs and hashes in plain scalars',
      'u: http://x.y/z?q=1#f\nv: b#c # comment\nw: a, b[1]{2}\n',
    ],
    ['numbers keyed and valued', '1: 0o17\n1.5: 0x1F\n.inf: -.Inf\nnull: .nan\ntrue: 1e3\nx: -0\n'],
    ['__proto__ keys', '__proto__: {polluted: 1}\nb: { __proto__: [1] }\nconstructor: x\n'],
    ['comments at odd indents', 'a:\n# c\n    # d\n  b: 1\n      # e\n  c: 2\n'],
    ['a multi-line flow collection', 'a: [1,\n  2]\nb: {\n c: [\n  3 ] }\n'],
    ['JSON escapes', 'a: "\\u0041\\u00e9\\ud83d\\ude00\\b\\f"\n'],
    ['JSON text', JSON.stringify({ a: [1, { b: 'x', c: null }], d: true, e: -1.5e-7 })],
    ['indented JSON text', JSON.stringify({ a: [1, { b: 'x"', c: {} }], d: [], e: 'é' }, null, 2)],
  ])('%s take the fast path and agree with yaml', (_, text) => {
    expect(agrees(text)).toBe(true)
  })

  it('JSON text takes the fast path and agrees with yaml, on one line or indented', () => {
    // Characters JSON.stringify leaves raw but the subset never takes (they fall back).
    const outside = /[\x7f-\x9f\ufeff\u2028\u2029]/
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(4), (value, indent) => {
        const text = JSON.stringify(value, null, indent)
        expect(agrees(text) || outside.test(text), text).toBe(true)
      }),
      { numRuns: 400 },
    )
  }, 60_000)

  it('own __proto__ keys, never the prototype', () => {
    const v = loadFast('__proto__: {polluted: 1}\n', MAX_NESTING)!.value as Record<string, unknown>
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(Object.hasOwn(v, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  // Five ~1 MB documents, most read twice: past vitest's 5 s default on a loaded machine.
  it('the parse-time documents take the fast path, through loadYaml and the parsers', () => {
    const parseDocument = vi.mocked(yaml.parseDocument)
    for (const kind of ['workflow', 'recipe', 'flux'] as const) {
      // Small ones checked against yaml, value and positions; ~1 MB ones through the parsers.
      expect(agrees(generated(kind, 40)), kind).toBe(true)
      const big = generated(kind, 24_000)
      expect(big.length).toBeGreaterThan(1_000_000)
      parseDocument.mockClear()
      expect(loadFast(big, MAX_NESTING), kind).toBeDefined()
      const parse = { workflow: parseWorkflow, recipe: parseAuditRecipe, flux: parseFlux }[kind]
      expect(() => parse(big)).not.toThrow()
      expect(parseDocument, kind).not.toHaveBeenCalled()
    }
    // The same recipe as JSON text, on one line and indented (YAML 1.2 reads JSON).
    const recipes: Record<string, unknown> = {}
    for (let i = 0; i < 20_000; i++) recipes[`p${i}`] = { inputs: [{ field: 'amount', max: i }] }
    for (const indent of [0, 2]) {
      const json = JSON.stringify({ process_recipes: recipes }, null, indent)
      expect(json.length).toBeGreaterThan(1_000_000)
      parseDocument.mockClear()
      expect(Object.keys(parseAuditRecipe(json).process_recipes)).toHaveLength(20_000)
      expect(parseDocument).not.toHaveBeenCalled()
    }
  }, 60_000)

  it('positions of errors found by the validators come from the fast path', () => {
    const parseDocument = vi.mocked(yaml.parseDocument)
    parseDocument.mockClear()
    const text = 'states:\n  A:\n    on: { GO: B }\n'
    expect(() => parseWorkflow(text, { filename: 'w.yaml' })).toThrow(/w\.yaml:3:/)
    expect(parseDocument).not.toHaveBeenCalled()
  })
})

describe('fast YAML path: falls back outside the subset', () => {
  const deep = `${'['.repeat(MAX_NESTING)}${']'.repeat(MAX_NESTING)}`
  const deepBlock = Array.from({ length: MAX_NESTING + 1 }, (_, i) => `${' '.repeat(i)}k:`).join(
    '\n',
  )
  it.each([
    ['a tab', 'a:\tb\n'],
    ['a tab in a value', 'a: b\tc\n'],
    ['a control character', 'a: b\u0001\n'],
    ['a BOM', '\ufeffa: 1\n'],
    ['a lone CR', 'a: 1\rb: 2\n'],
    ['a NEL', 'a: 1\u0085b: 2\n'],
    ['an anchor', 'a: &x 1\nb: 2\n'],
    ['an alias', 'a: 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a literal block scalar', 'a: |\n  x\n'],
    ['a folded block scalar', 'a: >-\n  x\n'],
    ['a multi-line plain scalar', 'a: x\n  y\n'],
    ['a multi-line plain item', '- x\n  y\n'],
    ['a multi-line double-quoted scalar', 'a: "x\n  y"\n'],
    ['a multi-line single-quoted scalar', "a: 'x\n  y'\n"],
    ['a second ---', '---\na: 1\n---\nb: 2\n'],
    ['--- with content', '--- a: 1\n'],
    ['...', 'a: 1\n...\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n'],
    ['a ? key', '? a\n: 1\n'],
    ['a duplicate key', 'a: 1\nb: 2\na: 3\n'],
    ['a duplicate key after conversion', '1: a\n01: b\n'],
    ['a duplicate flow key', 'a: {x: 1, x: 2}\n'],
    ['a << key', '<<: {a: 1}\n'],
    ['a flow mapping as a key', '{a: 1}: x\n'],
    ['a flow sequence as a key', '[a]: x\n'],
    ['a key over 1000 characters', `${'k'.repeat(1100)}: 1\n`],
    ['a : inside a plain key', 'a:b: c\n'],
    ['a : inside a flow scalar', 'a: [x:y]\n'],
    ['a nested mapping on one line', 'a: b: c\n'],
    ['a sequence item beside a key', 'a: - b\n'],
    ['a compact nested sequence', '- - a\n'],
    ['a scalar on its own line', 'a:\n  x\n'],
    ['a trailing comma', 'a: [1, 2, ]\n'],
    ['an empty flow value', 'a: {b: }\n'],
    ['an empty flow entry', 'a: [1, , 2]\n'],
    ['a \\x escape', 'a: "\\x41"\n'],
    ['a comment glued to a quote', 'a: "x"#c\n'],
    ['a reserved @', 'a: @x\n'],
    ['a reserved backtick', 'a: `x\n'],
    ['a bad indent', 'a:\n    b: 1\n  c: 2\n'],
    ['a dedent below the document', '  a: 1\nb: 2\n'],
    ['flow nesting as deep as the limit', `a: ${deep}\n`],
    ['block nesting as deep as the limit', `${deepBlock} 1\n`],
  ])('%s', (_, text) => {
    expect(loadFast(text, MAX_NESTING)).toBeUndefined()
    // loadYaml answers exactly as the yaml path: the same problem, or the same value.
    const [got, want] = [loadYaml(text), loadWithYaml(text)]
    expect(got.ok).toBe(want.ok)
    if (!got.ok && !want.ok) expect(got.problem).toEqual(want.problem)
    if (got.ok && want.ok) expect(canon(got.source.value)).toBe(canon(want.source.value))
  })

  it('the same documents just inside the limits take the fast path', () => {
    const d = MAX_NESTING - 1
    expect(agrees(`a: ${'['.repeat(d - 1)}${']'.repeat(d - 1)}\n`)).toBe(true)
    expect(agrees(`${'k'.repeat(1000)}: 1\n`)).toBe(true)
    expect(agrees('---\na: 1\n')).toBe(true)
  })
})
