/**
 * The audit recipe object model: what a recipe looks like as written (snake_case keys, as in
 * YAML), the one rule table that says what each key accepts, the checker that applies it, and
 * the normalised form the auditor runs (inheritance resolved, one condition per rule, defaults
 * filled in).
 *
 * This file is in the core, so it imports neither `yaml` nor `zod` (SPEC §10.5): the checker is
 * a small interpreter of `RULE_TABLE`, `PROCESS_TABLE` and `TOP_TABLE`. `theus/yaml` builds its zod schema from the same table
 * (`auditRecipeSchema`), so there is one source of truth. YAML text reaches this file through
 * `theus/yaml` or the Vite plugin, which pass a locator so that every problem points at a line
 * and column.
 */
import type { AuditLevel } from '../engine/types.js'
import { describe, RecipeError, type SourceIssue, suggest } from '../errors.js'
import { isRecord as isMapping } from '../workflow/issues.js'
import { parseField } from './field.js'
import { regexHazard } from './regex.js'

//#region types

/** The conditions a rule may test. A rule written with two conditions becomes two rules. */
export type AuditCondition = 'min' | 'max' | 'eq' | 'neq' | 'min_len' | 'max_len' | 'regex'

/** Every condition key, in the order the docs list them. */
export const AUDIT_CONDITIONS: readonly AuditCondition[] = [
  'min',
  'max',
  'eq',
  'neq',
  'min_len',
  'max_len',
  'regex',
]

/** A value `eq` / `neq` compare with `===`: only scalars can ever be equal that way. */
export type AuditScalar = string | number | boolean | null

/** One rule as written in a recipe. */
export interface AuditRuleSource {
  /**
   * A key of the process's args, or a context path (`domain.x`, `domain_ctx.x`), or a computed
   * value: `len`, `sum`, `min`, `max`, `mean` or `abs` of one (`len(domain.cart)`).
   */
  field: string
  /** `S` stop, `A` abort, `B` block, `C` warn (default). */
  level?: AuditLevel
  min?: number
  max?: number
  eq?: AuditScalar
  neq?: AuditScalar
  min_len?: number
  max_len?: number
  /** JavaScript syntax, no flags; tested with `RegExp.prototype.test` (anchor with `^…$`). */
  regex?: string
  /** Alias of `max_threshold`. */
  threshold?: number
  /** Violations in a row before the level acts (default 1). */
  max_threshold?: number
  /** Below `max_threshold`, a count at or over this records an early warning (default 0). */
  min_threshold?: number
  /** A passing check resets the counter (default true). */
  reset_on_success?: boolean
  /** Added to the finding's message and to the error. */
  message?: string
}

/** The recipe of one process as written. */
export interface ProcessRecipeSource {
  /** The name of another entry of `process_recipes` whose rules come first. */
  inherits?: string
  inputs?: AuditRuleSource[] | null
  outputs?: AuditRuleSource[] | null
  side_effects?: string[] | null
  errors?: string[] | null
}

/** A whole recipe as written (the YAML file's shape). */
export interface AuditRecipeSource {
  process_recipes: Record<string, ProcessRecipeSource | null> | null
  name?: string
  description?: string
}

/** One rule as the auditor runs it: exactly one condition, defaults filled in. */
export interface NormalizedRule {
  field: string
  condition: AuditCondition
  /** The rule's operand: a number, the `eq`/`neq` scalar, or the regex source. */
  limit: AuditScalar
  level: AuditLevel
  minThreshold: number
  maxThreshold: number
  resetOnSuccess: boolean
  message?: string
}

/** The effective recipe of one process: inherited rules first. */
export interface NormalizedProcessRecipe {
  readonly inputs: readonly NormalizedRule[]
  readonly outputs: readonly NormalizedRule[]
  readonly side_effects: readonly string[]
  readonly errors: readonly string[]
}

/** A validated, normalised recipe, as `validateAuditRecipe` and `parseAuditRecipe` return it. */
export interface AuditRecipe {
  readonly process_recipes: Readonly<Record<string, NormalizedProcessRecipe>>
  /**
   * The entries that other entries inherit: rule sets (like `base_money_rules`) that need not
   * be the name of a process.
   */
  readonly inherited?: readonly string[]
}

/** Maps a path inside the recipe to a 1-based position in its source text. */
export type RecipeLocator = (
  path: readonly (string | number)[],
  at?: 'key' | 'value',
) => { line: number; column: number } | undefined

/** Options of `validateAuditRecipe`. */
export interface ValidateRecipeOptions {
  /** Named in messages and in the error's `file`. */
  filename?: string
  /** Gives positions to the issues (the YAML parser passes one). */
  locate?: RecipeLocator
}

//#endregion

//#region the rule table: what each key accepts (shared with the zod schema of theus/yaml)

/**
 * What a key of a recipe accepts. `theus/yaml` turns the same table into its zod schema, so
 * the core's checker and the schema tools see cannot disagree.
 */
export type RecipeKeyKind =
  | 'string'
  | 'number'
  | 'count'
  | 'boolean'
  | 'scalar'
  | 'level'
  | 'path'
  | 'regex'
  | 'rules'
  | 'strings'
  | 'processes'

/** One key of the table: its kind, the message when the value has the wrong type, its bounds. */
export interface RecipeKeySpec {
  readonly kind: RecipeKeyKind
  /** Said when the value has the wrong type (or, for a required key, is missing). */
  readonly message: string
  /** `count`: the smallest value allowed. */
  readonly min?: number
  /** The key must be present. */
  readonly required?: boolean
  /** `null` is accepted (as an empty list or recipe). */
  readonly nullable?: boolean
}

const count = (key: string, min: number): RecipeKeySpec => ({
  kind: 'count',
  message: `${key} must be a number`,
  min,
})

/** The keys of a rule. */
export const RULE_TABLE: Readonly<Record<keyof AuditRuleSource, RecipeKeySpec>> = {
  field: {
    kind: 'path',
    message: 'a rule needs a `field`: an args key or a context path',
    required: true,
  },
  level: { kind: 'level', message: 'must be one of S, A, B, C' },
  min: { kind: 'number', message: 'min must be a number' },
  max: { kind: 'number', message: 'max must be a number' },
  eq: { kind: 'scalar', message: 'must be a string, number, boolean or null (compared with ===)' },
  neq: { kind: 'scalar', message: 'must be a string, number, boolean or null (compared with ===)' },
  min_len: count('min_len', 0),
  max_len: count('max_len', 0),
  regex: { kind: 'regex', message: 'regex must be a string' },
  threshold: count('threshold', 1),
  max_threshold: count('max_threshold', 1),
  min_threshold: count('min_threshold', 0),
  reset_on_success: { kind: 'boolean', message: 'reset_on_success must be true or false' },
  message: { kind: 'string', message: 'message must be a string' },
}

/** The keys of one process's recipe. */
export const PROCESS_TABLE: Readonly<Record<keyof ProcessRecipeSource, RecipeKeySpec>> = {
  inherits: { kind: 'string', message: 'inherits must be the name of another process recipe' },
  inputs: { kind: 'rules', message: 'inputs must be a list', nullable: true },
  outputs: { kind: 'rules', message: 'outputs must be a list', nullable: true },
  side_effects: { kind: 'strings', message: 'side_effects must be a list', nullable: true },
  errors: { kind: 'strings', message: 'errors must be a list', nullable: true },
}

/** The top-level keys of a recipe. */
export const TOP_TABLE: Readonly<Record<keyof AuditRecipeSource, RecipeKeySpec>> = {
  process_recipes: {
    kind: 'processes',
    message: '`process_recipes` must be a mapping of process names to recipes',
    required: true,
    nullable: true,
  },
  name: { kind: 'string', message: 'name must be a string' },
  description: { kind: 'string', message: 'description must be a string' },
}

/** The message when a recipe is not a mapping at all. */
export const NOT_A_RECIPE = 'a recipe must be a mapping with a `process_recipes` key'

/** The messages of the checks beyond a value's type, shared with the zod schema. */
export const RECIPE_MESSAGES = {
  badPath:
    'is not a valid path or computed value (write e.g. `amount`, `domain.accounts.Alice` or `len(domain.cart)`; the functions are len, sum, min, max, mean, abs)',
  badRegex: 'is not a valid JavaScript regular expression',
  notWhole: (key: string) => `${key} must be a whole number`,
  tooSmall: (key: string, min: number) =>
    `${key} must be ${min === 0 ? 'zero or more' : `at least ${min}`}`,
  listItem: (key: string) =>
    key === 'errors' ? 'must be an error name (a string)' : 'must be a string',
} as const

// A YAML key such as `__proto__` must never become a process, and `constructor` or `prototype`
// would shadow what every object has: refused by name.
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype'])
// Symbol.for, not a module-local symbol: `theus` and `theus/yaml` may be bundled as separate
// copies of this file, and a recipe validated by one must be accepted by the other as is. A
// symbol key cannot come from JSON or YAML data, and it is set non-enumerable, by
// `normalize` and by code the Vite plugin emits, only on recipes that passed this checker.
const BRAND = Symbol.for('theus.auditRecipe')
/**
 * The key under which code emitted by the `theus/vite` plugin attaches the normalised form of a
 * recipe it checked at build time, so the core adopts it without checking it again. Like the
 * brand, a symbol key is out of reach of JSON and YAML data: only code can set it, and code is
 * trusted (SPEC §10.1).
 */
export const COMPILED_RECIPE = Symbol.for('theus.compiledRecipe')
const MAX_ISSUES = 100
// Nesting deeper than 200 levels in any form is refused (SPEC §10.4).
const MAX_INHERITANCE = 200

//#endregion

//#region the checker

/** One problem found, before it is positioned. */
export interface RecipeProblem {
  path: (string | number)[]
  message: string
  hint?: string | undefined
  at: 'key' | 'value'
  /** A rule without any condition: left out when the rule has an unknown key. */
  noCondition?: boolean
}

function typeOk(spec: RecipeKeySpec, v: unknown): boolean {
  switch (spec.kind) {
    case 'string':
    case 'path':
    case 'regex':
      return typeof v === 'string'
    case 'number':
    case 'count':
      return typeof v === 'number' && Number.isFinite(v)
    case 'boolean':
      return typeof v === 'boolean'
    case 'scalar':
      return (
        v === null ||
        typeof v === 'string' ||
        typeof v === 'boolean' ||
        (typeof v === 'number' && Number.isFinite(v))
      )
    case 'level':
      return v === 'S' || v === 'A' || v === 'B' || v === 'C'
    case 'rules':
    case 'strings':
      return Array.isArray(v)
    case 'processes':
      return isMapping(v)
  }
}

/**
 * Checks a value against one key of the table: the problems beyond its type (a path that does
 * not parse, a regex that does not compile or can backtrack catastrophically, a count out of
 * bounds). Exported for the zod schema, which calls it from a refinement.
 */
export function valueProblem(key: string, spec: RecipeKeySpec, v: unknown): string | undefined {
  if (spec.kind === 'path' && parseField(v) === undefined) return RECIPE_MESSAGES.badPath
  if (spec.kind === 'count') {
    if (!Number.isInteger(v)) return RECIPE_MESSAGES.notWhole(key)
    if ((v as number) < (spec.min ?? 0)) return RECIPE_MESSAGES.tooSmall(key, spec.min ?? 0)
  }
  if (spec.kind === 'regex') {
    try {
      new RegExp(v as string)
    } catch {
      return RECIPE_MESSAGES.badRegex
    }
    const hazard = regexHazard(v as string)
    if (hazard) return `can backtrack catastrophically: ${hazard}`
  }
  return undefined
}

class Problems {
  readonly list: RecipeProblem[] = []
  more = 0
  add(p: RecipeProblem): void {
    if (this.list.length < MAX_ISSUES) this.list.push(p)
    else this.more++
  }
  get full(): boolean {
    return this.list.length >= MAX_ISSUES
  }
}

/**
 * Every problem of a recipe as written, without positions: the core of `validateAuditRecipe`,
 * and what the zod schema of `theus/yaml` reports. At most 100 problems are listed.
 */
export function recipeProblems(obj: unknown): { problems: RecipeProblem[]; more: number } {
  const out = new Problems()
  if (!isMapping(obj)) {
    out.add({
      path: [],
      message: `the recipe: ${NOT_A_RECIPE}, got ${describe(obj)}`,
      at: 'value',
      hint: HINTS.root,
    })
    return { problems: out.list, more: 0 }
  }
  checkKeys(obj, [], TOP_TABLE, out)
  const procs = obj['process_recipes']
  if (isMapping(procs)) {
    const names = Object.keys(procs)
    for (const name of names) {
      if (out.full) break
      const path = ['process_recipes', name]
      if (RESERVED_NAMES.has(name)) {
        out.add({
          path,
          message: `'${name}' cannot be a process name`,
          at: 'key',
          hint: 'Rename the process.',
        })
        continue
      }
      const rec = procs[name]
      if (rec === null) continue
      if (!isMapping(rec)) {
        out.add({
          path,
          message: `${where(path)}: must be a mapping (inputs, outputs, ...), got ${describe(rec)}`,
          at: 'value',
        })
        continue
      }
      checkKeys(rec, path, PROCESS_TABLE, out)
    }
    inheritance(procs, names, out)
  }
  return { problems: out.list, more: out.more }
}

function checkKeys(
  obj: Record<string, unknown>,
  path: (string | number)[],
  table: Readonly<Record<string, RecipeKeySpec>>,
  out: Problems,
): void {
  const valid = Object.keys(table)
  for (const key of Object.keys(obj)) {
    if (Object.hasOwn(table, key)) continue
    const near = key.length <= 64 ? suggest(key, valid) : undefined
    out.add({
      path: [...path, key],
      message: `unknown key '${key}' in ${where(path)}`,
      hint: near ? `Did you mean '${near}'?` : `Valid keys: ${valid.join(', ')}.`,
      at: 'key',
    })
  }
  for (const key of valid) {
    const spec = table[key]!
    const at = [...path, key]
    if (!Object.hasOwn(obj, key)) {
      if (spec.required)
        out.add({
          path: at,
          message: `${where(at)}: ${spec.message} (it is missing)`,
          at: 'key',
          hint: hintFor(key, true),
        })
      continue
    }
    const v = obj[key]
    if (v === null && spec.nullable) continue
    if (!typeOk(spec, v)) {
      out.add({
        path: at,
        message: `${where(at)}: ${spec.message}, got ${describe(v)}`,
        at: 'value',
        hint: hintFor(key, false),
      })
      continue
    }
    const problem = valueProblem(key, spec, v)
    if (problem) {
      out.add({
        path: at,
        message: `${where(at)}: ${problem}`,
        at: 'value',
        hint: hintFor(key, false),
      })
      continue
    }
    if (spec.kind === 'rules' || spec.kind === 'strings') {
      const list = v as unknown[]
      for (let i = 0; i < list.length && !out.full; i++) {
        const item = list[i]
        const ip = [...at, i]
        if (spec.kind === 'strings') {
          if (typeof item !== 'string')
            out.add({
              path: ip,
              message: `${where(ip)}: ${RECIPE_MESSAGES.listItem(key)}, got ${describe(item)}`,
              at: 'value',
            })
        } else if (!isMapping(item)) {
          out.add({
            path: ip,
            message: `${where(ip)}: a rule must be a mapping with a \`field\`, got ${describe(item)}`,
            at: 'value',
          })
        } else {
          checkKeys(item, ip, RULE_TABLE, out)
          ruleProblems(item, ip, out)
        }
      }
    }
  }
}

function ruleProblems(
  rule: Record<string, unknown>,
  path: (string | number)[],
  out: Problems,
): void {
  if (!AUDIT_CONDITIONS.some((c) => Object.hasOwn(rule, c))) {
    // "No condition" is noise when the rule has an unknown key: that key is most likely the
    // misspelt condition, and its issue says so.
    const hasUnknown = Object.keys(rule).some((k) => !Object.hasOwn(RULE_TABLE, k))
    if (!hasUnknown)
      out.add({
        path: [...path, 'field'],
        message: `${where([...path, 'field'])}: the rule on '${String(rule['field'])}' has no condition`,
        hint: `Add one of ${AUDIT_CONDITIONS.join(', ')}.`,
        at: 'key',
      })
  }
  if (Object.hasOwn(rule, 'threshold') && Object.hasOwn(rule, 'max_threshold')) {
    out.add({
      path: [...path, 'threshold'],
      message: `${where([...path, 'threshold'])}: \`threshold\` is an alias of \`max_threshold\`; both are given`,
      hint: 'Keep only `max_threshold`.',
      at: 'key',
    })
  }
}

function inheritance(procs: Record<string, unknown>, names: string[], out: Problems): void {
  const parentOf = (n: string): unknown => {
    const r = Object.hasOwn(procs, n) ? procs[n] : undefined
    return isMapping(r) && Object.hasOwn(r, 'inherits') ? r['inherits'] : undefined
  }
  for (const name of names) {
    if (out.full) return
    const parent = parentOf(name)
    if (typeof parent !== 'string') continue
    const path = ['process_recipes', name, 'inherits']
    if (!Object.hasOwn(procs, parent) || RESERVED_NAMES.has(parent)) {
      const near =
        parent.length <= 64 && names.length <= 1000
          ? suggest(
              parent,
              names.filter((n) => n !== name),
            )
          : undefined
      out.add({
        path,
        message: `${where(path)}: '${name}' inherits '${parent}', which is not in process_recipes`,
        hint: near
          ? `Did you mean '${near}'?`
          : 'Define it under process_recipes (recipes that exist only to be inherited live there too).',
        at: 'value',
      })
      continue
    }
    // Follow the chain; coming back to `name` is a cycle. Chains through a cycle that does
    // not include `name` are reported once, by a member of that cycle. Each walk stops after
    // MAX_INHERITANCE steps, so checking every chain costs O(processes) in all.
    const seen = new Set([name])
    let cur: unknown = parent
    while (typeof cur === 'string' && Object.hasOwn(procs, cur)) {
      if (cur === name) {
        out.add({
          path,
          message: `${where(path)}: '${name}' inherits itself through ${[...seen, name].join(' -> ')}`,
          hint: 'Remove one `inherits` to break the cycle.',
          at: 'value',
        })
        break
      }
      if (seen.has(cur)) break
      if (seen.size > MAX_INHERITANCE) {
        out.add({
          path,
          message: `${where(path)}: '${name}' inherits through more than ${MAX_INHERITANCE} levels`,
          hint: 'Flatten the chain: let a few recipes hold the shared rules.',
          at: 'value',
        })
        break
      }
      seen.add(cur)
      cur = parentOf(cur)
    }
  }
}

const HINTS = {
  root: 'Start the file with `process_recipes:`.',
  level: 'Write level: S, A, B or C (C, the default, only warns).',
  regex:
    'Check the brackets and escapes; in YAML, quote the pattern with single quotes. A pattern that can backtrack catastrophically is refused: bound its repetitions (`{1,20}`) or remove the nesting.',
  field: 'Add `field: <args key or context path>` to the rule.',
}

function hintFor(key: string, missing: boolean): string | undefined {
  if (key === 'level') return HINTS.level
  if (key === 'regex') return HINTS.regex
  if (key === 'process_recipes') return HINTS.root
  if (key === 'field' && missing) return HINTS.field
  return undefined
}

//#endregion

//#region validation

/**
 * Checks a recipe object and returns it normalised: `inherits` resolved (the parent's rules
 * first), a rule with two conditions split into two, defaults filled in. Throws `RecipeError`
 * (code `RECIPE_INVALID`) listing every problem in `issues` (at most 100), the first one in the
 * message with its position when `locate` is given. Never throws anything else, whatever the
 * input (getters that throw, proxies, cycles).
 *
 * Decision: `inherits` may name only an entry of `process_recipes`; recipes that exist only to
 * be inherited (like `base_money_rules`) live there too.
 * @example
 * const recipe = validateAuditRecipe({
 *   process_recipes: { transfer: { inputs: [{ field: 'amount', max: 10000, level: 'B' }] } },
 * })
 * recipe.process_recipes.transfer?.inputs[0]?.condition // 'max'
 */
export function validateAuditRecipe(
  obj: unknown,
  options: ValidateRecipeOptions = {},
): AuditRecipe {
  try {
    if (isAuditRecipe(obj)) return obj
    const compiled = fromCompiled(obj)
    if (compiled) return compiled
    const { problems, more } = recipeProblems(obj)
    if (problems.length > 0) throw toRecipeError(problems, more, options)
    return normalize(obj as AuditRecipeSource)
  } catch (e) {
    if (e instanceof RecipeError) throw e
    // A hostile object (throwing getters, revoked proxies) must still end as a RecipeError.
    throw new RecipeError(
      `Invalid audit recipe${options.filename ? ` in ${options.filename}` : ''}: it could not be read (${e instanceof Error ? e.message : String(e)}). Pass plain data.`,
      [{ code: 'RECIPE_INVALID', message: 'the recipe could not be read' }],
      options.filename === undefined ? {} : { file: options.filename },
    )
  }
}

/**
 * True for a recipe returned by `validateAuditRecipe` / `parseAuditRecipe`, or compiled by the
 * `theus/vite` plugin (it is not checked again). The mark is a non-enumerable symbol key, which
 * no JSON or YAML document can carry.
 * @example
 * isAuditRecipe(validateAuditRecipe({ process_recipes: {} })) // true
 */
export function isAuditRecipe(value: unknown): value is AuditRecipe {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  )
}

// Adopts the normalised recipe that the Vite plugin attached at build time: frozen and
// branded as `normalize` would have returned it.
function fromCompiled(obj: unknown): AuditRecipe | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined
  const c = (obj as Record<symbol, unknown>)[COMPILED_RECIPE]
  if (!isMapping(c) || !isMapping(c['process_recipes'])) return undefined
  const procs: Record<string, NormalizedProcessRecipe> = Object.create(null)
  for (const [name, rec] of Object.entries(c['process_recipes'] as Record<string, unknown>)) {
    if (RESERVED_NAMES.has(name) || !isMapping(rec)) return undefined
    const list = (k: string) => {
      const v = rec[k]
      return Object.freeze(Array.isArray(v) ? v.map((x) => Object.freeze(x)) : [])
    }
    Object.defineProperty(procs, name, {
      value: Object.freeze({
        inputs: list('inputs'),
        outputs: list('outputs'),
        side_effects: list('side_effects'),
        errors: list('errors'),
      }),
      enumerable: true,
    })
  }
  const inherited = Array.isArray(c['inherited'])
    ? c['inherited'].filter((n): n is string => typeof n === 'string')
    : []
  const recipe: AuditRecipe = {
    process_recipes: Object.freeze(procs),
    inherited: Object.freeze(inherited),
  }
  Object.defineProperty(recipe, BRAND, { value: true })
  return Object.freeze(recipe)
}

function toRecipeError(
  problems: readonly RecipeProblem[],
  more: number,
  options: ValidateRecipeOptions,
): RecipeError {
  const issues = problems.map((p) => issue(p.message, p.hint, p.path, p.at, options))
  // Report in source order when positions are known, so the message names the first problem.
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
  const first = issues[0] ?? { code: 'RECIPE_INVALID', message: 'the recipe is invalid' }
  const at =
    first.line !== undefined
      ? `${options.filename ?? '<inline>'}:${first.line}:${first.column}`
      : options.filename
  const others = issues.length - 1 + more
  const moreText =
    others > 0 ? ` (${others} more problem${others > 1 ? 's' : ''} in error.issues)` : ''
  const details: { file?: string; line?: number; column?: number } = {}
  if (options.filename !== undefined) details.file = options.filename
  if (first.line !== undefined) details.line = first.line
  if (first.column !== undefined) details.column = first.column
  return new RecipeError(
    `Invalid audit recipe${at ? ` at ${at}` : ''}: ${first.message}.${first.hint ? ` ${first.hint}` : ''}${moreText}`,
    issues,
    details,
  )
}

function issue(
  message: string,
  hint: string | undefined,
  path: readonly (string | number)[],
  at: 'key' | 'value',
  options: ValidateRecipeOptions,
): SourceIssue {
  const out: SourceIssue = { code: 'RECIPE_INVALID', message }
  if (hint !== undefined) out.hint = hint
  if (options.filename !== undefined) out.file = options.filename
  // An empty document has no node to point at; its problem is at the start of the file.
  const pos =
    options.locate?.(path, at) ??
    (options.locate && path.length === 0 ? { line: 1, column: 1 } : undefined)
  if (pos) {
    out.line = pos.line
    out.column = pos.column
  }
  return out
}

function where(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'the recipe'
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`
  return out
}

//#endregion

//#region normalisation

function normalize(src: AuditRecipeSource): AuditRecipe {
  const procs = src.process_recipes ?? {}
  // Built with defineProperty on a null-prototype object: a process name can never reach a
  // prototype, whatever the input held.
  const out: Record<string, NormalizedProcessRecipe> = Object.create(null)
  const resolve = (name: string): NormalizedProcessRecipe => {
    const done = out[name]
    if (done) return done
    const own = procs[name] ?? {}
    const parent = own.inherits === undefined ? undefined : resolve(own.inherits)
    const rec: NormalizedProcessRecipe = Object.freeze({
      inputs: Object.freeze([...(parent?.inputs ?? []), ...splitRules(own.inputs)]),
      outputs: Object.freeze([...(parent?.outputs ?? []), ...splitRules(own.outputs)]),
      side_effects: Object.freeze(union(parent?.side_effects, own.side_effects)),
      errors: Object.freeze(union(parent?.errors, own.errors)),
    })
    Object.defineProperty(out, name, { value: rec, enumerable: true })
    return rec
  }
  for (const name of Object.keys(procs)) resolve(name)
  const inherited = new Set<string>()
  for (const name of Object.keys(procs)) {
    const parent = procs[name]?.inherits
    if (parent !== undefined) inherited.add(parent)
  }
  const recipe: AuditRecipe = {
    process_recipes: Object.freeze(out),
    inherited: Object.freeze([...inherited]),
  }
  Object.defineProperty(recipe, BRAND, { value: true })
  return Object.freeze(recipe)
}

function splitRules(rules: readonly AuditRuleSource[] | null | undefined): NormalizedRule[] {
  const out: NormalizedRule[] = []
  for (const r of rules ?? []) {
    // The key order the author wrote is the order the conditions are checked in.
    for (const key of Object.keys(r)) {
      if (!(AUDIT_CONDITIONS as readonly string[]).includes(key)) continue
      const rule: NormalizedRule = {
        field: r.field,
        condition: key as AuditCondition,
        limit: r[key as AuditCondition] as AuditScalar,
        level: r.level ?? 'C',
        minThreshold: r.min_threshold ?? 0,
        maxThreshold: r.max_threshold ?? r.threshold ?? 1,
        resetOnSuccess: r.reset_on_success ?? true,
      }
      if (r.message !== undefined) rule.message = r.message
      out.push(Object.freeze(rule))
    }
  }
  return out
}

function union(
  a: readonly string[] | undefined,
  b: readonly string[] | null | undefined,
): string[] {
  return [...new Set([...(a ?? []), ...(b ?? [])])]
}

//#endregion
