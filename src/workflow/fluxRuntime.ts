/**
 * Flux: step pipelines with `if`, `while` and `run`. Validation parses every condition up
 * front, so a pipeline that starts never fails on syntax halfway; execution counts operations
 * against the engine's `maxOps` and can undo its commits (`atomic`).
 */

import type { Patch } from '../engine/types.js'
import {
  type Expression,
  type ExpressionLocation,
  type ExpressionScope,
  parseExpression,
  testCondition,
} from './expressionRuntime.js'
import type { WorkflowHost } from './host.js'
import type { IssueCollector, Position, ValidateOptions } from './issues.js'
import { K } from './kit.js'

/** One step of a normalised pipeline. Plain data: a valid input to `validateFlux` again. */
export type FluxStep =
  | { process: string }
  | { flux: 'if'; condition: string; then: FluxStep[]; else: FluxStep[] }
  | { flux: 'while'; condition: string; do: FluxStep[] }
  | { flux: 'run'; steps: FluxStep[] }

/** A validated pipeline. */
export interface FluxDefinition {
  name?: string
  description?: string
  steps: FluxStep[]
}

/** A pipeline as accepted by `executeFlux`: validated, a raw object or list, or YAML text. */
export type FluxInput = FluxDefinition | Record<string, unknown> | readonly unknown[] | string

/** Options of `validateFlux`. */
export interface ValidateFluxOptions extends ValidateOptions {
  /** The YAML text, so that condition errors point inside quoted and block scalars. */
  text?: string | undefined
}

/** Options of `executeFlux` / `engine.executeWorkflow`. */
export interface FluxRunOptions {
  /** On failure, undo the commits of the steps already run (one commit, `'flux:undo'`). */
  atomic?: boolean | undefined
}

const FLUX_KINDS = ['if', 'while', 'run'] as const
const KEYS: Record<(typeof FLUX_KINDS)[number], readonly string[]> = {
  if: ['flux', 'condition', 'then', 'else'],
  while: ['flux', 'condition', 'do'],
  run: ['flux', 'steps'],
}
const TOP_KEYS = ['name', 'description', 'steps'] as const

const validated = new WeakSet<object>()
// Parsed conditions, keyed by the normalised step that holds them.
const conditions = new WeakMap<object, Expression>()

/**
 * Validates a pipeline (`{ steps: [...] }`, or the list itself) and returns its normalised
 * form: plain names become `{ process }`, `then`/`else`/`do`/`steps` become lists, and every
 * condition is parsed. Problems are one `WorkflowError` pointing at the first (file, line,
 * column; inside a condition, the column of the offending character).
 * @example
 * validateFlux({ steps: ['p_init', { flux: 'while', condition: 'domain.n < 3', do: ['p_inc'] }] })
 */
export function validateFlux(obj: unknown, options: ValidateFluxOptions = {}): FluxDefinition {
  return K.guard('pipeline', options, (o) => check(obj, o))
}

function check(given: unknown, options: ValidateFluxOptions): FluxDefinition {
  if (typeof given === 'object' && given !== null && validated.has(given))
    return given as FluxDefinition
  const obj: unknown = K.isRecord(given) ? defined(given) : given
  const issues = new K.IssueCollector('pipeline', options)
  let rawSteps: unknown
  let base: (string | number)[]
  const def: FluxDefinition = { steps: [] }
  if (Array.isArray(obj)) {
    rawSteps = obj
    base = []
  } else if (K.isRecord(obj)) {
    for (const key of Object.keys(obj)) {
      if (!(TOP_KEYS as readonly string[]).includes(key)) {
        const close = K.nearest(key, TOP_KEYS)
        issues.add(
          'UNKNOWN_KEY',
          `unknown key '${key}' in the pipeline`,
          [key],
          'key',
          close ? `Did you mean '${close}'?` : `Allowed keys: ${TOP_KEYS.join(', ')}.`,
        )
      }
    }
    for (const key of ['name', 'description'] as const) {
      const v = obj[key]
      if (Object.hasOwn(obj, key)) {
        if (typeof v === 'string') def[key] = v
        else
          issues.add('BAD_VALUE', `'${key}' must be a string, got ${K.kindOf(v)}`, [key], 'value')
      }
    }
    if (!Object.hasOwn(obj, 'steps'))
      issues.add(
        'NO_STEPS',
        "the pipeline has no 'steps:'",
        [],
        'key',
        'Add `steps:` with a list of process names and flux blocks.',
      )
    rawSteps = obj['steps']
    base = ['steps']
  } else {
    issues.add(
      'NOT_A_MAPPING',
      `a pipeline must be a mapping with 'steps:' or a list of steps, got ${K.kindOf(obj)}`,
      [],
      'value',
    )
    issues.throwIfAny()
    throw K.notADefinition('pipeline', obj)
  }
  const v = new Validator(issues, options)
  if (Array.isArray(rawSteps)) def.steps = v.list(rawSteps, base)
  else if (Object.hasOwn(obj as object, 'steps'))
    issues.add('BAD_VALUE', `'steps' must be a list, got ${K.kindOf(rawSteps)}`, base, 'value')
  issues.throwIfAny()
  // Frozen, as the state machine's: the parsed conditions are kept by step, so a step changed
  // after validation would run the old condition or skip the checks.
  validated.add(K.deepFreeze(def))
  return def
}

/**
 * A mapping without its keys set to `undefined`: such a key is absent, as the optional
 * properties of the types allow (YAML has no `undefined`). The mapping itself when it has none.
 * (definition.ts has the same; the kit would bring it into the core.)
 */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(o)
  if (keys.every((k) => o[k] !== undefined)) return o
  // Object.fromEntries defines own properties: an own `__proto__` key stays data.
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]))
}

class Validator {
  constructor(
    private readonly issues: IssueCollector,
    private readonly options: ValidateFluxOptions,
  ) {}

  private depth = 0
  private lines: string[] | undefined

  /** A list of steps; a single name is accepted where a list is expected (`then: p_done`). */
  list(raw: unknown, path: (string | number)[], key?: string): FluxStep[] {
    // `depth` counts the blocks around this list (0 for the top `steps`): 200 nested blocks
    // pass and the 201st is refused, as 200 levels of YAML, conditions and `inherits` do.
    if (this.depth > K.MAX_NESTING) {
      this.issues.add(
        'TOO_DEEP',
        `the pipeline nests flux blocks more than ${K.MAX_NESTING} levels deep`,
        path,
        'key',
        'Flatten it: a long chain of `run` blocks is the same as one list of steps.',
      )
      return []
    }
    this.depth++
    try {
      return this.listAt(raw, path, key)
    } finally {
      this.depth--
    }
  }

  private listAt(raw: unknown, path: (string | number)[], key?: string): FluxStep[] {
    if (typeof raw === 'string') return this.step(raw, path) ? [{ process: raw }] : []
    if (!Array.isArray(raw)) {
      this.issues.add(
        'BAD_VALUE',
        `'${key ?? 'steps'}' must be a list of steps, got ${K.kindOf(raw)}`,
        path,
        'value',
        `Write \`${key ?? 'steps'}: [p_name]\`.`,
      )
      return []
    }
    const out: FluxStep[] = []
    for (let i = 0; i < raw.length; i++) {
      const s = this.step(raw[i], [...path, i])
      if (s) out.push(s)
    }
    return out
  }

  private step(raw: unknown, path: (string | number)[]): FluxStep | undefined {
    if (typeof raw === 'string') {
      if (raw !== '') return { process: raw }
      this.issues.add('BAD_STEP', 'a step has an empty process name', path, 'value')
      return undefined
    }
    if (!K.isRecord(raw)) {
      this.issues.add(
        'BAD_STEP',
        `a step must be a process name or a mapping, got ${K.kindOf(raw)}`,
        path,
        'value',
        'Write `- p_name`, `- process: p_name` or `- flux: if|while|run`.',
      )
      return undefined
    }
    return this.mapping(defined(raw), path)
  }

  /** A step written as a mapping: `process:` or a flux block. */
  private mapping(raw: Record<string, unknown>, path: (string | number)[]): FluxStep | undefined {
    if (!Object.hasOwn(raw, 'flux')) {
      if (!Object.hasOwn(raw, 'process')) {
        const close = K.nearest(Object.keys(raw)[0] ?? '', ['process', 'flux'])
        this.issues.add(
          'BAD_STEP',
          `a step mapping needs 'process:' or 'flux:'`,
          Object.keys(raw).length > 0 ? [...path, Object.keys(raw)[0]!] : path,
          'key',
          close ? `Did you mean '${close}'?` : undefined,
        )
        return undefined
      }
      this.onlyKeys(raw, path, ['process'], 'a process step')
      const name = raw['process']
      if (typeof name !== 'string' || name === '') {
        this.issues.add(
          'BAD_STEP',
          `'process' must be a process name, got ${K.kindOf(name)}`,
          [...path, 'process'],
          'value',
        )
        return undefined
      }
      return { process: name }
    }
    const kind = raw['flux']
    if (typeof kind !== 'string' || !(FLUX_KINDS as readonly string[]).includes(kind)) {
      const close = typeof kind === 'string' ? K.nearest(kind, FLUX_KINDS) : undefined
      this.issues.add(
        'UNKNOWN_FLUX',
        `unknown flux kind: ${K.kindOf(kind)}`,
        [...path, 'flux'],
        'value',
        close ? `Did you mean '${close}'?` : 'Use if, while or run.',
      )
      return undefined
    }
    const k = kind as (typeof FLUX_KINDS)[number]
    this.onlyKeys(raw, path, KEYS[k], `a 'flux: ${k}' step`)
    if (k === 'run') {
      if (!this.require(raw, path, 'steps', k)) return undefined
      return { flux: 'run', steps: this.list(raw['steps'], [...path, 'steps'], 'steps') }
    }
    const cond = this.require(raw, path, 'condition', k)
      ? this.condition(raw['condition'], [...path, 'condition'])
      : undefined
    if (k === 'while') {
      const body = this.require(raw, path, 'do', k)
        ? this.list(raw['do'], [...path, 'do'], 'do')
        : undefined
      if (cond === undefined || body === undefined) return undefined
      const step: FluxStep = { flux: 'while', condition: cond.source, do: body }
      conditions.set(step, cond)
      return step
    }
    const then = this.require(raw, path, 'then', k)
      ? this.list(raw['then'], [...path, 'then'], 'then')
      : undefined
    const otherwise =
      Object.hasOwn(raw, 'else') && raw['else'] !== null
        ? this.list(raw['else'], [...path, 'else'], 'else')
        : []
    if (cond === undefined || then === undefined) return undefined
    const step: FluxStep = { flux: 'if', condition: cond.source, then, else: otherwise }
    conditions.set(step, cond)
    return step
  }

  private require(
    raw: Record<string, unknown>,
    path: (string | number)[],
    key: string,
    kind: string,
  ): boolean {
    if (Object.hasOwn(raw, key) && (raw[key] !== null || key === 'do')) return true
    if (Object.hasOwn(raw, key)) {
      this.issues.add('MISSING_KEY', `'${key}' of 'flux: ${kind}' is empty`, [...path, key], 'key')
    } else {
      this.issues.add(
        'MISSING_KEY',
        `'flux: ${kind}' needs '${key}:'`,
        [...path, 'flux'],
        'key',
        EXAMPLES[kind],
      )
    }
    return false
  }

  private onlyKeys(
    raw: Record<string, unknown>,
    path: (string | number)[],
    allowed: readonly string[],
    what: string,
  ): void {
    for (const key of Object.keys(raw)) {
      if (allowed.includes(key)) continue
      const close = K.nearest(key, allowed)
      this.issues.add(
        'UNKNOWN_KEY',
        `unknown key '${key}' in ${what}`,
        [...path, key],
        'key',
        close ? `Did you mean '${close}'?` : `Allowed keys: ${allowed.join(', ')}.`,
      )
    }
  }

  private condition(raw: unknown, path: (string | number)[]): Expression | undefined {
    if (typeof raw === 'boolean' || typeof raw === 'number') raw = String(raw)
    if (typeof raw !== 'string') {
      this.issues.add(
        'BAD_CONDITION',
        `a condition must be text, got ${K.kindOf(raw)}`,
        path,
        'value',
        'Quote it: condition: "domain.n < 10".',
      )
      return undefined
    }
    try {
      return parseExpression(raw, this.where(path))
    } catch (e) {
      if (!(e instanceof K.WorkflowError)) throw e
      this.issues.addError(e, path)
      return undefined
    }
  }

  /** The position of a condition's first character, looking past quotes and block headers. */
  private where(path: (string | number)[]): ExpressionLocation {
    const pos: Position | undefined = this.options.locate?.(path, 'value')
    const out: ExpressionLocation = {}
    if (this.options.filename !== undefined) out.filename = this.options.filename
    if (!pos) return out
    let { line, column } = pos
    // Split once per document: a pipeline with many conditions stays linear.
    this.lines ??= this.options.text?.split(/\r?\n/) ?? []
    const lines = this.lines
    const ch = lines[line - 1]?.[column - 1]
    if (ch === '"' || ch === "'") column++
    else if (ch === '|' || ch === '>') {
      const body = lines[line] ?? ''
      line++
      column = body.length - body.trimStart().length + 1
    }
    out.line = line
    out.column = column
    // Walk the scalar as written beside the parsed text: a character the scalar drops (an
    // escape's backslash, a line break and its indentation, a doubled quote) is skipped.
    if (this.options.text === undefined) return out
    out.at = (offset, src) => {
      let l = line - 1
      let c = column - 1
      const next = (): void => {
        if (c < (lines[l]?.length ?? 0)) c++
        else {
          l++
          c = 0
        }
      }
      const skip = (want: string): void => {
        for (let ch = lines[l]?.[c] ?? '\n'; l < lines.length && ch !== want; ) {
          if (!/[\s\\']/.test(ch)) return
          next()
          ch = lines[l]?.[c] ?? '\n'
        }
      }
      for (let k = 0; k < offset; k++) {
        skip(src[k]!)
        next()
      }
      if (offset < src.length) skip(src[offset]!)
      return { line: l + 1, column: c + 1 }
    }
    return out
  }
}

const EXAMPLES: Record<string, string> = {
  if: 'Write `flux: if` with `condition: "…"`, `then: [...]` and optionally `else: [...]`.',
  while: 'Write `flux: while` with `condition: "…"` and `do: [...]`.',
  run: 'Write `flux: run` with `steps: [...]`.',
}

/** Turns any accepted pipeline input into a validated definition. */
export function toFluxDefinition(def: FluxInput): FluxDefinition {
  if (typeof def === 'string') return validateFlux(K.parseText('flux', def))
  return validateFlux(def)
}

/**
 * Runs a pipeline on an engine and resolves to the names of the processes run, in order.
 * Every process receives `args`. Every step and every loop iteration counts one operation;
 * past `engine.options.maxOps` it throws `TheusError` code `FLUX_SAFETY_TRIP`. A failing step
 * rejects with its own error; with `atomic: true`, the commits of the steps already run are
 * undone first.
 * @example
 * const ran = await executeFlux(engine, { steps: ['p_init', 'p_done'] }, { user: 'Alice' })
 */
export async function executeFlux(
  engine: WorkflowHost,
  def: FluxInput,
  args?: unknown,
  options: FluxRunOptions = {},
): Promise<string[]> {
  const pipeline = toFluxDefinition(def)
  // A typo (`atomc`) or `atomic: 'yes'` would otherwise run the pipeline without its undo.
  const o: Record<string, unknown> | undefined = K.isRecord(options) ? options : undefined
  const bad = o ? Object.keys(o).find((k) => k !== 'atomic') : K.kindOf(options)
  if (bad !== undefined || (o?.atomic !== undefined && typeof o.atomic !== 'boolean'))
    throw new K.TheusError(
      'INVALID_ARGS',
      `Workflow options must be { atomic?: boolean }, got ${o ? (bad ? `the key '${bad}'` : `atomic: ${K.kindOf(o.atomic)}`) : bad}.`,
    )
  const atomic = options.atomic === true
  if (atomic && typeof engine._commitPatches !== 'function') {
    throw new K.TheusError(
      'INVALID_ARGS',
      'atomic: true needs an engine that can commit patches (TheusEngine). Run the pipeline with engine.executeWorkflow().',
    )
  }
  const run = new FluxRun(engine, args, K.maxOpsOf(engine), atomic)
  try {
    await run.steps(pipeline.steps)
    return run.ran
  } catch (error) {
    if (atomic && run.undo.length > 0) {
      // The engine lists a commit's inverse patches in the order of its writes (its own undo
      // reverses them), so the whole pipeline is undone last write first.
      const patches: Patch[] = run.undo.flat().reverse()
      try {
        engine._commitPatches!(patches, 'flux:undo')
      } catch (undoError) {
        K.warnOnce(
          'flux-undo-failed',
          `An atomic pipeline failed and its undo failed too: ${(undoError as Error)?.message ?? String(undoError)}`,
        )
      }
    }
    throw error
  }
}

class FluxRun {
  readonly ran: string[] = []
  readonly undo: Patch[][] = []
  // Each step's own commit hands its inverse patches here (an internal run option): a commit
  // of the same process by another run meanwhile is not this pipeline's to undo.
  private readonly opts: object | undefined
  private ops = 0
  private readonly scope: ExpressionScope

  constructor(
    private readonly engine: WorkflowHost,
    private readonly args: unknown,
    private readonly maxOps: number,
    atomic: boolean,
  ) {
    this.opts = atomic
      ? {
          [Symbol.for('theus.onCommit')]: (_: Patch[], inverse: Patch[]) => {
            if (inverse.length > 0) this.undo.push(inverse)
          },
        }
      : undefined
    this.scope = {
      context: (segs) => engine._peekSnapshot?.(segs),
      args,
      signal: (name) => engine._lastSignal?.(name),
    }
  }

  private count(where: string): void {
    if (++this.ops <= this.maxOps) return
    throw new K.TheusError(
      'FLUX_SAFETY_TRIP',
      `Flux safety trip: the pipeline went past maxOps = ${this.maxOps} operations (${where}). A while loop probably never ends: check that its condition becomes false, or raise maxOps in the engine options.`,
      { details: { maxOps: this.maxOps } },
    )
  }

  async steps(list: readonly FluxStep[]): Promise<void> {
    for (const step of list) await this.step(step)
  }

  private test(step: FluxStep & { condition: string }): boolean {
    let expr = conditions.get(step)
    if (!expr) {
      expr = parseExpression(step.condition)
      conditions.set(step, expr)
    }
    return testCondition(expr, this.scope)
  }

  private async step(step: FluxStep): Promise<void> {
    if ('process' in step) {
      this.count(`step '${step.process}'`)
      const r = this.engine.runProcess(step.process, this.args, this.opts)
      if (K.isThenable(r)) await r
      this.ran.push(step.process)
      return
    }
    this.count(`flux: ${step.flux}`)
    switch (step.flux) {
      case 'run':
        return this.steps(step.steps)
      case 'if':
        return this.steps(this.test(step) ? step.then : step.else)
      case 'while':
        while (this.test(step)) {
          this.count(`an iteration of 'while ${step.condition}'`)
          await this.steps(step.do)
        }
    }
  }
}

export { installKit } from './kit.js'
