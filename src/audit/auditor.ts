/**
 * The running side of audit recipes: evaluates a process's rules at its input and output
 * gates, keeps the violation counters, emits one finding per violation and throws when a
 * level acts. One auditor per engine, so counters are per engine.
 *
 * Pure with respect to the engine: it reads values through the `read` callback it is given
 * and reports through `host.emit`, so it is tested without an engine and the engine decides
 * what halting or rolling back means.
 */
import type { AuditAction, AuditLevel, AuditLogEntry } from '../engine/types.js'
import { AuditBlockError, AuditInterlockError, type TheusError } from '../errors.js'
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

/** Reads a context path (already split into segments, aliases resolved). */
export type AuditRead = (segs: readonly string[]) => unknown

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

type Gate = 'input' | 'output'

interface CompiledRule {
  rule: NormalizedRule
  segs: readonly string[]
  /** The field's first segment as written, before alias resolution: the args key to look for. */
  argKey: string
  counterKey: string
  /** A computed field's functions, innermost first (`len(domain.cart)` → ['len']). */
  fns: readonly FunctionName[]
  test: (value: unknown) => boolean
}

// When several rules act in one gate, the most severe error wins.
const SEVERITY: Record<AuditLevel, number> = { S: 3, A: 2, B: 1, C: 0 }
const ACTION: Record<AuditLevel, AuditAction> = {
  S: 'interlock',
  A: 'abort',
  B: 'block',
  C: 'warn',
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
  const counters = new Map<string, number>()
  const compiled = new Map<string, { input: CompiledRule[]; output: CompiledRule[] }>()

  const compiledOf = (process: string) => {
    let c = compiled.get(process)
    if (c) return c
    if (!Object.hasOwn(valid.process_recipes, process)) return undefined
    const rec = valid.process_recipes[process]!
    c = {
      input: compile(process, 'input', rec.inputs),
      output: compile(process, 'output', rec.outputs),
    }
    compiled.set(process, c)
    return c
  }

  const check = (
    gate: Gate,
    process: string,
    args: Record<string, unknown>,
    read: AuditRead,
  ): void => {
    const rules = compiledOf(process)?.[gate]
    if (!rules || rules.length === 0) return
    const safeArgs: object = typeof args === 'object' && args !== null ? args : {}
    let worst: TheusError | undefined
    let worstLevel = -1
    // Every rule is evaluated even after one acts: each violation is a finding and counts,
    // and a level S rule must still halt the engine when an earlier rule already blocks.
    for (const c of rules) {
      let value = Object.hasOwn(safeArgs, c.argKey) ? readArgs(safeArgs, c) : safeRead(read, c.segs)
      for (const fn of c.fns) value = applyFunction(fn, value)
      let passed: boolean
      try {
        passed = c.test(value)
      } catch {
        passed = false // fail closed: a value whose length or size cannot be read is a violation
      }
      if (passed) {
        if (c.rule.resetOnSuccess) counters.delete(c.counterKey)
        continue
      }
      const error = violate(process, gate, c, value)
      if (error && SEVERITY[c.rule.level] > worstLevel) {
        worst = error
        worstLevel = SEVERITY[c.rule.level]
      }
    }
    if (worst) throw worst
  }

  const violate = (
    process: string,
    gate: Gate,
    c: CompiledRule,
    value: unknown,
  ): TheusError | undefined => {
    const { rule } = c
    const count = (counters.get(c.counterKey) ?? 0) + 1
    const acts = count >= rule.maxThreshold
    let action: AuditAction
    if (acts) {
      counters.set(c.counterKey, 0)
      action = ACTION[rule.level]
    } else {
      counters.set(c.counterKey, count)
      action = count >= rule.minThreshold ? 'early-warning' : 'count'
    }
    const message = formatMessage(process, gate, rule, value, action, count)
    const entry: AuditLogEntry = {
      at: Date.now(),
      process,
      gate,
      field: rule.field,
      condition: rule.condition,
      value: snapshot(value),
      limit: rule.limit,
      level: rule.level,
      count,
      threshold: rule.maxThreshold,
      action,
      message,
    }
    host.emit(entry)
    if (!acts || rule.level === 'C') return undefined
    const details = {
      process,
      gate,
      field: rule.field,
      condition: rule.condition,
      value: entry.value,
      limit: rule.limit,
      count,
      threshold: rule.maxThreshold,
      level: rule.level,
      // The rule's own words, so that a UI can show them without parsing the sentence.
      message: rule.message,
    }
    if (rule.level === 'B') return new AuditBlockError(message, details)
    return new AuditInterlockError(rule.level, message, details)
  }

  return {
    recipe: valid,
    checkInput: (process, args, read) => check('input', process, args, read),
    checkOutput: (process, args, read) => check('output', process, args, read),
    rulesOf(process) {
      if (!Object.hasOwn(valid.process_recipes, process)) return undefined
      const rec = valid.process_recipes[process]!
      return {
        inputs: [...rec.inputs],
        outputs: [...rec.outputs],
        side_effects: [...rec.side_effects],
        errors: [...rec.errors],
      }
    },
  }
}

function compile(process: string, gate: Gate, rules: readonly NormalizedRule[]): CompiledRule[] {
  const seen = new Map<string, number>()
  return rules.map((rule) => {
    // The spec's counter key is process:gate:field:condition. Two rules with the same field and
    // condition (say, warn over 5000 and block over 10000, or a parent's rule and a child's)
    // keep separate counters, so the second and later ones get a #n suffix.
    const base = `${process}:${gate}:${rule.field}:${rule.condition}`
    const n = (seen.get(base) ?? 0) + 1
    seen.set(base, n)
    // The recipe checker guarantees a parsable field; a compiled recipe is trusted code.
    const field = parseField(rule.field) ?? { segs: [rule.field], argKey: rule.field, fns: [] }
    return {
      rule,
      segs: field.segs,
      argKey: field.argKey,
      fns: field.fns,
      counterKey: n === 1 ? base : `${base}#${n}`,
      test: tester(rule.condition, rule.limit),
    }
  })
}

// Every tester fails closed: `undefined`, NaN and values of the wrong type are violations.
function tester(condition: AuditCondition, limit: unknown): (value: unknown) => boolean {
  switch (condition) {
    case 'min':
      return (v) => typeof v === 'number' && !Number.isNaN(v) && v >= (limit as number)
    case 'max':
      return (v) => typeof v === 'number' && !Number.isNaN(v) && v <= (limit as number)
    case 'eq':
      return (v) => v !== undefined && v === limit
    case 'neq':
      return (v) => v !== undefined && v !== limit
    case 'min_len':
      return (v) => {
        const n = lengthOf(v)
        return n !== undefined && n >= (limit as number)
      }
    case 'max_len':
      return (v) => {
        const n = lengthOf(v)
        return n !== undefined && n <= (limit as number)
      }
    case 'regex': {
      // No `g` or `y` flag, so `test` keeps no state between calls. The recipe checker refused
      // patterns that backtrack catastrophically; a value longer than MAX_REGEX_INPUT fails
      // without running the pattern, which bounds what any accepted pattern can cost.
      const re = new RegExp(limit as string)
      return (v) => typeof v === 'string' && v.length <= MAX_REGEX_INPUT && re.test(v)
    }
  }
}

function lengthOf(v: unknown): number | undefined {
  if (typeof v === 'string' || Array.isArray(v)) return v.length
  if (v instanceof Map || v instanceof Set) return v.size
  return undefined
}

function readArgs(args: object, c: CompiledRule): unknown {
  let cur: unknown = args
  const segs = [c.argKey, ...c.segs.slice(1)]
  for (const seg of segs) {
    // Own data only (SPEC §10.1): an args key named `constructor` is read, an inherited
    // `constructor` is missing, and `__proto__` never names data.
    if (seg === '__proto__') return undefined
    if (cur instanceof Map) cur = cur.get(seg)
    else if (typeof cur === 'object' && cur !== null)
      cur = Object.hasOwn(cur, seg) ? (cur as Record<string, unknown>)[seg] : undefined
    else if (typeof cur === 'string' && seg === 'length') cur = cur.length
    else return undefined
  }
  return cur
}

function safeRead(read: AuditRead, segs: readonly string[]): unknown {
  try {
    return read(segs)
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

function formatMessage(
  process: string,
  gate: Gate,
  rule: NormalizedRule,
  value: unknown,
  action: AuditAction,
  count: number,
): string {
  const tag = `[LEVEL ${rule.level} ${action.toUpperCase()}]`
  const limit = rule.condition === 'regex' ? `/${String(rule.limit)}/` : show(rule.limit)
  let shown = show(value)
  if (rule.condition === 'min_len' || rule.condition === 'max_len') {
    let n: number | undefined
    try {
      n = lengthOf(value)
    } catch {
      n = undefined
    }
    if (n !== undefined) shown += ` of length ${n}`
  }
  const text = `${tag} process '${process}' ${gate} gate: rule '${rule.condition}' violated on '${rule.field}' (value ${shown}, limit ${limit}, count ${count}/${rule.maxThreshold}).`
  return rule.message === undefined ? text : `${text} ${rule.message}`
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
