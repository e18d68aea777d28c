/**
 * Collects the problems of one workflow or pipeline document and throws them as one
 * `WorkflowError` that points at the first. Shared by the state machine and Flux validators so
 * both word and place their errors alike.
 */
import {
  describe,
  type SourceIssue,
  suggest,
  type TheusErrorDetails,
  WorkflowError,
} from '../errors.js'
import { isPlainObject } from './functions.js'

/** At most this many problems are listed; the rest are counted in the message. */
const MAX_ISSUES = 100
/** Nesting deeper than this, in any form, is a `WorkflowError` (SPEC §10.4). */
export const MAX_NESTING = 200

/** A 1-based position in a source file. */
export interface Position {
  line: number
  column: number
}

/**
 * Maps a path inside the document to the position of its key (`'key'`) or value (`'value'`).
 * `parseWorkflow` and `parseFlux` pass the YAML locator; objects built in code have none.
 */
export type Locator = (
  path: readonly (string | number)[],
  at?: 'key' | 'value',
) => Position | undefined

/** Options shared by `validateWorkflow` and `validateFlux`. */
export interface ValidateOptions {
  /** Named in messages and on the error. */
  filename?: string | undefined
  /** Gives line and column for a path (the YAML parsers pass one). */
  locate?: Locator | undefined
}

export class IssueCollector {
  readonly issues: SourceIssue[] = []
  private more = 0

  constructor(
    private readonly kind: 'workflow' | 'pipeline',
    private readonly options: ValidateOptions,
  ) {}

  add(
    code: string,
    message: string,
    path: readonly (string | number)[],
    at: 'key' | 'value',
    hint?: string | (() => string | undefined),
    exact?: Position,
  ): void {
    // Past the cap, neither the position nor the hint is computed: both can cost a walk of
    // the document, and a huge broken document must still be reported in linear time.
    if (this.full) {
      this.more++
      return
    }
    if (typeof hint === 'function') hint = hint()
    const pos = exact ?? this.options.locate?.(path, at)
    // Without a position (an object written in code), the message names the key or value, as
    // recipe errors do (SPEC §9).
    const issue: SourceIssue = { code, message: pos ? message : pathText(path, message) }
    if (this.options.filename !== undefined) issue.file = this.options.filename
    if (pos) {
      issue.line = pos.line
      issue.column = pos.column
    }
    if (hint !== undefined) issue.hint = hint
    this.issues.push(issue)
  }

  /** True once `MAX_ISSUES` problems are listed. */
  get full(): boolean {
    return this.issues.length >= MAX_ISSUES
  }

  /**
   * Adds the issues of an error thrown by a nested parser (the condition language) for the
   * value at `path`; without a locator their positions are inside that value, so the message
   * names it.
   */
  addError(e: WorkflowError, path: readonly (string | number)[]): void {
    for (const i of e.issues) {
      if (this.full) {
        this.more++
        continue
      }
      const copy = { ...i }
      if (!this.options.locate) copy.message = `${pathText(path)}, column ${i.column}: ${i.message}`
      if (this.options.filename !== undefined) copy.file = this.options.filename
      this.issues.push(copy)
    }
  }

  throwIfAny(): void {
    const first = this.issues[0]
    if (!first) return
    const { kind, options } = this
    // Without a locator, a line and column are inside a condition, not in a file.
    const [at, details] = firstPosition(first, options.filename)
    const label = options.locate ? at : options.filename
    const others = this.issues.length - 1 + this.more
    const more = others > 0 ? ` (and ${others} more problem${others > 1 ? 's' : ''})` : ''
    throw new WorkflowError(
      `Invalid ${kind}${label ? ` at ${label}` : ''}: ${first.message}.${first.hint ? ` ${first.hint}` : ''}${more}`,
      this.issues,
      details,
    )
  }
}

/**
 * A path inside a document as written in code (`steps[0].flux`, `states.IDLE.on.GO`), before
 * `message` when there is one to name. Shared with audit recipes.
 */
export function pathText(path: readonly (string | number)[], message?: string): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`
  return message === undefined ? out : out ? `${out}: ${message}` : message
}

/**
 * Where an error's first issue is, for its message (`file:line:column`, or the file alone, or
 * nothing), and the error's details (`file`, `line`, `column`). Shared with audit recipes.
 */
export function firstPosition(
  first: SourceIssue,
  filename: string | undefined,
): [string | undefined, TheusErrorDetails] {
  const { line, column } = first
  const details: TheusErrorDetails = filename === undefined ? {} : { file: filename }
  if (line === undefined) return [filename, details]
  details.line = line
  if (column !== undefined) details.column = column
  return [`${filename ?? '<inline>'}:${line}:${column}`, details]
}

/** A plain object, as YAML mappings and object literals are (never an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return !Array.isArray(v) && isPlainObject(v)
}

/**
 * A mapping without its keys set to `undefined`: such a key is absent, as the optional
 * properties of the types allow (YAML has no `undefined`). The mapping itself when it has none.
 */
export function defined(o: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(o)
  if (keys.every((k) => o[k] !== undefined)) return o
  // Object.fromEntries defines own properties: an own `__proto__` key stays data.
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]))
}

/** Sets an own property, so that keys such as `__proto__` stay data. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

/** Describes a value's kind for a message (`undefined`, `number 5`, a long string cut short). */
export function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'a list' : isRecord(v) ? 'a mapping' : describe(v)
}

/**
 * "Did you mean" for messages, bounded: a long word or a long list of candidates gets no
 * suggestion, so that a huge broken document is still reported in linear time.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > 64) return undefined
  const few: string[] = []
  for (const c of candidates) {
    if (few.length >= 1000) return undefined
    few.push(c)
  }
  return suggest(word, few)
}

/**
 * Runs a validator and turns anything it throws that is not a `WorkflowError` (a getter that
 * throws, a revoked proxy, a stack overflow) into one: validators throw only their typed error.
 * Options that are not an object count as none; a `filename` that is not a string is refused.
 */
export function guard<T, O extends ValidateOptions>(
  kind: 'workflow' | 'pipeline',
  options: O | null | undefined,
  fn: (options: O) => T,
): T {
  const o = options ?? ({} as O)
  const file = o.filename
  if (typeof (file ?? '') !== 'string')
    throw new WorkflowError(
      `Invalid ${kind} options: filename must be a string, got ${describe(file)}.`,
    )
  try {
    return fn(o)
  } catch (e) {
    if (e instanceof WorkflowError) throw e
    const why =
      e instanceof RangeError
        ? `it is nested more than ${MAX_NESTING} levels deep`
        : `it could not be read (${e instanceof Error ? e.message : String(e)})`
    throw new WorkflowError(
      `Invalid ${kind}${file === undefined ? '' : ` in ${file}`}: ${why}. Pass plain data: mappings, lists, strings.`,
      [
        {
          code: 'UNREADABLE',
          message: `the ${kind} could not be read`,
          ...(file === undefined ? {} : { file }),
        },
      ],
      file === undefined ? {} : { file },
    )
  }
}
