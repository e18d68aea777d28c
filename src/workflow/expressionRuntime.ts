/**
 * The Flux condition language: a tokenizer, a recursive-descent parser and a tree-walking
 * evaluator. It never uses `eval` or `new Function`, so it runs under a strict
 * Content-Security-Policy, and it cannot reach a prototype, a global or a getter: paths are
 * static and checked at parse time, and every property read goes through `readOwn`, which
 * returns only own data properties of plain objects and arrays, and entries of Maps.
 *
 * Grammar, lowest precedence first (SPEC §9):
 *
 *   or      := and ( '||' and )*
 *   and     := eq ( '&&' eq )*
 *   eq      := rel ( ( '==' | '!=' ) rel )*
 *   rel     := add ( ( '<' | '<=' | '>' | '>=' ) add )*
 *   add     := mul ( ( '+' | '-' ) mul )*
 *   mul     := unary ( ( '*' | '/' | '%' ) unary )*
 *   unary   := ( '!' | '-' ) unary | primary
 *   primary := number | string | 'true' | 'false' | 'null' | path | call | '(' or ')'
 *   call    := 'len' '(' or ')'
 *   path    := root ( '.' segment | '[' ( number | string ) ']' )*
 *   root    := 'domain' | 'global' | 'args' | 'signal'
 *
 * `len` is the only call (SPEC §9: "no calls but len"); `sum`, `min`, `max`, `mean` and `abs`
 * belong to audit rules on computed values (`audit/field.ts`), not to conditions.
 *
 * Why one file over 600 lines: tokenizer, parser and evaluator share one node type and one
 * position scheme, and this module is half of the on-demand Flux chunk, which imports nothing
 * but the kit (`kit.ts`); a split would only add modules that are always loaded together.
 */
import type { SourceIssue } from '../errors.js'
import { K } from './kit.js'

//#region types

/** The roots a condition path may start from. */
export type ExpressionRoot = 'domain' | 'global' | 'args' | 'signal'

/** A parsed condition: plain data, so it can be cached, compared and serialised. */
export type ExpressionNode =
  | { type: 'literal'; value: number | string | boolean | null }
  | { type: 'path'; root: ExpressionRoot; segments: string[] }
  | { type: 'unary'; op: '!' | '-'; operand: ExpressionNode }
  | { type: 'binary'; op: BinaryOperator; left: ExpressionNode; right: ExpressionNode }
  | { type: 'logical'; op: '&&' | '||'; left: ExpressionNode; right: ExpressionNode }
  | { type: 'len'; argument: ExpressionNode }

/** The binary operators other than `&&` and `||`. */
export type BinaryOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%'

/** A condition ready to evaluate: its source text and its tree. */
export interface Expression {
  readonly source: string
  readonly ast: ExpressionNode
}

/**
 * Where the evaluator reads path values from. `domain`, `global` and `args` return the whole
 * layer (walked with own-property reads only); `signal(name)` returns what the last commit
 * published for the signal field with key `name`. `domain`, `global` and `signal` may also be
 * given as the plain values themselves (`{ domain: { n: 1 }, signal: { sig_go: true } }`).
 */
export interface ExpressionScope {
  /**
   * Reads a committed context path such as `['domain', 'n']` (the engine's `_peekSnapshot`). When
   * given, `domain` and `global` paths go through it, so a condition costs O(path depth)
   * rather than a snapshot of a whole layer.
   */
  context?: (segments: readonly string[]) => unknown
  domain?: (() => unknown) | object
  global?: (() => unknown) | object
  args?: unknown
  signal?: ((name: string) => unknown) | object
}

/** Where an expression stands in its file, so that syntax errors point inside it. */
export interface ExpressionLocation {
  filename?: string | undefined
  /** 1-based line of the expression's first character (default 1). */
  line?: number | undefined
  /** 1-based column of the expression's first character (default 1). */
  column?: number | undefined
  /**
   * Maps an offset in the expression to its place in the file, for an expression that is not
   * written there character for character (YAML escapes, folded lines).
   */
  at?: ((offset: number, source: string) => { line: number; column: number }) | undefined
}

//#endregion

//#region tokenizer

type TokenType = 'number' | 'string' | 'ident' | 'op' | 'eof'
interface Token {
  type: TokenType
  /** The operator or identifier text; the decoded value for strings and numbers. */
  text: string
  value?: number | string
  /** 0-based offset in the source. */
  offset: number
}

const ROOTS: readonly ExpressionRoot[] = ['domain', 'global', 'args', 'signal']
// The Python-style layer aliases are accepted wherever a path is (SPEC §1).
const ROOT_ALIASES: Record<string, ExpressionRoot> = { domain_ctx: 'domain', global_ctx: 'global' }
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])
const OPERATORS = [
  '||',
  '&&',
  '==',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '(',
  ')',
  '[',
  ']',
  '.',
  ',',
]
const MAX_LENGTH = 10_000
const MAX_DEPTH = 200

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_$]/.test(c)
const isIdentPart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c)

class Parser {
  private pos = 0
  private look: Token | undefined
  private depth = 0

  constructor(
    private readonly src: string,
    private readonly where: ExpressionLocation,
  ) {}

  //#region errors

  fail(offset: number, message: string, hint?: string): never {
    const line = this.where.line ?? 1
    // Offsets map to columns from the expression's start, unless `where.at` knows how the
    // expression is written in its file (the Flux validator walks the YAML scalar).
    const before = this.src.slice(0, offset)
    const nl = before.lastIndexOf('\n')
    const map = this.where.at
    const mapped = typeof map === 'function' ? map(offset, this.src) : undefined
    const lineOut = mapped?.line ?? line + (before.match(/\n/g)?.length ?? 0)
    const column = mapped?.column ?? (nl < 0 ? (this.where.column ?? 1) + offset : offset - nl)
    const file = this.where.filename
    const issue: SourceIssue = { code: 'EXPRESSION_SYNTAX', message, line: lineOut, column }
    if (file !== undefined) issue.file = file
    if (hint !== undefined) issue.hint = hint
    const at = `${file ?? '<condition>'}:${lineOut}:${column}`
    throw new K.WorkflowError(
      `Invalid condition at ${at}: ${message} in \`${this.src.length > 80 ? `${this.src.slice(0, 80)}…` : this.src}\`.${hint ? ` ${hint}` : ''}`,
      [issue],
      { ...(file === undefined ? {} : { file }), line: lineOut, column, offset },
    )
  }

  //#endregion

  //#region lexing (lazy, one token of lookahead, so path segments can be read raw)

  private skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++
  }

  private lex(): Token {
    this.skipSpace()
    const s = this.src
    const start = this.pos
    if (start >= s.length) return { type: 'eof', text: '', offset: start }
    const c = s[start]!
    if (isDigit(c)) {
      let i = start
      while (isDigit(s[i])) i++
      if (s[i] === '.' && isDigit(s[i + 1])) {
        i++
        while (isDigit(s[i])) i++
      }
      if (
        (s[i] === 'e' || s[i] === 'E') &&
        (isDigit(s[i + 1]) || ((s[i + 1] === '+' || s[i + 1] === '-') && isDigit(s[i + 2])))
      ) {
        i += 2
        while (isDigit(s[i])) i++
      }
      if (isIdentPart(s[i]))
        this.fail(i, `unexpected '${s[i]}' after the number '${s.slice(start, i)}'`)
      this.pos = i
      const text = s.slice(start, i)
      return { type: 'number', text, value: Number(text), offset: start }
    }
    if (c === '"' || c === "'") {
      let i = start + 1
      let out = ''
      for (;;) {
        const ch = s[i]
        if (ch === undefined) this.fail(start, 'unterminated string', `Close the string with ${c}.`)
        if (ch === c) break
        if (ch === '\\') {
          const esc = s[i + 1]
          if (esc === undefined)
            this.fail(start, 'unterminated string', `Close the string with ${c}.`)
          // \u0041 read as 'u0041' would be a silent misreading: only \n \t \r decode.
          if (/\w/.test(esc) && !'ntr'.includes(esc))
            this.fail(i, `unknown escape '\\${esc}'`, 'Write the character itself.')
          out += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc === 'r' ? '\r' : esc
          i += 2
          continue
        }
        out += ch
        i++
      }
      this.pos = i + 1
      return { type: 'string', text: s.slice(start, i + 1), value: out, offset: start }
    }
    if (isIdentStart(c)) {
      let i = start
      while (isIdentPart(s[i])) i++
      this.pos = i
      return { type: 'ident', text: s.slice(start, i), offset: start }
    }
    for (const op of OPERATORS) {
      if (s.startsWith(op, start)) {
        if ((op === '==' || op === '!=') && s[start + 2] === '=') {
          this.fail(
            start,
            `'${op}=' is not an operator`,
            `Write '${op}': comparisons are already strict.`,
          )
        }
        this.pos = start + op.length
        return { type: 'op', text: op, offset: start }
      }
    }
    if (c === '=')
      this.fail(start, "'=' is not an operator (there is no assignment)", "Write '==' to compare.")
    if (c === '&' || c === '|') this.fail(start, `'${c}' is not an operator`, `Write '${c}${c}'.`)
    this.fail(start, `unexpected character '${c}'`)
  }

  private peek(): Token {
    this.look ??= this.lex()
    return this.look
  }

  private next(): Token {
    const t = this.peek()
    this.look = undefined
    return t
  }

  private isOp(text: string): boolean {
    const t = this.peek()
    return t.type === 'op' && t.text === text
  }

  private expectOp(text: string, what: string): Token {
    const t = this.peek()
    if (t.type !== 'op' || t.text !== text)
      this.fail(t.offset, `expected '${text}' ${what}, found ${show(t)}`)
    return this.next()
  }

  //#endregion

  //#region grammar

  parse(): ExpressionNode {
    if (this.src.length > MAX_LENGTH)
      this.fail(0, `the condition is longer than ${MAX_LENGTH} characters`)
    if (this.peek().type === 'eof')
      this.fail(0, 'the condition is empty', 'Write an expression such as `domain.n < 10`.')
    const node = this.or()
    const t = this.peek()
    if (t.type !== 'eof')
      this.fail(t.offset, `unexpected ${show(t)}`, 'Join conditions with && or ||.')
    return node
  }

  private or(): ExpressionNode {
    let left = this.and()
    while (this.isOp('||')) {
      this.next()
      left = { type: 'logical', op: '||', left, right: this.and() }
    }
    return left
  }

  private and(): ExpressionNode {
    let left = this.binary(0)
    while (this.isOp('&&')) {
      this.next()
      left = { type: 'logical', op: '&&', left, right: this.binary(0) }
    }
    return left
  }

  // Levels of left-associative binary operators, from `== !=` down to `* / %`.
  private static readonly LEVELS: readonly (readonly BinaryOperator[])[] = [
    ['==', '!='],
    ['<', '<=', '>', '>='],
    ['+', '-'],
    ['*', '/', '%'],
  ]

  private binary(level: number): ExpressionNode {
    const ops = Parser.LEVELS[level]
    if (ops === undefined) return this.unary()
    let left = this.binary(level + 1)
    for (;;) {
      const t = this.peek()
      if (t.type !== 'op' || !(ops as readonly string[]).includes(t.text)) return left
      this.next()
      left = { type: 'binary', op: t.text as BinaryOperator, left, right: this.binary(level + 1) }
    }
  }

  private unary(): ExpressionNode {
    const t = this.peek()
    if (t.type === 'op' && (t.text === '!' || t.text === '-')) {
      this.next()
      if (++this.depth > MAX_DEPTH) this.fail(t.offset, 'the condition is nested too deeply')
      const operand = this.unary()
      this.depth--
      return { type: 'unary', op: t.text, operand }
    }
    return this.primary()
  }

  private primary(): ExpressionNode {
    const t = this.next()
    switch (t.type) {
      case 'number':
        return { type: 'literal', value: t.value as number }
      case 'string':
        return { type: 'literal', value: t.value as string }
      case 'op':
        if (t.text === '(') {
          if (++this.depth > MAX_DEPTH) this.fail(t.offset, 'the condition is nested too deeply')
          const inner = this.or()
          this.depth--
          this.expectOp(')', 'to close the parenthesis')
          return inner
        }
        return this.fail(
          t.offset,
          `unexpected ${show(t)}`,
          'Expected a value: a number, a string, true, false, null, a path or len(...).',
        )
      case 'eof':
        return this.fail(t.offset, 'the condition ends too early', 'Complete the expression.')
      case 'ident':
        return this.identifier(t)
    }
  }

  private identifier(t: Token): ExpressionNode {
    const name = t.text
    if (name === 'true' || name === 'false') return { type: 'literal', value: name === 'true' }
    if (name === 'null') return { type: 'literal', value: null }
    if (name === 'len') {
      if (!this.isOp('(')) this.fail(this.peek().offset, `expected '(' after ${name}`)
      this.next()
      if (++this.depth > MAX_DEPTH) this.fail(t.offset, 'the condition is nested too deeply')
      const argument = this.or()
      this.depth--
      if (this.isOp(',')) this.fail(this.peek().offset, `${name}() takes one argument`)
      this.expectOp(')', `to close ${name}(`)
      return { type: 'len', argument }
    }
    if (FORBIDDEN.has(name)) this.checkSegment(name, t.offset)
    // hasOwn, not a plain index: `ROOT_ALIASES['constructor']` would be Object itself.
    const root = (ROOTS as readonly string[]).includes(name)
      ? (name as ExpressionRoot)
      : Object.hasOwn(ROOT_ALIASES, name)
        ? ROOT_ALIASES[name]
        : undefined
    if (root === undefined) {
      if (this.isOp('(')) {
        this.fail(
          t.offset,
          `'${name}()' is not a function`,
          'The only call in a condition is len(...).',
        )
      }
      const close = K.suggest(name, [...ROOTS, 'true', 'false', 'null', 'len'])
      this.fail(
        t.offset,
        `unknown name '${name}'`,
        close ? `Did you mean '${close}'?` : 'Paths start with domain, global, args or signal.',
      )
    }
    const segments: string[] = []
    for (;;) {
      if (this.isOp('.')) {
        this.next()
        // Read the segment raw: `items.0` is a path step, not the number `.0`.
        this.skipSpace()
        const start = this.pos
        while (isIdentPart(this.src[this.pos])) this.pos++
        const seg = this.src.slice(start, this.pos)
        if (seg === '') this.fail(start, "expected a name after '.'")
        this.checkSegment(seg, start)
        segments.push(seg)
      } else if (this.isOp('[')) {
        this.next()
        const k = this.next()
        if (k.type === 'number' && Number.isInteger(k.value) && (k.value as number) >= 0) {
          segments.push(String(k.value))
        } else if (k.type === 'string') {
          this.checkSegment(k.value as string, k.offset)
          segments.push(k.value as string)
        } else {
          this.fail(
            k.offset,
            `expected an index or a quoted key inside [ ], found ${show(k)}`,
            "Only literal steps such as [0] or ['key'] are allowed.",
          )
        }
        this.expectOp(']', 'to close [')
      } else {
        break
      }
    }
    if (this.isOp('('))
      this.fail(
        this.peek().offset,
        'paths cannot be called',
        'The only call in a condition is len(...).',
      )
    if (root === 'signal' && segments.length === 0) {
      this.fail(t.offset, "'signal' needs a field name", 'Write signal.sig_name.')
    }
    return { type: 'path', root, segments }
  }

  private checkSegment(seg: string, offset: number): void {
    if (FORBIDDEN.has(seg)) {
      this.fail(
        offset,
        `'${seg}' is not allowed in a path`,
        'Conditions read only the data of the state; prototypes are out of reach.',
      )
    }
  }

  //#endregion
}

function show(t: Token): string {
  if (t.type === 'eof') return 'the end of the condition'
  return `'${t.text}'`
}

//#endregion

//#region public API

/**
 * Parses a condition. Every problem is a `WorkflowError` whose line and column point inside
 * the condition (offset by `where` when the condition comes from a file).
 * @example
 * const e = parseExpression('domain.n < 3 && len(args.items) > 0')
 * evaluateExpression(e, { domain: () => ({ n: 1 }), args: { items: [1] } }) // true
 */
export function parseExpression(source: string, where: ExpressionLocation = {}): Expression {
  if (typeof source !== 'string') {
    throw new K.WorkflowError(
      `A condition must be a string, got ${source === null ? 'null' : typeof source}. Write it as text, such as "domain.n < 10".`,
      [{ code: 'EXPRESSION_SYNTAX', message: 'a condition must be a string' }],
    )
  }
  // Options that are not an object count as none (null was a TypeError, SPEC §10.4).
  const ast = new Parser(source, K.isRecord(where) ? where : {}).parse()
  return { source, ast }
}

/**
 * Evaluates a parsed condition against a scope. Never throws for data: a path that does not
 * exist is `undefined`, arithmetic on non-numbers is `NaN`, comparisons of different types are
 * `false`. It calls no user code (no getters, no `toString`, no `valueOf`).
 * @example
 * evaluateExpression(parseExpression("args.who == 'Bob'"), { args: { who: 'Bob' } }) // true
 */
export function evaluateExpression(
  expr: Expression | ExpressionNode,
  scope: ExpressionScope = {},
): unknown {
  const node = typeof expr === 'object' && expr !== null && 'ast' in expr ? expr.ast : expr
  if (typeof node?.type !== 'string')
    throw new K.WorkflowError(
      'evaluateExpression expects a parsed condition: pass what parseExpression returns.',
      [{ code: 'EXPRESSION_SYNTAX', message: 'not a parsed condition' }],
    )
  return evaluate(node, typeof scope === 'object' && scope !== null ? scope : {})
}

/**
 * Evaluates a condition and returns its truthiness, as `if` and `while` use it.
 * @example
 * testCondition(parseExpression('len(domain.items) == 0'), { domain: () => ({ items: [] }) }) // true
 */
export function testCondition(
  expr: Expression | ExpressionNode,
  scope: ExpressionScope = {},
): boolean {
  return truthy(evaluateExpression(expr, scope))
}

//#endregion

//#region evaluator

const mapGet = Map.prototype.get
const mapHas = Map.prototype.has

function evaluate(node: ExpressionNode, scope: ExpressionScope): unknown {
  switch (node.type) {
    case 'literal':
      return node.value
    case 'path':
      return readPath(node.root, node.segments, scope)
    case 'len':
      return K.lengthOf(evaluate(node.argument, scope))
    case 'unary': {
      const v = evaluate(node.operand, scope)
      if (node.op === '!') return !truthy(v)
      return typeof v === 'number' ? -v : Number.NaN
    }
    default: {
      // A chain such as 1+1+…+1 nests to the left as deep as it is long (5 000 levels fit in
      // 10 000 characters): walk down its left side in a loop, not by recursion, so that a long
      // condition cannot exhaust the stack (SPEC §10.4: never a RangeError).
      const chain: (ExpressionNode & { type: 'binary' | 'logical' })[] = []
      let n: ExpressionNode = node
      for (; n.type === 'binary' || n.type === 'logical'; n = n.left) chain.push(n)
      let acc = evaluate(n, scope)
      for (let c = chain.pop(); c; c = chain.pop()) {
        if (c.type === 'binary') acc = binary(c.op, acc, evaluate(c.right, scope))
        // && and || short-circuit: the right side runs only when the left does not decide.
        else if (truthy(acc) === (c.op === '&&')) acc = evaluate(c.right, scope)
      }
      return acc
    }
  }
}

function binary(op: BinaryOperator, l: unknown, r: unknown): unknown {
  switch (op) {
    case '==':
      return l === r
    case '!=':
      return l !== r
    case '<':
    case '<=':
    case '>':
    case '>=': {
      // Only numbers with numbers and strings with strings compare; anything else is false,
      // so a missing value never passes a bound by accident (`undefined < 3` and `null < 3`).
      const same =
        (typeof l === 'number' && typeof r === 'number') ||
        (typeof l === 'string' && typeof r === 'string')
      if (!same) return false
      const a = l as number | string
      const b = r as number | string
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b
    }
    case '+':
      if (typeof l === 'number' && typeof r === 'number') return l + r
      if (
        (typeof l === 'string' && (typeof r === 'string' || typeof r === 'number')) ||
        (typeof r === 'string' && typeof l === 'number')
      ) {
        return String(l) + String(r)
      }
      return Number.NaN
    default: {
      if (typeof l !== 'number' || typeof r !== 'number') return Number.NaN
      return op === '-' ? l - r : op === '*' ? l * r : op === '/' ? l / r : l % r
    }
  }
}

/** JavaScript truthiness, computed without calling any user code. */
function truthy(v: unknown): boolean {
  return Boolean(v)
}

/**
 * One step of a path: an own data property of a plain object or array, or an entry of a Map.
 * Accessors are never invoked, so a getter planted in `args` cannot run.
 */
export function readOwn(container: unknown, key: string): unknown {
  if (FORBIDDEN.has(key)) return undefined
  try {
    return readOwnUnsafe(container, key)
  } catch {
    // A revoked proxy, or a Map look-alike whose methods reject it: the path does not exist.
    return undefined
  }
}

function readOwnUnsafe(container: unknown, key: string): unknown {
  if (container instanceof Map) {
    if (mapHas.call(container, key)) return mapGet.call(container, key)
    const n = Number(key)
    if (key !== '' && Number.isInteger(n) && mapHas.call(container, n))
      return mapGet.call(container, n)
    return undefined
  }
  if (!Array.isArray(container) && !K.isPlainObject(container)) return undefined
  if (!Object.hasOwn(container, key)) return undefined
  const d = Object.getOwnPropertyDescriptor(container, key)
  return d && 'value' in d ? d.value : undefined
}

function readPath(
  root: ExpressionRoot,
  segments: readonly string[],
  scope: ExpressionScope,
): unknown {
  let value: unknown
  let i = 0
  if (root === 'args') {
    value = scope.args
  } else if (root === 'signal' || typeof scope.context !== 'function') {
    // A reader function, or the plain value itself.
    value = scope[root]
    if (typeof value === 'function' && root === 'signal') {
      value = value(segments[0])
      i = 1
    } else if (typeof value === 'function') value = value()
  } else {
    const v = scope.context([root, ...segments])
    // State holds data, never functions: a function can only be a method found on a
    // prototype by the host's walk, so it does not exist for a condition.
    return typeof v === 'function' ? undefined : v
  }
  for (; i < segments.length; i++) {
    if (value === undefined || value === null) return undefined
    value = readOwn(value, segments[i]!)
  }
  return value
}

//#endregion
