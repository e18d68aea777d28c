/**
 * The running side of audit recipes: evaluates a process's rules at its input and output
 * gates, keeps the violation counters, emits one finding per violation and throws when a
 * level acts. One auditor per engine, so counters are per engine.
 *
 * Pure with respect to the engine: it reads values through the `read` callback it is given
 * and reports through `host.emit`, so it is tested without an engine and the engine decides
 * what halting or rolling back means.
 */
import type { AuditAction, AuditLogEntry } from '../engine/types.js'
import { AuditBlockError, AuditInterlockError } from '../errors.js'
import { applyFunction, type FunctionName } from '../workflow/functions.js'
import { parseField } from './field.js'
import {
  type AuditCondition,
  type AuditRecipe,
  type NormalizedRule,
  validateAuditRecipe,
} from './recipe.js'
import { MAX_REGEX_INPUT } from './regex.js'

/** Where findings go; the engine appends them to `auditLog` and fires `'audit'`. */
export interface AuditHost {
  emit(entry: AuditLogEntry): void
}

/**
 * Reads a context path (already split into segments, aliases resolved). `memo` is a slot kept
 * with the rule from run to run, opaque to the auditor: a reader may keep there what it worked
 * out about the path (the engine keeps the containers along it) so that the next read is a few
 * lookups instead of a walk.
 */
export type AuditRead = (segs: readonly string[], memo: ReadMemo) => unknown

/** What a reader keeps per rule between reads (see `AuditRead`); starts empty. */
export interface ReadMemo {
  path?: unknown
}

/** A recipe bound to one engine's counters. */
export interface Auditor {
  /** Throws AuditBlockError (B) or AuditInterlockError (S or A) when a level acts; C and counts only emit. */
  checkInput(process: string, args: Record<string, unknown>, read: AuditRead): void
  /** The output gate: `read` should see the run's uncommitted draft. Same throws as `checkInput`. */
  checkOutput(process: string, args: Record<string, unknown>, read: AuditRead): void
  /** The effective rules of one process (inherited ones first), for `theus audit inspect` and the inspector. */
  rulesOf(process: string):
    | {
        inputs: NormalizedRule[]
        outputs: NormalizedRule[]
        side_effects: string[]
        errors: string[]
      }
    | undefined
  /** The validated recipe this auditor runs. */
  readonly recipe: AuditRecipe
}

/** One rule ready to run: everything it needs per run is worked out when it is compiled. */
interface CompiledRule {
  readonly rule: NormalizedRule
  /** The context path (aliases resolved). */
  readonly segs: readonly string[]
  /** The args path: the field's first segment as written, then the rest of the path. */
  readonly argSegs: readonly string[]
  /** A computed field's functions, innermost first (`len(domain.cart)` → ['len']). */
  readonly fns: readonly FunctionName[]
  /** The reader's slot for this rule's path; its own object, so a reader never sees the rule. */
  readonly memo: ReadMemo
  readonly test: (value: unknown, limit: never) => boolean
  /** The operand of `test`: the rule's limit, or the compiled pattern of a `regex` rule. */
  readonly limit: unknown
  /**
   * Violations in a row: the spec's counter of `process:gate:field:condition`, one per
   * compiled rule, so two rules on the same field and condition (a warning over 5000 and a
   * block over 10000, or a parent's rule and a child's) keep separate counts.
   */
  count: number
}

const GATES = ['input', 'output'] as const
const ACTION = { S: 'interlock', A: 'abort', B: 'block', C: 'warn' } as const
// When several rules act in one gate, the most severe error wins: S, then A, then B.
const SEVERITY = 'CBAS'

const has = Object.hasOwn
const isNumber = (v: unknown): v is number => typeof v === 'number'
// Every test fails closed: `undefined`, NaN and values of the wrong type are violations (a
// comparison with NaN, or with the undefined `lengthOf` gives for a value without a length, is false).
const TESTS: Readonly<Record<AuditCondition, (v: unknown, limit: never) => boolean>> = {
  min: (v, limit: number) => isNumber(v) && v >= limit,
  max: (v, limit: number) => isNumber(v) && v <= limit,
  eq: (v, limit) => v !== undefined && v === limit,
  neq: (v, limit) => v !== undefined && v !== limit,
  min_len: (v, limit: number) => (lengthOf(v) as number) >= limit,
  max_len: (v, limit: number) => (lengthOf(v) as number) <= limit,
  // No `g` or `y` flag, so `test` keeps no state between calls. The recipe checker refused
  // patterns that backtrack catastrophically; a value longer than MAX_REGEX_INPUT fails
  // without running the pattern, which bounds what any accepted pattern can cost.
  regex: (v, re: RegExp) => typeof v === 'string' && v.length <= MAX_REGEX_INPUT && re.test(v),
}

/**
 * Binds a recipe (a validated one, or an object that is validated here) to a fresh set of
 * counters. Throws `RecipeError` for a bad recipe.
 * @example
 * const auditor = createAuditor(
 *   { process_recipes: { transfer: { inputs: [{ field: 'amount', max: 10000, level: 'B' }] } } },
 *   { emit: (entry) => console.log(entry.message) },
 * )
 * auditor.checkInput('transfer', { amount: 20000 }, () => undefined) // throws AuditBlockError
 */
export function createAuditor(recipe: AuditRecipe | unknown, host: AuditHost): Auditor {
  const valid = validateAuditRecipe(recipe)
  const procs = valid.process_recipes
  // Every process's rules are compiled once, here: a run only looks its process up.
  const compiled = new Map<string, (readonly CompiledRule[] | undefined)[]>()
  for (const name of Object.keys(procs)) {
    const rec = procs[name]!
    compiled.set(name, [compile(rec.inputs), compile(rec.outputs)])
  }

  // The last process looked up, per gate: a run asks for the same name at both gates, and
  // runs of one process come in streaks, so most checks skip the Map.
  let lastName: string | undefined
  let lastRules: (readonly CompiledRule[] | undefined)[] | undefined
  const check = (gate: 0 | 1, process: string, args: object, read: AuditRead): void => {
    if (process !== lastName) {
      lastRules = compiled.get(process)
      lastName = process
    }
    const rules = lastRules?.[gate]
    if (!rules) return
    const own: object = typeof args === 'object' && args !== null ? args : {}
    let worst: Error | undefined
    let worstLevel = -1
    // Every rule is evaluated even after one acts: each violation is a finding and counts,
    // and a level S rule must still halt the engine when an earlier rule already blocks.
    for (const c of rules) {
      let value = has(own, c.argSegs[0]!)
        ? readArgs(own, c.argSegs)
        : safeRead(read, c.segs, c.memo)
      for (const fn of c.fns) value = applyFunction(fn, value)
      let passed = false
      try {
        passed = c.test(value, c.limit as never)
      } catch {
        // fail closed: a value whose length or size cannot be read is a violation
      }
      if (passed) {
        if (c.rule.resetOnSuccess) c.count = 0
        continue
      }
      const error = violate(process, GATES[gate], c, value)
      const severity = SEVERITY.indexOf(c.rule.level)
      if (error && severity > worstLevel) {
        worst = error
        worstLevel = severity
      }
    }
    if (worst) throw worst
  }

  const violate = (
    process: string,
    gate: (typeof GATES)[number],
    c: CompiledRule,
    value: unknown,
  ): Error | undefined => {
    const { rule } = c
    const { field, condition, limit, level, maxThreshold: threshold } = rule
    const count = ++c.count
    const acts = count >= threshold
    if (acts) c.count = 0
    const action: AuditAction = acts
      ? ACTION[level]
      : count >= rule.minThreshold
        ? 'early-warning'
        : 'count'
    let shown = show(value)
    if (condition === 'min_len' || condition === 'max_len') {
      let n: number | undefined
      try {
        n = lengthOf(value)
      } catch {
        // a revoked proxy: no length shown
      }
      if ((n as number) >= 0) shown += ` of length ${n}`
    }
    const text = `[LEVEL ${level} ${action.toUpperCase()}] process '${process}' ${gate} gate: rule '${condition}' violated on '${field}' (value ${shown}, limit ${condition === 'regex' ? `/${String(limit)}/` : show(limit)}, count ${count}/${threshold}).`
    const message = rule.message === undefined ? text : `${text} ${rule.message}`
    const entry: AuditLogEntry = {
      at: Date.now(),
      process,
      gate,
      field,
      condition,
      value: snapshot(value),
      limit,
      level,
      count,
      threshold,
      action,
      message,
    }
    host.emit(entry)
    if (!acts || level === 'C') return undefined
    // The rule's own words, so that a UI can show them without parsing the sentence.
    const details = { ...entry, message: rule.message }
    delete (details as Partial<AuditLogEntry>).at
    delete (details as Partial<AuditLogEntry>).action
    return level === 'B'
      ? new AuditBlockError(message, details)
      : new AuditInterlockError(level, message, details)
  }

  return {
    recipe: valid,
    checkInput: (process, args, read) => check(0, process, args, read),
    checkOutput: (process, args, read) => check(1, process, args, read),
    rulesOf(process) {
      if (!has(procs, process)) return undefined
      // Fresh copies of the four frozen lists (inputs, outputs, side_effects, errors).
      return Object.fromEntries(
        Object.entries(procs[process]!).map(([key, list]) => [key, [...list]]),
      ) as ReturnType<Auditor['rulesOf']>
    },
  }
}

// An empty gate compiles to nothing, so that its check returns before it looks at the args.
function compile(rules: readonly NormalizedRule[]): CompiledRule[] | undefined {
  return (
    rules[0] &&
    rules.map((rule) => {
      // The recipe checker guarantees a parsable field; a compiled recipe is trusted code.
      const f = parseField(rule.field) ?? { segs: [rule.field], argKey: rule.field, fns: [] }
      const { condition, limit } = rule
      return {
        rule,
        segs: f.segs,
        argSegs: [f.argKey, ...f.segs.slice(1)],
        fns: f.fns,
        memo: {},
        test: TESTS[condition],
        limit: condition === 'regex' ? new RegExp(limit as string) : limit,
        count: 0,
      }
    })
  )
}

/**
 * The length of a string or array, the size of a Map or Set, undefined for anything else (which
 * compares false with every number).
 */
function lengthOf(v: unknown): number | undefined {
  if (typeof v === 'string' || Array.isArray(v)) return v.length
  if (v instanceof Map || v instanceof Set) return v.size
}

function readArgs(args: object, segs: readonly string[]): unknown {
  let cur: unknown = args
  for (const seg of segs) {
    // Own data only (SPEC §10.1): an args key named `constructor` is read, an inherited
    // `constructor` is missing, and `__proto__` never names data.
    if (seg === '__proto__') return undefined
    if (cur instanceof Map) cur = cur.get(seg)
    else if (typeof cur === 'object' && cur !== null)
      cur = has(cur, seg) ? (cur as Record<string, unknown>)[seg] : undefined
    else if (typeof cur === 'string' && seg === 'length') cur = cur.length
    else return undefined
  }
  return cur
}

function safeRead(read: AuditRead, segs: readonly string[], memo: ReadMemo): unknown {
  try {
    return read(segs, memo)
  } catch {
    // A path that cannot be read counts as missing, which fails closed.
    return undefined
  }
}

// The log outlives the run: keep a copy of collections rather than a draft view of them.
function snapshot(value: unknown): unknown {
  try {
    if (Array.isArray(value)) return [...value]
    if (value instanceof Map) return new Map(value)
    if (value instanceof Set) return new Set(value)
  } catch {
    return undefined
  }
  return value
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`
  if (typeof v === 'function') return 'a function'
  if (v === undefined || v === null || typeof v !== 'object') return String(v)
  try {
    if (Array.isArray(v)) return 'an array'
    if (v instanceof Map) return 'a Map'
    if (v instanceof Set) return 'a Set'
  } catch {
    // fall through: a revoked proxy is still "an object"
  }
  return 'an object'
}
